//! What must not outlive goalie: the process groups a run starts (the
//! agent's session, each verify command's group) are recorded in the ledger
//! as they start (`group_started`: the leader's pid and start time). A run
//! that ends as it should ends them itself and writes its `stopped` row; a
//! run that was killed (SIGKILL, the OOM killer, a power cut of goalie
//! alone) leaves no `stopped` row, and whatever of its groups still runs (a
//! `nohup` descendant of the agent, a verify command in its own group) is
//! ended by the next `goalie run`, `resume` or `clear` of the goal: only
//! processes in a recorded group or session that started after its leader,
//! while the leader's pid is no other process's.
//!
//! A descendant that left the agent's session (`setsid`) is outside these
//! groups: the agent's environment carries the run's mark
//! (`GOALIE_RUN=GOAL.PID.START`, goalie's own pid and start time), which every
//! descendant inherits unless it clears its environment; the agent's
//! `group_started` row records it, and a process of the same user that
//! carries it in `/proc/PID/environ` and started after the agent's leader is
//! ended with the groups.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;

use crate::agent::process_key::{self, ProcessKey};
use crate::core::row::{GroupRole, Row, RowKind};
use crate::error::Error;
use crate::ledger::{Entry, Goal, Ledger};

/// How long a leftover process gets to end after SIGTERM.
const GRACE: Duration = Duration::from_secs(1);

/// The variable of the agent's environment that marks its processes.
pub const MARK_VAR: &str = "GOALIE_RUN";

/// This run's mark for goal `goal_id`: the goal and goalie's own pid and
/// start time, which no other run has.
pub fn run_mark(goal_id: &str) -> String {
    let me = process_key::this_process();
    format!("{goal_id}.{}.{}", me.pid, me.start)
}

/// Records that this run started the group led by `pid` (if it still runs),
/// whose processes carry `mark` in their environment if it is given.
pub fn record_group(
    ledger: &Ledger,
    goal_id: &str,
    role: GroupRole,
    pid: u32,
    mark: Option<&str>,
) -> Result<(), Error> {
    if let Some(key) = process_key::key_of(pid) {
        ledger.append(
            goal_id,
            &Row::GroupStarted {
                role,
                pgid: key.pid,
                start: key.start,
                mark: mark.map(String::from),
            },
        )?;
    }
    Ok(())
}

/// The groups recorded by runs of the goal that never wrote their `stopped`
/// row (a run starts at `goal_created` or `resumed`), with their marks.
fn unfinished_groups(entries: &[Entry]) -> Vec<(ProcessKey, Option<String>)> {
    let mut found = Vec::new();
    let mut run = Vec::new();
    for entry in entries {
        if entry.is(RowKind::GoalCreated) || entry.is(RowKind::Resumed) {
            found.append(&mut run);
        } else if entry.is(RowKind::Stopped) {
            run.clear();
        } else if let Row::GroupStarted {
            pgid, start, mark, ..
        } = entry.row()
        {
            run.push((ProcessKey { pid: pgid, start }, mark));
        }
    }
    found.append(&mut run);
    found
}

/// Ends what killed runs of `goal` left running, unless another live
/// goalie supervises it or it last ran on another host; records a `leftovers_ended` row when there was
/// any and says so on stderr. `by` names the command.
pub fn end_for_goal(ledger: &Ledger, goal: &Goal, by: &str) -> Result<Vec<u32>, Error> {
    let me = std::process::id();
    if goal
        .host
        .as_deref()
        .is_some_and(|host| host != crate::ledger::host::this_host())
    {
        // Its runs' processes were another machine's: none of them is here.
        return Ok(Vec::new());
    }
    if goal
        .supervisor_pid
        .is_some_and(|pid| pid != me && process_key::is_running(pid, goal.supervisor_start))
    {
        return Ok(Vec::new());
    }
    let groups = unfinished_groups(&ledger.entries(&goal.id)?);
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let mut members = BTreeSet::new();
    for (leader, mark) in groups {
        members.extend(process_key::group_members(leader));
        if let Some(mark) = mark {
            let entry = format!("{MARK_VAR}={mark}");
            members.extend(process_key::marked(entry.as_bytes(), leader.start));
        }
    }
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let ended: Vec<u32> = process_key::end_all(&members, GRACE)
        .into_iter()
        .map(|key| key.pid)
        .collect();
    if !ended.is_empty() {
        tracing::info!(goal = %goal.id, ?ended, "ended what a killed goalie left running");
        let _ = writeln!(
            std::io::stderr(),
            "goalie: ended {} process(es) that goal {}'s killed supervisor left running: {}",
            ended.len(),
            goal.id,
            ended
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        ledger.append(
            &goal.id,
            &Row::LeftoversEnded {
                by: by.to_string(),
                pids: ended.clone(),
            },
        )?;
    }
    Ok(ended)
}

/// Ends what killed runs of every goal still marked running left behind
/// (for `goalie run`, which starts a new goal).
pub fn end_for_unfinished_goals(ledger: &Ledger) -> Result<(), Error> {
    for goal in ledger.goals()? {
        if goal.ended_at.is_none() && goal.supervisor_pid.is_some() {
            end_for_goal(ledger, &goal, "run")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(seq: i64, kind: &str, data: serde_json::Value) -> Entry {
        Entry {
            seq,
            goal_id: "g".into(),
            at: "then".into(),
            kind: kind.into(),
            data,
        }
    }

    #[test]
    fn only_groups_of_runs_without_a_stopped_row_are_left_over() {
        let group = |seq, pgid| {
            entry(
                seq,
                "group_started",
                json!({"role": "agent", "pgid": pgid, "start": 7}),
            )
        };
        let entries = vec![
            entry(1, "goal_created", json!({})),
            group(2, 100),
            entry(3, "stopped", json!({})),
            entry(4, "resumed", json!({})),
            group(5, 200),
            group(6, 201),
            entry(7, "resumed", json!({})),
            group(8, 300),
        ];
        let pids: Vec<u32> = unfinished_groups(&entries)
            .iter()
            .map(|(k, _)| k.pid)
            .collect();
        assert_eq!(pids, vec![200, 201, 300]);
    }
}
