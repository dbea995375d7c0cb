//! The agent's screen between looks: the last look, when it last changed
//! and when the person last typed (together: whether it has settled).

use crate::core::observer::Observation;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScreenWatch {
    /// The last look.
    seen: Observation,
    /// When the screen last changed.
    last_change_ms: u64,
    /// When the person last typed into the agent.
    last_user_ms: Option<u64>,
    /// The looks in a row, up to the last, that showed the agent ready
    /// for input (the input box, no busy sign, no dialog): when the first
    /// and the last of them were.
    ready_looks: Option<(u64, u64)>,
}

impl ScreenWatch {
    /// The last look.
    pub fn seen(&self) -> &Observation {
        &self.seen
    }

    /// A look at `now_ms`.
    pub fn look(&mut self, now_ms: u64, seen: Observation) {
        if seen.changed {
            // Drawn before this look (but never before the last change
            // known, such as a prompt's submission).
            let drawn_ms = seen.drawn_ms.map_or(now_ms, |at| at.min(now_ms));
            self.last_change_ms = drawn_ms.max(self.last_change_ms);
        }
        let ready = seen.idle && !seen.busy && seen.dialog.is_none() && !seen.starting;
        self.ready_looks = match self.ready_looks {
            _ if !ready => None,
            Some((first, _)) => Some((first, now_ms)),
            None => Some((now_ms, now_ms)),
        };
        self.seen = seen;
    }

    /// The person typed into the agent.
    pub fn user_typed(&mut self, now_ms: u64) {
        self.last_user_ms = Some(now_ms);
    }

    /// Whether the person typed less than `ms` before `now_ms`.
    pub fn user_typed_within(&self, now_ms: u64, ms: u64) -> bool {
        self.last_user_ms
            .is_some_and(|at| now_ms.saturating_sub(at) < ms)
    }

    /// A prompt was submitted: the screen's stillness counts from now.
    pub fn submitted(&mut self, now_ms: u64) {
        self.last_change_ms = now_ms;
    }

    /// A new agent process, started at `now_ms`: nothing has been seen of it.
    pub fn new_process(&mut self, now_ms: u64) {
        self.seen = Observation::default();
        self.last_change_ms = now_ms;
        self.ready_looks = None;
    }

