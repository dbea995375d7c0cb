//! The core over event sequences: no PTY, no clock, no database.

use serde_json::json;

use super::*;
use crate::core::compaction::Source;
use crate::core::config::{DialogPolicy, Timing};
use crate::core::log_event::LogEvent;
use crate::core::observer::Observation;
use crate::core::prompt::{PromptKind, PromptVars};
use crate::goal::change::Refusal;
use crate::goal::claim::{ChecklistItem, turn_nonce};
use crate::goal::exit_code;
use crate::goal::lifecycle::Actor;
use crate::goal::spec::Requirement;

const QUIET: u64 = 1000;
const NO_BUSY_QUIET: u64 = 5000;

fn config() -> Config {
    Config {
        goal_id: "goal1234".into(),
        objective: "Make the tests pass".into(),
        claim_code: "code123456".into(),
        requirements: vec![Requirement {
            id: "R1".into(),
            text: "the parser accepts empty input".into(),
        }],
        verify: vec!["cargo test".into()],
        mcp: false,
        timing: Timing {
            quiet_ms: QUIET,
            no_busy_quiet_ms: NO_BUSY_QUIET,
            startup_timeout_ms: 30_000,
            stuck_ms: 20_000,
        },
        user_quiet_ms: 3000,
        wrap_up_grace_ms: 60_000,
        limits: Limits::default(),
        prior: Progress::default(),
        first_prompt: PromptKind::Start,
        objective_changed_from: None,
        compaction_sources: vec![Source::Screen],
        prior_compactions: 0,
        first_process: 1,
        start_on_evidence: true,
        rotation: Rotation::Never,
        context_window: None,
        reset_wait: None,
        waits: crate::core::config::WaitConfig::default(),
        watchdog: Default::default(),
        dialogs: vec![
            DialogRule {
                name: "trust".into(),
                policy: DialogPolicy::Accept,
                accept: "\r".into(),
                deny: "\x1b".into(),
            },
            DialogRule {
                name: "login".into(),
                policy: DialogPolicy::Escalate,
                accept: "\r".into(),
                deny: "\x1b".into(),
            },
        ],
    }
}

fn dialog(index: usize) -> Observation {
    Observation {
        changed: true,
        dialog: Some(index),
        ..Observation::default()
    }
}

fn idle() -> Observation {
    Observation {
        changed: true,
        idle: true,
        ..Observation::default()
    }
}

fn busy() -> Observation {
    Observation {
        changed: true,
        busy: true,
        idle: true,
        ..Observation::default()
    }
}

/// Drives a supervisor and keeps every action it returned.
struct Run {
    sup: Supervisor,
    now: u64,
    actions: Vec<Action>,
}

impl Run {
    fn new(config: Config) -> Run {
        Run {
            sup: Supervisor::new(config),
            now: 0,
            actions: Vec::new(),
        }
    }

    fn at(&mut self, now: u64, event: impl FnOnce(u64) -> Event) -> Vec<Action> {
        assert!(now >= self.now, "time runs forward");
        self.now = now;
        let out = self.sup.handle(event(now));
        self.actions.extend(out.clone());
        out
    }

    fn screen(&mut self, now: u64, seen: Observation) -> Vec<Action> {
        self.at(now, |now_ms| Event::Screen { now_ms, seen })
    }

    fn tick(&mut self, now: u64) -> Vec<Action> {
        self.at(now, |now_ms| Event::Tick { now_ms })
    }

    fn injected(&mut self, now: u64) {
        self.at(now, |now_ms| Event::InjectionDone { now_ms });
    }

    /// Ticks every 100 ms up to `until`.
    fn ticks(&mut self, until: u64) {
        while self.now + 100 <= until {
            let next = self.now + 100;
            self.tick(next);
        }
    }

    /// Brings the agent to its first prompt and types it.
    fn start(&mut self) {
        self.screen(100, idle());
        self.ticks(100 + QUIET);
        assert_eq!(self.injections(), vec![PromptKind::Start]);
        let now = self.now + 300;
        self.injected(now);
    }

    /// Like [`Run::start`], for a first prompt of `kind`.
    fn start_with(&mut self, kind: PromptKind) {
        self.screen(100, idle());
        self.ticks(100 + QUIET);
        assert_eq!(self.injections(), vec![kind]);
        let now = self.now + 300;
        self.injected(now);
    }

