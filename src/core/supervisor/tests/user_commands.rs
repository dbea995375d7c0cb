//! The user's controls over event sequences: pause, resume, edit, budgets,
//! clear and the takeover chord.

use super::*;
use crate::goal::change::{GoalChange, Status, UserCommand};

impl Run {
    fn command(&mut self, now: u64, command: UserCommand) -> Vec<Action> {
        self.at(now, |now_ms| Event::Command { now_ms, command })
    }

    fn set(&mut self, now: u64, change: GoalChange) -> Result<Vec<String>, Refusal> {
        let actions = self.command(now, UserCommand::Change(change));
        reply(&actions)
    }

    fn chord(&mut self, now: u64) -> Vec<Action> {
        self.at(now, |now_ms| Event::TakeoverChord { now_ms })
    }

    fn injected_vars(&self) -> Vec<PromptVars> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Inject { vars, .. } => Some((**vars).clone()),
                _ => None,
            })
            .collect()
    }
}

fn reply(actions: &[Action]) -> Result<Vec<String>, Refusal> {
    match actions.last() {
        Some(Action::Reply(reply)) => reply.clone(),
        other => panic!("a command ends with its reply, not {other:?}"),
    }
}

fn updates(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::GoalUpdated))
        .count()
}

#[test]
fn pause_lets_the_turn_finish_then_types_nothing_and_resume_continues_at_the_next_idle_turn() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    let actions = run.command(
        t + 200,
        UserCommand::Change(GoalChange::status(Status::Paused)),
    );
    assert_eq!(updates(&actions), 1);
    assert!(
        reply(&actions).unwrap()[0].starts_with("goal goal1234 paused: the current turn finishes")
    );
    assert_eq!(run.sup.state(), GoalState::Paused);
    // The turn ends and is counted, but nothing is typed, however long it idles.
    run.screen(t + 1000, idle());
    run.ticks(t + 60_000);
    assert_eq!(run.records("turn_ended").len(), 1);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    let used = run.sup.used(run.now).time_used_ms;
    assert!(used < 5000, "idle time while paused is not spent: {used}");

    let messages = run
        .set(run.now, GoalChange::status(Status::Pursuing))
        .unwrap();
    assert_eq!(
        messages,
        vec!["goal goal1234 resumed: goalie continues at the next idle turn"]
    );
    run.ticks(run.now + QUIET + 100);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::Continuation]
    );
    assert_eq!(
        run.transitions(),
        vec![
            (GoalState::Pursuing, GoalState::Paused, Actor::User),
            (GoalState::Paused, GoalState::Pursuing, Actor::User)
        ]
    );
}

#[test]
fn a_resumed_goal_names_its_agent_process_by_the_goal_s_count() {
    let mut cfg = config();
    cfg.first_process = 3;
    let mut run = Run::new(cfg);
    run.screen(100, idle());
    run.ticks(QUIET + 500);
    assert_eq!(
        run.records("agent_ready"),
        vec![serde_json::json!({ "process": 3 })]
    );
}

#[test]
fn a_goal_paused_before_the_agent_is_ready_gets_its_start_prompt_on_resume() {
    let mut run = Run::new(config());
    run.set(50, GoalChange::status(Status::Paused)).unwrap();
    run.screen(100, idle());
    run.ticks(10_000);
    assert!(run.injections().is_empty());
    assert_eq!(run.records("agent_ready").len(), 1);
    run.set(10_000, GoalChange::status(Status::Pursuing))
        .unwrap();
    run.ticks(10_000 + QUIET + 100);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
}

#[test]
fn pausing_twice_is_a_no_op_and_a_budget_below_use_is_refused_with_no_change() {
    let mut run = Run::new(config());
    run.start();
    run.turn(1000, idle());
    run.set(run.now, GoalChange::status(Status::Paused))
        .unwrap();
    let actions = run.command(
        run.now + 10,
        UserCommand::Change(GoalChange::status(Status::Paused)),
    );
    assert_eq!(
        reply(&actions).unwrap(),
        vec!["goal goal1234 is already paused"]
    );
    assert_eq!(actions.len(), 1, "only the reply: {actions:?}");
    let below = GoalChange {
        max_turns: Some(Some(1)),
        ..GoalChange::default()
    };
    let actions = run.command(run.now + 20, UserCommand::Change(below));
    assert!(reply(&actions).is_err());
    assert_eq!(actions.len(), 1, "nothing changed: {actions:?}");
    assert_eq!(run.sup.limits(), Limits::default());
}

#[test]
fn an_edited_objective_is_announced_once_in_the_next_prompt() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    let actions = run.command(
        t + 200,
        UserCommand::Change(GoalChange::objective("Ship the parser".into())),
    );
    assert!(actions.contains(&Action::SetObjective {
        objective: "Ship the parser".into()
    }));
    assert_eq!(updates(&actions), 1);
    assert_eq!(
        run.records("objective_updated")[0],
        json!({ "from": "Make the tests pass", "to": "Ship the parser" })
    );
    run.screen(t + 1000, idle());
    run.ticks(t + 1000 + QUIET + 100);
    run.injected(run.now + 300);
    run.turn(1000, idle());
    assert_eq!(
        run.injections(),
        vec![
            PromptKind::Start,
            PromptKind::ObjectiveUpdated,
            PromptKind::Continuation
        ]
    );
    let vars = run.injected_vars();
    assert_eq!(
        vars[1].previous_objective.as_deref(),
        Some("Make the tests pass")
    );
    assert_eq!(vars[1].objective, "Ship the parser");
    assert_eq!(vars[2].previous_objective, None);
    assert_eq!(vars[2].objective, "Ship the parser");
}

