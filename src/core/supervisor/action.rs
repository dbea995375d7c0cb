//! What the core asks the shell to do.

use crate::core::prompt::{PromptKind, PromptVars};
use crate::core::row::Row;
use crate::goal::change::Refusal;
use crate::goal::claim::{Channel, Claim};
use crate::goal::lifecycle::{Actor, GoalState};
use crate::goal::limits::Limits;

/// Something to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Type a prompt into the agent, then report
    /// [`Event::InjectionDone`](super::Event::InjectionDone).
    Inject {
        kind: PromptKind,
        vars: Box<PromptVars>,
        why: String,
    },
    /// The agent took the prompt it was given on its command line (see
    /// [`Supervisor::prompt_at_launch`](super::Supervisor::prompt_at_launch)):
    /// record it as the turn's injection, type nothing, then report
    /// [`Event::InjectionDone`](super::Event::InjectionDone).
    PromptGiven { kind: PromptKind, why: String },
    /// Send the Enter of the prompt being typed, which waited for it (see
    /// [`Supervisor::enter_held`](super::Supervisor::enter_held)).
    Submit,
    /// Append a row to the ledger.
    Record(Row),
    /// The goal changed state (also a ledger row).
    Transition {
        from: GoalState,
        to: GoalState,
        actor: Actor,
        reason: String,
    },
    /// Type these keys into the agent (an answer to a dialog).
    Keys { keys: String },
    /// Update the goal's counters in the database.
    Progress {
        turns: u32,
        tokens_used: u64,
        time_used_ms: u64,
    },
    /// Audit a completion claim (verify commands, protected paths, checklist,
    /// evidence) off the event loop, then report
    /// [`Event::AuditFinished`](super::Event::AuditFinished).
    RunAudit {
        turn: u32,
        channel: Channel,
        claim: Claim,
        /// The shell commands the agent ran in this goal, from its session log;
        /// `None` when the agent has none (evidence citing commands is then not checked).
        commands: Option<Vec<String>>,
    },
    /// Run a wait's command in the workspace (its own process group, stopped
    /// after `timeout_ms`), then report [`Event::WaitChecked`](super::Event::WaitChecked).
    RunWaitCheck { run: String, timeout_ms: u64 },
    /// Stop the agent and end the run with this exit code.
    Stop { exit_code: i32, reason: String },
    /// End the agent's process and start a new one for the same goal, then
    /// report [`Event::AgentRestarted`](super::Event::AgentRestarted) (with
    /// the note from `handoff_file`, if named).
    RestartAgent {
        reason: String,
        handoff_file: Option<String>,
    },
    /// Measure the workspace now (the turn ending is `turn`), then report
    /// [`Event::Workspace`](super::Event::Workspace) at once.
    MeasureProgress { turn: u32 },
    /// End the agent's process and start it again on its own session (its
    /// resume arguments, else a new one), then report
    /// [`Event::AgentRestarted`](super::Event::AgentRestarted).
    ResumeAgent { reason: String },
    /// Store the goal's new objective.
    SetObjective { objective: String },
    /// Store the goal's new limits.
    SetLimits { limits: Limits },
    /// What the goal looks like changed (state, objective, limits or takeover):
    /// tell the subscribers. At most one per event, after the changes.
    GoalUpdated,
    /// The answer to an [`Event::Command`](super::Event::Command): what was
    /// done, or why nothing was.
    Reply(Result<Vec<String>, Refusal>),
}
