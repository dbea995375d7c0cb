//! Time goalie waits, idle, for the user (the goal paused, the terminal taken
//! over): it is not spent on the goal.

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdleTime {
    /// Since when goalie has typed nothing while idle.
    since: Option<u64>,
    /// The idle stretches that ended.
    total_ms: u64,
}

impl IdleTime {
    /// goalie types nothing from now on.
    pub fn begin(&mut self, now_ms: u64) {
        self.since = Some(now_ms);
    }

    /// goalie types again (or ends the process): the stretch is over.
    pub fn end(&mut self, now_ms: u64) {
        if let Some(since) = self.since.take() {
            self.total_ms += now_ms.saturating_sub(since);
        }
    }

    /// Idle time by `now_ms`, the stretch under way included.
    pub fn total_ms(&self, now_ms: u64) -> u64 {
        self.total_ms + self.since.map_or(0, |since| now_ms.saturating_sub(since))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_stretches_add_up_and_the_open_one_counts() {
        let mut idle = IdleTime::default();
        assert_eq!(idle.total_ms(5000), 0);
        idle.begin(1000);
        assert_eq!(idle.total_ms(1500), 500);
        idle.end(3000);
        assert_eq!(
            idle.total_ms(10_000),
            2000,
            "an ended stretch no longer grows"
        );
        idle.begin(10_000);
        assert_eq!(idle.total_ms(10_250), 2250);
    }

    #[test]
    fn ending_without_a_stretch_changes_nothing() {
        let mut idle = IdleTime::default();
        idle.end(4000);
        assert_eq!(idle.total_ms(9000), 0);
        idle.begin(100);
        idle.end(200);
        idle.end(900);
        assert_eq!(idle.total_ms(9000), 100);
    }
}
