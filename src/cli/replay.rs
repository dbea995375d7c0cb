//! `goalie replay GOAL [--turn N] [--speed X] [--process N]`: plays a goal's
//! recordings of the agent's screen (asciicast v2, see
//! [`crate::agent::recording`]) in this terminal, or to a pipe. `--turn N`
//! jumps to the prompt of turn N: what came before is drawn at once, so the
//! screen is as it was, and the rest plays at the chosen speed. Ctrl-C (or
//! SIGINT, SIGTERM, SIGHUP) stops it with the terminal put back
//! (`replay_stop.rs`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::replay_stop::Stop;
use crate::agent::recording::{Cast, CastEvent};
use crate::core::row::{Row, RowKind};
use crate::error::Error;
use crate::ledger::{Ledger, LedgerError};
use crate::terminal;

/// A pause in a recording longer than this plays as this (before `--speed`).
const IDLE_LIMIT: Duration = Duration::from_secs(2);

/// What to play.
pub struct Replay<'a> {
    pub goal: Option<&'a str>,
    pub turn: Option<u32>,
    pub speed: f64,
    pub process: Option<u32>,
}

/// The goal's recordings the ledger names, by process: (process, path).
pub fn recordings(ledger: &Ledger, goal_id: &str) -> Result<Vec<(u32, PathBuf)>, Error> {
    let mut found: Vec<(u32, PathBuf)> = Vec::new();
    for entry in ledger.entries(goal_id)? {
        if !entry.is(RowKind::Recording) {
            continue;
        }
        if let Row::Recording { process, path } = entry.row() {
            found.retain(|(number, _)| *number != process);
            found.push((process, PathBuf::from(path)));
        }
    }
    found.sort();
    Ok(found)
}

pub fn replay(db: &Path, what: &Replay<'_>) -> Result<i32, Error> {
    if !(what.speed.is_finite() && what.speed > 0.0) {
        return Err(Error::Usage(
            "--speed must be more than 0 (e.g. 2 or 0.5)".into(),
        ));
    }
    let ledger = Ledger::open_read_only(db)?;
    let goal = match what.goal {
        Some(id) => ledger.goal(id)?,
        None => ledger
            .goals()?
            .into_iter()
            .next()
            .ok_or_else(|| LedgerError::Empty(ledger.path().to_path_buf()))?,
    };
    let mut files = recordings(&ledger, &goal.id)?;
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "goal {} has no recording (recorded with --no-record or `record: false`?)",
            goal.id
        )));
    }
    if let Some(process) = what.process {
        files.retain(|(number, _)| *number == process);
        if files.is_empty() {
            return Err(Error::Usage(format!(
                "goal {} has no recording of agent process {process}",
                goal.id
            )));
        }
    }
    let mut casts = Vec::new();
    for (process, path) in files {
        if !path.exists() {
            eprintln!(
                "goalie: the recording of agent process {process} was deleted (the goal's recordings reached their cap): {}",
                path.display()
            );
            continue;
        }
        casts.push(Cast::read(&path).map_err(Error::Usage)?);
    }
    // Where to start: (the cast, the event), the marker of turn N's prompt.
    let start = match what.turn {
        None => (0, 0),
        Some(turn) => find_turn(&casts, turn).ok_or_else(|| {
            Error::Usage(format!(
                "no recording of goal {} has turn {turn} (see `goalie report {}`)",
                goal.id, goal.id
            ))
        })?,
    };
    let to_terminal = nix::unistd::isatty(std::io::stdout()).unwrap_or(false);
    let stop = Stop::install(to_terminal && nix::unistd::isatty(std::io::stdin()).unwrap_or(false));
    let mut out = std::io::stdout().lock();
    let mut stopped = None;
    for (index, cast) in casts.iter().enumerate().skip(start.0) {
        if to_terminal {
            // Each agent process drew on a clean screen.
            let _ = out.write_all(b"\x1b[H\x1b[2J");
        }
        let from = if index == start.0 { start.1 } else { 0 };
        stopped = play(&mut out, &cast.events, from, what.speed, &stop);
        if stopped.is_some() {
            break;
        }
    }
    if to_terminal {
        let _ = out.write_all(terminal::RESET_ALL);
    }
    let _ = out.flush();
    drop(out);
    // The keyboard's modes back before the exit.
    drop(stop);
    Ok(stopped.unwrap_or(0))
}

/// The first cast and event where turn `turn`'s prompt was typed.
fn find_turn(casts: &[Cast], turn: u32) -> Option<(usize, usize)> {
    let label = format!("turn {turn}:");
    casts.iter().enumerate().find_map(|(i, cast)| {
        cast.events
            .iter()
            .position(|e| e.code == "m" && e.data.starts_with(&label))
            .map(|event| (i, event))
    })
}

/// Writes the output of `events`: those before `from` at once, the rest in
/// the recording's time divided by `speed`. Returns the exit code when
/// `stop` stopped it first.
fn play(
    out: &mut impl Write,
    events: &[CastEvent],
    from: usize,
    speed: f64,
    stop: &Stop,
) -> Option<i32> {
    let mut last = events.get(from).map_or(0.0, |e| e.seconds);
    for (i, event) in events.iter().enumerate() {
        if i >= from {
            let pause = Duration::from_secs_f64((event.seconds - last).max(0.0)).min(IDLE_LIMIT);
            last = event.seconds;
            if !pause.is_zero() {
                let _ = out.flush();
                if let Some(code) = stop.sleep(pause.div_f64(speed)) {
                    return Some(code);
                }
            }
        }
        if let Some(code) = stop.stopped() {
            return Some(code);
        }
        if event.code == "o" && out.write_all(event.data.as_bytes()).is_err() {
            // The reader went away (a closed pipe): nothing more to play.
            return None;
        }
    }
    None
}
