//! `goalie status` and `goalie ls`: the database, and, for goals whose
//! supervisor runs, what the supervisor says (a takeover, the live counters).

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::cli::goal_selector;
use crate::control::GoalSnapshot;
use crate::control::protocol::state_text;
use crate::error::Error;
use crate::goal::units::format_duration;
use crate::goal::units::thousands;
use crate::ledger::context_counts::ContextCounts;
use crate::ledger::{Goal, Ledger, LedgerError};

/// The stored goal with the running supervisor's view laid over it.
fn merged(goal: &Goal, live: Option<&GoalSnapshot>) -> (Goal, bool) {
    let mut goal = goal.clone();
    let Some(live) = live else {
        return (goal, false);
    };
    goal.objective = live.objective.clone();
    goal.state = live.state;
    goal.max_turns = live.max_turns;
    goal.max_time_ms = live.max_time_ms;
    goal.budget_tokens = live.budget_tokens;
    goal.turns = live.turns;
    goal.tokens_used = live.tokens_used;
    goal.time_used_ms = live.time_used_ms;
    (goal, live.takeover)
}

fn to_json(goal: &Goal, running: bool, takeover: bool) -> serde_json::Value {
    let mut value = serde_json::to_value(goal).unwrap_or_default();
    value["running"] = json!(running);
    value["takeover"] = json!(takeover);
    value["state_text"] = json!(state_text(goal.state, takeover));
    value
}

/// Prints one goal; `live` is its running supervisor's answer to `goal/get`.
pub fn show(goal: &Goal, live: Option<&GoalSnapshot>, counts: &ContextCounts, as_json: bool) {
    let running = live.is_some();
    let (goal, takeover) = merged(goal, live);
    let mut out = std::io::stdout().lock();
    if as_json {
        let mut value = to_json(&goal, running, takeover);
        if let (Some(map), Ok(serde_json::Value::Object(extra))) =
            (value.as_object_mut(), serde_json::to_value(counts))
        {
            map.extend(extra);
        }
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return;
    }
    let limit = |value: Option<String>| value.map(|v| format!(" (limit {v})")).unwrap_or_default();
    let running_text = if running { " (running)" } else { "" };
    let _ = writeln!(
        out,
        "goal {}  {}{running_text}",
        goal.id,
        state_text(goal.state, takeover)
    );
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
    let _ = writeln!(out, "  context    {}", counts.line());
    if let Some(reason) = &goal.end_reason {
        let _ = writeln!(out, "  why        {reason}");
    }
}

/// What a running goal's supervisor says, if it answers.
fn ask(goal: &Goal) -> Option<GoalSnapshot> {
    let mut client = goal_selector::connect(goal).ok()??;
    let result = client.call("goal/get", json!({})).ok()?.ok()?;
    serde_json::from_value(result["goal"].clone()).ok()
}

/// `goalie ls`: every goal, newest first, with its state and whether it runs.
pub fn list(db: &Path, as_json: bool) -> Result<i32, Error> {
    let goals = match Ledger::open_read_only(db) {
        Ok(ledger) => ledger.goals()?,
        Err(LedgerError::Empty(_)) => Vec::new(),
        Err(err) => return Err(err.into()),
    };
    let rows: Vec<(Goal, bool, bool)> = goals
        .iter()
        .map(|goal| {
            let live = goal_selector::supervisor_alive(goal)
                .then(|| ask(goal))
                .flatten();
            let (merged, takeover) = merged(goal, live.as_ref());
            (merged, live.is_some(), takeover)
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if as_json {
        let all: Vec<_> = rows
            .iter()
            .map(|(goal, running, takeover)| to_json(goal, *running, *takeover))
            .collect();
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&all).unwrap_or_default()
        );
        return Ok(0);
    }
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "no goals yet (start one with `goalie run` or `goalie demo`)"
        );
        return Ok(0);
    }
    let _ = writeln!(
        out,
        "{:<9} {:<18} {:<4} {:>5} {:>9}  {:<7} {:<20} OBJECTIVE",
        "ID", "STATE", "RUNS", "TURNS", "TOKENS", "AGENT", "CREATED"
    );
    for (goal, running, takeover) in &rows {
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
            "{:<9} {:<18} {:<4} {:>5} {:>9}  {:<7} {:<20} {}",
            goal.id,
            state_text(goal.state, *takeover),
            if *running { "yes" } else { "no" },
            goal.turns,
            thousands(goal.tokens_used),
            goal.agent,
            goal.created_at.get(..19).unwrap_or(&goal.created_at),
            objective
        );
    }
    Ok(0)
}
