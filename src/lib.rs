//! goalie keeps an unmodified interactive coding-agent CLI working on one goal
//! until the goal is achieved with checked evidence, blocked, paused by its
//! user, or out of budget.
//!
//! The layers: the pure core ([`supervisor`], [`lifecycle`], [`observer`]),
//! data ([`adapter`], [`prompts`]), and the edges that touch the world
//! (PTY, terminal, SQLite ledger, the command line).

pub mod adapter;
pub mod claim;
pub mod exit_code;
pub mod lifecycle;
pub mod observer;
pub mod prompts;
pub mod source_location;
pub mod supervisor;
