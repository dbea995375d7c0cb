//! What happened to a goal, read off its ledger rows: a summary (the state,
//! the limit that stopped it by name, its counters, its claims and their
//! fate), one line per turn, the audits with their steps, and the wrap-up
//! reply and the last reply. Pure: the goal and its rows in, a [`GoalReport`]
//! out. `goalie report` prints it, `--json` is this struct (documented in
//! docs/report-json.md, schema docs/report.schema.json), `--html` draws it.
//!
//! Rows of kinds this goalie does not know (a newer goalie's, or one from a
//! branch that adds its own) still slot in: a `progress` row fills its turn's
//! `progress`, and any other row with a `turn` is named in that turn's `events`.

use serde::Serialize;
use serde_json::Value;

use crate::core::prompt::PromptKind;
use crate::core::row::{Row, TurnError};
use crate::goal::claim::Claim;
use crate::goal::lifecycle::GoalState;
use crate::goal::limits::Limits;
use crate::goal::units::{format_duration, thousands};
use crate::ledger::context_counts::ContextCounts;
use crate::ledger::{Entry, Goal};

/// The version of the `--json` document; raised when a field changes meaning
/// or goes away (new fields do not raise it).
pub const SCHEMA_VERSION: u32 = 1;

/// The report of one goal.
#[derive(Debug, Clone, Serialize)]
pub struct GoalReport {
    pub schema_version: u32,
    pub goal: GoalFacts,
    pub summary: Summary,
    pub turns: Vec<TurnLine>,
    pub audits: Vec<Audit>,
    /// The reply of the wrap-up turn after a limit, if there was one.
    pub wrap_up: Option<Reply>,
    /// The agent's last reply.
    pub last_reply: Option<Reply>,
    /// Every row as stored, only when asked for (`--rows`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<Entry>>,
}

/// The goal as stored (times in UTC, RFC 3339).
#[derive(Debug, Clone, Serialize)]
pub struct GoalFacts {
    pub id: String,
    pub objective: String,
    pub agent: String,
    pub workdir: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub state: GoalState,
    pub end_reason: Option<String>,
    /// The limit that stopped the goal: `turn`, `time` or `token`.
    pub limit: Option<String>,
    pub limits: Limits,
    pub turns: u32,
    pub tokens_used: u64,
    pub time_used_ms: u64,
    pub compactions: u64,
    pub rotations: u64,
    pub agent_processes: u64,
    pub claims: Vec<ClaimFate>,
}

/// A claim the supervisor acted on, and what came of it.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimFate {
    pub turn: u32,
    pub channel: String,
    /// `complete` or `blocked`.
    pub status: String,
    /// `accepted`, `rejected`, `not_accepted` (the goal had left pursuing),
    /// `ignored`, `reported` (a blocker), or `pending` (no audit outcome yet).
    pub fate: String,
    /// The audit's reasons (rejected), why it was ignored, or the blocker.
    pub reasons: Vec<String>,
}

/// One turn.
#[derive(Debug, Clone, Serialize)]
pub struct TurnLine {
    pub turn: u32,
    /// The prompt's kind (`start`, `continuation`, `claim_rejected`, …).
    pub prompt: Option<String>,
    /// The prompt's length in characters.
    pub prompt_chars: Option<usize>,
    pub started_at: Option<String>,
    pub duration_ms: Option<u64>,
    /// Tokens used by the goal at the turn's end, and in this turn.
    pub tokens_used: Option<u64>,
    pub tokens: Option<u64>,
    pub context_used_pct: Option<u8>,
    /// What changed in the workspace in this turn (a `progress` row), if recorded.
    pub progress: Option<String>,
    /// How the turn ended, in a few words.
    pub outcome: String,
    /// Compactions seen in this turn.
    pub compactions: u32,
    /// The kinds of the other rows of this turn that the table has no column for.
    pub events: Vec<String>,
}

/// One audit and its checks.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub turn: u32,
    /// `None` while it had not finished.
    pub passed: Option<bool>,
    pub steps: Vec<AuditStep>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditStep {
    pub check: String,
    pub subject: String,
    pub passed: bool,
    pub detail: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
}

/// A reply of the agent, as the ledger keeps it (shortened).
#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    pub turn: u32,
    pub text: String,
}