    /// One turn from a typed prompt to its end: busy for `work` ms, then idle.
    fn turn(&mut self, work: u64, extra: Observation) {
        let start = self.now + 100;
        self.screen(start, busy());
        self.ticks(start + work);
        let end = self.now + 100;
        self.screen(end, Observation { ..extra });
        self.ticks(end + QUIET + 200);
        let now = self.now + 300;
        self.injected(now);
    }

    fn injections(&self) -> Vec<PromptKind> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Inject { kind, .. } => Some(*kind),
                _ => None,
            })
            .collect()
    }

    fn records(&self, wanted: &str) -> Vec<serde_json::Value> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Record(row) if row.kind() == wanted => Some(row.data()),
                _ => None,
            })
            .collect()
    }

    fn stop_code(&self) -> Option<i32> {
        self.actions.iter().find_map(|a| match a {
            Action::Stop { exit_code, .. } => Some(*exit_code),
            _ => None,
        })
    }

    fn transitions(&self) -> Vec<(GoalState, GoalState, Actor)> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Transition {
                    from, to, actor, ..
                } => Some((*from, *to, *actor)),
                _ => None,
            })
            .collect()
    }
}

fn idle_with(f: impl FnOnce(&mut Observation)) -> Observation {
    let mut seen = idle();
    f(&mut seen);
    seen
}

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

fn complete() -> Claim {
    Claim::Complete {
        checklist: vec![ChecklistItem {
            requirement: "R1".into(),
            evidence: "tests/parse.rs::empty passes".into(),
        }],
    }
}

fn blocked(reason: &str) -> Claim {
    Claim::Blocked {
        reason: reason.into(),
    }
}

fn claiming(claim: Claim) -> Observation {
    idle_with(|o| o.claim = Some(claim))
}

impl Run {
    fn audits(&self) -> Vec<(u32, Channel)> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::RunAudit { turn, channel, .. } => Some((*turn, *channel)),
                _ => None,
            })
            .collect()
    }

    fn audit_finished(&mut self, now: u64, passed: bool, reasons: &[&str]) {
        let reasons = reasons.iter().map(|r| r.to_string()).collect();
        self.at(now, |now_ms| Event::AuditFinished {
            now_ms,
            passed,
            reasons,
        });
    }
}

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
fn each_new_compaction_banner_is_recorded_once_it_holds() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(
        t + 100,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    run.screen(
        t + 200,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    assert!(run.records("compacted").is_empty(), "not settled yet");
    run.tick(t + 400);
    // A redraw shows the banner twice for a moment: not a second compaction.
    run.screen(
        t + 450,
        Observation {
            compactions: 2,
            ..busy()
        },
    );
    run.screen(
        t + 470,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    run.tick(t + 1000);
    run.screen(
        t + 1100,
        Observation {
            compactions: 3,
            ..busy()
        },
    );
    run.tick(t + 1500);
    let numbers: Vec<u64> = run
        .records("compacted")
        .iter()
        .map(|r| r["compaction"].as_u64().unwrap())
        .collect();
    // One row per compaction: the jump from 1 to 3 banners is two of them.
    assert_eq!(numbers, vec![1, 2, 3]);
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

#[test]
fn session_log_tokens_win_over_the_screen() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.at(t + 50, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::Tokens { total: 1234 },
    });
    run.turn(1000, idle_with(|o| o.tokens = Some(99_000)));
    assert_eq!(run.sup.tokens_used(), 1234);
    assert_eq!(run.records("tokens")[0]["source"], "session_log");
}

#[test]
fn the_logs_turn_complete_ends_the_turn_after_a_short_settle() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    run.screen(t + 600, idle());
    run.at(t + 650, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::TurnComplete,
    });
    run.ticks(t + 600 + 600);
    assert_eq!(
        run.injections().len(),
        2,
        "ended well before the 1 s quiet window"
    );
    assert_eq!(run.records("turn_ended")[0]["signalled"], true);
}

#[test]
fn the_logs_turn_complete_never_beats_a_busy_screen() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    run.at(t + 200, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::TurnComplete,
    });
    run.ticks(t + 10_000);
    assert_eq!(run.injections().len(), 1);
}

#[test]
fn the_log_and_the_banner_of_one_compaction_make_one_row() {
    let mut cfg = config();
    cfg.compaction_sources = vec![Source::SessionLog, Source::Screen];
    let mut run = Run::new(cfg);
    run.start();
    let t = run.now;
    run.screen(
        t + 100,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    run.ticks(t + 1000);
    assert!(
        run.records("compacted").is_empty(),
        "the log may still report it"
    );
    run.at(t + 1100, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::Compacted {
            before: Some(170_006),
        },
    });
    let compacted = run.records("compacted");
    assert_eq!(compacted.len(), 1);
    assert_eq!(compacted[0]["source"], "session_log");
    assert_eq!(
        compacted[0]["sources"],
        serde_json::json!(["session_log", "screen"])
    );
    assert_eq!(compacted[0]["context_before"], 170_006);
}

