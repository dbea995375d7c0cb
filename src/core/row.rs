//! The ledger's rows: every kind of row goalie writes, with its data. This is
//! the one place their schema is written down (a compaction's fields are
//! with the dedupe that makes them, [`Compacted`]), and it is also the JSON
//! that goalie shows the world: the `--on-event` hook's stdin and the control
//! socket's `event` notification (`goalie watch --json`) are
//! `{"seq", "goal_id", "at", "kind", "data"}`, where `kind` is a [`Row`]
//! variant's name in snake case and `data` its fields.
//!
//! The core writes rows as `Action::Record(Row)`; the runtime, the commands
//! and `goalie mcp` append theirs directly. The ledger stores `kind` and
//! `data` (JSON text) in two columns, and [`Row::from_parts`] reads them back.
//! A row whose kind this goalie does not know (a newer goalie's), or whose
//! data has not the shape its kind has here (the first goalies' `compacted`
//! and `claim` rows), is read as [`Row::Other`], kept as stored, so every row
//! can still be listed. Fields that goalie began to write after their row's
//! kind existed are `#[serde(default)]`, so older rows of those kinds read as
//! their kind.
//!
//! Numbers: `turn` counts the goal's turns from 1 across its runs; `process`
//! counts its agent processes from 1 across its runs; times are milliseconds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::compaction::Compacted;
use crate::core::config::{DialogPolicy, Rotation};
use crate::core::progress::Change;
use crate::core::prompt::PromptKind;
use crate::core::quota::QuotaWindow;
use crate::core::wait::WaitCause;
use crate::goal::claim::{Channel, Claim};
use crate::goal::lifecycle::{Actor, GoalState};
use crate::goal::limits::{Limits, Progress};
use crate::goal::wait::{WaitEnd, WaitOptions};

mod parts;
pub use parts::{
    Conversation, ErrorShown, GroupRole, HandoffSource, Mode, ShownIn, TakeoverBy, TurnError,
};

