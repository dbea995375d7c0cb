//! The recording of the agent's screen ([`Recorder`]): one file per agent
//! process, started with the process, fed every byte the agent writes, and
//! marked where the ledger says something happened (the markers come from
//! the ledger's observer, so every row appended anywhere is seen).

use crate::agent::recording::{Recorder, recordings_dir};
use crate::core::row::{Row, RowKind};
use crate::error::Error;
use crate::ledger::Entry;

use super::perform::describe;
use super::shell::{SharedRecorder, Shell};

/// The marker for a ledger row, if it is one a player should jump to.
pub(super) fn marker(entry: &Entry) -> Option<String> {
    const MARKED: [RowKind; 7] = [
        RowKind::Injection,
        RowKind::TurnEnded,
        RowKind::Compacted,
        RowKind::Claim,
        RowKind::ClaimAccepted,
        RowKind::ClaimNotAccepted,
        RowKind::ClaimRejected,
    ];
    // Only the rows marked are read (the others are many: tokens, screens).
    if !MARKED.iter().any(|kind| entry.is(*kind)) {
        return None;
    }
    Some(match entry.row() {
        Row::Injection { turn, prompt, .. } => {
            format!("turn {turn}: {} prompt", describe(prompt))
        }
        Row::TurnEnded { turn, .. } => format!("turn {turn} ended"),
        Row::Compacted(compacted) => format!(
            "compaction {} (turn {})",
            compacted.compaction, compacted.turn
        ),
        Row::Claim { turn, claim, .. } => format!("claim: {} (turn {turn})", claim.status()),
        Row::ClaimAccepted { turn, .. } => format!("audit: the claim of turn {turn} accepted"),
        Row::ClaimNotAccepted { turn, .. } => {
            format!("audit: the claim of turn {turn} not accepted")
        }
        Row::ClaimRejected { turn, .. } => format!("audit: the claim of turn {turn} rejected"),
        _ => return None,
    })
}

/// Puts the marker of `entry`, if any, in the recording.
pub(super) fn mark(recording: &SharedRecorder, entry: &Entry) {
    let Ok(mut recorder) = recording.try_borrow_mut() else {
        return;
    };
    if let Some(recorder) = recorder.as_mut()
        && let Some(label) = marker(entry)
    {
        recorder.marker(&label);
        recorder.flush();
    }
}

impl Shell<'_> {
    /// Starts recording the current agent process (unless `--no-record`),
    /// and records where in the ledger; a recording that cannot start is
    /// only a warning.
    pub(super) fn start_recording(&mut self) -> Result<(), Error> {
        // The last process's recording ends first.
        self.recording.replace(None);
        let Some(cap) = self.spec.record else {
            return Ok(());
        };
        let dir = recordings_dir();
        let size = (self.launch.rows, self.launch.cols);
        match Recorder::create(
            &dir,
            &self.goal_id,
            self.process,
            size,
            cap,
            self.ledger.redactor().clone(),
        ) {
            Ok(recorder) => {
                let path = recorder.path().display().to_string();
                self.recording.replace(Some(recorder));
                self.ledger.append(
                    &self.goal_id,
                    &Row::Recording {
                        process: self.process,
                        path,
                    },
                )?;
            }
            Err(err) => {
                tracing::warn!(%err, dir = %dir.display(), "cannot record the agent's screen");
            }
        }
        Ok(())
    }

    /// The agent wrote `chunk`: into the recording (gathered with the
    /// chunks around it into one event: the events written are counted).
    pub(super) fn record_output(&mut self, chunk: &[u8]) {
        if let Some(recorder) = self.recording.borrow_mut().as_mut() {
            self.watch.work.record_events += u64::from(recorder.output(chunk));
        }
    }

    /// The agent's screen changed size.
    pub(super) fn record_resize(&self, rows: u16, cols: u16) {
        if let Some(recorder) = self.recording.borrow_mut().as_mut() {
            recorder.resize(rows, cols);
        }
    }

    /// Writes what the recording buffered (once a tick, and at the end).
    pub(super) fn flush_recording(&mut self) {
        if let Some(recorder) = self.recording.borrow_mut().as_mut() {
            self.watch.work.record_events += u64::from(recorder.flush());
        }
    }
}
