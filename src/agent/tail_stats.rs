//! The work a session-log tail did, counted so that goalie's own cost can be
//! seen (the ledger's `stopped` row) and asserted on in tests.

use serde::Serialize;

/// The work a tail did: what makes goalie's cost visible (ledger `stopped` row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TailStats {
    /// Looks that found kernel events to handle.
    pub wakes: u64,
    /// The events handled.
    pub events: u64,
    /// Folder listings.
    pub dir_scans: u64,
    /// Files opened: a new file's first line, the followed file, a registry.
    pub files_opened: u64,
    /// Looks without an event: the slow fallback, or polling without inotify.
    pub rescans: u64,
    /// Queries of opencode's database.
    pub db_queries: u64,
}

impl TailStats {
    /// What was done since `earlier`.
    pub fn since(&self, earlier: &TailStats) -> TailStats {
        TailStats {
            wakes: self.wakes - earlier.wakes,
            events: self.events - earlier.events,
            dir_scans: self.dir_scans - earlier.dir_scans,
            files_opened: self.files_opened - earlier.files_opened,
            rescans: self.rescans - earlier.rescans,
            db_queries: self.db_queries - earlier.db_queries,
        }
    }
}
