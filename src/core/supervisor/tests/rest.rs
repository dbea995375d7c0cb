//! Resting: paused at an idle prompt, no tick changes anything, so the
//! shell may stop the clock; each boundary of that state.

use super::*;
use crate::goal::change::{GoalChange, Status, UserCommand};

impl Run {
    fn status(&mut self, now: u64, status: Status) {
        self.at(now, |now_ms| Event::Command {
            now_ms,
            command: UserCommand::Change(GoalChange::status(status)),
        });
    }

    /// Ticks every 100 ms for `span` ms while resting: each finds the core
    /// resting, returns nothing and leaves it as it was.
    fn rest_for(&mut self, span: u64) {
        let until = self.now + span;
        while self.now + 100 <= until {
            assert!(self.sup.resting(), "resting at {}", self.now);
            let before = format!("{:?}", self.sup);
            let actions = self.tick(self.now + 100);
            assert!(actions.is_empty(), "a tick at rest acted: {actions:?}");
            assert_eq!(
                format!("{:?}", self.sup),
                before,
                "a tick at rest changed the core"
            );
        }
    }

    /// Started, a turn under way (busy), paused mid-turn.
    fn paused_mid_turn() -> Run {
        let mut run = Run::new(config());
        run.start();
        let t = run.now;
        run.screen(t + 100, busy());
        assert!(!run.sup.resting(), "a turn under way");
        run.status(t + 200, Status::Paused);
        run
    }
}

#[test]
fn paused_mid_turn_is_not_resting_until_the_turn_ends_and_resumed_is_not_resting() {
    let mut run = Run::paused_mid_turn();
    assert_eq!(run.sup.state(), GoalState::Paused);
    assert_eq!(run.sup.activity(run.now), Activity::Paused);
    assert!(!run.sup.resting(), "the turn must still be seen to end");
    let t = run.now;
    run.ticks(t + 500);
    assert!(!run.sup.resting(), "still busy");
    // The turn ends (the screen idle and still): now resting.
    run.screen(t + 600, idle());
    assert!(!run.sup.resting(), "the turn's end is not seen yet");
    run.ticks(t + 600 + QUIET + 200);
    assert_eq!(run.records("turn_ended").len(), 1);
    assert!(run.sup.resting());
    run.rest_for(60_000);
    assert_eq!(run.injections(), vec![PromptKind::Start]);

    // Resumed: the clock matters again (the screen must settle, then the
    // next prompt).
    run.status(run.now + 50, Status::Pursuing);
    assert!(!run.sup.resting());
    run.ticks(run.now + QUIET + 200);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::Continuation]
    );
    assert!(!run.sup.resting(), "typing");
}

#[test]
fn a_dialog_on_screen_at_rest_is_not_resting_until_it_goes() {
    let mut run = Run::paused_mid_turn();
    let t = run.now;
    run.screen(t + 100, idle());
    run.ticks(t + 100 + QUIET + 200);
    assert!(run.sup.resting());
    run.screen(run.now + 50, dialog(0));
    assert!(!run.sup.resting(), "a dialog shows");
    run.ticks(run.now + 500);
    assert!(!run.sup.resting());
    run.screen(run.now + 50, idle());
    assert!(run.sup.resting(), "the dialog went");
    run.rest_for(5000);
}

#[test]
fn a_compaction_banner_at_rest_is_not_resting_until_it_has_held() {
    let mut run = Run::paused_mid_turn();
    let t = run.now;
    run.screen(t + 100, idle());
    run.ticks(t + 100 + QUIET + 200);
    assert!(run.sup.resting());
    let banner = Observation {
        compactions: 1,
        ..idle()
    };
    run.screen(run.now + 50, banner);
    assert!(!run.sup.resting(), "the banner must hold first");
    // It holds at a tick, and its episode closes at a later one.
    run.ticks(run.now + 6000);
    assert_eq!(run.records("compacted").len(), 1);
    assert!(run.sup.resting());
    run.rest_for(5000);
}

#[test]
fn taken_over_at_an_idle_prompt_is_resting_and_handed_back_is_not() {
    let mut run = Run::new(config());
    run.start();
    run.turn(500, idle());
    let t = run.now;
    assert!(!run.sup.resting(), "pursuing");
    // The chord mid-turn: the turn is still to end.
    run.screen(t + 100, busy());
    run.at(t + 200, |now_ms| Event::TakeoverChord { now_ms });
    assert!(run.sup.takeover());
    assert!(!run.sup.resting());
    run.screen(t + 400, idle());
    // The chord is a key: the turn's end waits for the keyboard to be still.
    run.ticks(t + 200 + 3000 + QUIET);
    assert_eq!(run.records("turn_ended").len(), 2);
    assert!(run.sup.resting());
    assert_eq!(run.sup.activity(run.now), Activity::TakenOver);
    // The person types: keys, then their echo on screen; still resting.
    run.at(run.now + 10, |now_ms| Event::UserInput { now_ms });
    run.screen(run.now + 10, idle());
    assert!(run.sup.resting());
    run.rest_for(10_000);
    // Handed back: pursued again, the clock matters.
    run.at(run.now + 10, |now_ms| Event::TakeoverChord { now_ms });
    assert!(!run.sup.takeover());
    assert!(!run.sup.resting());
}
