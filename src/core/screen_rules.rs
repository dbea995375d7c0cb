//! The adapter's rules for reading the agent's screen, as the observer uses
//! them (the adapter's YAML loader builds them, see `agent::adapter`).

use regex::{Regex, RegexSet};

/// What the agent's screen looks like in each situation.
#[derive(Debug, Clone)]
pub struct ScreenRules {
    /// Any match on any row: the agent is working.
    pub busy: RegexSet,
    /// Any match on any row: the input box is shown (necessary, not sufficient, for idle).
    pub idle: RegexSet,
    /// A row the agent prints when a turn has finished (`Worked for 12s`): a new
    /// one after goalie's prompt shows the turn ran even if no busy sign was seen.
    pub done: RegexSet,
    /// A row announcing a context compaction.
    pub compaction: RegexSet,
    /// A row announcing a usage limit.
    pub usage_limit: RegexSet,
    /// A row announcing an error of the model's API (a server error, a refused
    /// request) that ended the agent's attempt, after any retries of its own.
    pub api_error: RegexSet,
    /// When a usage limit resets, matched on the screen's text from the
    /// usage-limit row on (rows joined, so a wrapped line matches): a clock
    /// time (`hour`, `minute`, `ampm`) or a delay (`in_hours`, `in_minutes`,
    /// `in_seconds`); see [`crate::core::usage_reset`].
    pub usage_limit_reset: Option<Regex>,
    /// A pattern whose `tokens` group is the token figure (`12,345`, `443K`, `1.2M`);
    /// groups named `tokens_…` (e.g. `tokens_sent`, `tokens_received`) are added up.
    pub tokens: Option<Regex>,
    /// The context gauge: a pattern whose `left` or `used` group is the percentage
    /// of the context window left or used (`Context 32% left`).
    pub context: Option<Regex>,
    /// The figure is each reply's own (aider's `Tokens: 2.1k sent, 50 received.`),
    /// not a running total: every such row, on screen or scrolled off, adds up.
    pub tokens_per_reply: bool,
    /// A row that starts command or file output the agent displays (Codex `└`,
    /// Claude Code `⎿`). A claim block in such output is not the agent's own
    /// (see [`crate::core::claim_block`]).
    pub tool_output: RegexSet,
    /// Any match on any row: the agent's start screen is still being drawn
    /// (Codex's splash, which shows its input box before a trust dialog may
    /// follow). The first prompt waits for it to go.
    pub starting: RegexSet,
    /// The adapter says what the start screen shows while still being drawn
    /// (`screen.starting`, possibly an empty list: Claude Code draws its whole
    /// start screen, input box and all, at once): the first prompt follows the
    /// evidence that the agent is ready for input, not the quiet window.
    pub start_known: bool,
}

/// A group of the `screen.tokens` pattern whose figure counts: `tokens`, `tokens_…`.
pub fn is_token_group(name: &str) -> bool {
    name == "tokens" || name.starts_with("tokens_")
}
