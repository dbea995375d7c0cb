//! `goalie report [GOAL]`: a goal's ledger for a person. Each claim with its
//! checklist, each audit step and its outcome, and the other rows compactly.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::core::compaction::{Compacted, During};
use crate::core::row::Row;
use crate::error::Error;
use crate::goal::claim::{Channel, Claim};
use crate::goal::units::format_duration;
use crate::ledger::context_counts::ContextCounts;
use crate::ledger::{Entry, Ledger, LedgerError};

/// Prints the report of goal `id` (the latest if `None`).
pub fn show(db: &Path, id: Option<&str>) -> Result<i32, Error> {
    let ledger = Ledger::open_read_only(db)?;
    let goal = match id {
        Some(id) => ledger.goal(id)?,
        None => ledger
            .goals()?
            .into_iter()
            .next()
            .ok_or_else(|| LedgerError::Empty(db.to_path_buf()))?,
    };
    let entries = ledger.entries(&goal.id)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "goal {}  {}", goal.id, goal.state);
    let _ = writeln!(out, "  objective  {}", one_line(&goal.objective));
    let _ = writeln!(out, "  agent      {} in {}", goal.agent, goal.workdir);
    let _ = writeln!(
        out,
        "  context    {}",
        ContextCounts::from_entries(&entries).line()
    );
    if let Some(reason) = &goal.end_reason {
        let _ = writeln!(out, "  ended      {reason}");
    }
    let _ = writeln!(out);
    for entry in &entries {
        for line in render(entry) {
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(0)
}

/// The lines one ledger row becomes.
pub fn render(entry: &Entry) -> Vec<String> {
    let time = entry.at.get(11..19).unwrap_or(&entry.at);
    let head =
        |label: &str, text: String| format!("{time}  {label:<9} {text}").trim_end().to_string();
    match entry.row() {
        Row::Injection {
            turn, prompt, why, ..
        } => vec![head(
            "prompt",
            format!("turn {turn}: {} ({why})", prompt.as_str()),
        )],
        Row::TurnEnded {
            turn,
            duration_ms,
            tokens_used,
            ..
        } => vec![head(
            "turn",
            format!(
                "{turn} ended after {} (tokens used {tokens_used})",
                format_duration(duration_ms),
            ),
        )],
        Row::Claim {
            channel,
            turn,
            claim,
            consecutive,
        } => claim_lines(
            head("claim", claim_head(channel, turn, &claim, consecutive)),
            &claim,
        ),
        Row::ClaimSubmitted { channel, claim } => vec![head(
            "submitted",
            format!("through {}: {}", channel.as_str(), claim.status()),
        )],
        Row::AuditStarted { turn, .. } => {
            vec![head("audit", format!("of the claim of turn {turn}"))]
        }
        Row::AuditStep {
            check,
            passed,
            detail,
            output,
            ..
        } => audit_step_lines(&check, passed, &detail, output.as_deref()),
        Row::AuditFinished { passed, steps, .. } => vec![head(
            "audit",
            format!(
                "{} ({steps} checks)",
                if passed { "passed" } else { "failed" },
            ),
        )],
        Row::ClaimAccepted { turn, .. } => {
            vec![head("accepted", format!("the claim of turn {turn}"))]
        }
        Row::ClaimRejected { turn, reasons } => {
            let mut lines = vec![head("rejected", format!("the claim of turn {turn}"))];
            for reason in reasons {
                lines.push(format!(
                    "                    - {}",
                    one_line(reason.lines().next().unwrap_or(""))
                ));
            }
            lines
        }
        Row::McpRefused { tool, why, .. } => vec![head("refused", format!("{tool}: {why}"))],
        Row::Transition {
            from,
            to,
            actor,
            reason,
        } => vec![head(
            "state",
            format!("{from} -> {to} by {}: {reason}", actor.as_str()),
        )],
        Row::Compacted(compacted) => vec![head("compacted", compaction_text(&compacted))],
        Row::GoalRestored { prompt, turn, .. } => vec![head(
            "restored",
            format!("the goal, in the {} prompt of turn {turn}", prompt.as_str()),
        )],
        Row::Rotated { process, handoff } => vec![head(
            "rotated",
            format!(
                "agent process {process}{}",
                if handoff {
                    ", with the handoff note"
                } else {
                    ""
                }
            ),
        )],
        Row::Stopped {
            reason, exit_code, ..
        } => vec![head("stopped", format!("{reason} (exit {exit_code})"))],
        // The other rows, and rows this goalie cannot read, as stored.
        _ => vec![head(&entry.kind, compact(&entry.data))],
    }
}

/// A claim's first line: the turn, the channel, the status, and for a
/// repeated blocker how many turns in a row.
fn claim_head(channel: Channel, turn: u32, claim: &Claim, consecutive: Option<u32>) -> String {
    format!(
        "turn {turn} via {}: {}{}",
        channel.as_str(),
        claim.status(),
        match (consecutive, claim) {
            (Some(n), Claim::Blocked { reason }) => format!(" ({n} in a row): {reason}"),
            _ => String::new(),
        }
    )
}

/// A claim's lines: its head, then each checklist item with its evidence.
fn claim_lines(head: String, claim: &Claim) -> Vec<String> {
    let mut lines = vec![head];
    if let Claim::Complete { checklist } = claim {
        for item in checklist {
            lines.push(format!(
                "                    {}: {}",
                item.requirement,
                one_line(&item.evidence)
            ));
        }
    }
    lines
}

/// One audit step, and for a failed one the last lines of its output.
fn audit_step_lines(check: &str, passed: bool, detail: &str, output: Option<&str>) -> Vec<String> {
    let mark = if passed { "pass" } else { "FAIL" };
    let mut lines = vec![format!(
        "                    {mark}  {check:<9} {}",
        one_line(detail.lines().next().unwrap_or(""))
    )];
    if !passed && let Some(output) = output {
        for line in output
            .trim_end()
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            lines.push(format!("                          | {line}"));
        }
    }
    lines
}

