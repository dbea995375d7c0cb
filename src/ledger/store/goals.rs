//! The goals of the ledger: creating one, its state and counters as a run
//! goes, its spec, and reading goals back.

use std::path::Path;

use super::value::{Row, params};
use super::{Goal, Ledger, LedgerError, NewGoal, new_claim_code, now};
use crate::goal::lifecycle::GoalState;
use crate::goal::limits::Limits;
use crate::ledger::host::{remote_supervisor, this_host};

impl Ledger {
    /// Stores a new goal, `pursuing`, with a fresh id.
    pub fn create_goal(&self, goal: &NewGoal) -> Result<Goal, LedgerError> {
        let id = loop {
            let id = new_claim_code()[..8].to_string();
            let taken = self
                .conn
                .query_opt("SELECT id FROM goals WHERE id = ?1", params![&id])?;
            if taken.is_none() {
                break id;
            }
        };
        self.conn.execute(
            "INSERT INTO goals (id, objective, agent, workdir, state, claim_code,
                max_turns, max_time_ms, budget_tokens, created_at, host)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                &id,
                &goal.objective,
                &goal.agent,
                &goal.workdir,
                GoalState::Pursuing.as_str(),
                &goal.claim_code,
                goal.max_turns,
                goal.max_time_ms.map(clamp_i64),
                goal.budget_tokens.map(clamp_i64),
                now(),
                this_host(),
            ],
        )?;
        self.goal(&id)
    }

    /// Records where the running supervisor listens.
    pub fn set_control_socket(&self, goal_id: &str, path: &Path) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET control_socket = ?2 WHERE id = ?1",
            params![goal_id, path.to_string_lossy().into_owned()],
        )?;
        Ok(())
    }

    /// Makes process `pid` (started at `start`, clock ticks since boot) the
    /// goal's supervisor, unless another goalie that is still alive already
    /// is: one atomic step, so two `goalie resume` of the same goal cannot
    /// both start its agent. Returns the other's pid. A recorded supervisor
    /// that is a zombie, or whose pid now names a process that started at
    /// another time, is dead.
    pub fn claim_supervision(
        &mut self,
        goal_id: &str,
        pid: u32,
        start: u64,
    ) -> Result<Result<(), u32>, LedgerError> {
        let select = format!(
            "SELECT supervisor_pid, supervisor_start, host, heartbeat_at FROM goals WHERE id = ?1{}",
            self.conn.for_update()
        );
        self.conn.transaction(true, |conn| {
            let row = conn.query_one(&select, params![goal_id])?;
            let (holder, holder_start) = (row.opt_u32(0)?, row.opt_u64(1)?);
            let (host, heartbeat) = (row.opt_text(2)?, row.opt_text(3)?);
            // A supervisor on another host lives while its heartbeat is fresh.
            let remote = remote_supervisor(holder, host.as_deref(), heartbeat.as_deref());
            let alive = |other: u32| match &remote {
                Some(remote) => !remote.lost,
                None => other != pid && is_live_goalie(other, holder_start),
            };
            if let Some(other) = holder.filter(|other| alive(*other)) {
                return Ok(Err(other));
            }
            conn.execute(
                "UPDATE goals SET supervisor_pid = ?2, supervisor_start = ?3, host = ?4,
                    heartbeat_at = ?5
                 WHERE id = ?1",
                params![goal_id, pid, clamp_i64(start), this_host(), now()],
            )?;
            Ok(Ok(()))
        })
    }

    /// Renews the goal's heartbeat: its supervisor, on this host, is alive now.
    pub fn heartbeat(&self, goal_id: &str) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET heartbeat_at = ?2 WHERE id = ?1",
            params![goal_id, now()],
        )?;
        Ok(())
    }

    /// Marks the start of a supervised run: the supervisor is process
    /// `supervisor` (pid, start time in clock ticks since boot).
    pub fn set_running(
        &self,
        goal_id: &str,
        supervisor: (u32, u64),
        agent_pid: Option<u32>,
    ) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET started_at = COALESCE(started_at, ?2), supervisor_pid = ?3,
                agent_pid = ?4, ended_at = NULL, end_reason = NULL, supervisor_start = ?5,
                host = ?6, heartbeat_at = ?2
             WHERE id = ?1",
            params![
                goal_id,
                now(),
                supervisor.0,
                agent_pid,
                clamp_i64(supervisor.1),
                this_host()
            ],
        )?;
        Ok(())
    }

    pub fn set_state(&self, goal_id: &str, state: GoalState) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET state = ?2 WHERE id = ?1",
            params![goal_id, state.as_str()],
        )?;
        Ok(())
    }

    pub fn set_progress(
        &self,
        goal_id: &str,
        turns: u32,
        tokens_used: u64,
        time_used_ms: u64,
    ) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET turns = ?2, tokens_used = ?3, time_used_ms = ?4 WHERE id = ?1",
            params![
                goal_id,
                turns,
                clamp_i64(tokens_used),
                clamp_i64(time_used_ms)
            ],
        )?;
        Ok(())
    }

    pub fn set_objective(&self, goal_id: &str, objective: &str) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET objective = ?2 WHERE id = ?1",
            params![goal_id, objective],
        )?;
        Ok(())
    }

    pub fn set_limits(&self, goal_id: &str, limits: &Limits) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET max_turns = ?2, max_time_ms = ?3, budget_tokens = ?4 WHERE id = ?1",
            params![
                goal_id,
                limits.max_turns,
                limits.max_time_ms.map(clamp_i64),
                limits.budget_tokens.map(clamp_i64)
            ],
        )?;
        Ok(())
    }

    /// Marks the end of a supervised run.
    pub fn set_ended(&self, goal_id: &str, reason: &str) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET ended_at = ?2, end_reason = ?3, supervisor_pid = NULL, agent_pid = NULL,
                control_socket = NULL, supervisor_start = NULL
             WHERE id = ?1",
            params![goal_id, now(), self.redactor.redact(reason).into_owned()],
        )?;
        Ok(())
    }

    /// A goal by its id or a unique prefix of it.
    pub fn goal(&self, id_or_prefix: &str) -> Result<Goal, LedgerError> {
        let pattern = format!("{}%", id_or_prefix.replace(['%', '_'], ""));
        let goals = self
            .conn
            .query(
                &format!(
                    "SELECT {GOAL_COLUMNS} FROM goals WHERE id = ?1 OR lower(id) LIKE lower(?2)
                     ORDER BY id = ?1 DESC, id"
                ),
                params![id_or_prefix, pattern],
            )?
            .iter()
            .map(goal_from_row)
            .collect::<Result<Vec<Goal>, _>>()?;
        match goals.as_slice() {
            [] => Err(LedgerError::NotFound(id_or_prefix.to_string())),
            [first, ..] if first.id == id_or_prefix => Ok(first.clone()),
            [only] => Ok(only.clone()),
            many => Err(LedgerError::Ambiguous {
                prefix: id_or_prefix.to_string(),
                matches: many
                    .iter()
                    .map(|g| g.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Every goal, newest first.
    pub fn goals(&self) -> Result<Vec<Goal>, LedgerError> {
        self.conn
            .query(
                &format!("SELECT {GOAL_COLUMNS} FROM goals ORDER BY created_at DESC, rowid DESC"),
                &[],
            )?
            .iter()
            .map(goal_from_row)
            .collect()
    }

    /// Stores the goal's spec (JSON) with the goal.
    pub fn set_spec(&self, goal_id: &str, spec: &serde_json::Value) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET spec = ?2 WHERE id = ?1",
            params![goal_id, spec.to_string()],
        )?;
        Ok(())
    }

    /// The goal's spec (JSON), if it was started from one.
    pub fn spec(&self, goal_id: &str) -> Result<Option<serde_json::Value>, LedgerError> {
        let text = match self
            .conn
            .query_opt("SELECT spec FROM goals WHERE id = ?1", params![goal_id])?
        {
            Some(row) => row.opt_text(0)?,
            None => None,
        };
        Ok(text.and_then(|text| serde_json::from_str(&text).ok()))
    }
}

const GOAL_COLUMNS: &str = "id, objective, agent, workdir, state, claim_code, max_turns,
    max_time_ms, budget_tokens, turns, tokens_used, time_used_ms, created_at, started_at,
    ended_at, end_reason, supervisor_pid, agent_pid, control_socket, supervisor_start, host,
    heartbeat_at";

fn goal_from_row(row: &Row) -> Result<Goal, LedgerError> {
    let state = row.text(4)?;
    let state = GoalState::parse(&state)
        .ok_or_else(|| LedgerError::Stored(format!("unknown goal state `{state}`")))?;
    Ok(Goal {
        id: row.text(0)?,
        objective: row.text(1)?,
        agent: row.text(2)?,
        workdir: row.text(3)?,
        state,
        claim_code: row.text(5)?,
        max_turns: row.opt_u32(6)?,
        max_time_ms: row.opt_u64(7)?,
        budget_tokens: row.opt_u64(8)?,
        turns: row.opt_u32(9)?.unwrap_or(0),
        tokens_used: row.opt_u64(10)?.unwrap_or(0),
        time_used_ms: row.opt_u64(11)?.unwrap_or(0),
        created_at: row.text(12)?,
        started_at: row.opt_text(13)?,
        ended_at: row.opt_text(14)?,
        end_reason: row.opt_text(15)?,
        supervisor_pid: row.opt_u32(16)?,
        agent_pid: row.opt_u32(17)?,
        control_socket: row.opt_text(18)?,
        supervisor_start: row.opt_u64(19)?,
        host: row.opt_text(20)?,
        heartbeat_at: row.opt_text(21)?,
    })
}

/// Whether `pid` is a running goalie that started at `start` (when known):
/// not a zombie, not a process that reused a dead goalie's pid.
fn is_live_goalie(pid: u32, start: Option<u64>) -> bool {
    let running = running_since(pid);
    is_goalie(pid) && running.is_some_and(|now| start.is_none_or(|start| start == now))
}

/// When process `pid` started (field 22 of /proc/PID/stat), unless it is
/// gone or a zombie. (The agent edge reads the whole line; the ledger needs
/// only this.)
fn running_since(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, fields) = text.rsplit_once(')')?;
    let mut fields = fields.split_whitespace();
    let state = fields.next()?;
    // Field 3 was the state; the start time is field 22.
    let start = fields.nth(18)?.parse().ok()?;
    (state != "Z").then_some(start)
}

/// Whether `pid` is a running goalie (not a process that reused a dead goalie's pid).
fn is_goalie(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmdline| {
            let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            String::from_utf8_lossy(program).contains("goalie")
        })
        .unwrap_or(false)
}

pub(super) fn clamp_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
