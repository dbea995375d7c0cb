//! A goal's budgets and what it has used of them.

use serde::{Deserialize, Serialize};

/// Turn, time and token limits. `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_turns: Option<u32>,
    pub max_time_ms: Option<u64>,
    pub budget_tokens: Option<u64>,
}

/// Counters carried over from earlier runs of the same goal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub turns: u32,
    pub tokens_used: u64,
    pub time_used_ms: u64,
}

/// Why a limit stopped the goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitReason {
    Turns,
    Time,
    Tokens,
}

impl LimitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitReason::Turns => "turn",
            LimitReason::Time => "time",
            LimitReason::Tokens => "token",
        }
    }
}
