//! What the core is told up front, from the adapter and the command line:
//! the supervisor's [`Config`], the adapter's clocks, its dialogs and what to
//! do when one shows, and whether the agent's process is rotated.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::core::compaction::Source;
use crate::core::prompt::PromptKind;
use crate::core::wait::WaitCause;
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
    /// With [`Config::mcp`]: the Enter of each agent process's first typed
    /// prompt waits until `goalie mcp` has answered the agent's `tools/list`,
    /// this long at most (0: it does not wait). Claude Code sends a prompt
    /// submitted sooner to the model without goalie's tools.
    pub mcp_tools_wait_ms: u64,
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
    /// The number of this run's first agent process: processes are counted
    /// across the goal's runs (1 for a new goal; after a resume, one more
    /// than the agent processes the goal had).
    pub first_process: u32,
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
    /// Waits: the longest, the plan's quota threshold, and the clock.
    pub waits: WaitConfig,
    /// Telling progress from spinning, and hung turns.
    pub watchdog: Watchdog,
}

/// How goalie waits without typing (see `supervisor/wait.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitConfig {
    /// The longest wait the agent may ask for (`--max-wait`, default 2 h).
    pub max_wait_ms: u64,
    /// `--max-quota N%` / `stop.quota`: wait for a quota window's reset
    /// once its use reaches this share.
    pub max_quota_pct: Option<u8>,
    /// The wall clock (Unix ms) when the run's `now_ms` was 0, to turn a
    /// clock time (`until`, a quota reset) into the core's time.
    pub clock_origin_ms: i64,
    /// A wait the agent asked for that was under way when an earlier run
    /// ended, and how long it had lasted: `goalie resume` ended it, and the
    /// first prompt (to an agent that kept its conversation) says so.
    pub interrupted: Option<(WaitCause, u64)>,
}

pub use crate::goal::wait::DEFAULT_MAX_WAIT_MS;

impl Default for WaitConfig {
    fn default() -> WaitConfig {
        WaitConfig {
            max_wait_ms: DEFAULT_MAX_WAIT_MS,
            max_quota_pct: None,
            clock_origin_ms: 0,
            interrupted: None,
        }
    }
}

/// The no-progress breaker and the hung-turn watch (issue 13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watchdog {
    /// Ask the shell to measure the workspace at every turn's end (and record
    /// a `progress` row); off, turns end without it.
    pub measure_progress: bool,
    /// After this many turns in a row without progress the next prompt says
    /// so; after as many more the goal pauses (0: never).
    pub stall_turns: u32,
    /// A turn busy this long with no sign of work is hung (`None`: never).
    pub turn_timeout_ms: Option<u64>,
    /// The keys that interrupt the agent's turn (the adapter's; empty: none).
    pub interrupt: String,
}

impl Default for Watchdog {
    /// Nothing measured and no timeout, but the breaker's default count.
    fn default() -> Watchdog {
        Watchdog {
            measure_progress: false,
            stall_turns: DEFAULT_STALL_TURNS,
            turn_timeout_ms: None,
            interrupt: String::new(),
        }
    }
}

/// Turns in a row without progress before the no-progress prompt.
pub const DEFAULT_STALL_TURNS: u32 = 3;

/// How long a turn may show no sign of work (30 minutes).
pub const DEFAULT_TURN_TIMEOUT_MS: u64 = 30 * 60 * 1000;

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
