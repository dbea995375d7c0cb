//! The goal's budget and the agent's exits: max turns, tokens and time lead to a
//! wrap-up turn; an agent that exits, never gets ready or gets a signal pauses the
//! goal; counters continue from an earlier run.

use super::*;

#[test]
fn max_turns_leads_to_one_wrap_up_turn_then_exit_3() {
    let mut cfg = config();
    cfg.limits.max_turns = Some(2);
    let mut run = Run::new(cfg);
    run.start();
    run.turn(1000, idle());
    run.turn(1000, idle());
    assert_eq!(
        run.injections(),
        vec![
            PromptKind::Start,
            PromptKind::Continuation,
            PromptKind::BudgetLimit
        ]
    );
    assert_eq!(run.sup.state(), GoalState::BudgetLimited);
    let wrap = run.actions.iter().find_map(|a| match a {
        Action::Inject {
            kind: PromptKind::BudgetLimit,
            vars,
            ..
        } => Some(vars.clone()),
        _ => None,
    });
    assert_eq!(wrap.unwrap().limit_reason.as_deref(), Some("turn"));
    assert_eq!(run.stop_code(), None, "the wrap-up turn runs first");
    run.turn(1000, idle());
    assert_eq!(run.stop_code(), Some(3));
    assert_eq!(run.records("wrap_up_ended").len(), 1);
    assert_eq!(run.injections().len(), 3, "the wrap-up is injected once");
}

#[test]
fn a_claim_in_the_last_allowed_turn_is_audited_and_can_still_win() {
    let mut cfg = config();
    cfg.limits.max_turns = Some(1);
    let mut run = Run::new(cfg.clone());
    run.start();
    run.turn(1000, claiming(complete()));
    run.audit_finished(run.now + 100, true, &[]);
    assert_eq!(run.stop_code(), Some(0));

    // Rejected at the limit: the wrap-up, not another try.
    let mut run = Run::new(cfg);
    run.start();
    run.turn(1000, claiming(complete()));
    run.audit_finished(run.now + 100, false, &["no"]);
    assert_eq!(run.sup.state(), GoalState::BudgetLimited);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::BudgetLimit]
    );
    // A claim in the wrap-up turn is ignored.
    run.injected(run.now + 300);
    run.turn(1000, claiming(blocked("x")));
    assert_eq!(run.stop_code(), Some(3));
    assert_eq!(run.records("claim_ignored").len(), 1);
}

#[test]
fn the_token_budget_counts_what_the_screen_shows() {
    let mut cfg = config();
    cfg.limits.budget_tokens = Some(5000);
    let mut run = Run::new(cfg);
    run.start();
    run.turn(1000, idle_with(|o| o.tokens = Some(3000)));
    assert_eq!(run.injections().last(), Some(&PromptKind::Continuation));
    run.turn(1000, idle_with(|o| o.tokens = Some(6000)));
    assert_eq!(run.injections().last(), Some(&PromptKind::BudgetLimit));
    assert_eq!(run.sup.tokens_used(), 6000);
    assert_eq!(run.records("tokens").len(), 2);
}

#[test]
fn the_time_limit_waits_for_the_turn_then_wraps_up() {
    let mut cfg = config();
    cfg.limits.max_time_ms = Some(10_000);
    let mut run = Run::new(cfg);
    run.start();
    run.turn(15_000, idle());
    assert_eq!(run.injections().last(), Some(&PromptKind::BudgetLimit));
    run.turn(1000, idle());
    assert_eq!(run.stop_code(), Some(3));
}

#[test]
fn an_agent_busy_far_past_the_time_limit_is_stopped() {
    let mut cfg = config();
    cfg.limits.max_time_ms = Some(10_000);
    cfg.wrap_up_grace_ms = 5000;
    let mut run = Run::new(cfg);
    run.start();
    run.screen(run.now + 100, busy());
    run.ticks(14_900);
    assert_eq!(run.stop_code(), None);
    run.ticks(15_100);
    assert_eq!(run.stop_code(), Some(3));
    assert_eq!(run.sup.state(), GoalState::BudgetLimited);
}

#[test]
fn a_wrap_up_turn_that_never_ends_is_cut_off() {
    let mut cfg = config();
    cfg.limits.max_turns = Some(1);
    cfg.wrap_up_grace_ms = 5000;
    let mut run = Run::new(cfg);
    run.start();
    run.turn(1000, idle());
    let t = run.now;
    run.screen(t + 100, busy());
    run.ticks(t + 4800);
    assert_eq!(run.stop_code(), None);
    run.ticks(t + 5200);
    assert_eq!(run.stop_code(), Some(3));
    assert_eq!(run.records("wrap_up_timeout").len(), 1);
}

#[test]
fn the_agent_exiting_pauses_the_goal() {
    let mut run = Run::new(config());
    run.start();
    run.at(run.now + 100, |now_ms| Event::AgentExited {
        now_ms,
        status: "exit code 1".into(),
    });
    assert_eq!(run.sup.state(), GoalState::Paused);
    assert_eq!(run.stop_code(), Some(5));
    assert_eq!(
        run.transitions(),
        vec![(GoalState::Pursuing, GoalState::Paused, Actor::Runtime)]
    );
}

#[test]
fn the_agent_exiting_during_wrap_up_keeps_budget_limited() {
    let mut cfg = config();
    cfg.limits.max_turns = Some(1);
    let mut run = Run::new(cfg);
    run.start();
    run.turn(1000, idle());
    run.at(run.now + 100, |now_ms| Event::AgentExited {
        now_ms,
        status: "exit code 0".into(),
    });
    assert_eq!(run.sup.state(), GoalState::BudgetLimited);
    assert_eq!(run.stop_code(), Some(3));
}

#[test]
fn a_signal_pauses_the_goal_and_exits_128_plus_n() {
    let mut run = Run::new(config());
    run.start();
    run.at(run.now + 100, |now_ms| Event::Interrupted {
        now_ms,
        signal: 15,
    });
    assert_eq!(run.sup.state(), GoalState::Paused);
    assert_eq!(run.stop_code(), Some(143));
}

#[test]
fn an_agent_that_never_gets_ready_pauses_the_goal() {
    let mut run = Run::new(config());
    run.screen(100, busy());
    run.ticks(29_900);
    assert_eq!(run.stop_code(), None);
    run.ticks(30_000);
    assert_eq!(run.stop_code(), Some(5));
    assert_eq!(run.sup.state(), GoalState::Paused);
}

#[test]
fn counters_continue_from_an_earlier_run() {
    let mut cfg = config();
    cfg.prior = Progress {
        turns: 7,
        tokens_used: 10_000,
        time_used_ms: 60_000,
    };
    cfg.limits.max_turns = Some(8);
    let mut run = Run::new(cfg);
    run.start();
    run.turn(1000, idle_with(|o| o.tokens = Some(500)));
    assert_eq!(run.sup.turns(), 8);
    assert_eq!(run.sup.tokens_used(), 10_500);
    assert_eq!(run.injections().last(), Some(&PromptKind::BudgetLimit));
}
