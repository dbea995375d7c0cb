//! What a line of an agent's session log says, as the core hears it
//! (`agent::session_log` reads the lines; the core decides what they mean).

use crate::core::quota::QuotaWindow;

/// What a session log line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// Tokens used by this session so far.
    Tokens { total: u64 },
    /// The context was compacted; `before` is the context size before, if known.
    Compacted { before: Option<u64> },
    /// The agent finished a turn.
    TurnComplete,
    /// How full the context is: the tokens of the last request, and the window when the log says.
    Context { tokens: u64, window: Option<u64> },
    /// The agent's reply text (its last message of a turn, or one message).
    Reply { text: String },
    /// The agent ran a shell command (its own tool call).
    CommandRun { command: String },
    /// The agent took a prompt: its text as the log holds it (Claude's user
    /// line, Codex's user message), which shows the log has reached that turn.
    Prompt { text: String },
    /// The plan's quota windows (Codex `rate_limits`).
    Quota { windows: Vec<QuotaWindow> },
    /// The model's API answered a request with an error the agent gave up on
    /// (`status` 429: a usage limit).
    ApiError {
        status: Option<u16>,
        message: String,
    },
}
