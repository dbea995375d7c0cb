//! The report as text: the summary, the turns' table, the audits as their
//! rows read, the wrap-up reply and the last reply quoted, and (with `--rows`)
//! every row. Times are local, with the offset.

use jiff::tz::TimeZone;

use super::rows::{one_line, render_at};
use crate::core::row::RowKind;
use crate::goal::units::{format_duration, thousands};
use crate::ledger::Entry;
use crate::ledger::context_counts::ContextCounts;
use crate::ledger::report::{GoalReport, Reply, TurnLine};

/// The rows of the claims-and-audits section.
const AUDIT_KINDS: &[RowKind] = &[
    RowKind::Claim,
    RowKind::ClaimIgnored,
    RowKind::AuditStarted,
    RowKind::AuditStep,
    RowKind::AuditFinished,
    RowKind::ClaimAccepted,
    RowKind::ClaimNotAccepted,
    RowKind::ClaimRejected,
    RowKind::Transition,
];

/// At most this many lines of a quoted reply.
const QUOTED_LINES: usize = 20;

/// The report's lines, in the local time zone.
pub fn lines(report: &GoalReport, entries: &[Entry], rows: bool) -> Vec<String> {
    lines_in(report, entries, rows, &crate::cli::local_time::zone())
}

/// The report's lines, with times in `tz`.
pub fn lines_in(report: &GoalReport, entries: &[Entry], rows: bool, tz: &TimeZone) -> Vec<String> {
    let mut out = summary(report, &ContextCounts::from_entries(entries), tz);
    out.push(String::new());
    out.extend(turn_table(&report.turns));
    // The claims, their audits step by step and their outcome, and the
    // state changes, as their rows read (as `goalie report` always showed them).
    let audit_rows: Vec<&Entry> = entries
        .iter()
        .filter(|e| AUDIT_KINDS.iter().any(|k| e.is(*k)))
        .collect();
    if !audit_rows.is_empty() {
        out.push(String::new());
        out.push("claims, audits and state changes".into());
        for entry in audit_rows {
            out.extend(render_at(entry, &local_clock(entry, tz)));
        }
    }
    if let Some(reply) = &report.wrap_up {
        out.push(String::new());
        out.extend(quote("the wrap-up reply", reply));
    }
    if let Some(reply) = &report.last_reply
        && report.wrap_up.as_ref().map(|w| w.turn) != Some(reply.turn)
    {
        out.push(String::new());
        out.extend(quote("the last reply", reply));
    }
    if rows {
        out.push(String::new());
        out.push(format!(
            "rows (times {})",
            crate::cli::local_time::offset_now(tz)
        ));
        for entry in entries {
            out.extend(render_at(entry, &local_clock(entry, tz)));
        }
    }
    out
}

fn local_clock(entry: &Entry, tz: &TimeZone) -> String {
    crate::cli::local_time::clock(&entry.at, tz)
}

/// The summary: the goal, how it ended, its counters, its claims.
fn summary(report: &GoalReport, counts: &ContextCounts, tz: &TimeZone) -> Vec<String> {
    let goal = &report.goal;
    let s = &report.summary;
    let local = |at: &Option<String>| {
        at.as_deref()
            .map(|at| crate::cli::local_time::local(at, tz))
            .unwrap_or_else(|| "-".into())
    };
    let mut out = vec![
        format!("goal {}  {}", goal.id, s.state),
        format!("  objective  {}", one_line(&goal.objective)),
        format!("  agent      {} in {}", goal.agent, goal.workdir),
        format!(
            "  started    {}  ended {}",
            local(&goal.started_at.clone().or(Some(goal.created_at.clone()))),
            local(&goal.ended_at)
        ),
    ];
    if let Some(reason) = &s.end_reason {
        out.push(format!("  ended      {reason}"));
    }
    if let Some(limit) = report.limit_sentence() {
        out.push(format!("  limit      {limit} was reached"));
    }
    out.push(format!(
        "  used       {} turns{} · {} tokens{} · {}{}",
        s.turns,
        s.limits
            .max_turns
            .map(|n| format!(" of {n}"))
            .unwrap_or_default(),
        thousands(s.tokens_used),
        s.limits
            .budget_tokens
            .map(|n| format!(" of {}", thousands(n)))
            .unwrap_or_default(),
        format_duration(s.time_used_ms),
        s.limits
            .max_time_ms
            .map(|ms| format!(" of {}", format_duration(ms)))
            .unwrap_or_default(),
    ));
    out.push(format!("  context    {}", counts.line()));
    if s.claims.is_empty() {
        out.push("  claims     none".into());
    }
    for (n, claim) in s.claims.iter().enumerate() {
        let reasons = match claim.reasons.as_slice() {
            [] => String::new(),
            [one] => format!(": {}", one_line(one.lines().next().unwrap_or(""))),
            [first, rest @ ..] => format!(
                ": {} (+{} more)",
                one_line(first.lines().next().unwrap_or("")),
                rest.len()
            ),
        };
        out.push(format!(
            "  {}  turn {} {} via {}: {}{reasons}",
            if n == 0 { "claims   " } else { "         " },
            claim.turn,
            claim.status,
            claim.channel,
            claim.fate.replace('_', " "),
        ));
    }
    out
}

/// One row per turn.
fn turn_table(turns: &[TurnLine]) -> Vec<String> {
    let mut out = vec![format!(
        "{:>5}  {:<17} {:>8} {:>9} {:>7}  {:<24} {}",
        "turn", "prompt", "time", "tokens", "context", "progress", "outcome"
    )];
    for t in turns {
        let dash = || "-".to_string();
        let mut outcome = t.outcome.clone();
        if t.compactions > 0 {
            outcome.push_str(&format!(", compacted ×{}", t.compactions));
        }
        if !t.events.is_empty() {
            outcome.push_str(&format!(" [{}]", t.events.join(", ")));
        }
        out.push(format!(
            "{:>5}  {:<17} {:>8} {:>9} {:>7}  {:<24} {}",
            t.turn,
            t.prompt.as_deref().unwrap_or("-"),
            t.duration_ms.map(format_duration).unwrap_or_else(dash),
            t.tokens.map(thousands).unwrap_or_else(dash),
            t.context_used_pct
                .map(|p| format!("{p}%"))
                .unwrap_or_else(dash),
            shorten(t.progress.as_deref().unwrap_or("-"), 24),
            outcome,
        ));
    }
    out
}

/// A reply, quoted: its first lines, each after `> `.
fn quote(title: &str, reply: &Reply) -> Vec<String> {
    let mut out = vec![format!("{title} (turn {})", reply.turn)];
    let lines: Vec<&str> = reply.text.trim().lines().collect();
    for line in lines.iter().take(QUOTED_LINES) {
        out.push(format!("  > {line}").trim_end().to_string());
    }
    if lines.len() > QUOTED_LINES {
        out.push(format!(
            "  > … ({} more lines: goalie report --json)",
            lines.len() - QUOTED_LINES
        ));
    }
    out
}

fn shorten(text: &str, chars: usize) -> String {
    let text = one_line(text);
    if text.chars().count() > chars {
        format!("{}…", text.chars().take(chars - 1).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests;