mod activity;
mod api_errors;
mod compactions;
mod rotation;
mod soak;
mod stall;
mod start;
mod turn_signals;
mod user_commands;
mod waits;

#[test]
fn a_hooks_turn_signal_ends_the_turn_and_is_recorded() {
    let mut run = Run::new(config());
    // Before any turn: recorded, not counted.
    run.at(10, |now_ms| Event::TurnSignal {
        now_ms,
        source: "codex-notify".into(),
        data: serde_json::json!({"type": "agent-turn-complete"}),
    });
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    run.screen(t + 600, idle());
    run.at(t + 650, |now_ms| Event::TurnSignal {
        now_ms,
        source: "codex-notify".into(),
        data: serde_json::Value::Null,
    });
    run.ticks(t + 600 + 600);
    assert_eq!(run.injections().len(), 2, "ended before the quiet window");
    let signals = run.records("turn_signal");
    assert_eq!(signals.len(), 2);
    assert_eq!(signals[0]["counted"], false);
    assert_eq!(signals[0]["data"]["type"], "agent-turn-complete");
    assert_eq!(signals[1]["counted"], true);
    assert_eq!(signals[1]["source"], "codex-notify");
    let ended = &run.records("turn_ended")[0];
    assert_eq!(ended["signalled"], true);
    assert_eq!(ended["signalled_by"], "hook");
}

#[test]
fn tokens_the_log_reports_after_the_stop_still_count() {
    let mut cfg = config();
    cfg.limits.max_turns = Some(1);
    let mut run = Run::new(cfg);
    run.start();
    run.at(run.now + 50, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::Tokens { total: 1000 },
    });
    run.turn(1000, idle());
    run.turn(1000, idle());
    assert_eq!(run.stop_code(), Some(3));
    // The wrap-up reply's figures reach the log as the agent ends.
    let late = run.at(run.now + 100, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::Tokens { total: 2500 },
    });
    assert_eq!(run.sup.tokens_used(), 2500);
    assert!(late.iter().any(|a| matches!(
        a,
        Action::Progress {
            tokens_used: 2500,
            ..
        }
    )));
    assert_eq!(run.records("tokens").last().unwrap()["after_stop"], true);
    // Nothing else happens after the stop.
    assert!(run.tick(run.now + 5000).is_empty());
    assert!(
        run.at(run.now + 10, |now_ms| Event::SessionLog {
            now_ms,
            event: LogEvent::Tokens { total: 100 }
        })
        .is_empty()
    );
}

#[test]
fn a_turn_signal_that_comes_late_does_not_end_the_next_turn() {
    let signal = |run: &mut Run, at: u64| {
        run.at(at, |now_ms| Event::TurnSignal {
            now_ms,
            source: "codex-notify".into(),
            data: serde_json::Value::Null,
        })
    };
    let mut run = Run::new(config());
    run.start();
    // Turn 1: the hook signals it.
    let t = run.now;
    run.screen(t + 100, busy());
    run.screen(t + 600, idle());
    signal(&mut run, t + 650);
    run.ticks(t + 1300);
    assert_eq!(run.injections().len(), 2);
    run.injected(run.now + 300);
    // Turn 2 ends on the screen alone: its signal is late.
    run.turn(1000, idle());
    assert_eq!(run.injections().len(), 3);
    // It arrives while turn 3 runs: not this turn's end.
    let t = run.now;
    run.screen(t + 50, busy());
    signal(&mut run, t + 100);
    run.screen(t + 150, idle());
    run.ticks(t + 150 + 600);
    assert_eq!(run.injections().len(), 3, "turn 3 ended on turn 2's signal");
    let signals = run.records("turn_signal");
    assert_eq!(signals.last().unwrap()["counted"], false);
    // Turn 3's own signal ends it.
    run.screen(t + 800, busy());
    run.screen(t + 1200, idle());
    signal(&mut run, t + 1250);
    run.ticks(t + 1250 + 600);
    assert_eq!(run.injections().len(), 4);
    assert_eq!(run.records("turn_signal").last().unwrap()["counted"], true);
    assert_eq!(run.records("turn_ended")[2]["signalled"], true);
}
