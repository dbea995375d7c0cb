//! What the core is told up front, from the adapter and the command line:
//! the supervisor's [`Config`], the adapter's clocks, its dialogs and what to
//! do when one shows, and whether the agent's process is rotated.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::core::compaction::Source;
use crate::core::prompt::PromptKind;
use crate::goal::limits::{Limits, Progress};
use crate::goal::spec::Requirement;

/// Everything the core needs to know up front.
#[derive(Debug, Clone)]
pub struct Config {
    /// The goal's id (user-facing messages name it).
    pub goal_id: String,
    pub objective: String,
    /// The goal's secret; each turn's claim nonce is derived from it.
    pub claim_code: String,
    /// What a completion checklist must cover.
    pub requirements: Vec<Requirement>,
    /// The verify commands (shown to the agent; the shell runs them).
    pub verify: Vec<String>,
    /// Whether the agent has goalie's MCP tools.
    pub mcp: bool,
    pub timing: Timing,
    /// The user's keys defer injection until they have been still this long.
    pub user_quiet_ms: u64,
    /// How long a wrap-up turn (and a turn running past the time limit) may take.
    pub wrap_up_grace_ms: u64,
    pub limits: Limits,
    pub prior: Progress,
    /// The first prompt: `Start`, or `Continuation` for a goal resumed in an
    /// agent that kept its conversation.
    pub first_prompt: PromptKind,
    /// The objective the agent last heard, when the user changed it since.
    pub objective_changed_from: Option<String>,
    /// The adapter's dialogs, in its order (the observer reports them by index).
    pub dialogs: Vec<DialogRule>,
    /// Where the adapter reports compactions (merged into one row each; see [`crate::core::compaction`]).
    pub compaction_sources: Vec<Source>,
    /// Compactions recorded in earlier runs of the goal.
    pub prior_compactions: u32,
    /// The agent's start screen is known (the adapter says what it shows
    /// while still being drawn, `screen.starting`): the first prompt follows
    /// the evidence that it is ready for input, not the quiet window.
    pub start_on_evidence: bool,
    /// Whether and when goalie starts a new agent process.
    pub rotation: Rotation,
    /// The model's context window in tokens, for a session log that says how
    /// many tokens the context holds but not of how many (Claude Code's).
    pub context_window: Option<u64>,
    /// An earlier run was waiting out a usage limit's reset: the wait left (ms)
    /// and what the agent said. The first prompt waits for it too.
    pub reset_wait: Option<(u64, String)>,
}

/// When goalie ends the agent's process and starts a new one. In the ledger
/// (`goal_created`): `"fresh"`, `{"at_pct": 80}` or null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "serde_json::Value", into = "serde_json::Value")]
pub enum Rotation {
    /// One agent process for the whole run.
    #[default]
    Never,
    /// `--fresh`: a new process for every turn.
    EveryTurn,
    /// `--rotate-at N%`: once the context gauge reaches N percent at the end of
    /// a turn, ask for a handoff note, then a new process continues from it.
    At(u8),
}

impl From<Rotation> for serde_json::Value {
    fn from(rotation: Rotation) -> serde_json::Value {
        match rotation {
            Rotation::Never => serde_json::Value::Null,
            Rotation::EveryTurn => json!("fresh"),
            Rotation::At(pct) => json!({ "at_pct": pct }),
        }
    }
}

/// Anything else (a newer goalie's rotation) is no rotation.
impl From<serde_json::Value> for Rotation {
    fn from(value: serde_json::Value) -> Rotation {
        if value == "fresh" {
            return Rotation::EveryTurn;
        }
        match value["at_pct"].as_u64() {
            Some(pct) => Rotation::At(pct.clamp(1, 100) as u8),
            None => Rotation::Never,
        }
    }
}

/// A dialog as the core needs it: its name, the policy, the keys to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogRule {
    pub name: String,
    pub policy: DialogPolicy,
    pub accept: String,
    pub deny: String,
}

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
