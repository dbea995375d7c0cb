//! Turn-complete signals, from the agent's session log or its hook: which
//! sources signal, which signalled the turn under way, and which owe a late
//! signal for the turn before.

/// How late a turn's signal can come, after the turn ended by the screen.
pub const LATE_SIGNAL_MS: u64 = 5_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnSignals {
    /// Where turn-complete signals have come from in this run (`hook`, `session_log`).
    sources: Vec<&'static str>,
    /// The sources that have signalled the turn under way.
    this_turn: Vec<&'static str>,
    /// Those of them that signalled it after it showed it ran (a signal
    /// before that may still be the last turn's, from a source first heard late).
    after_it_ran: Vec<&'static str>,
    /// One debt for each turn that ended without the signal of a source that
    /// signals (the source, and when that turn ended): the source's next
    /// signal is that turn's, late, and must not end the turn under way
    /// (should it be lost instead, this turn ends by the screen alone). Two
    /// short turns can both end before their late signals come, so debts add
    /// up; a debt older than [`LATE_SIGNAL_MS`] is forgotten (that signal was lost).
    owed: Vec<(&'static str, u64)>,
    /// The sources heard before the turn under way began: only their signals
    /// may end it on evidence, since the first signal of a source never heard
    /// may be a late one of the turn before (that turn could not owe it).
    known_before_turn: Vec<&'static str>,
    /// A turn has ended in this run (before that, no signal can be late).
    a_turn_ended: bool,
    /// The session log holds the prompt of the turn under way: its next
    /// turn end is this turn's, whatever the screen has shown yet.
    log_at_turn: bool,
}

impl TurnSignals {
    /// A signal from `by`; `in_turn` when a turn is under way. Whether it
    /// counts for that turn: not when none is, nor when it is the previous
    /// turn's, late (which settles what `by` owed).
    pub fn signal(&mut self, by: &'static str, in_turn: bool, now_ms: u64) -> bool {
        self.owed
            .retain(|(_, ended_ms)| now_ms.saturating_sub(*ended_ms) <= LATE_SIGNAL_MS);
        let owed = match self.owed.iter().position(|(source, _)| *source == by) {
            Some(index) => {
                self.owed.remove(index);
                true
            }
            None => false,
        };
        // A source heard between turns signals too: once it misses a turn,
        // it owes that turn's signal.
        if !self.sources.contains(&by) {
            self.sources.push(by);
        }
        if !in_turn || owed {
            return false;
        }
        if !self.this_turn.contains(&by) {
            self.this_turn.push(by);
        }
        true
    }

    /// `by`'s signal, which counted, came after the turn showed it ran.
    /// Returns whether the signal is evidence that the turn is over (see
    /// [`TurnSignals::may_be_evidence`]).
    pub fn came_after_it_ran(&mut self, by: &'static str) -> bool {
        if !self.may_be_evidence(by) {
            return false;
        }
        if self.this_turn.contains(&by) && !self.after_it_ran.contains(&by) {
            self.after_it_ran.push(by);
        }
        self.this_turn.contains(&by)
    }

    /// Whether a signal of `by` may end the turn under way on evidence: `by`
    /// was heard before the turn began, or no turn has ended yet. The first
    /// signal of a source never heard may be a late one of the turn before,
    /// which could not owe it.
    pub fn may_be_evidence(&self, by: &str) -> bool {
        !self.a_turn_ended || self.known_before_turn.contains(&by)
    }

    /// Whether `by` has signalled the turn under way after it showed it ran.
    pub fn signalled_after_it_ran(&self, by: &str) -> bool {
        self.after_it_ran.contains(&by)
    }

    /// The session log showed the prompt of the turn under way.
    pub fn log_reached_turn(&mut self) {
        self.log_at_turn = true;
    }

    /// Whether a signal of `by` comes after the turn showed it ran, by
    /// `by`'s own record: the session log's, once it held this turn's prompt.
    pub fn ran_by_its_source(&self, by: &str) -> bool {
        by == "session_log" && self.log_at_turn
    }

    /// The turn ended: the sources that did not signal it owe their signal.
    pub fn turn_ended(&mut self, now_ms: u64) {
        self.after_it_ran.clear();
        self.log_at_turn = false;
        self.known_before_turn = self.sources.clone();
        self.a_turn_ended = true;
        let signalled = std::mem::take(&mut self.this_turn);
        for source in &self.sources {
            if !signalled.contains(source) {
                self.owed.push((source, now_ms));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_counts_only_during_a_turn() {
        let mut signals = TurnSignals::default();
        assert!(!signals.signal("hook", false, 0));
        assert!(signals.signal("hook", true, 0));
        assert!(
            signals.signal("hook", true, 0),
            "a second signal of the turn counts too"
        );
    }

    #[test]
    fn a_signal_is_after_the_turn_ran_only_when_said_so() {
        let mut signals = TurnSignals::default();
        signals.came_after_it_ran("hook");
        assert!(
            !signals.signalled_after_it_ran("hook"),
            "a source that did not signal"
        );
        assert!(signals.signal("hook", true, 0));
        assert!(!signals.signalled_after_it_ran("hook"));
        signals.came_after_it_ran("hook");
        assert!(signals.signalled_after_it_ran("hook"));
        assert!(!signals.signalled_after_it_ran("session_log"));
        signals.turn_ended(0);
        assert!(!signals.signalled_after_it_ran("hook"), "a new turn");
    }

    #[test]
    fn a_source_that_missed_a_turn_owes_it_one_late_signal() {
        let mut signals = TurnSignals::default();
        assert!(signals.signal("hook", true, 0));
        assert!(signals.signal("session_log", true, 0));
        signals.turn_ended(0);
        // The next turn: only the hook signalled it.
        assert!(signals.signal("hook", true, 0));
        signals.turn_ended(0);
        // The log's late signal is the last turn's, not this one's.
        assert!(!signals.signal("session_log", true, 0));
        assert!(
            signals.signal("session_log", true, 0),
            "it owed one signal only"
        );
    }

    #[test]
    fn the_first_signal_of_a_source_never_heard_cannot_end_a_turn_on_evidence() {
        // Turn 1's hook comes late, during turn 2: it counts for turn 2 (no
        // debt was known), but is no evidence that turn 2 is over.
        let mut signals = TurnSignals::default();
        assert!(signals.may_be_evidence("hook"), "in the run's first turn");
        signals.turn_ended(0);
        assert!(signals.signal("hook", true, 0));
        assert!(!signals.came_after_it_ran("hook"));
        assert!(!signals.signalled_after_it_ran("hook"));
        // From the next turn on, the hook is known.
        signals.turn_ended(0);
        assert!(signals.signal("hook", true, 0));
        assert!(signals.came_after_it_ran("hook"));
        assert!(signals.signalled_after_it_ran("hook"));
    }

    #[test]
    fn a_source_first_heard_between_turns_owes_the_turns_it_misses() {
        let mut signals = TurnSignals::default();
        assert!(
            !signals.signal("hook", false, 0),
            "between turns: no turn to end"
        );
        signals.turn_ended(0); // The hook missed this turn: its signal comes late.
        assert!(!signals.signal("hook", true, 0), "the last turn's, late");
        assert!(signals.signal("hook", true, 0));
    }

    #[test]
    fn each_turn_missed_owes_its_own_late_signal_for_a_while() {
        let mut signals = TurnSignals::default();
        assert!(signals.signal("hook", true, 0));
        signals.turn_ended(100);
        // Two short turns end by the screen before their late hooks come.
        signals.turn_ended(1_000);
        signals.turn_ended(2_000);
        assert!(!signals.signal("hook", true, 2_500), "turn 2's, late");
        assert!(!signals.signal("hook", true, 2_600), "turn 3's, late");
        assert!(signals.signal("hook", true, 2_700), "turn 4's own");
        // A signal lost for good is forgotten after a while.
        signals.turn_ended(3_000);
        assert!(signals.signal("hook", true, 3_000 + LATE_SIGNAL_MS + 1));
    }

    #[test]
    fn a_source_never_heard_owes_nothing() {
        let mut signals = TurnSignals::default();
        signals.turn_ended(0);
        assert!(signals.signal("hook", true, 0));
    }

    #[test]
    fn a_late_signal_between_turns_settles_the_debt() {
        let mut signals = TurnSignals::default();
        assert!(signals.signal("hook", true, 0));
        signals.turn_ended(0);
        signals.turn_ended(0); // The hook missed this turn.
        assert!(!signals.signal("hook", false, 0));
        assert!(signals.signal("hook", true, 0));
    }
}
