//! Compactions of the agent's context as the supervisor sees them (the
//! session log's records, the screen's banners once they hold, the gauge's
//! falls; merged by [`Compactions`]), and the context gauge.

use crate::core::compaction::{Compacted, Compactions, Moment, Reading, Source};

/// How long a new compaction count must hold before it is believed.
const SETTLE_MS: u64 = 300;

#[derive(Debug, Clone)]
pub struct CompactionWatch {
    compactions: Compactions,
    /// Compaction banners of this agent process counted so far.
    banners: u32,
    /// A higher banner count, and since when: it counts once it has held for
    /// [`SETTLE_MS`] (a TUI redrawing its rows can show a line twice for a moment).
    candidate: Option<(u32, u64)>,
    /// A compaction happened since the last prompt: the next one restores the goal.
    pending: bool,
    /// The session log gives the context gauge (with the window): the screen's is ignored.
    gauge_from_log: bool,
    /// The latest gauge reading, percent of the window in use.
    gauge_pct: Option<u8>,
}

impl CompactionWatch {
    /// Watching `sources`, after `prior` compactions in earlier runs.
    pub fn new(sources: Vec<Source>, prior: u32) -> CompactionWatch {
        CompactionWatch {
            compactions: Compactions::new(sources, prior),
            banners: 0,
            candidate: None,
            pending: false,
            gauge_from_log: false,
            gauge_pct: None,
        }
    }

    /// Compactions of the goal so far, earlier runs included.
    pub fn total(&self) -> u32 {
        self.compactions.total()
    }

    /// The latest gauge reading, percent of the window in use.
    pub fn gauge_pct(&self) -> Option<u8> {
        self.gauge_pct
    }

    /// A compaction happened since the last prompt.
    pub fn pending(&self) -> bool {
        self.pending
    }

    /// A prompt is typed: whether it answers a compaction (then none is pending).
    pub fn take_pending(&mut self) -> bool {
        std::mem::take(&mut self.pending)
    }

    /// The session log said something: from now on it alone opens compactions.
    pub fn log_active(&mut self) {
        self.compactions.log_active();
    }

    /// A source reports a compaction: a new one is answered by the next prompt.
    pub fn report(&mut self, at: Moment, source: Source, before: Option<u64>) {
        if self.compactions.report(at, source, before) {
            self.pending = true;
        }
    }

    /// The screen's gauge, unless the session log gives it.
    pub fn screen_gauge(&mut self, at: Moment, used_pct: u8) {
        if !self.gauge_from_log {
            let reading = Reading {
                used_pct: Some(used_pct),
                tokens: None,
            };
            self.gauge(at, reading);
        }
    }

    /// The session log's context size, of a window of `window` (> 0) tokens:
    /// from now on the screen's gauge is ignored.
    pub fn log_gauge(&mut self, at: Moment, tokens: u64, window: u64) {
        self.gauge_from_log = true;
        let used_pct = (tokens.saturating_mul(100) / window).min(100) as u8;
        let reading = Reading {
            used_pct: Some(used_pct),
            tokens: Some(tokens),
        };
        self.gauge(at, reading);
    }

    /// A reading of the context gauge (a sudden fall is a compaction).
    fn gauge(&mut self, at: Moment, reading: Reading) {
        self.gauge_pct = reading.used_pct.or(self.gauge_pct);
        if self.compactions.reading(at, reading) {
            self.pending = true;
        }
    }

    /// The screen shows `count` compaction banners. A higher count counts once
    /// it has held ([`CompactionWatch::settle`]): a compaction per new banner.
    /// A lower one (a TUI redrawing its transcript without scrolling drops old
    /// banners from the screen) lowers the baseline at once.
    pub fn banners_shown(&mut self, now_ms: u64, count: u32) {
        if count < self.banners {
            self.banners = count;
            self.candidate = None;
        } else if count > self.banners {
            if self.candidate.map(|(candidate, _)| candidate) != Some(count) {
                self.candidate = Some((count, now_ms));
            }
        } else {
            self.candidate = None;
        }
    }

    /// A higher banner count is on screen that has not held long enough yet.
    pub fn banner_unsettled(&self) -> bool {
        self.candidate.is_some()
    }

    /// Whether a later tick may still report or close a compaction: a
    /// banner count not yet held, or an episode still open.
    pub fn settling(&self) -> bool {
        self.banner_unsettled() || self.compactions.any_open()
    }

    /// A higher banner count that has held for [`SETTLE_MS`] by `at` is
    /// reported, one compaction per new banner.
    pub fn settle(&mut self, at: Moment) {
        if let Some((count, since)) = self.candidate
            && at.now_ms.saturating_sub(since) >= SETTLE_MS
        {
            for _ in self.banners..count {
                self.report(at, Source::Screen, None);
            }
            self.banners = count;
            self.candidate = None;
        }
    }

