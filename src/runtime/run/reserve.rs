//! Room kept for a trustworthy end when the disk fills: a run keeps a file
//! of [`RESERVE_BYTES`] beside the database (`DB.reserve-GOAL`) and deletes
//! it when a write fails with "database or disk is full", so that the goal
//! can still be left paused with its `transition` and `stopped` rows. The
//! file goes at the end of the run; one a killed run left is used again by
//! the goal's next run. A PostgreSQL ledger's disk is the server's: no room
//! is kept for it here.

use std::io::Write;
use std::path::{Path, PathBuf};

/// How much room is kept: several transactions' worth of WAL frames.
const RESERVE_BYTES: usize = 256 * 1024;

/// The kept room, while the run lasts.
pub(super) struct Reserve {
    path: Option<PathBuf>,
}

impl Reserve {
    /// Keeps room beside `db` for goal `goal_id` (as much as the disk gives).
    pub(super) fn keep(db: &Path, goal_id: &str) -> Reserve {
        if crate::ledger::is_postgres(db) {
            return Reserve { path: None };
        }
        let mut name = db.as_os_str().to_owned();
        name.push(format!(".reserve-{goal_id}"));
        let path = PathBuf::from(name);
        let written = std::fs::File::create(&path).and_then(|mut file| {
            file.write_all(&vec![0x5a; RESERVE_BYTES])
                .and(file.sync_all())
        });
        if let Err(err) = written {
            tracing::warn!(%err, path = %path.display(), "could not keep room for the end of the run");
        }
        Reserve { path: Some(path) }
    }

    /// Gives the room back to the disk; whether there was any.
    pub(super) fn release(&self) -> bool {
        self.path
            .as_ref()
            .is_some_and(|path| std::fs::remove_file(path).is_ok())
    }
}

impl Drop for Reserve {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}
