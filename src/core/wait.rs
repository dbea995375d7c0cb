//! Why goalie waits without typing: the agent asked it to (a `waiting`
//! claim), or the plan's quota passed `--max-quota`. The wait itself, its
//! clock and its checks, is the supervisor's (`supervisor/state/wait.rs`).

use serde::{Deserialize, Serialize};

use crate::core::quota::QuotaWindow;
use crate::goal::claim::Channel;
use crate::goal::wait::WaitFor;

/// What a wait is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum WaitCause {
    /// The agent claimed `waiting` through `channel`.
    Agent { channel: Channel, wait: WaitFor },
    /// The plan's quota window passed the threshold: wait for its reset.
    Quota { window: QuotaWindow, max_pct: u8 },
}

impl WaitCause {
    /// In words, for status and the progress lines.
    pub fn describe(&self) -> String {
        match self {
            WaitCause::Agent { wait, .. } => format!("the agent asked to wait {}", wait.describe()),
            WaitCause::Quota { window, max_pct } => format!(
                "the plan's quota ({}) passed --max-quota {max_pct}%: waiting for its reset",
                window.describe()
            ),
        }
    }

    /// The command to check, if the wait has one: (command, every).
    pub fn check(&self) -> Option<(&str, u64)> {
        match self {
            WaitCause::Agent {
                wait: WaitFor::Command { run, every_ms, .. },
                ..
            } => Some((run, *every_ms)),
            _ => None,
        }
    }
}
