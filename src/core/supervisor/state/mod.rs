//! The supervisor's sub-states: small structs, each with its own rules and
//! tests, that know nothing of the [`Supervisor`](super::Supervisor) (the
//! decisions in the files beside this folder use them, never the other way).

pub mod agent_log;
pub mod blockers;
pub mod compaction_watch;
pub mod dialog_watch;
pub mod error_backoff;
pub mod hang;
pub mod idle_time;
pub mod mcp_tools;
pub mod processes;
pub mod quota;
pub mod screen_watch;
pub mod stall;
pub mod tokens;
pub mod turn_signals;
pub mod wait;

pub use agent_log::AgentCommands;
pub use blockers::Blockers;
pub use compaction_watch::CompactionWatch;
pub use dialog_watch::{DialogStep, DialogWatch};
pub use error_backoff::{AfterError, ErrorBackoff};
pub use hang::HangWatch;
pub use idle_time::IdleTime;
pub use mcp_tools::McpTools;
pub use processes::{Processes, RotationStep};
pub use quota::QuotaWatch;
pub use screen_watch::ScreenWatch;
pub use stall::StallWatch;
pub use tokens::Tokens;
pub use turn_signals::TurnSignals;
pub use wait::{WaitStep, Waiting};