    /// The `compacted` rows of the compactions that closed by `now_ms`.
    pub fn close_due(&mut self, now_ms: u64) -> Vec<Compacted> {
        self.compactions.close_due(now_ms)
    }

    /// The `compacted` rows of every open compaction (the run or the process ends).
    pub fn close_all(&mut self) -> Vec<Compacted> {
        self.compactions.close_all()
    }

    /// A new agent process: its screen, gauge and log start again, and it
    /// knows nothing of the old one's compactions.
    pub fn new_process(&mut self) {
        self.banners = 0;
        self.candidate = None;
        self.pending = false;
        self.compactions.new_process();
        self.gauge_from_log = false;
        self.gauge_pct = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(now_ms: u64) -> Moment {
        Moment {
            now_ms,
            turn: 1,
            mid_turn: true,
        }
    }

    fn watch(sources: &[Source]) -> CompactionWatch {
        CompactionWatch::new(sources.to_vec(), 0)
    }

    #[test]
    fn a_new_banner_counts_once_it_has_held() {
        let mut watch = watch(&[Source::Screen]);
        watch.banners_shown(1000, 1);
        watch.settle(at(1000 + SETTLE_MS - 1));
        assert!(!watch.pending());
        assert_eq!(watch.total(), 0);
        watch.banners_shown(1100, 1); // The same count again: still since 1000.
        watch.settle(at(1000 + SETTLE_MS));
        assert!(watch.pending());
        assert_eq!(watch.total(), 1);
        assert!(watch.take_pending());
        assert!(!watch.pending());
        assert_eq!(watch.close_due(1000 + SETTLE_MS).len(), 1);
    }

    #[test]
    fn a_banner_that_vanishes_before_it_holds_is_no_compaction() {
        let mut watch = watch(&[Source::Screen]);
        watch.banners_shown(0, 1);
        watch.banners_shown(100, 0);
        watch.settle(at(1000));
        assert_eq!(watch.total(), 0);
    }

    #[test]
    fn a_lower_banner_count_lowers_the_baseline_at_once() {
        let mut watch = watch(&[Source::Screen]);
        watch.banners_shown(0, 2);
        watch.settle(at(SETTLE_MS));
        assert_eq!(watch.total(), 2, "one compaction per new banner");
        watch.banners_shown(1000, 1); // Redrawn without the oldest one.
        watch.banners_shown(2000, 2); // A new one scrolls in.
        watch.settle(at(2000 + SETTLE_MS));
        assert_eq!(watch.total(), 3);
    }

    #[test]
    fn the_logs_gauge_wins_over_the_screens() {
        let mut watch = watch(&[Source::Gauge]);
        watch.screen_gauge(at(0), 70);
        assert_eq!(watch.gauge_pct(), Some(70));
        watch.log_gauge(at(10), 50_000, 200_000);
        assert_eq!(watch.gauge_pct(), Some(25));
        watch.screen_gauge(at(20), 90);
        assert_eq!(watch.gauge_pct(), Some(25), "the screen's gauge is ignored");
        watch.log_gauge(at(30), 900_000, 200_000);
        assert_eq!(watch.gauge_pct(), Some(100), "at most the whole window");
    }

    #[test]
    fn a_fall_of_the_gauge_is_a_compaction() {
        let mut watch = watch(&[Source::Gauge]);
        watch.screen_gauge(at(0), 80);
        watch.screen_gauge(at(10), 30);
        assert!(watch.pending());
        assert_eq!(watch.total(), 1);
    }

    #[test]
    fn a_new_process_starts_the_screen_and_the_gauge_again() {
        let mut watch = watch(&[Source::Screen, Source::Gauge]);
        watch.banners_shown(0, 1);
        watch.settle(at(SETTLE_MS));
        watch.log_gauge(at(SETTLE_MS), 10, 100);
        assert!(watch.pending());
        assert_eq!(watch.close_all().len(), 1);
        watch.new_process();
        assert!(!watch.pending(), "the new process knows nothing of it");
        assert_eq!(watch.gauge_pct(), None);
        assert_eq!(watch.total(), 1, "the goal's count stays");
        // The new process's first banner is a new compaction; its screen gauge counts.
        watch.banners_shown(1000, 1);
        watch.settle(at(1000 + SETTLE_MS));
        assert_eq!(watch.total(), 2);
        watch.screen_gauge(at(2000), 40);
        assert_eq!(watch.gauge_pct(), Some(40));
    }
}
