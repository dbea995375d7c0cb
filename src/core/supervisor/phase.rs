//! Where the supervisor is in the cycle of a turn.

use crate::core::prompt::PromptKind;

use super::turn_error::{TurnError, TurnErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for the agent (started at `since_ms`) to show its input box.
    Starting { since_ms: u64 },
    /// The shell is ending the agent's process and starting a new one.
    Restarting,
    /// Typing a prompt.
    Injecting { kind: PromptKind },
    /// The agent is idle and goalie types nothing: the goal is paused (or
    /// was just resumed, and waits for the screen to settle).
    Idle,
    /// The agent is on a turn.
    Working {
        kind: PromptKind,
        submitted_ms: u64,
        saw_busy: bool,
        /// Finished-turn lines on screen when the prompt was submitted.
        done_before: u32,
        /// A new finished-turn line appeared since.
        saw_done: bool,
        /// The agent said the turn is complete: `session_log` or `hook`, the first to.
        signalled_by: Option<&'static str>,
        /// When that first counted signal arrived.
        signalled_ms: Option<u64>,
        /// When the first counted signal arrived that came after the turn
        /// had shown it ran (a busy sign or a new finished-turn line): one
        /// that came before may be the last turn's, late.
        ran_signal_ms: Option<u64>,
        /// Usage limits and API errors that appeared during the turn.
        errors: TurnErrors,
    },
    /// The last turn ended with an API error or a usage limit: goalie types
    /// the next prompt once `until_ms` has passed, `wait_ms` after the turn
    /// ended (see [`error_backoff_ms`](super::error_backoff_ms), and the usage limit's reset).
    Backoff {
        until_ms: u64,
        wait_ms: u64,
        error: TurnError,
    },
    /// goalie waits without typing (the supervisor's `wait` says for what).
    Waiting,
    /// goalie is auditing a completion claim; nothing is typed meanwhile.
    Auditing,
    /// The run is over; nothing more happens.
    Stopped,
}
