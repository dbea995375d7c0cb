//! The validated input of a run: what to pursue, with which agent, and how a
//! resumed goal continues.

use std::path::PathBuf;

use crate::agent::adapter::Adapter;
use crate::agent::prompts::Prompts;
use crate::core::config::DialogPolicy;
use crate::core::prompt::PromptKind;
use crate::core::supervisor::Rotation;
use crate::goal::limits::Limits;
use crate::goal::spec::GoalSpec;
use crate::goal::wait::WaitOptions;

/// Everything a run needs, validated.
pub struct RunSpec {
    pub adapter: Adapter,
    pub prompts: Prompts,
    pub objective: String,
    /// The goal spec, when the goal was given as one (`--goal FILE`).
    pub spec: Option<GoalSpec>,
    pub workdir: PathBuf,
    pub limits: Limits,
    pub agent_args: Vec<String>,
    pub headless: bool,
    pub db: PathBuf,
    pub user_quiet_ms: u64,
    pub wrap_up_grace_ms: u64,
    /// Continue this existing goal instead of creating one (`goalie resume`).
    pub resume: Option<Resumed>,
    /// `--on-event CMD`: run for every ledger row.
    pub on_event: Option<String>,
    /// `--fresh` / `--rotate-at`: when goalie starts a new agent process.
    pub rotation: Rotation,
    /// `--dialog NAME=POLICY`: the adapter's dialogs answered otherwise for this
    /// goal (already applied to `adapter`; kept with the goal for `goalie resume`).
    pub dialog_policies: Vec<(String, DialogPolicy)>,
    /// `--status-line`: goalie's status on the bottom row of the person's terminal.
    pub status_line: bool,
    /// Each agent process is recorded, the goal's recordings kept under this
    /// many bytes together; `None`: `--no-record`.
    pub record: Option<u64>,
    /// `--max-wait`, `--max-quota` (or `stop.quota`).
    pub waits: WaitOptions,
    /// The no-progress breaker's N (0: off), as `cli::settings` resolved it;
    /// `None` (a goal created before it was kept): the goal spec's
    /// `stop.stall_turns`, else 3.
    pub stall_turns: Option<u32>,
    /// The hung-turn timeout, as `cli::settings` resolved it (`None`: 30
    /// minutes; 0: off).
    pub turn_timeout_ms: Option<u64>,
}

/// How an existing goal continues.
#[derive(Debug, Clone)]
pub struct Resumed {
    pub goal_id: String,
    /// `Continuation` when the agent resumes its conversation, else `Start`.
    pub first_prompt: PromptKind,
    /// The objective the agent last heard, if the user changed it since.
    pub objective_changed_from: Option<String>,
    /// The agent's session to continue (from the ledger's `session_log` rows).
    pub session_id: Option<String>,
    /// Where goalie last followed it (a Codex session of an earlier day is in
    /// a folder the tail of a new run does not look in).
    pub session_path: Option<PathBuf>,
}
