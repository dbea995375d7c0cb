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
}

impl ScreenWatch {
    /// The last look.
    pub fn seen(&self) -> &Observation {
        &self.seen
    }

    /// A look at `now_ms`.
    pub fn look(&mut self, now_ms: u64, seen: Observation) {
        if seen.changed {
            self.last_change_ms = now_ms;
        }
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
    fn the_persons_keys_defer_settling() {
        let mut screen = ScreenWatch::default();
        screen.look(0, idle());
        screen.user_typed(5000);
        assert!(!screen.settled(7999, 1000, 3000));
        assert!(screen.settled(8000, 1000, 3000));
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
