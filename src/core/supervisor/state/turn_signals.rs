//! Turn-complete signals, from the agent's session log or its hook: which
//! sources signal, which signalled the turn under way, and which owe a late
//! signal for the turn before.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnSignals {
    /// Where turn-complete signals have come from in this run (`hook`, `session_log`).
    sources: Vec<&'static str>,
    /// The sources that have signalled the turn under way.
    this_turn: Vec<&'static str>,
    /// Those of them that signalled it after it showed it ran (a signal
    /// before that may still be the last turn's, from a source first heard late).
    after_it_ran: Vec<&'static str>,
    /// Sources that signal every turn but did not signal the last one before it
    /// ended: their next signal is that turn's, late, and must not end this one
    /// (should it be lost instead, this turn ends by the screen alone).
    owed: Vec<&'static str>,
}

impl TurnSignals {
    /// A signal from `by`; `in_turn` when a turn is under way. Whether it
    /// counts for that turn: not when none is, nor when it is the previous
    /// turn's, late (which settles what `by` owed).
    pub fn signal(&mut self, by: &'static str, in_turn: bool) -> bool {
        let owed = match self.owed.iter().position(|source| *source == by) {
            Some(index) => {
                self.owed.remove(index);
                true
            }
            None => false,
        };
        if !in_turn || owed {
            return false;
        }
        if !self.this_turn.contains(&by) {
            self.this_turn.push(by);
        }
        if !self.sources.contains(&by) {
            self.sources.push(by);
        }
        true
    }

    /// `by`'s signal, which counted, came after the turn showed it ran.
    pub fn came_after_it_ran(&mut self, by: &'static str) {
        if self.this_turn.contains(&by) && !self.after_it_ran.contains(&by) {
            self.after_it_ran.push(by);
        }
    }

    /// Whether `by` has signalled the turn under way after it showed it ran.
    pub fn signalled_after_it_ran(&self, by: &str) -> bool {
        self.after_it_ran.contains(&by)
    }

    /// The turn ended: the sources that did not signal it owe their signal.
    pub fn turn_ended(&mut self) {
        self.after_it_ran.clear();
        let signalled = std::mem::take(&mut self.this_turn);
        self.owed = self
            .sources
            .iter()
            .filter(|source| !signalled.contains(source))
            .copied()
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_counts_only_during_a_turn() {
        let mut signals = TurnSignals::default();
        assert!(!signals.signal("hook", false));
        assert!(signals.signal("hook", true));
        assert!(
            signals.signal("hook", true),
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
        assert!(signals.signal("hook", true));
        assert!(!signals.signalled_after_it_ran("hook"));
        signals.came_after_it_ran("hook");
        assert!(signals.signalled_after_it_ran("hook"));
        assert!(!signals.signalled_after_it_ran("session_log"));
        signals.turn_ended();
        assert!(!signals.signalled_after_it_ran("hook"), "a new turn");
    }

    #[test]
    fn a_source_that_missed_a_turn_owes_it_one_late_signal() {
        let mut signals = TurnSignals::default();
        assert!(signals.signal("hook", true));
        assert!(signals.signal("session_log", true));
        signals.turn_ended();
        // The next turn: only the hook signalled it.
        assert!(signals.signal("hook", true));
        signals.turn_ended();
        // The log's late signal is the last turn's, not this one's.
        assert!(!signals.signal("session_log", true));
        assert!(
            signals.signal("session_log", true),
            "it owed one signal only"
        );
    }

    #[test]
    fn a_source_never_heard_owes_nothing() {
        let mut signals = TurnSignals::default();
        signals.turn_ended();
        assert!(signals.signal("hook", true));
    }

    #[test]
    fn a_late_signal_between_turns_settles_the_debt() {
        let mut signals = TurnSignals::default();
        assert!(signals.signal("hook", true));
        signals.turn_ended();
        signals.turn_ended(); // The hook missed this turn.
        assert!(!signals.signal("hook", false));
        assert!(signals.signal("hook", true));
    }
}
