//! The small types a [`Row`](super::Row)'s data is made of: whose process
//! group started, where an error was shown, what ended a turn, how a run
//! watches and resumes, how a takeover ended, where a handoff note came from.

use serde::{Deserialize, Serialize};

/// Whose process group a [`Row::GroupStarted`](super::Row::GroupStarted) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupRole {
    /// The agent's session (its leader is the agent's first process).
    Agent,
    /// A verify command of an audit.
    Verify,
}

/// A usage limit or an API error the agent showed: on `screen` (its message
/// rows), or in its `session_log` (with the HTTP status and the message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorShown {
    #[serde(flatten)]
    pub seen: ShownIn,
    pub turn: u32,
    /// Whether a turn goalie started was under way.
    pub during_turn: bool,
}

/// Where a usage limit or an API error was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum ShownIn {
    Screen,
    SessionLog {
        status: Option<u16>,
        message: String,
    },
}

/// What ended a turn instead of the model's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnError {
    UsageLimit,
    ApiError,
}

impl TurnError {
    pub fn as_str(self) -> &'static str {
        match self {
            TurnError::UsageLimit => "usage_limit",
            TurnError::ApiError => "api_error",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            TurnError::UsageLimit => "a usage limit",
            TurnError::ApiError => "an API error",
        }
    }
}

/// Whether goalie watches from a terminal or prints progress lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Interactive,
    Headless,
}

/// Whether a resumed run continues the agent's conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conversation {
    New,
    Resumed,
}

/// How a takeover ended: `goalie resume` (a command) or the chord again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TakeoverBy {
    Command,
    Chord,
}

/// Where a handoff note came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffSource {
    File,
    Reply,
    None,
}
