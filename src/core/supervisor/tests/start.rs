//! The first prompt: typed once the agent's screen shows it is ready for
//! input by evidence (looks in a row with the input box, no busy sign and
//! no dialog), not after the quiet window's stillness.

use super::*;

fn unchanged(seen: Observation) -> Observation {
    Observation {
        changed: false,
        ..seen
    }
}

#[test]
fn two_ready_looks_a_moment_apart_start_the_goal() {
    let mut run = Run::new(config());
    run.screen(100, idle());
    assert!(run.injections().is_empty(), "one look is not enough");
    run.screen(150, unchanged(idle()));
    assert!(run.injections().is_empty(), "50 ms apart: not yet");
    run.screen(200, idle());
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    assert_eq!(run.records("agent_ready").len(), 1);
}

#[test]
fn a_redraw_that_keeps_the_input_box_does_not_hold_the_start() {
    let mut run = Run::new(config());
    run.screen(100, idle());
    // The screen changed (a status line, say), the input box still shown.
    run.screen(220, idle());
    assert_eq!(run.injections(), vec![PromptKind::Start]);
}

#[test]
fn a_dialog_between_the_looks_starts_the_count_again() {
    let mut run = Run::new(config());
    run.screen(100, idle());
    run.screen(150, dialog(0));
    run.screen(210, idle());
    assert!(run.injections().is_empty(), "the dialog broke the row");
    run.screen(260, idle());
    assert!(run.injections().is_empty());
    run.screen(310, unchanged(idle()));
    assert_eq!(run.injections(), vec![PromptKind::Start]);
}

#[test]
fn a_busy_start_screen_is_not_ready() {
    let mut run = Run::new(config());
    run.screen(100, busy());
    run.screen(300, busy());
    run.ticks(100 + QUIET + 500);
    assert!(run.injections().is_empty(), "busy: nothing typed");
    run.screen(2000, idle());
    run.screen(2100, unchanged(idle()));
    assert_eq!(run.injections(), vec![PromptKind::Start]);
}

#[test]
fn a_screen_that_showed_the_input_box_once_waits_the_quiet_window() {
    let mut run = Run::new(config());
    run.screen(100, idle());
    run.ticks(100 + QUIET - 100);
    assert!(run.injections().is_empty());
    run.ticks(100 + QUIET);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
}

#[test]
fn the_persons_keys_hold_the_start() {
    let mut run = Run::new(config());
    run.at(50, |now_ms| Event::UserInput { now_ms });
    run.screen(100, idle());
    run.screen(300, idle());
    assert!(run.injections().is_empty(), "the person is typing");
    run.screen(3050, unchanged(idle()));
    assert_eq!(run.injections(), vec![PromptKind::Start]);
}

#[test]
fn a_start_screen_still_being_drawn_is_not_ready() {
    let mut run = Run::new(config());
    // A splash that shows the input box already (Codex's), a dialog may follow.
    let splash = Observation {
        starting: true,
        ..idle()
    };
    run.screen(100, splash.clone());
    run.screen(300, unchanged(splash));
    assert!(run.injections().is_empty(), "the splash is still up");
    run.screen(400, idle());
    run.screen(500, unchanged(idle()));
    assert_eq!(run.injections(), vec![PromptKind::Start]);
}

#[test]
fn an_agent_whose_start_screen_is_unknown_waits_the_quiet_window() {
    let mut cfg = config();
    cfg.start_on_evidence = false;
    let mut run = Run::new(cfg);
    run.screen(100, idle());
    run.screen(300, unchanged(idle()));
    run.ticks(100 + QUIET - 100);
    assert!(run.injections().is_empty(), "looks alone are not enough");
    run.ticks(100 + QUIET);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
}
