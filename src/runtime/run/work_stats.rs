//! The supervisor's own work, counted so that its cost can be seen (the
//! `stopped` row's `supervisor_work`) and asserted on in tests: its clock's
//! ticks, looks at the screen, walks of the agent's process tree, readings of the tree's CPU time
//! and writes of the goal's counters.
//!
//! The walk of the agent's tree (every thread's `/proc/…/task/…/children`
//! file: some forty opens for Codex) is what finds a process the agent
//! started, whose CPU time is the hang watch's sign of work while the screen
//! and the session log say nothing. While they do say something (a reply
//! streams in), the tree's CPU is no sign that matters, so the tree is walked
//! only now and then ([`WALK_EVERY`], which also notes a process that may
//! later lose its parent); a turn quiet for [`QUIET_FOR_WALK_MS`] has it
//! walked at every reading of its CPU, as before.

use std::time::Duration;

use serde::Serialize;

/// A turn that showed no other sign of work for this long has its tree
/// walked at every reading of its CPU (every 2 s or more): shorter than that
/// period, so that a turn whose only sign is its CPU (a long build: each
/// reading is a sign) is walked each time; longer than the gaps of a reply
/// streaming in.
pub(super) const QUIET_FOR_WALK_MS: u64 = 1500;

/// Otherwise the tree is walked this rarely (outside turns too).
pub(super) const WALK_EVERY: Duration = Duration::from_secs(10);

/// What the supervisor did while it ran (a debug statistic in the ledger).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SupervisorWork {
    /// Ticks of the loop's clock (in a turn, when the output pauses, at
    /// least every half second: `cadence.rs`).
    pub ticks: u64,
    /// Looks at the screen (its rows read with the adapter's rules).
    pub looks: u64,
    /// Wake-ups of the loop that took in the agent's output, the chunks
    /// (reads of its PTY) they took in and their bytes: in a turn, small
    /// chunks close together are taken in a batch at a time
    /// (`cadence::hold_output`; the PTY holds them meanwhile, and gives
    /// them in one read).
    pub output_wakes: u64,
    pub chunks: u64,
    pub output_bytes: u64,
    /// Output events written to the recording: one per 100 ms of output at
    /// most, however many chunks it came in (`recording::EVENT_EVERY`).
    pub record_events: u64,
    /// Walks of the agent's process tree.
    pub tree_walks: u64,
    /// Readings of the CPU time of the agent's known processes.
    pub cpu_reads: u64,
    /// Writes of the goal's counters between turns' ends.
    pub progress_writes: u64,
    /// Of the ticks, those taken while the goal rested (paused at an idle
    /// prompt: `rest.rs`), when the clock stops but for output not yet
    /// looked at; and the wake-ups of the loop for the chores done then
    /// instead (the ledger's, claims, the session log), twice a second.
    pub rest_ticks: u64,
    pub rest_chores: u64,
}

/// Whether the agent's tree is to be walked now: `silent_ms`, how long the
/// turn under way has shown no sign of work (`None` outside a turn);
/// `since_walk`, the time since the last walk (`None`: none yet).
pub(super) fn walk_due(silent_ms: Option<u64>, since_walk: Option<Duration>) -> bool {
    since_walk.is_none_or(|since| since >= WALK_EVERY)
        || silent_ms.is_some_and(|ms| ms >= QUIET_FOR_WALK_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_is_walked_first_when_quiet_and_otherwise_every_ten_seconds() {
        assert!(walk_due(None, None), "the first look walks");
        // A reply streams in: signs of work every moment.
        assert!(!walk_due(Some(200), Some(s(2))));
        assert!(!walk_due(Some(0), Some(s(8))));
        assert!(walk_due(Some(0), Some(s(10))));
        // No other sign for 1.5 s or more: every look walks.
        assert!(walk_due(Some(QUIET_FOR_WALK_MS), Some(s(2))));
        assert!(walk_due(Some(30_000), Some(s(2))));
        // Outside a turn: now and then.
        assert!(!walk_due(None, Some(s(2))));
        assert!(walk_due(None, Some(s(12))));
    }

    #[test]
    fn over_a_streaming_minute_the_tree_is_walked_six_times_not_thirty() {
        // Readings every 2 s over 60 s of a turn whose screen changes all the time.
        let mut walks = 0;
        let mut last: Option<u64> = None;
        for reading in 0..30u64 {
            let now = reading * 2;
            if walk_due(Some(100), last.map(|at| s(now - at))) {
                walks += 1;
                last = Some(now);
            }
        }
        assert_eq!(walks, 6);
        // The same minute quiet (a hung model, a long build): every reading.
        let quiet = (0..30u64)
            .filter(|_| walk_due(Some(QUIET_FOR_WALK_MS + 1000), Some(s(2))))
            .count();
        assert_eq!(quiet, 30);
    }

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }
}
