//! The prompts goalie types: which one ([`PromptKind`]) and what its template
//! may use ([`PromptVars`]), the digest of the ledger included. The core picks
//! the kind and fills the variables; the templates that turn them into text
//! are data, rendered at the edge (`agent::prompts`).

use serde::{Deserialize, Serialize};

use crate::goal::spec::Requirement;

/// Which prompt goalie types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptKind {
    /// The first turn: the objective with the rules.
    Start,
    /// Every later turn.
    Continuation,
    /// The soft stop once a limit is reached.
    BudgetLimit,
    /// After a completion claim failed goalie's audit: why, and go on.
    ClaimRejected,
    /// The first prompt after the user changed the objective.
    ObjectiveUpdated,
    /// The first prompt after the agent compacted its context: the goal restored.
    AfterCompaction,
    /// Before a context rotation: write a handoff note for the next process.
    Handoff,
    /// The first prompt to a new agent process (`--fresh`, `--rotate-at`).
    AfterRotation,
    /// The first prompt after a wait the agent asked for: what ended it.
    AfterWait,
    /// After `--stall-turns` turns in a row without progress: what did not change.
    NoProgress,
    /// After a hung turn was interrupted (or the agent restarted).
    AfterHang,
}

impl PromptKind {
    pub const ALL: [PromptKind; 11] = [
        PromptKind::Start,
        PromptKind::Continuation,
        PromptKind::BudgetLimit,
        PromptKind::ClaimRejected,
        PromptKind::ObjectiveUpdated,
        PromptKind::AfterCompaction,
        PromptKind::Handoff,
        PromptKind::AfterRotation,
        PromptKind::AfterWait,
        PromptKind::NoProgress,
        PromptKind::AfterHang,
    ];

    /// The template file that renders it.
    pub fn file(self) -> &'static str {
        match self {
            PromptKind::Start => "start.md",
            PromptKind::Continuation => "continuation.md",
            PromptKind::BudgetLimit => "budget_limit.md",
            PromptKind::ClaimRejected => "claim_rejected.md",
            PromptKind::ObjectiveUpdated => "objective_updated.md",
            PromptKind::AfterCompaction => "after_compaction.md",
            PromptKind::Handoff => "handoff.md",
            PromptKind::AfterRotation => "after_rotation.md",
            PromptKind::AfterWait => "after_wait.md",
            PromptKind::NoProgress => "no_progress.md",
            PromptKind::AfterHang => "after_hang.md",
        }
    }

    /// The name used in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            PromptKind::Start => "start",
            PromptKind::Continuation => "continuation",
            PromptKind::BudgetLimit => "budget_limit",
            PromptKind::ClaimRejected => "claim_rejected",
            PromptKind::ObjectiveUpdated => "objective_updated",
            PromptKind::AfterCompaction => "after_compaction",
            PromptKind::Handoff => "handoff",
            PromptKind::AfterRotation => "after_rotation",
            PromptKind::AfterWait => "after_wait",
            PromptKind::NoProgress => "no_progress",
            PromptKind::AfterHang => "after_hang",
        }
    }
}

/// What the templates can use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptVars {
    pub objective: String,
    pub turn: u32,
    pub max_turns: Option<u32>,
    pub time_used: String,
    pub time_limit: Option<String>,
    pub tokens_used: u64,
    pub token_budget: Option<u64>,
    pub tokens_remaining: Option<u64>,
    /// This turn's claim nonce (never the goal's secret claim code).
    pub nonce: String,
    /// For the budget-limit prompt: `turn`, `time` or `token`.
    pub limit_reason: Option<String>,
    /// What the completion checklist must cover.
    pub requirements: Vec<Requirement>,
    /// The goal's verify commands.
    pub verify: Vec<String>,
    /// Whether the agent has goalie's MCP tools.
    pub mcp: bool,
    /// For the claim-rejected prompt: why the audit rejected the claim.
    pub rejection_reasons: Vec<String>,
    /// A line for the continuation prompt (e.g. a blocker was noted).
    pub notice: Option<String>,
    /// For the objective-updated prompt: the objective the agent worked on until now.
    pub previous_objective: Option<String>,
    /// Compactions of the goal so far.
    pub compactions: u32,
    /// The agent process, from 1 (a new one per rotation).
    pub process: u32,
    /// For the after-rotation prompt: the note the previous process left.
    pub handoff: Option<String>,
    /// For the handoff prompt: where to write the note (relative to the working directory).
    pub handoff_file: Option<String>,
    /// For the prompts that restore the goal: what the ledger says so far.
    pub digest: Option<Digest>,
    /// For the after-wait prompt: the wait and what ended it.
    pub wait: Option<WaitNote>,
    /// For the no-progress and after-hang prompts: what goalie saw.
    pub stall: Option<StallNote>,
}

