//! The timeline of one turn: when it works, compacts, goes silent and ends.

use crate::sim::scenario::Turn;
use std::time::Duration;

/// What the status line shows during a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activity {
    Working,
    Compacting,
}

/// Times relative to the start of the turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Timeline {
    /// Start and end of the compaction, if any.
    compaction: Option<(Duration, Duration)>,
    /// Start and end of the silent stretch, if any.
    silence: Option<(Duration, Duration)>,
    /// When the reply is written.
    end: Duration,
}

impl Timeline {
    /// The compaction starts at `compact_at_ms` (else in the middle of `work_ms`) and adds `compact_ms`
    /// to the turn; a silent stretch reaching past the work lengthens the turn.
    pub(crate) fn new(turn: &Turn) -> Self {
        let ms = Duration::from_millis;
        let work = ms(turn.work_ms);
        let compaction = turn.compact.then(|| {
            let start = turn.compact_at_ms.map_or(work / 2, ms).min(work);
            (start, start + ms(turn.compact_ms))
        });
        let busy = work + compaction.map_or(Duration::ZERO, |(s, e)| e - s);
        let silence = (turn.silent_ms > 0).then(|| {
            let start = ms(turn.silent_at_ms);
            (start, start + ms(turn.silent_ms))
        });
        let end = busy.max(silence.map_or(Duration::ZERO, |(_, e)| e));
        Timeline {
            compaction,
            silence,
            end,
        }
    }

    pub(crate) fn activity(&self, t: Duration) -> Activity {
        match self.compaction {
            Some((start, end)) if (start..end).contains(&t) => Activity::Compacting,
            _ => Activity::Working,
        }
    }

    pub(crate) fn is_silent(&self, t: Duration) -> bool {
        self.silence
            .is_some_and(|(start, end)| (start..end).contains(&t))
    }

    /// When the compaction finishes (and `• Context compacted` is written).
    pub(crate) fn compaction_end(&self) -> Option<Duration> {
        self.compaction.map(|(_, end)| end)
    }

    pub(crate) fn end(&self) -> Duration {
        self.end
    }

    /// The next phase boundary strictly after `t`, if any.
    pub(crate) fn next_boundary(&self, t: Duration) -> Option<Duration> {
        let mut points = vec![self.end];
        for (start, end) in [self.compaction, self.silence].into_iter().flatten() {
            points.extend([start, end]);
        }
        points.into_iter().filter(|&p| p > t).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn plain_turn() {
        let t = Timeline::new(&Turn {
            work_ms: 1500,
            ..Turn::default()
        });
        assert_eq!(t.end(), 1500 * MS);
        assert_eq!(t.activity(1000 * MS), Activity::Working);
        assert!(!t.is_silent(Duration::ZERO));
        assert_eq!(t.compaction_end(), None);
        assert_eq!(t.next_boundary(Duration::ZERO), Some(1500 * MS));
        assert_eq!(t.next_boundary(1500 * MS), None);
    }

    #[test]
    fn compaction_in_the_middle() {
        let t = Timeline::new(&Turn {
            work_ms: 2000,
            compact: true,
            compact_ms: 500,
            ..Turn::default()
        });
        assert_eq!(t.activity(999 * MS), Activity::Working);
        assert_eq!(t.activity(1000 * MS), Activity::Compacting);
        assert_eq!(t.activity(1499 * MS), Activity::Compacting);
        assert_eq!(t.activity(1500 * MS), Activity::Working);
        assert_eq!(t.compaction_end(), Some(1500 * MS));
        assert_eq!(t.end(), 2500 * MS);
        assert_eq!(t.next_boundary(Duration::ZERO), Some(1000 * MS));
    }

    #[test]
    fn silence_can_lengthen_the_turn() {
        let t = Timeline::new(&Turn {
            work_ms: 1000,
            silent_at_ms: 500,
            silent_ms: 3000,
            ..Turn::default()
        });
        assert!(!t.is_silent(499 * MS));
        assert!(t.is_silent(500 * MS));
        assert!(t.is_silent(3499 * MS));
        assert!(!t.is_silent(3500 * MS));
        assert_eq!(t.end(), 3500 * MS);
    }
}
