//! When a turn has ended and the next prompt may be typed: a still input box,
//! one continuation per idle turn, nothing typed over a prompt or the user's keys.

use super::*;

#[test]
fn the_first_prompt_waits_for_a_still_input_box() {
    let mut run = Run::new(config());
    run.screen(
        100,
        Observation {
            changed: true,
            ..Observation::default()
        },
    );
    run.ticks(3000);
    assert!(run.injections().is_empty(), "no input box yet");
    run.screen(3000, idle());
    run.ticks(3000 + QUIET - 100);
    assert!(run.injections().is_empty(), "not still long enough");
    run.ticks(3000 + QUIET);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    match &run
        .actions
        .iter()
        .find(|a| matches!(a, Action::Inject { .. }))
    {
        Some(Action::Inject { vars, .. }) => {
            assert_eq!(vars.turn, 1);
            assert_eq!(vars.objective, "Make the tests pass");
            assert_eq!(vars.nonce, turn_nonce("code123456", 1));
            assert_eq!(vars.requirements.len(), 1);
        }
        _ => unreachable!(),
    }
}

#[test]
fn exactly_one_continuation_per_idle_turn() {
    let mut run = Run::new(config());
    run.start();
    for _ in 0..3 {
        run.turn(2000, idle());
    }
    // Long idle after the last injection's turn: still only what the turns earned.
    assert_eq!(
        run.injections(),
        vec![
            PromptKind::Start,
            PromptKind::Continuation,
            PromptKind::Continuation,
            PromptKind::Continuation
        ]
    );
    assert_eq!(run.records("turn_ended").len(), 3);
    assert_eq!(run.sup.turns(), 3);
}

#[test]
fn nothing_is_typed_while_a_prompt_is_being_typed() {
    let mut run = Run::new(config());
    run.screen(100, idle());
    run.ticks(100 + QUIET);
    // The InjectionDone has not come: idle screens change nothing.
    run.screen(2000, idle());
    run.ticks(10_000);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
}

#[test]
fn a_long_silent_busy_stretch_never_ends_the_turn() {
    let mut run = Run::new(config());
    run.start();
    run.screen(run.now + 100, busy());
    // The spinner stays on screen, nothing changes for a minute.
    let until = run.now + 60_000;
    run.ticks(until);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    assert!(run.records("turn_ended").is_empty());
}

#[test]
fn a_turn_without_any_busy_sign_needs_the_longer_quiet_window() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    // The echo of the typed prompt changes the screen, but no busy indicator shows.
    run.screen(t + 100, idle());
    run.ticks(t + 100 + QUIET + 500);
    assert_eq!(run.injections().len(), 1, "a short stillness is not enough");
    run.ticks(t + 100 + NO_BUSY_QUIET + 100);
    assert_eq!(run.injections().len(), 2);
    assert_eq!(run.records("turn_ended")[0]["busy_seen"], false);
}

#[test]
fn a_new_finished_turn_line_counts_as_evidence_the_turn_ran() {
    let mut run = Run::new(config());
    run.screen(100, idle_with(|o| o.turns_done = 1));
    run.ticks(100 + QUIET);
    run.injected(run.now + 300);
    let t = run.now;
    // A fast agent: no busy sign was ever drawn, but a new "Worked for 0s" line is.
    run.screen(t + 100, idle_with(|o| o.turns_done = 2));
    run.ticks(t + 100 + QUIET + 100);
    assert_eq!(run.injections().len(), 2);
    assert_eq!(run.records("turn_ended")[0]["done_seen"], true);
}

#[test]
fn an_old_finished_turn_line_is_no_evidence() {
    let mut run = Run::new(config());
    run.screen(100, idle_with(|o| o.turns_done = 1));
    run.ticks(100 + QUIET);
    run.injected(run.now + 300);
    let t = run.now;
    run.screen(t + 100, idle_with(|o| o.turns_done = 1));
    run.ticks(t + 100 + QUIET + 500);
    assert_eq!(run.injections().len(), 1);
}

#[test]
fn the_users_keys_defer_injection() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    run.screen(t + 2000, idle());
    run.at(t + 2500, |now_ms| Event::UserInput { now_ms });
    run.ticks(t + 2500 + 2900);
    assert_eq!(run.injections().len(), 1, "the person typed 2.9 s ago");
    run.ticks(t + 2500 + 3100);
    assert_eq!(run.injections().len(), 2);
}
