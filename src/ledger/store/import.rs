//! Importing goals read from export files (`goalie import`): one
//! transaction for all of them, so a conflict anywhere leaves the database
//! as it was. Rows are only ever inserted (the events' append-only rule
//! holds): a goal already here with the same rows is skipped, one here with
//! fewer of the same rows gets the rest, and one whose rows differ is an
//! error that names it.

use super::backend::Conn;
use super::goals::clamp_i64;
use super::value::params;
use super::{Ledger, LedgerError, new_claim_code};
use crate::ledger::export::format::{Exported, GoalLine, RowLine};

/// What importing one goal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A new goal, with this many rows.
    Added(usize),
    /// The goal was here with the first of its rows; this many were added.
    Extended(usize),
    /// The goal was here with the same rows: nothing was added.
    Same,
    /// The goal is here with these rows and newer ones: nothing was added.
    Older,
}

/// Why nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("goal {goal} is already in the database and differs from the imported one: {detail}")]
    Conflict { goal: String, detail: String },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The goal's columns that say which goal it is: another goal with the same
/// id differs in one of them.
struct Here {
    agent: String,
    workdir: String,
    created_at: String,
    supervisor_pid: Option<u32>,
}

impl Ledger {
    /// Imports the goals, all or none; says what happened to each, in order.
    pub fn import(&mut self, goals: &[Exported]) -> Result<Vec<Imported>, ImportError> {
        let redactor = self.redactor.clone();
        let outcomes = self.conn.transaction(true, |tx| {
            let mut outcomes = Vec::new();
            for exported in goals {
                // Secrets of this machine are hidden here too, as in every row stored.
                let mut rows = exported.rows.clone();
                for row in &mut rows {
                    redactor.redact_json(&mut row.data);
                }
                let mut goal = exported.goal.clone();
                goal.end_reason = goal
                    .end_reason
                    .map(|reason| redactor.redact(&reason).into_owned());
                outcomes.push(import_one(tx, &goal, &rows)?);
            }
            if tx.is_postgres() {
                // Rows inserted with their own numbers leave the identity's
                // sequence behind them: the next row appended comes after all.
                tx.query(
                    "SELECT setval(pg_get_serial_sequence('events', 'seq'),
                        GREATEST(MAX(seq), nextval(pg_get_serial_sequence('events', 'seq'))))
                     FROM events",
                    &[],
                )?;
            }
            Ok::<_, ImportError>(outcomes)
        })?;
        Ok(outcomes)
    }
}

fn import_one(tx: &Conn, goal: &GoalLine, rows: &[RowLine]) -> Result<Imported, ImportError> {
    let here = tx
        .query_opt(
            &format!(
                "SELECT agent, workdir, created_at, supervisor_pid FROM goals WHERE id = ?1{}",
                tx.for_update()
            ),
            params![&goal.id],
        )?
        .map(|row| {
            Ok::<_, LedgerError>(Here {
                agent: row.text(0)?,
                workdir: row.text(1)?,
                created_at: row.text(2)?,
                supervisor_pid: row.opt_u32(3)?,
            })
        })
        .transpose()?;
    let conflict = |detail: String| ImportError::Conflict {
        goal: goal.id.clone(),
        detail,
    };
    let Some(here) = here else {
        insert_goal(tx, goal)?;
        let keep = seqs_free(tx, rows)?;
        insert_rows(tx, &goal.id, rows, keep)?;
        return Ok(Imported::Added(rows.len()));
    };
    if (&here.agent, &here.workdir, &here.created_at)
        != (&goal.agent, &goal.workdir, &goal.created_at)
    {
        return Err(conflict(format!(
            "here it is a goal for {} in {} created at {}, in the file one for {} in {} created at {}",
            here.agent, here.workdir, here.created_at, goal.agent, goal.workdir, goal.created_at
        )));
    }
    let stored = tx
        .query(
            "SELECT seq, at, kind, data FROM events WHERE goal_id = ?1 ORDER BY seq",
            params![&goal.id],
        )?
        .iter()
        .map(|row| {
            let data = row.text(3)?;
            Ok((
                row.int(0)?,
                row.text(1)?,
                row.text(2)?,
                serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data)),
            ))
        })
        .collect::<Result<Vec<(i64, String, String, serde_json::Value)>, LedgerError>>()?;
    if let Some(at) = stored
        .iter()
        .zip(rows)
        .position(|((_, at, kind, data), row)| (at, kind, data) != (&row.at, &row.kind, &row.data))
    {
        return Err(conflict(format!(
            "its row {} is {} at {} here and {} at {} in the file",
            at + 1,
            stored[at].2,
            stored[at].1,
            rows[at].kind,
            rows[at].at
        )));
    }
    if stored.len() == rows.len() {
        return Ok(Imported::Same);
    }
    if stored.len() > rows.len() {
        return Ok(Imported::Older);
    }
    if here.supervisor_pid.is_some() {
        return Err(conflict(format!(
            "the file has {} rows more, but the goal has a supervisor writing its rows (clear it, or import once its run ended)",
            rows.len() - stored.len()
        )));
    }
    let new = &rows[stored.len()..];
    // The new rows keep their numbers too where they still come after the goal's rows here.
    let last = stored.last().map_or(0, |row| row.0);
    let keep = new[0].seq > last && seqs_free(tx, new)?;
    insert_rows(tx, &goal.id, new, keep)?;
    update_goal(tx, goal)?;
    Ok(Imported::Extended(new.len()))
}

