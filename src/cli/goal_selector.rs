//! Which goal a command means: an id, a unique prefix of one, or, when none is
//! given, the one goal whose supervisor runs in the current directory.

use std::path::{Path, PathBuf};

use crate::agent::process_key;
use crate::control::{Client, ControlError};
use crate::error::Error;
use crate::ledger::host::{Remote, remote_supervisor};
use crate::ledger::{Goal, Ledger, LedgerError};

/// What an omitted GOAL falls back to when no goal runs here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The newest goal (`goalie status`).
    Latest,
    /// None: the user must name one.
    None,
}

/// Whether the goal's supervisor process is alive right now: its pid runs,
/// is no zombie, and (where the ledger recorded it) started when the
/// supervisor did, so a pid given to another process reads as dead.
/// A supervisor recorded on another host is not one of this machine's
/// processes whatever its pid: see [`remote`].
pub fn supervisor_alive(goal: &Goal) -> bool {
    remote(goal).is_none()
        && goal
            .supervisor_pid
            .is_some_and(|pid| process_key::is_running(pid, goal.supervisor_start))
}

/// The goal's supervisor, when the ledger records one on another host:
/// whether it lives is its heartbeat's age.
pub fn remote(goal: &Goal) -> Option<Remote> {
    remote_supervisor(
        goal.supervisor_pid,
        goal.host.as_deref(),
        goal.heartbeat_at.as_deref(),
    )
}

/// The goal `arg` names, or the one running in `cwd` (or below its workdir).
pub fn select(
    ledger: &Ledger,
    arg: Option<&str>,
    cwd: &Path,
    fallback: Fallback,
) -> Result<Goal, Error> {
    if let Some(id) = arg {
        return Ok(ledger.goal(id)?);
    }
    let goals = ledger.goals()?;
    let here = canonical(cwd);
    let running: Vec<&Goal> = goals
        .iter()
        .filter(|goal| {
            supervisor_alive(goal) && here.starts_with(canonical(Path::new(&goal.workdir)))
        })
        .collect();
    match (running.as_slice(), fallback) {
        ([only], _) => Ok((*only).clone()),
        ([], Fallback::Latest) => goals
            .into_iter()
            .next()
            .ok_or_else(|| LedgerError::Empty(ledger.path().to_path_buf()).into()),
        ([], Fallback::None) => Err(Error::Usage(format!(
            "no goal runs in {}: name one (see `goalie ls`)",
            cwd.display()
        ))),
        (several, _) => Err(Error::Usage(format!(
            "several goals run in {}: {}; name one",
            cwd.display(),
            several
                .iter()
                .map(|goal| goal.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A connection to the goal's supervisor, if one runs. A socket that does not
/// answer while the supervisor's process lives is an error: acting on the
/// database behind a running supervisor's back would be lost or fight it.
pub fn connect(goal: &Goal) -> Result<Option<Client>, Error> {
    if remote(goal).is_some() {
        // Its socket, if the path names one here, is not its.
        return Ok(None);
    }
    let Some(path) = goal.control_socket.as_deref().map(PathBuf::from) else {
        return Ok(None);
    };
    match Client::connect(&path) {
        Ok(client) => Ok(Some(client)),
        Err(_) if !supervisor_alive(goal) => Ok(None),
        Err(source) => Err(ControlError::NoAnswer {
            goal: goal.id.clone(),
            pid: goal.supervisor_pid.unwrap_or(0),
            path,
            source,
        }
        .into()),
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
