//! The imperative shell around the supervisor core: it starts the agent in a
//! PTY, turns PTY output, keys, timers, signals and the agent's exit into
//! events, and carries out the core's actions (typing, ledger rows, stopping).
//!
//! This file is the face; the files split the shell by concern. `Shell`
//! (`shell.rs`) holds what one run wires together; the other files add its
//! methods for their concern.
//!
//! | file | does |
//! |---|---|
//! | `spec.rs` | what a run is given ([`RunSpec`], [`Resumed`]) |
//! | `start.rs` | [`run`]: checks, the goal (new or resumed), `goalie mcp`, the control socket, the hooks |
//! | `supervise.rs` | the first agent process, the core's config, the end of the run |
//! | `shell.rs` | the shell's state, the goal as the control socket shows it |
//! | `event_loop.rs` | what wakes the loop, and the core hearing it in one place |
//! | `cadence.rs` | when the clock ticks (in a turn: when the output pauses), when small close chunks of output are taken in together, chores timed |
//! | `steps.rs` | what the shell does with each thing that woke the loop |
//! | `perform.rs` | carrying out the core's actions |
//! | `submit.rs` | typing text: the paste, and its Enter as soon as the agent can take it |
//! | `launch_prompt.rs` | the first prompt on the agent's command line, where its adapter takes it |
//! | `screen.rs` | output taken in, the screen read with the adapter's rules |
//! | `session.rs` | the agent's session log: where it is, what it says |
//! | `claims.rs` | claims `goalie mcp` submitted, audits of claims |
//! | `record.rs` | the recording of the agent's screen, and its markers |
//! | `restart.rs` | a new agent process, and its handoff note |
//! | `status.rs` | goalie's title and status row on the person's terminal |
//! | `narrate.rs` | progress lines for headless runs, the summary |
//! | `panics.rs` | a panic in the loop still ends the run in the ledger |
//! | `reserve.rs` | room kept beside the database for the end of a run on a full disk |
//! | `watchdog.rs` | the hang watch's signs of work, and the workspace measured off the loop |
//! | `rest.rs` | the goal at rest (paused at an idle prompt): the clock stopped, the chores on the ledger's timer |
//! | `heartbeat.rs` | the ledger's chores: the supervisor's heartbeat, the looks for requests |
//! | `ledger_control.rs` | commands another host wrote in the ledger, and their answers |

mod cadence;
mod claims;
mod event_loop;
mod heartbeat;
mod launch_prompt;
mod ledger_control;
mod narrate;
mod panics;
mod perform;
mod record;
mod reserve;
mod rest;
mod restart;
mod screen;
mod session;
mod shell;
mod spec;
mod start;
mod status;
mod steps;
mod submit;
mod supervise;
mod watchdog;
mod work_stats;

pub use perform::sanitize;
pub use spec::{Resumed, RunSpec};
pub use start::run;
