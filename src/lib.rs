//! goalie keeps an unmodified interactive coding-agent CLI working on one goal
//! until the goal is achieved with checked evidence, blocked, paused by its
//! user, or out of budget.
//!
//! The layers: the pure core ([`supervisor`], [`lifecycle`], [`observer`]),
//! data ([`adapter`], [`prompts`]), and the edges that touch the world
//! (PTY, terminal, SQLite ledger, the command line).

pub mod adapter;
pub mod agent_home;
pub mod agent_process;
pub mod audit;
pub mod auditor;
pub mod claim;
pub mod claim_block;
pub mod claim_inbox;
pub mod cli;
pub mod compaction;
pub mod config_file;
pub mod context_counts;
pub mod control;
pub mod digest;
pub mod error;
pub mod event_hooks;
pub mod exit_code;
pub mod goal_change;
pub mod goal_commands;
pub mod goal_selector;
pub mod goal_spec;
pub mod ledger;
pub mod lifecycle;
pub mod log_watch;
pub mod logging;
pub mod mcp_server;
pub mod observer;
pub mod process_tree;
pub mod prompts;
pub mod report;
pub mod run;
pub mod screen;
pub mod session_db;
pub mod session_discovery;
pub mod session_log;
pub mod session_places;
pub mod session_tail;
pub mod sim;
pub mod source_location;
pub mod status;
pub mod supervisor;
pub mod takeover;
pub mod terminal;
pub mod turn_hook;
pub mod usage_reset;

/// Parses the command line and runs it; returns the exit code.
pub fn run() -> Result<i32, error::Error> {
    use clap::Parser;
    cli::dispatch(cli::Cli::parse())
}
