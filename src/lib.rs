//! goalie keeps an unmodified interactive coding-agent CLI working on one goal
//! until the goal is achieved with checked evidence, blocked, paused by its
//! user, or out of budget.
//!
//! The layers: the pure core ([`supervisor`], [`lifecycle`], [`observer`]),
//! data ([`adapter`], [`prompts`]), and the edges that touch the world
//! (PTY, terminal, SQLite ledger, the command line).

pub mod agent;
pub mod audit;
pub mod cli;
pub mod config_file;
pub mod control;
pub mod core;
pub mod error;
pub mod goal;
pub mod ledger;
pub mod runtime;
pub mod sim;
pub mod terminal;

#[cfg(test)]
mod layers;

/// Parses the command line and runs it; returns the exit code.
pub fn run() -> Result<i32, error::Error> {
    use clap::Parser;
    cli::dispatch(cli::Cli::parse())
}
