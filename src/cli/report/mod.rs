//! `goalie report [GOAL]`: what happened to a goal, for a person. A summary
//! first (state, the limit that stopped it by name, turns, tokens, time,
//! compactions, claims and their fate), a table of the turns, the audit steps,
//! and the wrap-up reply and the last reply quoted; every row only with
//! `--rows`. `--json` prints the report as one document (docs/report-json.md);
//! `--html FILE` writes it as one self-contained page.
//!
//! The report itself is read off the ledger in [`crate::ledger::report`];
//! `text.rs` prints it, `html.rs` draws it, `rows.rs` renders single rows.

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::ledger::report::GoalReport;
use crate::ledger::{Entry, Goal, Ledger, LedgerError};

mod html;
mod rows;
mod text;

pub use rows::{one_line, render, render_at};

/// How `goalie report` shows the report.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Every row too.
    pub rows: bool,
    /// One JSON document instead of text.
    pub json: bool,
    /// Write a self-contained HTML page here (instead of the text).
    pub html: Option<std::path::PathBuf>,
}

/// Shows the report of goal `id` (the latest if `None`).
pub fn show(db: &Path, id: Option<&str>, options: &ReportOptions) -> Result<i32, Error> {
    let (goal, entries) = read(db, id)?;
    let report = GoalReport::build(&goal, &entries, options.rows);
    let mut out = std::io::stdout().lock();
    if options.json {
        let json = serde_json::to_string_pretty(&report)
            .map_err(|err| Error::io("cannot write the report as JSON", err.into()))?;
        let _ = writeln!(out, "{json}");
    } else if let Some(file) = &options.html {
        let page = html::page(&report, &entries)?;
        std::fs::write(file, page)
            .map_err(|err| Error::io(format!("cannot write {}", file.display()), err))?;
        let _ = writeln!(
            out,
            "goalie: wrote the report of goal {} to {}",
            goal.id,
            file.display()
        );
    } else {
        for line in text::lines(&report, &entries, options.rows) {
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(0)
}

/// The goal `id` (the latest if `None`) and its rows.
fn read(db: &Path, id: Option<&str>) -> Result<(Goal, Vec<Entry>), Error> {
    let ledger = Ledger::open_read_only(db)?;
    let goal = match id {
        Some(id) => ledger.goal(id)?,
        None => ledger
            .goals()?
            .into_iter()
            .next()
            .ok_or_else(|| LedgerError::Empty(ledger.path().to_path_buf()))?,
    };
    let entries = ledger.entries(&goal.id)?;
    Ok((goal, entries))
}
