//! goalie keeps an unmodified interactive coding-agent CLI working on one goal
//! until the goal is achieved with checked evidence, blocked, paused by its
//! user, or out of budget.
//!
//! # Theory of operation
//!
//! ## Layers and folders
//!
//! Each folder of `src/` is one room of one layer, and a file's folder says
//! what it may touch:
//!
//! | layer | folders | what lives there | touches the world? |
//! |---|---|---|---|
//! | vocabulary | [`goal`] | lifecycle, limits, goal changes, claims, the goal spec and its checks, units, exit codes | no |
//! | core | [`core`] | the supervisor (event in, actions out), its config, the screen observer and its rules, the claim-block reader, compaction dedupe, the usage-reset parser, prompt kinds and variables, session-log events | no |
//! | edges | [`agent`], [`ledger`], [`audit`], [`control`], [`terminal`], [`sim`], [`workspace`] | the agent's process and PTY, its screen model, adapters, prompt templates, session logs; the ledger (SQLite, or PostgreSQL when shared) and the reads of its history, export and import, the supervisor's host and heartbeat, control requests from other hosts; the audit of a claim; the control socket; the user's terminal; the simulated agent; what changed in the working directory each turn | yes |
//! | shell | [`runtime`] | the one place that wires the edges to the core: start, the event loop, carrying out actions, narrating progress | yes |
//! | front | [`cli`] | arguments, the commands, `goalie mcp`, `goalie hook` | yes |
//!
//! Two small shared files sit beside them: [`error`] (the errors a user can
//! see, with their exit codes) and [`config_file`] (the user's settings).
//!
//! ## The dependency rule
//!
//! Imports run one way, down this list: `goal` imports nothing of the crate;
//! `core` imports `goal` only; an edge imports `goal` and `core` and never
//! another edge; `error` and `config_file` import the edges; `runtime` imports
//! all of those; `cli` imports `runtime` too. No file imports itself through
//! others. So the core is pure by construction: no I/O, no clock, no threads;
//! events carry their time (`now_ms`), and a clock time that must become a
//! delay is turned into one at the edge. Where a core type is built from an
//! edge's data, the constructor lives with the edge (`Observer::for_adapter`
//! in `agent::adapter`, `Digest::from_entries` in `ledger::digest`). Unit
//! tests may use any module as a fixture. The rule is checked by a test
//! (`src/layers.rs`) that reads these sources: it fails when a file of `goal/`
//! or `core/` names tokio, rusqlite, the PTY, `std::fs`, `std::process`,
//! `std::net`, `std::thread`, `SystemTime`, `Instant` and the like, when a
//! folder imports one its layer may not, and on any import cycle.
//!
//! ## One byte, from the agent's PTY to a typed prompt
//!
//! 1. The agent writes to its PTY; the event loop ([`runtime::run`]) reads
//!    the PTY's master itself ([`agent::process_output`]: non-blocking,
//!    watched by tokio's reactor), mirrors the bytes to your terminal (where
//!    goalie keeps its title and status row, [`terminal::status`]), records
//!    them ([`agent::recording`], asciicast v2, one event per batch) and feeds
//!    them to the screen model ([`agent::screen`], vt100). The screen model
//!    answers the terminal queries a TUI sends and keeps the rows that scroll
//!    away.
//! 2. The loop looks at the screen as output comes, at most every 20 ms, or,
//!    once a turn is under way, when the output pauses and at least every
//!    500 ms (`runtime/run/cadence.rs`): the [`core::observer::Observer`]
//!    reads the screen's text rows with the adapter's
//!    [`core::screen_rules::ScreenRules`] (busy, idle, done, dialogs, usage
//!    limits, token figures, a claim block) and returns an
//!    [`core::observer::Observation`]; the loop wraps it in
//!    `Event::Screen { now_ms, seen }`. Keys, ticks, signals, the agent's exit,
//!    session-log lines ([`agent::session_tail`] → [`core::log_event::LogEvent`]),
//!    control commands and audit reports become events the same way.
//! 3. [`core::supervisor::Supervisor::handle`] decides, purely, and returns
//!    [`core::supervisor::Action`]s: a turn has ended when no busy indicator
//!    is shown, the input box is, the screen has been still for the adapter's
//!    quiet window and you are not typing; then it asks for the next prompt,
//!    `Action::Inject { kind, vars }` ([`core::prompt`]), and for ledger rows.
//! 4. The loop carries the actions out: it renders the prompt with the
//!    templates ([`agent::prompts`], minijinja), records it in the ledger,
//!    tells the observer what was typed (so its echo is never read as a
//!    claim), and types it the adapter's way (bracketed paste, a pause, Enter)
//!    through the PTY's single writer thread; `Event::InjectionDone` closes the
//!    circle.
//!
//! ## Where each kind of state lives
//!
//! - **The goal's history and truth across runs**: the ledger ([`ledger`]),
//!   SQLite in WAL mode, or PostgreSQL for a ledger shared by many machines: the goal's row (state, budgets, counters, secret claim
//!   code) and an append-only log of every event. `goalie resume`, `status`,
//!   `report` and the prompts' digest read it; nothing else survives a restart.
//! - **What the run is doing now**: the supervisor's state in memory, in
//!   [`core::supervisor::Supervisor`], changed only by events: the goal's
//!   state, phase, turns and pending claim, and its sub-states, each a small
//!   struct in `core/supervisor/state/` (tokens, the screen's stillness, turn
//!   signals, compaction watch, error backoff, idle time, dialogs, processes).
//! - **What the screen shows**: the vt100 model ([`agent::screen`]) and what
//!   the observer must remember between looks (rows scrolled away, the claim
//!   reader's typed text and nonce).
//! - **The world's handles**: the agent's process and PTY, the session-log
//!   cursor, the control server, timers, the workspace's last look
//!   ([`workspace::Tracker`], for each turn's progress; its first look taken on a thread of
//!   its own, [`workspace::baseline::Baseline`]), in the shell ([`runtime::run`]); the
//!   saved terminal mode in [`terminal`] (global, so a panic hook can restore it).
//! - **Files on disk the run makes**: the agent's private home for MCP
//!   registration ([`agent::home`]), handoff notes in `.goalie/` of the working
//!   directory, the control socket in a private directory ([`control`]),
//!   the recordings of the agent's screen in the state dir ([`agent::recording`]).
//! - **What must not outlive goalie**: each process group a run starts (the
//!   agent's session, a verify command's group) is recorded in the ledger as
//!   it starts (`group_started`: its leader's pid and start time, and the
//!   `GOALIE_RUN` mark the agent's descendants inherit), and the
//!   supervisor's own pid with its start time; the next `run`, `resume` or
//!   `clear` ends what a killed goalie left ([`runtime::leftovers`]).
//! - **The user's data**: adapters and prompt overrides in the config dir
//!   ([`config_file::config_dir`]), the settings files, layered with the
//!   variables and flags in [`cli::settings`], the goal spec file ([`cli::spec_file`]).

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
pub mod workspace;

#[cfg(test)]
mod layers;

/// Parses the command line and runs it; returns the exit code.
pub fn run() -> Result<i32, error::Error> {
    use clap::Parser;
    cli::completion::complete_if_asked();
    cli::dispatch(cli::Cli::parse())
}
