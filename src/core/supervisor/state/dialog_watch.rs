//! The known dialog on the agent's screen: since when, how often answered,
//! and what to do about it now.

use crate::core::config::DialogPolicy;

/// How many times a dialog is answered before goalie gives up and escalates.
const MAX_ANSWERS: u32 = 3;

/// How long after an answer before the same dialog is answered again.
const ANSWER_AGAIN_MS: u64 = 3000;

/// The dialog on screen (by the adapter's index), since when, how often
/// answered, and when last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DialogSeen {
    index: usize,
    since_ms: u64,
    answers: u32,
    last_answer_ms: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DialogWatch {
    shown: Option<DialogSeen>,
}

/// What to do about the dialog on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogStep {
    /// Nothing yet: it is not still, or was just answered.
    Wait,
    /// Its policy is to let a person answer.
    Escalate,
    /// It stayed after this many answers.
    GiveUp { answers: u32 },
    /// Answer it by its policy, for the `times`-th time.
    Answer { times: u32 },
}

impl DialogWatch {
    /// The screen shows dialog `index`, or none. The same dialog keeps its
    /// count; another one starts afresh.
    pub fn look(&mut self, now_ms: u64, index: Option<usize>) {
        self.shown = match (index, self.shown) {
            (Some(index), Some(dialog)) if dialog.index == index => Some(dialog),
            (Some(index), _) => Some(DialogSeen {
                index,
                since_ms: now_ms,
                answers: 0,
                last_answer_ms: None,
            }),
            (None, _) => None,
        };
    }

    /// The dialog on screen, by the adapter's index.
    pub fn shown(&self) -> Option<usize> {
        self.shown.map(|dialog| dialog.index)
    }

    /// A new agent process: no dialog is known.
    pub fn clear(&mut self) {
        self.shown = None;
    }

    /// What to do at `now_ms` about the dialog on screen, whose policy is
    /// `policy`, the screen still for `still_ms`: once the screen and the
    /// dialog have been still for `quiet_ms`, and not just after an answer.
    pub fn step(
        &mut self,
        now_ms: u64,
        still_ms: u64,
        quiet_ms: u64,
        policy: DialogPolicy,
    ) -> DialogStep {
        let Some(dialog) = &mut self.shown else {
            return DialogStep::Wait;
        };
        let still = still_ms >= quiet_ms && now_ms.saturating_sub(dialog.since_ms) >= quiet_ms;
        let answered_recently = dialog
            .last_answer_ms
            .is_some_and(|at| now_ms.saturating_sub(at) < ANSWER_AGAIN_MS);
        if !still || answered_recently {
            return DialogStep::Wait;
        }
        match policy {
            DialogPolicy::Escalate => DialogStep::Escalate,
            _ if dialog.answers >= MAX_ANSWERS => DialogStep::GiveUp {
                answers: dialog.answers,
            },
            DialogPolicy::Accept | DialogPolicy::Deny => {
                dialog.answers += 1;
                dialog.last_answer_ms = Some(now_ms);
                DialogStep::Answer {
                    times: dialog.answers,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIET: u64 = 1000;

    #[test]
    fn a_dialog_is_answered_once_it_and_the_screen_are_still() {
        let mut watch = DialogWatch::default();
        watch.look(5000, Some(0));
        let accept = DialogPolicy::Accept;
        // The screen still long enough, but the dialog only just showed.
        assert_eq!(watch.step(5500, 2000, QUIET, accept), DialogStep::Wait);
        // The dialog showed long enough, but the screen just changed.
        assert_eq!(watch.step(6000, 500, QUIET, accept), DialogStep::Wait);
        assert_eq!(
            watch.step(6000, QUIET, QUIET, accept),
            DialogStep::Answer { times: 1 }
        );
    }

    #[test]
    fn a_dialog_that_stays_is_answered_again_after_a_pause_then_given_up() {
        let mut watch = DialogWatch::default();
        watch.look(0, Some(1));
        let deny = DialogPolicy::Deny;
        let mut now = QUIET;
        for times in 1..=MAX_ANSWERS {
            assert_eq!(
                watch.step(now, QUIET, QUIET, deny),
                DialogStep::Answer { times }
            );
            assert_eq!(
                watch.step(now + ANSWER_AGAIN_MS - 1, QUIET, QUIET, deny),
                DialogStep::Wait,
                "just answered"
            );
            now += ANSWER_AGAIN_MS;
            watch.look(now, Some(1)); // Still the same dialog.
        }
        assert_eq!(
            watch.step(now, QUIET, QUIET, deny),
            DialogStep::GiveUp {
                answers: MAX_ANSWERS
            }
        );
    }

    #[test]
    fn an_escalate_dialog_is_never_answered() {
        let mut watch = DialogWatch::default();
        watch.look(0, Some(0));
        let escalate = DialogPolicy::Escalate;
        assert_eq!(watch.step(10, QUIET, QUIET, escalate), DialogStep::Wait);
        assert_eq!(
            watch.step(QUIET, QUIET, QUIET, escalate),
            DialogStep::Escalate
        );
    }

    #[test]
    fn another_dialog_starts_afresh_and_none_clears() {
        let mut watch = DialogWatch::default();
        assert_eq!(
            watch.step(9000, QUIET, QUIET, DialogPolicy::Accept),
            DialogStep::Wait
        );
        watch.look(0, Some(0));
        watch.step(QUIET, QUIET, QUIET, DialogPolicy::Accept);
        watch.look(2000, Some(1));
        assert_eq!(watch.shown(), Some(1));
        assert_eq!(
            watch.step(2000 + QUIET, QUIET, QUIET, DialogPolicy::Accept),
            DialogStep::Answer { times: 1 }
        );
        watch.look(5000, None);
        assert_eq!(watch.shown(), None);
        watch.look(6000, Some(1));
        watch.clear();
        assert_eq!(watch.shown(), None);
    }
}
