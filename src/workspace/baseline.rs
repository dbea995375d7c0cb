//! The workspace's baseline taken off the caller's thread: a run starts it
//! before it spawns the agent and goes on at once, so that a slow `git
//! status` (seconds in a large repository) never holds up the event loop
//! that answers the agent's start-up terminal queries and reads its screen.
//! The first measurement waits for the baseline, so every turn is still
//! measured against the workspace as it was when the run began.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use super::Tracker;

/// A workspace tracker whose first look may still be under way.
#[derive(Debug)]
pub struct Baseline {
    root: PathBuf,
    /// The first look, on a thread of its own, until it is joined.
    taking: Option<JoinHandle<Tracker>>,
    tracker: Option<Tracker>,
}

impl Baseline {
    /// Starts looking at `root` on a thread of its own; returns at once.
    pub fn start(root: &Path) -> Baseline {
        let looked_at = root.to_path_buf();
        let taking = std::thread::Builder::new()
            .name("goalie-baseline".into())
            .spawn(move || Tracker::new(&looked_at))
            .ok();
        // No thread to be had: the look is taken here, as it always was.
        let tracker = taking.is_none().then(|| Tracker::new(root));
        Baseline {
            root: root.to_path_buf(),
            taking,
            tracker,
        }
    }

    /// Whether the first look is done (nothing waits for it).
    #[cfg(test)]
    fn taken(&self) -> bool {
        self.taking.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// The tracker, once its first look is done (waits for it).
    pub fn tracker(&mut self) -> &mut Tracker {
        if let Some(handle) = self.taking.take() {
            // A look that panicked is taken again here.
            self.tracker = handle.join().ok();
        }
        let root = &self.root;
        self.tracker.get_or_insert_with(|| Tracker::new(root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::progress::Change;

    #[test]
    fn the_first_measurement_is_against_the_workspace_when_the_look_began() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.txt"), "one").unwrap();
        let mut baseline = Baseline::start(root);
        // Whatever the thread's progress, the look it took is the baseline.
        let tracker = baseline.tracker();
        assert!(baseline_is_still(tracker));
        std::fs::write(root.join("b.txt"), "two").unwrap();
        assert_eq!(baseline.tracker().measure().change, Change::Content);
        assert!(baseline.taken());
    }

    fn baseline_is_still(tracker: &mut Tracker) -> bool {
        tracker.measure().change == Change::None
    }
}
