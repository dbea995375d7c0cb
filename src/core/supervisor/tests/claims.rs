//! Claims at the end of a turn: audited, rejected with a reason, ignored when
//! already on screen, taken through MCP, and a repeated blocker ending the goal.

use super::*;

#[test]
fn a_completion_claim_is_audited_at_the_end_of_its_turn_and_nothing_is_typed_meanwhile() {
    let mut run = Run::new(config());
    run.start();
    run.turn(1000, idle());
    let t = run.now;
    run.screen(t + 100, busy());
    run.screen(
        t + 500,
        Observation {
            claim: Some(complete()),
            ..busy()
        },
    );
    assert!(run.audits().is_empty(), "not while the turn runs");
    run.screen(t + 1000, claiming(complete()));
    run.ticks(t + 1000 + QUIET);
    assert_eq!(run.audits(), vec![(2, Channel::Screen)]);
    assert_eq!(run.records("claim")[0]["status"], "complete");
    assert_eq!(run.records("claim")[0]["checklist"][0]["requirement"], "R1");
    assert_eq!(
        run.records("claim_seen").len(),
        1,
        "seen once, however often redrawn"
    );
    // The audit runs for a minute: the agent is idle, but nothing is typed.
    let t = run.now;
    run.ticks(t + 60_000);
    run.screen(run.now + 100, idle());
    run.ticks(run.now + 5_000);
    assert_eq!(run.injections().len(), 2);
    assert_eq!(run.stop_code(), None);
    run.audit_finished(run.now + 100, true, &[]);
    assert_eq!(run.stop_code(), Some(0));
    assert_eq!(run.sup.state(), GoalState::Achieved);
    assert_eq!(
        run.transitions(),
        vec![(GoalState::Pursuing, GoalState::Achieved, Actor::Agent)]
    );
    assert_eq!(run.records("claim_accepted")[0]["turn"], 2);
    assert!(run.sup.is_stopped());
    assert!(
        run.tick(run.now + 5000).is_empty(),
        "nothing after the stop"
    );
}

#[test]
fn a_rejected_claim_is_recorded_and_the_agent_is_told_why() {
    let mut run = Run::new(config());
    run.start();
    run.turn(1000, claiming(complete()));
    assert_eq!(run.audits().len(), 1);
    run.audit_finished(
        run.now + 500,
        false,
        &["`cargo test` exited with status 101"],
    );
    assert_eq!(run.sup.state(), GoalState::Pursuing);
    assert_eq!(
        run.records("claim_rejected")[0]["reasons"],
        serde_json::json!(["`cargo test` exited with status 101"])
    );
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::ClaimRejected]
    );
    let vars = run
        .actions
        .iter()
        .rev()
        .find_map(|a| match a {
            Action::Inject { vars, .. } => Some(vars.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        vars.rejection_reasons,
        vec!["`cargo test` exited with status 101"]
    );
    assert_eq!(vars.turn, 2);
    assert_eq!(vars.nonce, turn_nonce("code123456", 2));
    // The agent goes on; a later claim is audited again and accepted.
    run.injected(run.now + 300);
    run.turn(1000, claiming(complete()));
    assert_eq!(run.audits().len(), 2);
    run.audit_finished(run.now + 500, true, &[]);
    assert_eq!(run.stop_code(), Some(0));
}

#[test]
fn a_claim_already_on_screen_before_the_prompt_does_not_count() {
    let mut run = Run::new(config());
    run.screen(100, claiming(complete()));
    run.ticks(100 + QUIET);
    run.injected(run.now + 300);
    // The screen still shows it, unchanged: it is not this turn's.
    run.ticks(run.now + NO_BUSY_QUIET + 200);
    assert!(run.audits().is_empty());
    assert_eq!(run.injections().len(), 2);
}

#[test]
fn a_claim_through_mcp_is_taken_at_the_end_of_the_turn() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    run.at(t + 200, |now_ms| Event::Claim {
        now_ms,
        channel: Channel::Mcp,
        claim: complete(),
    });
    assert!(run.audits().is_empty());
    run.screen(t + 1000, idle());
    run.ticks(t + 1000 + QUIET + 100);
    assert_eq!(run.audits(), vec![(1, Channel::Mcp)]);
    assert_eq!(run.records("claim")[0]["channel"], "mcp");
    // A claim while the audit runs is recorded and ignored.
    run.at(run.now + 100, |now_ms| Event::Claim {
        now_ms,
        channel: Channel::Mcp,
        claim: complete(),
    });
    assert_eq!(run.records("claim_ignored").len(), 1);
}

#[test]
fn the_same_blocker_in_three_consecutive_turns_ends_the_goal_unmet() {
    let mut run = Run::new(config());
    run.start();
    run.turn(1000, claiming(blocked("The database is down.")));
    run.turn(1000, claiming(blocked("the database is down")));
    assert_eq!(run.stop_code(), None);
    let notice = run
        .actions
        .iter()
        .rev()
        .find_map(|a| match a {
            Action::Inject { vars, .. } => vars.notice.clone(),
            _ => None,
        })
        .unwrap();
    assert!(
        notice.starts_with("goalie noted the blocker you reported (2 of 3"),
        "{notice}"
    );
    run.turn(1000, claiming(blocked("the  database is DOWN!")));
    assert_eq!(run.stop_code(), Some(4));
    assert_eq!(run.sup.state(), GoalState::Unmet);
    assert_eq!(
        run.transitions(),
        vec![(GoalState::Pursuing, GoalState::Unmet, Actor::Agent)]
    );
    let counts: Vec<u64> = run
        .records("claim")
        .iter()
        .map(|c| c["consecutive"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, vec![1, 2, 3]);
    assert!(run.audits().is_empty(), "a blocked claim is not audited");
}

#[test]
fn a_different_blocker_or_a_turn_without_one_starts_the_count_again() {
    let mut run = Run::new(config());
    run.start();
    run.turn(1000, claiming(blocked("no network")));
    run.turn(1000, claiming(blocked("no network")));
    run.turn(1000, claiming(blocked("no disk space")));
    run.turn(1000, claiming(blocked("no disk space")));
    run.turn(1000, idle());
    run.turn(1000, claiming(blocked("no disk space")));
    run.turn(1000, claiming(blocked("no disk space")));
    assert_eq!(run.stop_code(), None);
    assert_eq!(run.sup.state(), GoalState::Pursuing);
    run.turn(1000, claiming(blocked("no disk space")));
    assert_eq!(run.stop_code(), Some(4));
}
