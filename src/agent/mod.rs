pub mod adapter;
pub mod home;
pub mod process;
pub mod process_tree;
pub mod prompts;
pub mod screen;
pub mod session_log;
pub mod session_tail;
