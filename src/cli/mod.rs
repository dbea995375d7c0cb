//! The command line: arguments (clap) and what each subcommand does.
//!
//! `args.rs` holds the arguments, `dispatch.rs` what each subcommand does;
//! the commands that need more than a few lines have files of their own.

pub mod candidates;
pub mod completion;
pub mod doctor;
#[doc(hidden)]
pub mod fuzz_targets;
pub mod goal_commands;
pub mod goal_selector;
pub mod ledger_request;
pub mod list;
pub mod local_time;
pub mod log_redact;
pub mod logging;
pub mod mcp_server;
pub mod replay;
mod replay_stop;
pub mod report;
pub mod settings;
mod settings_layers;
pub mod spec_file;
pub mod status;
pub mod transfer;
pub mod turn_hook;

mod args;
mod dispatch;

pub use args::{Cli, Command, DemoArgs, Limit, LimitArgs, RunArgs};
pub use dispatch::dispatch;