impl GoalReport {
    /// The report of `goal` from its rows (oldest first); `rows` keeps them in it.
    pub fn build(goal: &Goal, entries: &[Entry], rows: bool) -> GoalReport {
        let counts = ContextCounts::from_entries(entries);
        let mut turns: Vec<TurnLine> = Vec::new();
        let mut audits: Vec<Audit> = Vec::new();
        let mut claims: Vec<ClaimFate> = Vec::new();
        let mut limit = None;
        let mut wrap_up = None;
        let mut last_reply = None;
        let mut last_tokens = 0u64;
        for entry in entries {
            let row = entry.row();
            if let Some(turn) = row_turn(&row, entry) {
                line_of(&mut turns, turn);
            }
            match row {
                Row::Injection {
                    turn, prompt, text, ..
                } => {
                    let line = line_of(&mut turns, turn);
                    line.prompt = Some(prompt.as_str().to_string());
                    line.prompt_chars = Some(text.chars().count());
                }
                Row::TurnStarted { turn, prompt } => {
                    let line = line_of(&mut turns, turn);
                    line.prompt.get_or_insert_with(|| prompt.as_str().into());
                    line.started_at = Some(entry.at.clone());
                }
                Row::TurnEnded {
                    turn,
                    prompt,
                    duration_ms,
                    error,
                    tokens_used,
                    context_used_pct,
                    reply,
                    ..
                } => {
                    let line = line_of(&mut turns, turn);
                    line.prompt.get_or_insert_with(|| prompt.as_str().into());
                    line.duration_ms = Some(duration_ms);
                    line.tokens_used = Some(tokens_used);
                    line.tokens = Some(tokens_used.saturating_sub(last_tokens));
                    last_tokens = last_tokens.max(tokens_used);
                    line.context_used_pct = context_used_pct;
                    line.outcome = match error {
                        Some(TurnError::UsageLimit) => "usage limit".into(),
                        Some(TurnError::ApiError) => "API error".into(),
                        None if prompt == PromptKind::BudgetLimit => "wrapped up".into(),
                        None => "replied".into(),
                    };
                    if let Some(text) = reply.filter(|text| !text.trim().is_empty()) {
                        let reply = Reply { turn, text };
                        if prompt == PromptKind::BudgetLimit {
                            wrap_up = Some(reply.clone());
                        }
                        last_reply = Some(reply);
                    }
                }
                Row::Claim {
                    channel,
                    turn,
                    claim,
                    ..
                } => {
                    let (fate, reasons) = match &claim {
                        Claim::Blocked { reason } => ("reported", vec![reason.clone()]),
                        Claim::Complete { .. } => ("pending", Vec::new()),
                        Claim::Waiting { wait } => ("waited", vec![wait.describe()]),
                    };
                    line_of(&mut turns, turn).outcome = format!("claimed {}", claim.status());
                    claims.push(ClaimFate {
                        turn,
                        channel: channel.as_str().into(),
                        status: claim.status().into(),
                        fate: fate.into(),
                        reasons,
                    });
                }
                Row::ClaimIgnored {
                    channel,
                    turn,
                    claim,
                    why,
                } => claims.push(ClaimFate {
                    turn,
                    channel: channel.as_str().into(),
                    status: claim.status().into(),
                    fate: "ignored".into(),
                    reasons: vec![why],
                }),
                Row::ClaimAccepted { turn, .. } => {
                    settle(&mut claims, turn, "accepted", Vec::new());
                    line_of(&mut turns, turn).outcome = "claim accepted".into();
                }
                Row::ClaimNotAccepted { turn, why } => {
                    settle(&mut claims, turn, "not_accepted", vec![why]);
                }
                Row::ClaimRejected { turn, reasons } => {
                    settle(&mut claims, turn, "rejected", reasons);
                    line_of(&mut turns, turn).outcome = "claim rejected".into();
                }
                Row::AuditStarted { turn, .. } => audits.push(Audit {
                    turn,
                    passed: None,
                    steps: Vec::new(),
                }),
                Row::AuditStep {
                    check,
                    subject,
                    passed,
                    detail,
                    exit_code,
                    duration_ms,
                    ..
                } => {
                    if let Some(audit) = audits.last_mut() {
                        audit.steps.push(AuditStep {
                            check,
                            subject,
                            passed,
                            detail,
                            exit_code,
                            duration_ms,
                        });
                    }
                }
                Row::AuditFinished { passed, .. } => {
                    if let Some(audit) = audits.last_mut() {
                        audit.passed = Some(passed);
                    }
                }
                Row::Compacted(compacted) => line_of(&mut turns, compacted.turn).compactions += 1,
                Row::Transition {
                    to: GoalState::BudgetLimited,
                    reason,
                    ..
                } => {
                    limit = limit_named(&reason).or(limit);
                }
                Row::Other { kind, data } if kind == "progress" => {
                    if let Some(turn) = data_turn(&data) {
                        line_of(&mut turns, turn).progress = Some(progress_text(&data));
                    }
                }
                Row::Other { kind, data } => {
                    if let Some(turn) = data_turn(&data) {
                        let line = line_of(&mut turns, turn);
                        if !line.events.contains(&kind) {
                            line.events.push(kind);
                        }
                    }
                }
                _ => {}
            }
        }
        if goal.state == GoalState::BudgetLimited && limit.is_none() {
            limit = goal.end_reason.as_deref().and_then(limit_named);
        }
        turns.sort_by_key(|line| line.turn);
        GoalReport {
            schema_version: SCHEMA_VERSION,
            goal: GoalFacts {
                id: goal.id.clone(),
                objective: goal.objective.clone(),
                agent: goal.agent.clone(),
                workdir: goal.workdir.clone(),
                created_at: goal.created_at.clone(),
                started_at: goal.started_at.clone(),
                ended_at: goal.ended_at.clone(),
            },
            summary: Summary {
                state: goal.state,
                end_reason: goal.end_reason.clone(),
                limit,
                limits: Limits {
                    max_turns: goal.max_turns,
                    max_time_ms: goal.max_time_ms,
                    budget_tokens: goal.budget_tokens,
                },
                turns: goal.turns,
                tokens_used: goal.tokens_used,
                time_used_ms: goal.time_used_ms,
                compactions: counts.compactions,
                rotations: counts.rotations,
                agent_processes: counts.agent_processes,
                claims,
            },
            turns,
            audits,
            wrap_up,
            last_reply,
            rows: rows.then(|| entries.to_vec()),
        }
    }
}