#[test]
fn an_objective_edited_before_the_first_prompt_goes_into_the_start_prompt() {
    let mut run = Run::new(config());
    run.set(50, GoalChange::objective("Ship the parser".into()))
        .unwrap();
    run.start();
    run.turn(1000, idle());
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::Continuation]
    );
    assert_eq!(run.injected_vars()[0].objective, "Ship the parser");
}

#[test]
fn a_resumed_goal_whose_agent_kept_its_conversation_starts_with_the_right_prompt() {
    let mut cfg = config();
    cfg.first_prompt = PromptKind::Continuation;
    cfg.prior = Progress {
        turns: 4,
        tokens_used: 500,
        time_used_ms: 90_000,
    };
    let mut run = Run::new(cfg.clone());
    run.start_with(PromptKind::Continuation);
    assert_eq!(run.injected_vars()[0].turn, 5, "turns continue");

    cfg.objective_changed_from = Some("Old".into());
    let mut run = Run::new(cfg.clone());
    run.start_with(PromptKind::ObjectiveUpdated);
    assert_eq!(
        run.injected_vars()[0].previous_objective.as_deref(),
        Some("Old")
    );

    // A fresh conversation gets the whole start prompt, with the new objective.
    cfg.first_prompt = PromptKind::Start;
    let mut run = Run::new(cfg);
    run.start_with(PromptKind::Start);
}

#[test]
fn raising_the_turn_limit_during_the_wrap_up_reopens_the_goal() {
    let mut cfg = config();
    cfg.limits.max_turns = Some(2);
    let mut run = Run::new(cfg);
    run.start();
    run.turn(1000, idle());
    run.turn(1000, idle());
    assert_eq!(run.sup.state(), GoalState::BudgetLimited);
    let messages = run
        .set(
            run.now,
            GoalChange {
                max_turns: Some(Some(5)),
                ..GoalChange::default()
            },
        )
        .unwrap();
    assert_eq!(
        messages[1],
        "goal goal1234 re-opened: goalie continues after the wrap-up turn"
    );
    assert_eq!(run.sup.state(), GoalState::Pursuing);
    run.turn(1000, idle());
    assert_eq!(
        run.stop_code(),
        None,
        "re-opened: no stop after the wrap-up"
    );
    assert_eq!(
        run.injections(),
        vec![
            PromptKind::Start,
            PromptKind::Continuation,
            PromptKind::BudgetLimit,
            PromptKind::Continuation
        ]
    );
    run.turn(1000, idle());
    run.turn(1000, idle());
    assert_eq!(
        run.injections()[5],
        PromptKind::BudgetLimit,
        "limit 5 reached"
    );
    assert_eq!(
        run.transitions()[1..],
        [
            (GoalState::BudgetLimited, GoalState::Pursuing, Actor::User),
            (
                GoalState::Pursuing,
                GoalState::BudgetLimited,
                Actor::Runtime
            )
        ]
    );
}

#[test]
fn clear_ends_the_goal_cleared_and_stops_the_agent() {
    let mut run = Run::new(config());
    run.start();
    let actions = run.command(run.now + 100, UserCommand::Clear);
    assert_eq!(
        reply(&actions).unwrap(),
        vec!["goal goal1234 cleared: the agent is stopped"]
    );
    assert_eq!(run.sup.state(), GoalState::Cleared);
    assert_eq!(run.stop_code(), Some(exit_code::PAUSED));
    assert!(run.sup.is_stopped());
    assert_eq!(
        run.transitions(),
        vec![(GoalState::Pursuing, GoalState::Cleared, Actor::User)]
    );
}

#[test]
fn the_takeover_chord_pauses_and_hands_back() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    let actions = run.chord(t + 200);
    assert_eq!(updates(&actions), 1);
    assert!(run.sup.takeover());
    assert_eq!(run.sup.state(), GoalState::Paused);
    // The turn ends; the person types their own prompts; goalie types nothing.
    run.screen(t + 1000, idle());
    run.ticks(t + 5000);
    run.at(t + 5000, |now_ms| Event::UserInput { now_ms });
    run.screen(t + 5100, busy());
    run.screen(t + 8000, idle());
    run.ticks(t + 20_000);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    // Pausing now says so; the chord hands back.
    let paused = run
        .set(t + 20_000, GoalChange::status(Status::Paused))
        .unwrap();
    assert_eq!(paused, vec!["goal goal1234 is already paused (takeover)"]);
    run.chord(t + 20_100);
    assert!(!run.sup.takeover());
    assert_eq!(run.sup.state(), GoalState::Pursuing);
    // The chord is a key: goalie waits for the keyboard to be still.
    run.ticks(t + 20_100 + 2900);
    assert_eq!(run.injections().len(), 1);
    run.ticks(t + 20_100 + 3200);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::Continuation]
    );
    assert_eq!(run.records("takeover_started").len(), 1);
    assert_eq!(run.records("takeover_ended").len(), 1);
}

#[test]
fn a_claim_in_a_turn_that_ends_while_paused_does_not_count() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    run.set(t + 200, GoalChange::status(Status::Paused))
        .unwrap();
    run.screen(t + 1000, claiming(complete()));
    run.ticks(t + 1000 + QUIET + 100);
    assert_eq!(run.stop_code(), None);
    assert!(run.records("claim").is_empty(), "no audit while paused");
    assert!(!run.records("claim_ignored").is_empty());
    assert_eq!(run.sup.state(), GoalState::Paused);
}
