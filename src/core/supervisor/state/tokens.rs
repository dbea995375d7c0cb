//! The goal's token count: the agent process's running total (from its
//! screen, or from its session log once that gives one) on top of what
//! earlier processes and runs used, and what the ledger already holds.

/// Where a token figure came from, as the ledger names it.
const SCREEN: &str = "screen";
const SESSION_LOG: &str = "session_log";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// Tokens used by the goal so far, earlier runs included.
    used: u64,
    /// The count the ledger holds (its last `tokens` row, or the earlier runs').
    recorded: u64,
    /// Tokens used when this agent process started (its figures count from zero).
    base: u64,
    /// Where the figure comes from: once the session log gives one, the screen's is ignored.
    source: &'static str,
}

impl Tokens {
    /// Counting from `prior`, what earlier runs used.
    pub fn new(prior: u64) -> Tokens {
        Tokens {
            used: prior,
            recorded: prior,
            base: prior,
            source: SCREEN,
        }
    }

    pub fn used(&self) -> u64 {
        self.used
    }

    /// The screen shows this process's running total.
    pub fn screen(&mut self, total: u64) {
        if self.source == SCREEN {
            self.used = self.base + total;
        }
    }

    /// The session log gives this process's running total.
    pub fn log(&mut self, total: u64) {
        self.source = SESSION_LOG;
        self.used = self.base + total;
    }

    /// A new agent process starts: its figures count from zero.
    pub fn new_process(&mut self) {
        self.base = self.used;
    }

    /// The count and its source, when the ledger does not hold it yet; it is
    /// then taken as recorded.
    pub fn unrecorded(&mut self) -> Option<(u64, &'static str)> {
        if self.used == self.recorded {
            return None;
        }
        self.recorded = self.used;
        Some((self.used, self.source))
    }

    /// A total the session log gives after the run stopped: the new count,
    /// taken as recorded, when it is higher than the one so far.
    pub fn late(&mut self, total: u64) -> Option<u64> {
        let used = self.base + total;
        if used <= self.used {
            return None;
        }
        self.used = used;
        self.source = SESSION_LOG;
        self.recorded = used;
        Some(used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_screens_figure_counts_until_the_log_gives_one() {
        let mut tokens = Tokens::new(100);
        tokens.screen(50);
        assert_eq!(tokens.used(), 150);
        tokens.log(40);
        assert_eq!(tokens.used(), 140);
        tokens.screen(900);
        assert_eq!(
            tokens.used(),
            140,
            "the screen is ignored once the log counts"
        );
        assert_eq!(tokens.unrecorded(), Some((140, "session_log")));
    }

    #[test]
    fn a_count_is_recorded_once() {
        let mut tokens = Tokens::new(100);
        assert_eq!(tokens.unrecorded(), None, "the earlier runs' count is held");
        tokens.screen(20);
        assert_eq!(tokens.unrecorded(), Some((120, "screen")));
        assert_eq!(tokens.unrecorded(), None);
    }

    #[test]
    fn a_new_process_counts_on_top_of_the_old_ones() {
        let mut tokens = Tokens::new(0);
        tokens.screen(300);
        tokens.new_process();
        tokens.screen(10);
        assert_eq!(tokens.used(), 310);
    }

    #[test]
    fn a_late_total_counts_only_when_higher() {
        let mut tokens = Tokens::new(0);
        tokens.screen(500);
        assert_eq!(tokens.late(400), None);
        assert_eq!(tokens.used(), 500);
        assert_eq!(tokens.late(650), Some(650));
        assert_eq!(tokens.used(), 650);
        assert_eq!(
            tokens.unrecorded(),
            None,
            "a late total is recorded as it comes"
        );
        tokens.screen(9000);
        assert_eq!(tokens.used(), 650, "the late total came from the log");
    }
}
