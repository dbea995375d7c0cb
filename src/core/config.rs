//! What the core is told up front, from the adapter and the command line:
//! the adapter's clocks and what to do when a dialog shows.

use serde::{Deserialize, Serialize};

/// The adapter's clocks, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long the screen must be still, with no busy indicator, for a turn to have ended.
    pub quiet_ms: u64,
    /// A turn in which no busy indicator was ever seen ends only after this much stillness.
    pub no_busy_quiet_ms: u64,
    /// How long the agent may take to show its input box at start.
    pub startup_timeout_ms: u64,
    /// A screen neither busy nor idle nor a known dialog, unchanged this long,
    /// is an unknown dialog: goalie escalates instead of typing into it.
    pub stuck_ms: u64,
}

/// What goalie does when a dialog shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DialogPolicy {
    /// Answer yes.
    Accept,
    /// Answer no.
    Deny,
    /// Type nothing: pause the goal and tell the person.
    Escalate,
}

impl DialogPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            DialogPolicy::Accept => "accept",
            DialogPolicy::Deny => "deny",
            DialogPolicy::Escalate => "escalate",
        }
    }

    /// `accept`, `deny` or `escalate`.
    pub fn parse(text: &str) -> Option<DialogPolicy> {
        match text {
            "accept" => Some(DialogPolicy::Accept),
            "deny" => Some(DialogPolicy::Deny),
            "escalate" => Some(DialogPolicy::Escalate),
            _ => None,
        }
    }
}
