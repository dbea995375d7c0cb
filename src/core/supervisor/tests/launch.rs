//! The first prompt on the agent's command line: turn 1 as a typed one
//! would be (the same prompt, nonce and rows), begun with the first look
//! that shows the agent took it; only a new goal's start prompt with nothing
//! to wait for goes there.

use super::*;

/// The start prompt for the command line.
fn launched(run: &mut Run) -> Box<PromptVars> {
    let (kind, vars) = run
        .sup
        .prompt_at_launch(0)
        .expect("a start prompt at launch");
    assert_eq!(kind, PromptKind::Start);
    vars
}

fn given(run: &Run) -> Vec<PromptKind> {
    run.actions
        .iter()
        .filter_map(|a| match a {
            Action::PromptGiven { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect()
}

fn starting() -> Observation {
    Observation {
        starting: true,
        ..idle()
    }
}

#[test]
fn a_new_goals_start_prompt_goes_on_the_command_line_as_turn_one() {
    let mut run = Run::new(config());
    let vars = launched(&mut run);
    assert_eq!(vars.turn, 1);
    assert_eq!(vars.nonce, turn_nonce("code123456", 1));
    assert_eq!(vars.objective, "Make the tests pass");
    // Its start screen still being drawn: not yet taken in.
    run.screen(100, starting());
    run.ticks(100 + QUIET + 500);
    assert!(given(&run).is_empty());
    // One look at its input box past the start: the turn begins, nothing typed.
    run.screen(1700, idle());
    assert_eq!(given(&run), vec![PromptKind::Start]);
    assert!(run.injections().is_empty(), "nothing typed");
    assert_eq!(run.records("agent_ready").len(), 1);
    run.injected(1700);
    let started = run.records("turn_started");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["turn"], 1);
    assert_eq!(started[0]["prompt"], "start");
    // It works, then is idle again: turn 1 ends and turn 2 is typed.
    run.screen(2000, busy());
    run.ticks(4000);
    run.screen(4100, idle());
    run.ticks(4100 + QUIET + 200);
    let ended = run.records("turn_ended");
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0]["turn"], 1);
    assert_eq!(run.injections(), vec![PromptKind::Continuation]);
    assert_eq!(run.sup.turns(), 1);
}

#[test]
fn an_agent_that_works_at_once_has_taken_its_prompt() {
    let mut run = Run::new(config());
    launched(&mut run);
    run.screen(200, busy());
    assert_eq!(given(&run), vec![PromptKind::Start]);
    run.injected(200);
    run.screen(1500, idle());
    run.ticks(1500 + QUIET + 200);
    assert_eq!(run.records("turn_ended").len(), 1);
    assert_eq!(run.injections(), vec![PromptKind::Continuation]);
}

#[test]
fn a_dialog_at_the_start_is_answered_before_turn_one_begins() {
    let mut run = Run::new(config());
    launched(&mut run);
    run.screen(200, dialog(0));
    run.ticks(200 + QUIET + 100);
    assert_eq!(run.records("dialog_answered").len(), 1);
    assert!(given(&run).is_empty(), "not taken while the dialog shows");
    run.screen(1500, idle());
    assert_eq!(given(&run), vec![PromptKind::Start]);
}

#[test]
fn a_start_dialog_the_person_must_answer_pauses_before_any_turn() {
    let mut run = Run::new(config());
    launched(&mut run);
    run.screen(200, dialog(1));
    run.ticks(2000);
    assert_eq!(run.sup.state(), GoalState::Paused);
    assert!(given(&run).is_empty());
    assert!(run.records("turn_started").is_empty());
}

#[test]
fn an_agent_that_never_shows_it_took_its_prompt_times_out_as_a_start() {
    let mut run = Run::new(config());
    launched(&mut run);
    run.screen(100, starting());
    run.ticks(30_000 + 200);
    assert!(given(&run).is_empty());
    assert_eq!(run.sup.state(), GoalState::Paused);
}

#[test]
fn a_resumed_goal_or_a_reset_to_wait_for_keeps_its_first_prompt_typed() {
    let mut cfg = config();
    cfg.first_prompt = PromptKind::Continuation;
    let mut run = Run::new(cfg);
    assert!(run.sup.prompt_at_launch(0).is_none());
    run.start_with(PromptKind::Continuation);

    let mut cfg = config();
    cfg.reset_wait = Some((60_000, "try again at 3:35 PM".into()));
    let mut run = Run::new(cfg);
    assert!(run.sup.prompt_at_launch(0).is_none());
    // Nothing changed when it said no: once ready, the agent waits out the reset.
    run.screen(100, idle());
    run.ticks(100 + QUIET);
    assert_eq!(run.records("error_backoff").len(), 1);
    assert!(run.injections().is_empty());
    assert!(given(&run).is_empty());
}
