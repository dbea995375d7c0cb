//! `goalie status` (and, for `goalie ls` in `list.rs`, the merge): the database, and, for goals whose
//! supervisor runs, what the supervisor says (a takeover, the live counters).

use std::io::Write;

use serde_json::json;

use crate::cli::{goal_selector, local_time};
use crate::control::GoalSnapshot;
use crate::control::protocol::state_text;
use crate::goal::lifecycle::GoalState;
use crate::goal::units::format_duration;
use crate::goal::units::thousands;
use crate::ledger::Goal;
use crate::ledger::context_counts::ContextCounts;
use crate::ledger::host::Remote;
use crate::ledger::wait_status::WaitStatus;

/// The stored goal with the running supervisor's view laid over it.
pub(super) fn merged(goal: &Goal, live: Option<&GoalSnapshot>) -> (Goal, bool) {
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

pub(super) fn to_json(goal: &Goal, running: bool, takeover: bool) -> serde_json::Value {
    let mut value = serde_json::to_value(goal).unwrap_or_default();
    value["running"] = json!(running);
    value["takeover"] = json!(takeover);
    value["state_text"] = json!(state_text(goal.state, takeover));
    // A supervisor on another host: whether its heartbeat says it lives.
    value["remote"] = json!(goal_selector::remote(goal));
    value
}

/// Where a supervisor on another host is, as people read it: running on
/// it, or lost there (its heartbeat stopped) with when it was last seen.
pub(super) fn remote_text(remote: &Remote, at: impl Fn(&str) -> String) -> String {
    if remote.lost {
        format!(
            "supervisor lost on {} (last seen {})",
            remote.host,
            remote.last_seen.as_deref().map_or("never".into(), at)
        )
    } else {
        format!("running on {}", remote.host)
    }
}

/// Prints one goal; `live` is its running supervisor's answer to `goal/get`.
pub fn show(
    goal: &Goal,
    live: Option<&GoalSnapshot>,
    (counts, waits): (&ContextCounts, &WaitStatus),
    as_json: bool,
) {
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
        if let (Some(map), Ok(serde_json::Value::Object(extra))) =
            (value.as_object_mut(), serde_json::to_value(waits))
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
    let tz = local_time::zone();
    let running_text = match (running, waits.waiting.is_some()) {
        (true, true) => " (running, waiting)".to_string(),
        (true, false) => " (running)".to_string(),
        (false, _) => goal_selector::remote(&goal)
            .map(|remote| {
                format!(
                    " ({})",
                    remote_text(&remote, |at| local_time::local(at, &tz))
                )
            })
            .unwrap_or_default(),
    };
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
    let local = |at: &Option<String>| {
        at.as_deref()
            .map(|at| local_time::local(at, &tz))
            .unwrap_or_else(|| "-".into())
    };
    let _ = writeln!(out, "  started    {}", local(&goal.started_at));
    let _ = writeln!(out, "  ended      {}", local(&goal.ended_at));
    let _ = writeln!(out, "  context    {}", counts.line());
    for (label, text) in waits.lines() {
        let _ = writeln!(out, "  {label:<10} {text}");
    }
    if let Some(reason) = &goal.end_reason {
        let _ = writeln!(out, "  why        {reason}");
    }
    if goal.state == GoalState::Paused {
        let _ = writeln!(out, "  resume     goalie resume {}", goal.id);
    }
}

/// What a running goal's supervisor says, if it answers.
pub(super) fn ask(goal: &Goal) -> Option<GoalSnapshot> {
    let mut client = goal_selector::connect(goal).ok()??;
    let result = client.call("goal/get", json!({})).ok()?.ok()?;
    serde_json::from_value(result["goal"].clone()).ok()
}
