//! `goalie report [GOAL]`: a goal's ledger for a person. Each claim with its
//! checklist, each audit step and its outcome, and the other rows compactly.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::error::Error;
use crate::goal::units::format_duration;
use crate::ledger::context_counts::ContextCounts;
use crate::ledger::{Entry, Ledger, LedgerError};

/// Prints the report of goal `id` (the latest if `None`).
pub fn show(db: &Path, id: Option<&str>) -> Result<i32, Error> {
    let ledger = Ledger::open_existing(db)?;
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
    let d = &entry.data;
    let time = entry.at.get(11..19).unwrap_or(&entry.at);
    let head =
        |label: &str, text: String| format!("{time}  {label:<9} {text}").trim_end().to_string();
    let s = |key: &str| d[key].as_str().unwrap_or("").to_string();
    match entry.kind.as_str() {
        "injection" => vec![head(
            "prompt",
            format!("turn {}: {} ({})", d["turn"], s("prompt"), s("why")),
        )],
        "turn_ended" => vec![head(
            "turn",
            format!(
                "{} ended after {} (tokens used {})",
                d["turn"],
                format_duration(d["duration_ms"].as_u64().unwrap_or(0)),
                d["tokens_used"]
            ),
        )],
        "claim" => {
            let mut lines = vec![head(
                "claim",
                format!(
                    "turn {} via {}: {}{}",
                    d["turn"],
                    s("channel"),
                    s("status"),
                    match d["consecutive"].as_u64() {
                        Some(n) => format!(" ({n} in a row): {}", s("reason")),
                        None => String::new(),
                    }
                ),
            )];
            for item in d["checklist"].as_array().into_iter().flatten() {
                lines.push(format!(
                    "                    {}: {}",
                    item["requirement"].as_str().unwrap_or("?"),
                    one_line(item["evidence"].as_str().unwrap_or(""))
                ));
            }
            lines
        }
        "claim_submitted" => vec![head(
            "submitted",
            format!(
                "through {}: {}",
                s("channel"),
                d["claim"]["status"].as_str().unwrap_or("?")
            ),
        )],
        "audit_started" => vec![head("audit", format!("of the claim of turn {}", d["turn"]))],
        "audit_step" => {
            let mark = if d["passed"] == true { "pass" } else { "FAIL" };
            let mut lines = vec![format!(
                "                    {mark}  {:<9} {}",
                s("check"),
                one_line(s("detail").lines().next().unwrap_or(""))
            )];
            if d["passed"] != true
                && let Some(output) = d["output"].as_str()
            {
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
        "audit_finished" => vec![head(
            "audit",
            format!(
                "{} ({} checks)",
                if d["passed"] == true {
                    "passed"
                } else {
                    "failed"
                },
                d["steps"]
            ),
        )],
        "claim_accepted" => vec![head("accepted", format!("the claim of turn {}", d["turn"]))],
        "claim_rejected" => {
            let mut lines = vec![head("rejected", format!("the claim of turn {}", d["turn"]))];
            for reason in d["reasons"].as_array().into_iter().flatten() {
                let reason = reason.as_str().unwrap_or("");
                lines.push(format!(
                    "                    - {}",
                    one_line(reason.lines().next().unwrap_or(""))
                ));
            }
            lines
        }
        "mcp_refused" => vec![head("refused", format!("{}: {}", s("tool"), s("why")))],
        "transition" => vec![head(
            "state",
            format!(
                "{} -> {} by {}: {}",
                s("from"),
                s("to"),
                s("actor"),
                s("reason")
            ),
        )],
        "compacted" => vec![head(
            "compacted",
            format!(
                "#{} in turn {} ({}), seen by {}{}",
                d["compaction"],
                d["turn"],
                if d["during"] == "between_turns" {
                    "between turns"
                } else {
                    "mid-turn"
                },
                d["sources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                match (d["context_before"].as_u64(), d["context_after"].as_u64()) {
                    (Some(before), Some(after)) => format!("; context {before} -> {after} tokens"),
                    (Some(before), None) => format!("; context {before} tokens before"),
                    _ => String::new(),
                }
            ),
        )],
        "goal_restored" => vec![head(
            "restored",
            format!(
                "the goal, in the {} prompt of turn {}",
                s("prompt"),
                d["turn"]
            ),
        )],
        "rotated" => vec![head(
            "rotated",
            format!(
                "agent process {}{}",
                d["process"],
                if d["handoff"] == true {
                    ", with the handoff note"
                } else {
                    ""
                }
            ),
        )],
        "stopped" => vec![head(
            "stopped",
            format!("{} (exit {})", s("reason"), d["exit_code"]),
        )],
        kind => vec![head(kind, compact(d))],
    }
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
                       "output": "a\nb\nboom\n"})
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
                json!({"check": "protect", "passed": true, "detail": "`tests` is unchanged"})
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
}