impl GoalReport {
    /// The limit that stopped the goal, as a sentence with its figure: "the
    /// turn limit (40 turns)"; `None` when no limit stopped it.
    pub fn limit_sentence(&self) -> Option<String> {
        let limits = &self.summary.limits;
        let name = self.summary.limit.as_deref()?;
        let figure = match name {
            "turn" => limits
                .max_turns
                .map(|n| format!("{n} turn{}", if n == 1 { "" } else { "s" })),
            "time" => limits.max_time_ms.map(format_duration),
            "token" => limits
                .budget_tokens
                .map(|n| format!("{} tokens", thousands(n))),
            _ => None,
        };
        Some(match figure {
            Some(figure) => format!("the {name} limit ({figure})"),
            None => format!("the {name} limit"),
        })
    }

    /// The wrap-up reply's first `n` non-empty lines.
    pub fn wrap_up_head(&self, n: usize) -> Vec<String> {
        self.wrap_up
            .iter()
            .flat_map(|reply| reply.text.lines())
            .map(str::trim_end)
            .filter(|line| !line.trim().is_empty())
            .take(n)
            .map(String::from)
            .collect()
    }
}

/// The limit a transition's reason names: "the turn limit was reached" →
/// `turn` (any one word, so limits newer than this goalie are named too).
pub fn limit_named(reason: &str) -> Option<String> {
    let words: Vec<&str> = reason.split_whitespace().collect();
    words
        .windows(3)
        .find(|w| w[0] == "the" && w[2] == "limit")
        .map(|w| w[1].to_string())
}

/// The turn line of `turn`, made if it is new.
fn line_of(turns: &mut Vec<TurnLine>, turn: u32) -> &mut TurnLine {
    let at = match turns.iter().position(|line| line.turn == turn) {
        Some(at) => at,
        None => {
            turns.push(TurnLine {
                turn,
                prompt: None,
                prompt_chars: None,
                started_at: None,
                duration_ms: None,
                tokens_used: None,
                tokens: None,
                context_used_pct: None,
                progress: None,
                outcome: "not ended".into(),
                compactions: 0,
                events: Vec::new(),
            });
            turns.len() - 1
        }
    };
    &mut turns[at]
}

/// The turn a row belongs to, for the rows that open a turn's line.
fn row_turn(row: &Row, entry: &Entry) -> Option<u32> {
    match row {
        Row::Injection { turn, .. } | Row::TurnStarted { turn, .. } => Some(*turn),
        Row::TurnEnded { turn, .. } => Some(*turn),
        Row::Other { .. } if entry.kind == "progress" => data_turn(&entry.data),
        _ => None,
    }
}

fn data_turn(data: &Value) -> Option<u32> {
    data.get("turn")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|&n| n > 0)
}

/// A `progress` row in a few words: its line (`summary`, `line`, `what`), else
/// whether it made progress, else its data.
fn progress_text(data: &Value) -> String {
    for key in ["summary", "line", "what", "changed"] {
        if let Some(text) = data.get(key).and_then(Value::as_str) {
            return text.to_string();
        }
    }
    match data.get("progress").or_else(|| data.get("made_progress")) {
        Some(Value::Bool(true)) => "progress".into(),
        Some(Value::Bool(false)) => "none".into(),
        _ => {
            let mut rest = data.clone();
            if let Value::Object(map) = &mut rest {
                map.remove("turn");
            }
            rest.to_string()
        }
    }
}

/// The latest pending claim of `turn` gets its fate.
fn settle(claims: &mut [ClaimFate], turn: u32, fate: &str, reasons: Vec<String>) {
    if let Some(claim) = claims
        .iter_mut()
        .rev()
        .find(|claim| claim.turn == turn && claim.fate == "pending")
    {
        claim.fate = fate.into();
        claim.reasons = reasons;
    }
}

#[cfg(test)]
mod tests;
