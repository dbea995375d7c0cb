//! `goalie status` and `goalie ls`: read the database, whether or not a supervisor runs.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::error::Error;
use crate::ledger::{Goal, Ledger};
use crate::prompts::thousands;
use crate::supervisor::format_duration;

/// Whether the goal's supervisor is alive right now.
fn supervised(goal: &Goal) -> bool {
    goal.supervisor_pid
        .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
}

fn to_json(goal: &Goal) -> serde_json::Value {
    let mut value = serde_json::to_value(goal).unwrap_or_default();
    value["running"] = json!(supervised(goal));
    value
}

pub fn show(db: &Path, id: Option<&str>, as_json: bool) -> Result<i32, Error> {
    let ledger = Ledger::open_existing(db)?;
    let goal = match id {
        Some(id) => ledger.goal(id)?,
        None => ledger
            .goals()?
            .into_iter()
            .next()
            .ok_or_else(|| crate::ledger::LedgerError::Empty(db.to_path_buf()))?,
    };
    let mut out = std::io::stdout().lock();
    if as_json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&to_json(&goal)).unwrap_or_default()
        );
        return Ok(0);
    }
    let limit = |value: Option<String>| value.map(|v| format!(" (limit {v})")).unwrap_or_default();
    let running = if supervised(&goal) { " (running)" } else { "" };
    let _ = writeln!(out, "goal {}  {}{running}", goal.id, goal.state);
    let _ = writeln!(out, "  objective  {}", goal.objective);
    let _ = writeln!(out, "  agent      {} in {}", goal.agent, goal.workdir);
    let _ = writeln!(
        out,
        "  turns      {}{}",
        goal.turns,
        limit(goal.max_turns.map(|n| n.to_string()))
    );
    let _ = writeln!(
        out,
        "  tokens     {}{}",
        thousands(goal.tokens_used),
        limit(goal.budget_tokens.map(thousands))
    );
    let _ = writeln!(
        out,
        "  time       {}{}",
        format_duration(goal.time_used_ms),
        limit(goal.max_time_ms.map(format_duration))
    );
    let _ = writeln!(
        out,
        "  started    {}",
        goal.started_at.as_deref().unwrap_or("-")
    );
    let _ = writeln!(
        out,
        "  ended      {}",
        goal.ended_at.as_deref().unwrap_or("-")
    );
    if let Some(reason) = &goal.end_reason {
        let _ = writeln!(out, "  why        {reason}");
    }
    Ok(0)
}

pub fn list(db: &Path, as_json: bool) -> Result<i32, Error> {
    let goals = match Ledger::open_existing(db) {
        Ok(ledger) => ledger.goals()?,
        Err(crate::ledger::LedgerError::Empty(_)) => Vec::new(),
        Err(err) => return Err(err.into()),
    };
    let mut out = std::io::stdout().lock();
    if as_json {
        let all: Vec<_> = goals.iter().map(to_json).collect();
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&all).unwrap_or_default()
        );
        return Ok(0);
    }
    if goals.is_empty() {
        let _ = writeln!(
            out,
            "no goals yet (start one with `goalie run` or `goalie demo`)"
        );
        return Ok(0);
    }
    let _ = writeln!(
        out,
        "{:<9} {:<16} {:>5} {:>9}  {:<7} {:<20} OBJECTIVE",
        "ID", "STATE", "TURNS", "TOKENS", "AGENT", "CREATED"
    );
    for goal in &goals {
        let state = if supervised(goal) {
            format!("{} *", goal.state)
        } else {
            goal.state.to_string()
        };
        let objective: String = goal
            .objective
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect();
        let _ = writeln!(
            out,
            "{:<9} {:<16} {:>5} {:>9}  {:<7} {:<20} {}",
            goal.id,
            state,
            goal.turns,
            thousands(goal.tokens_used),
            goal.agent,
            goal.created_at.get(..19).unwrap_or(&goal.created_at),
            objective
        );
    }
    Ok(0)
}
