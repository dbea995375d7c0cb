//! Dialogs the agent shows: answered by policy once still, escalated when they
//! stay or ask to, and an unknown still screen escalated mid-turn.

use super::*;

#[test]
fn a_dialog_is_answered_by_its_policy_once_it_is_still() {
    let mut run = Run::new(config());
    run.screen(100, dialog(0));
    run.ticks(100 + QUIET - 100);
    assert!(run.records("dialog_answered").is_empty(), "not still yet");
    run.ticks(100 + QUIET + 100);
    assert_eq!(run.records("dialog_answered").len(), 1);
    assert!(
        run.actions
            .iter()
            .any(|a| matches!(a, Action::Keys { keys } if keys == "\r"))
    );
    assert!(run.injections().is_empty(), "nothing typed into a dialog");
    // The dialog goes away; the input box shows: the first prompt follows.
    run.screen(2000, idle());
    run.ticks(2000 + QUIET);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
}

#[test]
fn a_dialog_that_stays_is_answered_three_times_then_escalated() {
    let mut run = Run::new(config());
    run.screen(100, dialog(0));
    run.ticks(20_000);
    assert_eq!(run.records("dialog_answered").len(), 3);
    assert_eq!(run.records("dialog_escalated").len(), 1);
    assert_eq!(run.stop_code(), Some(5));
    assert_eq!(run.sup.state(), GoalState::Paused);
}

#[test]
fn an_escalate_dialog_pauses_without_typing() {
    let mut run = Run::new(config());
    run.screen(100, dialog(1));
    run.ticks(5000);
    assert!(run.records("dialog_answered").is_empty());
    assert_eq!(run.records("dialog_escalated")[0]["dialog"], "login");
    assert_eq!(run.stop_code(), Some(5));
    assert!(
        !run.actions
            .iter()
            .any(|a| matches!(a, Action::Keys { .. } | Action::Inject { .. }))
    );
}

#[test]
fn an_unknown_still_screen_escalates_mid_turn() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    // Neither busy nor idle nor a known dialog: a permission prompt goalie does not know.
    run.screen(
        t + 1000,
        Observation {
            changed: true,
            ..Observation::default()
        },
    );
    run.ticks(t + 1000 + 19_900);
    assert_eq!(run.stop_code(), None);
    run.ticks(t + 1000 + 20_100);
    assert_eq!(run.stop_code(), Some(5));
    assert_eq!(run.records("unknown_screen").len(), 1);
    assert_eq!(run.injections().len(), 1, "nothing typed into it");
}