/// What the no-progress and after-hang prompts say goalie saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StallNote {
    /// Turns in a row without progress.
    pub turns: u32,
    /// What did not change, a line per turn.
    pub unchanged: Vec<String>,
    /// How long the hung turn showed no sign of work.
    pub silent_for: Option<String>,
    /// The agent was restarted on its own session after the hang.
    pub restarted: bool,
}

/// A wait that ended, for the after-wait prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitNote {
    /// What the agent asked for, in words (`for 20m`, `until …`).
    pub asked: String,
    /// What ended it, in words.
    pub ended: String,
    /// How long goalie waited.
    pub waited: String,
    /// The wait command's last output, shortened (untrusted data).
    pub output: Option<String>,
}

impl WaitNote {
    /// Plausible values, to check templates before a run.
    pub fn sample() -> WaitNote {
        WaitNote {
            asked: "until `gh run view 123 --exit-status` exits 0".into(),
            ended: "the command exited 0".into(),
            waited: "12m 5s".into(),
            output: Some("✓ build in 11m".into()),
        }
    }
}

impl PromptVars {
    /// Plausible values, to check templates before a run.
    pub fn sample() -> PromptVars {
        PromptVars {
            objective: "Make the tests pass".into(),
            turn: 2,
            max_turns: Some(10),
            time_used: "1m 5s".into(),
            time_limit: Some("1h".into()),
            tokens_used: 12_345,
            token_budget: Some(100_000),
            tokens_remaining: Some(87_655),
            nonce: "abcd1234ef".into(),
            limit_reason: Some("turn".into()),
            requirements: vec![Requirement {
                id: "R1".into(),
                text: "empty input parses".into(),
            }],
            verify: vec!["cargo test".into()],
            mcp: true,
            rejection_reasons: vec!["`cargo test` exited with status 101".into()],
            notice: Some("goalie noted the blocker (1 of 3 reports).".into()),
            previous_objective: Some("Make the old tests pass".into()),
            compactions: 2,
            process: 2,
            handoff: Some("Done: the parser. Next: the empty-input test.".into()),
            handoff_file: Some(".goalie/handoff-abcd1234-1.md".into()),
            digest: Some(Digest::sample()),
            wait: Some(WaitNote::sample()),
            stall: Some(StallNote {
                turns: 3,
                unchanged: vec!["workspace unchanged; the reply repeats an earlier one".into()],
                silent_for: Some("30m".into()),
                restarted: false,
            }),
        }
    }
}

/// What the ledger says so far, for the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Digest {
    /// The last completion claim goalie's audit rejected, if any.
    pub last_rejection: Option<Rejection>,
    /// The blocker of the latest claim, if it reported the goal blocked.
    pub last_blocker: Option<String>,
    /// The last few turns' replies, oldest first.
    pub reports: Vec<TurnReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub turn: u64,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TurnReport {
    pub turn: u64,
    pub text: String,
}

impl Digest {
    /// Plausible values, to check templates before a run.
    pub fn sample() -> Digest {
        Digest {
            last_rejection: Some(Rejection {
                turn: 3,
                reasons: vec!["`cargo test` exited with status 101".into()],
            }),
            last_blocker: None,
            reports: vec![TurnReport {
                turn: 4,
                text: "Fixed the parser; the empty-input test still fails.".into(),
            }],
        }
    }
}