/// One ledger row: its kind and its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
#[strum_discriminants(
    name(RowKind),
    doc = "A row's kind without its data (to ask the ledger for rows of one kind).",
    derive(strum::IntoStaticStr, strum::EnumIter, Hash),
    strum(serialize_all = "snake_case")
)]
pub enum Row {
    // The goal and its runs.
    /// A goal was started (`goalie run`, `goalie demo`).
    GoalCreated {
        objective: String,
        /// The adapter's name, and the file it was read from.
        agent: String,
        adapter: String,
        workdir: String,
        limits: Limits,
        /// Arguments given to the agent after `--`.
        #[serde(default)]
        agent_args: Vec<String>,
        /// `--dialog NAME=POLICY`: dialog name → `accept`, `deny` or `escalate`.
        #[serde(default)]
        dialog_policies: BTreeMap<String, DialogPolicy>,
        mode: Mode,
        /// `--fresh`: `"fresh"`; `--rotate-at N%`: `{"at_pct": N}`; else null.
        #[serde(default)]
        rotation: Rotation,
        /// `--max-wait`, and `--max-quota` (or the spec's `stop.quota`).
        #[serde(default)]
        waits: WaitOptions,
        /// The no-progress breaker's N and the hung-turn timeout the run
        /// resolved (flag, goal spec, settings; `goalie resume` keeps them);
        /// absent in goals created before they were kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stall_turns: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn_timeout_ms: Option<u64>,
    },
    /// `goalie resume` started a new run of the goal.
    Resumed {
        agent: String,
        #[serde(default)]
        agent_args: Vec<String>,
        #[serde(default)]
        dialog_policies: BTreeMap<String, DialogPolicy>,
        /// Whether the agent continues its own last conversation.
        conversation: Conversation,
        /// What earlier runs used.
        prior: Progress,
        mode: Mode,
    },
    /// The protected paths' fingerprints when the goal started: path →
    /// `sha256:…`, `absent` or `unreadable: …`. Audits compare against them.
    ProtectBaseline { paths: BTreeMap<String, String> },
    /// goalie could not register its MCP server with the agent; the run ended.
    McpRegistrationFailed { error: String },
    /// goalie could not listen on its control socket; the run ended.
    ControlSocketFailed { error: String },
    /// An agent process could not be started.
    AgentFailedToStart {
        error: String,
        /// The process that was to start, when it was not the run's first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        process: Option<u32>,
    },
    /// An agent process started.
    AgentStarted {
        pid: u32,
        program: String,
        args: Vec<String>,
        /// The PTY's size.
        rows: u16,
        cols: u16,
        /// 1 in rows from before goalie started new processes.
        #[serde(default = "first_process")]
        process: u32,
        /// Why a new process started (rotation), for every process but a run's first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The agent showed its input box for the first time in its process.
    AgentReady {
        #[serde(default = "first_process")]
        process: u32,
    },
    /// The agent's process ended by itself; `status` as the OS tells it.
    AgentExited { status: String },
    /// goalie ended an agent process to start a new one.
    AgentEnded {
        process: u32,
        status: Option<String>,
        reason: String,
    },
    /// The session log goalie follows for the agent, and the agent's session
    /// id in it (what `goalie resume` continues), if it has one.
    SessionLog {
        path: String,
        #[serde(default)]
        session_id: Option<String>,
    },
    /// What settling the agent's private home did at the end of the run:
    /// entries moved back into the real folders, entries kept beside the
    /// person's own (`NAME.goalie-GOAL`), and what could not be moved.
    HomeSettled {
        moved_back: Vec<String>,
        kept_beside: Vec<String>,
        failed: Vec<String>,
    },
    /// goalie failed; the run ended.
    InternalError { error: String },
    /// The run ended: why, goalie's exit code, the agent's exit status (if it
    /// ended), how often the agent cleared its screen, and (a debug statistic,
    /// when the agent has a session log) the work goalie did to follow it:
    /// `{wakes, events, dir_scans, files_opened, rescans, db_queries}`.
    Stopped {
        reason: String,
        exit_code: i32,
        agent_status: Option<String>,
        screen_resets: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session_log_work: Option<Value>,
        /// The supervisor's own work while it ran (a debug statistic: its
        /// ticks, walks of the agent's tree, writes of the goal's counters).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supervisor_work: Option<Value>,
    },

    // Turns.
    /// goalie typed a prompt.
    Injection {
        turn: u32,
        prompt: PromptKind,
        why: String,
        text: String,
    },
    /// The prompt was submitted: the turn began.
    TurnStarted { turn: u32, prompt: PromptKind },
    /// The agent's own turn-complete hook fired (`source`: which hook), with
    /// what the agent handed it, shortened; `counted` when it ended the turn under way.
    TurnSignal {
        source: String,
        turn: u32,
        counted: bool,
        data: Value,
    },
    /// A turn ended.
    TurnEnded {
        turn: u32,
        prompt: PromptKind,
        duration_ms: u64,
        /// Whether the agent was seen busy, and a finished-turn line appeared.
        busy_seen: bool,
        #[serde(default)]
        done_seen: bool,
        /// Whether the agent said the turn was complete: first by `session_log` or `hook`.
        #[serde(default)]
        signalled: bool,
        #[serde(default)]
        signalled_by: Option<String>,
        /// What ended the turn instead of the model's reply.
        #[serde(default)]
        error: Option<TurnError>,
        /// Tokens used by the goal so far; the context gauge, in percent.
        tokens_used: u64,
        #[serde(default)]
        context_used_pct: Option<u8>,
        /// The agent's reply, shortened: the session log's last message of the
        /// turn, else the last rows of its transcript on screen.
        #[serde(default)]
        reply: Option<String>,
    },
    /// What a turn changed, in a line, and whether goalie counts it as
    /// progress; `without`: turns in a row without progress so far.
    Progress {
        turn: u32,
        progress: bool,
        what: String,
        #[serde(default)]
        change: Change,
        without: u32,
    },
    /// A turn was busy `silent_ms` with no sign of work: goalie's `step`
    /// (`interrupt`, `restart` or `pause`); `in_row`: hung turns in a row.
    TurnHung {
        turn: u32,
        silent_ms: u64,
        in_row: u32,
        step: String,
    },
    /// The goal's token count changed: `screen` or `session_log` said so;
    /// `after_stop` when the log said it after the run stopped.
    Tokens {
        used: u64,
        source: String,
        #[serde(default, skip_serializing_if = "is_false")]
        after_stop: bool,
    },
    /// The agent shows a usage limit.
    UsageLimitShown(ErrorShown),
    /// The agent shows an API error.
    ApiErrorShown(ErrorShown),
    /// A turn ended with an API error or a usage limit (`consecutive` such
    /// turns in a row): goalie types the next prompt in `wait_ms`, or when the
    /// limit resets as the agent showed it (`until_reset`); `after_restart`
    /// when the wait was carried over from an earlier run.
    ErrorBackoff {
        turn: u32,
        error: TurnError,
        consecutive: u32,
        wait_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until_reset: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        after_restart: bool,
    },
    /// Too many turns in a row ended with an error: goalie paused the goal.
    ErrorTurnsPaused {
        turn: u32,
        error: TurnError,
        consecutive: u32,
    },
    /// The wrap-up turn after a limit ended.
    WrapUpEnded { turn: u32 },
    /// The wrap-up turn took longer than its grace; goalie stopped.
    WrapUpTimeout { waited_ms: u64 },

    // Claims and audits.
    /// A claim was read (on screen, or submitted through MCP) during a turn.
    ClaimSeen {
        channel: Channel,
        turn: u32,
        /// `complete` or `blocked`.
        status: String,
    },
    /// `goalie mcp` received a claim (`update_goal`); the supervisor takes it.
    ClaimSubmitted { channel: Channel, claim: Claim },
    /// A submitted claim row the supervisor could not read.
    ClaimMalformed { error: String },
    /// The claim goalie acts on at the end of a turn: a completion (with its
    /// checklist), audited next, or a blocker (`consecutive` turns reporting it).
    Claim {
        channel: Channel,
        turn: u32,
        #[serde(flatten)]
        claim: Claim,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consecutive: Option<u32>,
    },
    /// A claim goalie did not take, and why.
    ClaimIgnored {
        channel: Channel,
        turn: u32,
        claim: Claim,
        why: String,
    },
    /// The audit of the claim of `turn` began.
    AuditStarted { turn: u32, channel: Channel },
    /// One check of an audit: `check` is `protect`, `checklist`, `evidence` or
    /// `verify`; `subject` a path, requirement or command; `detail` why it
    /// failed or what was seen; a verify command's output (shortened) and exit code.
    AuditStep {
        check: String,
        subject: String,
        passed: bool,
        detail: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        duration_ms: u64,
    },
    /// An audit ended: how many checks, and one reason per failed check.
    AuditFinished {
        passed: bool,
        steps: u32,
        reasons: Vec<String>,
    },
    /// The audit passed: the goal is achieved.
    ClaimAccepted { turn: u32, why: String },
    /// The audit passed, but the goal had left `pursuing` meanwhile.
    ClaimNotAccepted { turn: u32, why: String },
    /// The audit failed, with its reasons (the next prompt carries them).
    ClaimRejected { turn: u32, reasons: Vec<String> },
    /// `goalie mcp` refused a tool call, with its arguments and why.
    McpRefused {
        tool: String,
        arguments: serde_json::Map<String, Value>,
        why: String,
    },

    // State.
    /// The goal changed state.
    Transition {
        from: GoalState,
        to: GoalState,
        actor: Actor,
        reason: String,
    },
    /// A state change the lifecycle rules do not allow was asked for, and not made.
    TransitionRefused { error: String, reason: String },
    /// The user changed the objective.
    ObjectiveUpdated { from: String, to: String },
    /// The user changed the limits.
    LimitsUpdated { from: Limits, to: Limits },
    /// The person took the terminal over (Ctrl-] t).
    TakeoverStarted {},
    /// The person handed it back.
    TakeoverEnded { by: TakeoverBy },
    /// A takeover was refused: the goal is in `state`.
    TakeoverRefused { state: GoalState },
    /// `goalie archive`: the goal is hidden from `goalie ls` (`ls --all` lists
    /// it); the ledger keeps every row.
    Archived {},
    /// `goalie archive --undo`: the goal is listed again.
    Unarchived {},

    // The agent's screen.
    /// goalie answered a dialog by its policy (`times` answers before).
    DialogAnswered {
        dialog: String,
        answer: DialogPolicy,
        times: u32,
    },
    /// A dialog goalie will not answer: its policy is `escalate` (`policy`),
    /// or it stayed after `answers` answers; the screen's text.
    DialogEscalated {
        dialog: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy: Option<DialogPolicy>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answers: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        screen: Option<String>,
    },
    /// The screen showed neither work nor the input box for `still_ms`; its text.
    UnknownScreen {
        still_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        screen: Option<String>,
    },

    // Context.
    /// The agent compacted its context (the fields: [`Compacted`]).
    Compacted(Compacted),
    /// A prompt restored the goal after a compaction (`compactions` so far).
    GoalRestored {
        prompt: PromptKind,
        turn: u32,
        compactions: u32,
    },
    /// The context gauge reached `--rotate-at`: goalie asks for a handoff note.
    RotationStarted {
        process: u32,
        context_used_pct: Option<u8>,
        threshold_pct: u8,
    },
    /// The handoff note for the next process: from the agent's `file`, or its
    /// last reply (`source`), if any.
    Handoff {
        process: u32,
        file: String,
        source: HandoffSource,
        text: Option<String>,
    },
    /// A new agent process runs (with the handoff note, or not).
    Rotated { process: u32, handoff: bool },

    // Recordings.
    /// Agent process `process` is recorded (asciicast v2) in the file at `path`.
    Recording { process: u32, path: String },
    // Waits and the plan's quota.
    /// goalie waits without typing (a wait is not a turn) until `until`
    /// (Unix ms `until_ms`), or its command passes first.
    WaitStarted {
        turn: u32,
        #[serde(flatten)]
        cause: WaitCause,
        wait_ms: u64,
        until_ms: i64,
        until: String,
    },
    /// A wait's command ran.
    WaitChecked {
        run: String,
        passed: bool,
        exit_code: Option<i32>,
    },
    /// A wait ended (`end`: what ended it), after `checks` runs of its command.
    WaitEnded {
        turn: u32,
        end: WaitEnd,
        waited_ms: u64,
        checks: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
        /// How many events looked at the wait while it was under way (the
        /// clock at its deadline and at each check's start, output and the
        /// session log): a wait is not polled.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wakes: Option<u32>,
    },
    /// The plan's quota windows at the end of `turn`, as the session log said.
    Quota {
        turn: u32,
        windows: Vec<QuotaWindow>,
    },
    /// A wait the agent asked for in `turn` that goalie does not do (`why`:
    /// a malformed `wait`, a time already past); the next prompt says why.
    WaitRefused {
        channel: Channel,
        turn: u32,
        why: String,
    },
    // What must not outlive goalie.
    /// goalie started a process group: the agent's session, or a verify
    /// command's group; named by its leader's pid (`pgid`, the group's and
    /// session's id) and start time (clock ticks since boot), so that what a
    /// killed goalie left of it can be ended by the next `run`, `resume` or
    /// `clear`, and nothing that got the pid since.
    GroupStarted {
        role: GroupRole,
        pgid: u32,
        start: u64,
        /// The mark (`GOALIE_RUN=…`) in the environment goalie gave the
        /// group's processes (the agent, a verify command), which their
        /// descendants inherit: one that left the group (`setsid`) is still
        /// found by it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mark: Option<String>,
    },
    /// Processes that a goalie killed before its end left running, ended by
    /// a later command (`by`: `run`, `resume` or `clear`).
    LeftoversEnded { by: String, pids: Vec<u32> },

    // Control from another host than the supervisor's, through the ledger.
    /// A command written by `goalie` on `host`, which is not the goal's
    /// supervisor's: `command` is `set` (`pause`, `resume`, `budget`, `edit`,
    /// with the control protocol's `goal/set` params) or `clear` (no params).
    /// The supervisor picks it up from the ledger and answers with a
    /// [`Row::ControlAnswered`].
    ControlRequested {
        command: String,
        params: Value,
        host: String,
    },
    /// The supervisor on `host` carried out (`ok`, with what it said) or
    /// refused (`error`) the `control_requested` row whose seq is `request`.
    ControlAnswered {
        request: i64,
        host: String,
        ok: bool,
        messages: Vec<String>,
        error: Option<String>,
    },

    /// `goalie mcp` answered the agent's `tools/list` (agent process
    /// `process`): the first such answer of each process. `enter_held`: the
    /// Enter of a typed prompt was waiting for it, and went now.
    McpToolsListed { process: u32, enter_held: bool },
    /// The agent process `process` had not listed `goalie mcp`'s tools
    /// `waited_ms` after its first prompt was typed: the Enter went anyway.
    McpToolsUnlisted { process: u32, waited_ms: u64 },

    /// A row this goalie cannot read as one of the above, as stored.
    #[serde(untagged)]
    Other { kind: String, data: Value },
}

fn first_process() -> u32 {
    1
}

fn is_false(value: &bool) -> bool {
    !value
}

impl RowKind {
    /// The kind's name, as stored.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl Row {
    /// The row of a usage limit (`usage_limit_shown`) or an API error (`api_error_shown`) shown.
    pub fn error_shown(error: TurnError, shown: ErrorShown) -> Row {
        match error {
            TurnError::UsageLimit => Row::UsageLimitShown(shown),
            TurnError::ApiError => Row::ApiErrorShown(shown),
        }
    }

    /// The row of a stored `kind` and `data`: its variant when it has that
    /// shape, else [`Row::Other`].
    pub fn from_parts(kind: &str, data: Value) -> Row {
        let tagged = Value::Object(serde_json::Map::from_iter([
            ("kind".to_string(), Value::String(kind.to_string())),
            ("data".to_string(), data),
        ]));
        match Row::deserialize(&tagged) {
            Ok(row) => row,
            Err(_) => {
                let Value::Object(mut parts) = tagged else {
                    unreachable!("built as an object")
                };
                Row::Other {
                    kind: kind.to_string(),
                    data: parts.remove("data").unwrap_or_default(),
                }
            }
        }
    }

    /// The kind, as stored.
    pub fn kind(&self) -> &str {
        match self {
            Row::Other { kind, .. } => kind,
            known => RowKind::from(known).as_str(),
        }
    }

    /// The data, as stored.
    pub fn data(&self) -> Value {
        match self {
            Row::Other { data, .. } => data.clone(),
            known => match serde_json::to_value(known) {
                Ok(Value::Object(mut parts)) => parts.remove("data").unwrap_or_default(),
                _ => Value::Null,
            },
        }
    }
}

#[cfg(test)]
mod tests;