fn insert_goal(tx: &Conn, goal: &GoalLine) -> Result<(), LedgerError> {
    tx.execute(
        "INSERT INTO goals (id, objective, agent, workdir, state, claim_code, max_turns,
            max_time_ms, budget_tokens, turns, tokens_used, time_used_ms, created_at,
            started_at, ended_at, end_reason, spec, host, heartbeat_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18, ?19)",
        params![
            &goal.id,
            &goal.objective,
            &goal.agent,
            &goal.workdir,
            goal.state.as_str(),
            new_claim_code(),
            goal.max_turns,
            goal.max_time_ms.map(clamp_i64),
            goal.budget_tokens.map(clamp_i64),
            goal.turns,
            clamp_i64(goal.tokens_used),
            clamp_i64(goal.time_used_ms),
            &goal.created_at,
            goal.started_at.as_deref(),
            goal.ended_at.as_deref(),
            goal.end_reason.as_deref(),
            goal.spec.as_ref().map(|spec| spec.to_string()),
            &goal.host,
            goal.heartbeat_at.as_deref(),
        ],
    )?;
    Ok(())
}

/// The goal's columns as the newer export has them.
fn update_goal(tx: &Conn, goal: &GoalLine) -> Result<(), LedgerError> {
    tx.execute(
        "UPDATE goals SET objective = ?2, state = ?3, max_turns = ?4, max_time_ms = ?5,
            budget_tokens = ?6, turns = ?7, tokens_used = ?8, time_used_ms = ?9,
            started_at = ?10, ended_at = ?11, end_reason = ?12, spec = ?13, host = ?14,
            heartbeat_at = ?15
         WHERE id = ?1",
        params![
            &goal.id,
            &goal.objective,
            goal.state.as_str(),
            goal.max_turns,
            goal.max_time_ms.map(clamp_i64),
            goal.budget_tokens.map(clamp_i64),
            goal.turns,
            clamp_i64(goal.tokens_used),
            clamp_i64(goal.time_used_ms),
            goal.started_at.as_deref(),
            goal.ended_at.as_deref(),
            goal.end_reason.as_deref(),
            goal.spec.as_ref().map(|spec| spec.to_string()),
            &goal.host,
            goal.heartbeat_at.as_deref(),
        ],
    )?;
    Ok(())
}

/// Whether no row here has any of the rows' sequence numbers.
fn seqs_free(tx: &Conn, rows: &[RowLine]) -> Result<bool, LedgerError> {
    for row in rows {
        let taken = tx.query_opt("SELECT seq FROM events WHERE seq = ?1", params![row.seq])?;
        if taken.is_some() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Inserts the rows in order, with their own sequence numbers when `keep`,
/// else after the newest row here.
fn insert_rows(tx: &Conn, goal_id: &str, rows: &[RowLine], keep: bool) -> Result<(), LedgerError> {
    for row in rows {
        let data = row.data.to_string();
        if keep {
            tx.execute(
                "INSERT INTO events (seq, goal_id, at, kind, data) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row.seq, goal_id, &row.at, &row.kind, data],
            )?;
        } else {
            tx.execute(
                "INSERT INTO events (goal_id, at, kind, data) VALUES (?1, ?2, ?3, ?4)",
                params![goal_id, &row.at, &row.kind, data],
            )?;
        }
    }
    Ok(())
}
