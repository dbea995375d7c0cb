//! `goalie export [GOAL…|--all]` and `goalie import FILE…`: goals and their
//! ledgers as JSON lines (docs/export.md), so the ledgers of many machines
//! (a CI matrix's artifacts) become one. Import reads every file whole
//! before it writes anything, and writes in one transaction: a garbled
//! line or a conflicting goal leaves the database as it was.

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::ledger::export::{self, Exported};
use crate::ledger::host::this_host;
use crate::ledger::{Goal, ImportError, Imported, Ledger};

/// `goalie export`: the named goals (ids or unique prefixes), or every goal
/// with `all`, to stdout.
pub fn export(db: &Path, ids: &[String], all: bool) -> Result<i32, Error> {
    if ids.is_empty() && !all {
        return Err(Error::Usage(
            "name the goals to export, or give --all for every goal".into(),
        ));
    }
    let ledger = Ledger::open_read_only(db)?;
    let goals = if all {
        let mut goals = ledger.goals()?;
        // Oldest first: the order they were made in.
        goals.reverse();
        goals
    } else {
        let mut goals = Vec::new();
        for id in ids {
            let goal = ledger.goal(id)?;
            if !goals.iter().any(|g: &Goal| g.id == goal.id) {
                goals.push(goal);
            }
        }
        goals
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match export::write(&ledger, &goals, &this_host(), &mut out) {
        Ok(()) => Ok(0),
        Err(export::ExportWriteError::Ledger(err)) => Err(err.into()),
        Err(export::ExportWriteError::Io(err)) if err.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(0)
        }
        Err(export::ExportWriteError::Io(err)) => Err(Error::io("cannot write the export", err)),
    }
}

/// `goalie import FILE…` (`-` is stdin).
pub fn import(db: &Path, files: &[PathBuf]) -> Result<i32, Error> {
    let mut goals: Vec<Exported> = Vec::new();
    for file in files {
        let name = file.display().to_string();
        let read = if file.as_os_str() == "-" {
            export::read("stdin", std::io::stdin().lock())
        } else {
            let opened = std::fs::File::open(file)
                .map_err(|err| Error::io(format!("cannot read {name}"), err))?;
            export::read(&name, BufReader::new(opened))
        };
        let read = read.map_err(|err| Error::Usage(format!("{err}; nothing was imported")))?;
        goals.extend(read);
    }
    let mut ledger = Ledger::open(db)?;
    let outcomes = ledger.import(&goals).map_err(|err| match err {
        ImportError::Conflict { .. } => Error::Usage(format!("{err}; nothing was imported")),
        ImportError::Ledger(err) => Error::Ledger(err),
    })?;
    let mut out = std::io::stdout().lock();
    let (mut added, mut rows) = (0, 0);
    for (exported, outcome) in goals.iter().zip(&outcomes) {
        let id = &exported.goal.id;
        let line = match outcome {
            Imported::Added(n) => {
                added += 1;
                rows += n;
                format!("goal {id}: added, {n} rows")
            }
            Imported::Extended(n) => {
                rows += n;
                format!("goal {id}: was here, {n} newer rows added")
            }
            Imported::Same => format!("goal {id}: already here with the same rows"),
            Imported::Older => format!("goal {id}: already here with newer rows; nothing added"),
        };
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "goalie: imported {added} new goals and {rows} rows into {}",
        ledger.path().display()
    );
    Ok(0)
}