/// A compaction: its number, turn, when, who saw it and the context around it.
fn compaction_text(compacted: &Compacted) -> String {
    format!(
        "#{} in turn {} ({}), seen by {}{}",
        compacted.compaction,
        compacted.turn,
        match compacted.during {
            During::BetweenTurns => "between turns",
            During::Turn => "mid-turn",
        },
        compacted
            .sources
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        match (compacted.context_before, compacted.context_after) {
            (Some(before), Some(after)) => format!("; context {before} -> {after} tokens"),
            (Some(before), None) => format!("; context {before} tokens before"),
            _ => String::new(),
        }
    )
}

fn compact(value: &Value) -> String {
    let text = match value {
        Value::Object(map) if map.is_empty() => String::new(),
        other => other.to_string(),
    };
    if text.chars().count() > 160 {
        format!("{}…", text.chars().take(160).collect::<String>())
    } else {
        text
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(kind: &str, data: Value) -> Entry {
        Entry {
            seq: 1,
            goal_id: "g".into(),
            at: "2026-01-02T10:11:12.345Z".into(),
            kind: kind.into(),
            data,
        }
    }

    #[test]
    fn claims_audit_steps_and_outcomes_read_well() {
        assert_eq!(
            render(&entry(
                "claim",
                json!({"turn": 2, "channel": "screen", "status": "complete",
                       "checklist": [{"requirement": "R1", "evidence": "tests/a.rs\npasses"}]})
            )),
            vec![
                "10:11:12  claim     turn 2 via screen: complete",
                "                    R1: tests/a.rs passes"
            ]
        );
        assert_eq!(
            render(&entry(
                "audit_step",
                json!({"check": "verify", "subject": "cargo test", "passed": false,
                       "detail": "`cargo test` exited with status 101; the end of its output:\nboom",
                       "output": "a\nb\nboom\n", "exit_code": 101, "duration_ms": 40})
            )),
            vec![
                "                    FAIL  verify    `cargo test` exited with status 101; the end of its output:",
                "                          | a",
                "                          | b",
                "                          | boom",
            ]
        );
        assert_eq!(
            render(&entry(
                "audit_step",
                json!({"check": "protect", "subject": "tests", "passed": true,
                       "detail": "`tests` is unchanged", "duration_ms": 0})
            )),
            vec!["                    pass  protect   `tests` is unchanged"]
        );
        assert_eq!(
            render(&entry(
                "claim_rejected",
                json!({"turn": 1, "reasons": ["one\nmore", "two"]})
            )),
            vec![
                "10:11:12  rejected  the claim of turn 1",
                "                    - one",
                "                    - two"
            ]
        );
        assert_eq!(
            render(&entry(
                "claim",
                json!({"turn": 3, "channel": "mcp", "status": "blocked",
                "reason": "no key", "consecutive": 2})
            )),
            vec!["10:11:12  claim     turn 3 via mcp: blocked (2 in a row): no key"]
        );
        assert_eq!(
            render(&entry("agent_ready", json!({}))),
            vec!["10:11:12  agent_ready"]
        );
    }

    #[test]
    fn rows_this_goalie_cannot_read_are_listed_as_stored() {
        // A newer goalie's kind, and the first goalies' shape of `compacted`.
        assert_eq!(
            render(&entry("telemetry", json!({"n": 1}))),
            vec![r#"10:11:12  telemetry {"n":1}"#]
        );
        assert_eq!(
            render(&entry("compacted", json!({"source": "screen", "count": 1}))),
            vec![r#"10:11:12  compacted {"count":1,"source":"screen"}"#]
        );
        // Today's shape of it.
        assert_eq!(
            render(&entry(
                "compacted",
                json!({"compaction": 2, "source": "session_log", "sources": ["session_log", "screen"],
                       "turn": 3, "during": "between_turns", "context_before": 9000,
                       "context_after": 3000, "context_used_pct_before": null,
                       "context_used_pct_after": null})
            )),
            vec![
                "10:11:12  compacted #2 in turn 3 (between turns), seen by session_log, screen; context 9000 -> 3000 tokens"
            ]
        );
    }
}