    /// How long the screen has been still.
    pub fn still_ms(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.last_change_ms)
    }

    /// The screen shows neither work nor the input box.
    pub fn neither_busy_nor_idle(&self) -> bool {
        !self.seen.busy && !self.seen.idle
    }

    /// No busy indicator, the input box shown, the screen still for
    /// `quiet_ms`, and the person still for `user_quiet_ms`.
    pub fn settled(&self, now_ms: u64, quiet_ms: u64, user_quiet_ms: u64) -> bool {
        let user_still = self
            .last_user_ms
            .is_none_or(|at| now_ms.saturating_sub(at) >= user_quiet_ms);
        !self.seen.busy && self.seen.idle && user_still && self.still_ms(now_ms) >= quiet_ms
    }

    /// The agent shows it is ready for input by evidence: at least two looks
    /// in a row showed the input box, no busy sign, no dialog and no
    /// start screen still being drawn (the adapter's `starting`), the last
    /// `span_ms` or more after the first (a start-up screen drawn in one
    /// burst shows its later parts, a dialog among them, within that); and
    /// the person still for `user_quiet_ms`. Redraws that keep the input
    /// box do not count against it.
    pub fn ready_by_looks(&self, now_ms: u64, span_ms: u64, user_quiet_ms: u64) -> bool {
        let user_still = self
            .last_user_ms
            .is_none_or(|at| now_ms.saturating_sub(at) >= user_quiet_ms);
        user_still
            && self
                .ready_looks
                .is_some_and(|(first, last)| last.saturating_sub(first) >= span_ms)
    }

    /// After the agent's own turn-complete signal at `signal_ms`: the input
    /// box and no busy sign on a look made after the signal (the screen
    /// changed since), or on a screen that has not changed since it for
    /// `settle_ms` (any redraw the signal came before would have shown by
    /// then); and the person still for `user_quiet_ms`. A change at the
    /// signal's own millisecond may have been drawn before it: only the
    /// settle counts then.
    pub fn settled_after_signal(
        &self,
        now_ms: u64,
        signal_ms: u64,
        settle_ms: u64,
        user_quiet_ms: u64,
    ) -> bool {
        let drawn_after = self.last_change_ms > signal_ms;
        let settled = now_ms.saturating_sub(signal_ms) >= settle_ms;
        (drawn_after || settled) && self.settled(now_ms, 0, user_quiet_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idle() -> Observation {
        Observation {
            changed: true,
            idle: true,
            ..Observation::default()
        }
    }

    fn busy() -> Observation {
        Observation {
            busy: true,
            ..idle()
        }
    }

    #[test]
    fn settled_needs_the_input_box_no_busy_sign_and_stillness() {
        let mut screen = ScreenWatch::default();
        screen.look(1000, idle());
        assert!(!screen.settled(1999, 1000, 3000));
        assert!(screen.settled(2000, 1000, 3000));
        screen.look(
            2500,
            Observation {
                busy: true,
                ..idle()
            },
        );
        assert!(!screen.settled(9000, 1000, 3000), "busy");
        screen.look(3000, Observation::default());
        assert!(!screen.settled(9000, 1000, 3000), "no input box");
        assert!(screen.neither_busy_nor_idle());
    }

    #[test]
    fn an_unchanged_look_keeps_the_stillness() {
        let mut screen = ScreenWatch::default();
        screen.look(1000, idle());
        screen.look(
            1800,
            Observation {
                changed: false,
                ..idle()
            },
        );
        assert_eq!(screen.still_ms(2000), 1000);
        screen.submitted(2000);
        assert_eq!(
            screen.still_ms(2500),
            500,
            "a prompt submitted counts as a change"
        );
    }

    #[test]
    fn the_screen_changed_when_it_was_drawn_not_when_it_was_looked_at() {
        let mut screen = ScreenWatch::default();
        screen.look(
            1500,
            Observation {
                drawn_ms: Some(1100),
                ..idle()
            },
        );
        assert_eq!(screen.still_ms(1600), 500);
        // Drawn before a submission: still from the submission on.
        screen.submitted(2000);
        screen.look(
            2100,
            Observation {
                drawn_ms: Some(1900),
                ..idle()
            },
        );
        assert_eq!(screen.still_ms(2500), 500);
        // A time after the look's own is taken as the look's.
        screen.look(
            3000,
            Observation {
                drawn_ms: Some(3500),
                ..idle()
            },
        );
        assert_eq!(screen.still_ms(3000), 0);
    }

    #[test]
    fn the_persons_keys_defer_settling() {
        let mut screen = ScreenWatch::default();
        screen.look(0, idle());
        screen.user_typed(5000);
        assert!(!screen.settled(7999, 1000, 3000));
        assert!(screen.settled(8000, 1000, 3000));
    }

    #[test]
    fn after_a_signal_a_later_idle_look_is_enough() {
        let mut screen = ScreenWatch::default();
        screen.look(1000, busy());
        // The signal at 1100 comes before the TUI has drawn the turn's end.
        assert!(!screen.settled_after_signal(1100, 1100, 100, 3000));
        assert!(!screen.settled_after_signal(5000, 1100, 100, 3000), "busy");
        screen.look(1120, busy());
        assert!(!screen.settled_after_signal(1120, 1100, 100, 3000), "busy");
        screen.look(1140, idle());
        assert!(
            screen.settled_after_signal(1140, 1100, 100, 3000),
            "drawn idle after the signal"
        );
    }

    #[test]
    fn after_a_signal_an_unchanged_idle_screen_needs_the_settle() {
        let mut screen = ScreenWatch::default();
        screen.look(1000, idle());
        assert!(!screen.settled_after_signal(1050, 1050, 100, 3000));
        assert!(!screen.settled_after_signal(1149, 1050, 100, 3000));
        assert!(screen.settled_after_signal(1150, 1050, 100, 3000));
        // A look at the signal's own millisecond may show the old frame.
        let mut screen = ScreenWatch::default();
        screen.look(1000, busy());
        screen.look(1050, idle());
        assert!(!screen.settled_after_signal(1050, 1050, 100, 3000));
        assert!(screen.settled_after_signal(1150, 1050, 100, 3000));
    }

    #[test]
    fn after_a_signal_the_persons_keys_still_defer() {
        let mut screen = ScreenWatch::default();
        screen.look(1000, busy());
        screen.user_typed(1100);
        screen.look(1200, idle());
        assert!(!screen.settled_after_signal(1200, 1150, 100, 3000));
        assert!(!screen.settled_after_signal(4099, 1150, 100, 3000));
        assert!(screen.settled_after_signal(4100, 1150, 100, 3000));
    }

    #[test]
    fn ready_by_looks_needs_two_ready_looks_apart() {
        let mut screen = ScreenWatch::default();
        screen.look(100, idle());
        assert!(!screen.ready_by_looks(5000, 100, 3000), "one look");
        screen.look(199, idle());
        assert!(!screen.ready_by_looks(5000, 100, 3000));
        screen.look(
            200,
            Observation {
                changed: false,
                ..idle()
            },
        );
        assert!(screen.ready_by_looks(200, 100, 3000));
        screen.look(250, busy());
        assert!(!screen.ready_by_looks(250, 100, 3000), "busy");
        screen.look(300, idle());
        screen.look(400, idle());
        assert!(screen.ready_by_looks(400, 100, 3000));
        screen.new_process(500);
        assert!(!screen.ready_by_looks(900, 100, 3000), "a new process");
        screen.look(600, idle());
        assert!(!screen.ready_by_looks(900, 100, 3000), "its first look");
    }

    #[test]
    fn a_new_process_has_shown_nothing() {
        let mut screen = ScreenWatch::default();
        screen.look(0, idle());
        screen.user_typed(100);
        screen.new_process(10_000);
        assert_eq!(screen.seen(), &Observation::default());
        assert_eq!(screen.still_ms(10_400), 400);
        screen.look(10_000, idle());
        assert!(
            !screen.settled(13_000, 1000, 20_000),
            "the person's keys still count"
        );
    }
}
