//! The agent at the edge: its process and process tree in a PTY, the
//! terminal model of its screen, adapters (launch, typing, screen rules, MCP
//! registration, private homes), prompt templates, and its session logs
//! (pure line parsers, apart from the tailer that follows the files).

pub mod adapter;
pub mod agent_settings;
pub mod home;
pub mod log_watch;
pub mod process;
pub mod process_key;
pub mod process_output;
pub mod process_tree;
pub mod prompts;
pub mod quota_log;
pub mod readiness;
pub mod recording;
pub mod screen;
pub mod session_db;
pub mod session_discovery;
pub mod session_log;
pub mod session_places;
pub mod session_tail;
pub mod tail_stats;
