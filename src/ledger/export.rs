//! The export format (docs/export.md, docs/export.schema.json): goals and
//! every row of their ledgers as JSON lines, for schedulers that offer no
//! shared database (a CI matrix's artifacts become one local ledger with
//! `goalie import`).
//!
//! A file is a header line, then each goal's line followed by its rows'
//! lines, then an end line that counts them. The counts are what makes a
//! file cut short at a line's end (an artifact upload that failed) an error
//! rather than a smaller ledger: each goal line says how many rows follow
//! it, and the end line how many goals and rows the file holds.
//!
//! The goal's secret claim code is not exported: an artifact is read by
//! more people than the database. `goalie import` gives the goal a fresh one.

use std::io::Write;

use super::{Entry, Goal, Ledger, LedgerError, now};

pub mod format;

pub use format::{Exported, FORMAT, FormatError, GoalLine, Line, RowLine, VERSION, read};

/// Writes `goals` (with their rows and specs) from `ledger` as an export
/// file to `out`; `host` is this machine's name.
pub fn write(
    ledger: &Ledger,
    goals: &[Goal],
    host: &str,
    out: &mut dyn Write,
) -> Result<(), ExportWriteError> {
    let mut put = |line: &Line| -> Result<(), ExportWriteError> {
        serde_json::to_writer(&mut *out, line).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
        Ok(())
    };
    put(&Line::Header {
        format: FORMAT.into(),
        version: VERSION,
        exported_at: now(),
        host: host.into(),
        goalie: env!("CARGO_PKG_VERSION").into(),
    })?;
    let mut total = 0u64;
    for goal in goals {
        let entries = ledger.entries(&goal.id)?;
        put(&Line::Goal(Box::new(goal_line(
            goal,
            ledger.spec(&goal.id)?,
            host,
            entries.len() as u64,
        ))))?;
        for entry in entries {
            put(&Line::Row(row_line(entry)))?;
            total += 1;
        }
    }
    put(&Line::End {
        goals: goals.len() as u64,
        rows: total,
    })?;
    out.flush()?;
    Ok(())
}

/// A failure while writing an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportWriteError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

fn goal_line(goal: &Goal, spec: Option<serde_json::Value>, host: &str, rows: u64) -> GoalLine {
    GoalLine {
        id: goal.id.clone(),
        objective: goal.objective.clone(),
        agent: goal.agent.clone(),
        workdir: goal.workdir.clone(),
        state: goal.state,
        max_turns: goal.max_turns,
        max_time_ms: goal.max_time_ms,
        budget_tokens: goal.budget_tokens,
        turns: goal.turns,
        tokens_used: goal.tokens_used,
        time_used_ms: goal.time_used_ms,
        created_at: goal.created_at.clone(),
        started_at: goal.started_at.clone(),
        ended_at: goal.ended_at.clone(),
        end_reason: goal.end_reason.clone(),
        spec,
        host: goal.host.clone().unwrap_or_else(|| host.to_string()),
        heartbeat_at: goal.heartbeat_at.clone(),
        rows,
    }
}

fn row_line(entry: Entry) -> RowLine {
    RowLine {
        goal_id: entry.goal_id,
        seq: entry.seq,
        at: entry.at,
        kind: entry.kind,
        data: entry.data,
    }
}

#[cfg(test)]
mod tests;
