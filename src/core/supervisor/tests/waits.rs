//! Waits over event sequences: the agent asks goalie to wait (for a span,
//! until a time, until a command passes), or the plan's quota passed
//! `--max-quota`; goalie types nothing until the wait is over, then the
//! after-wait prompt (or, after a quota wait, the next prompt).

use super::*;
use crate::core::config::WaitConfig;
use crate::core::quota::QuotaWindow;
use crate::goal::change::{GoalChange, Status, UserCommand};
use crate::goal::claim::Channel;
use crate::goal::wait::WaitFor;

/// The wall clock at the run's start: 2026-12-01T12:00:00Z.
const ORIGIN: i64 = 1_796_126_400_000;

fn waiting_config() -> Config {
    Config {
        waits: WaitConfig {
            clock_origin_ms: ORIGIN,
            ..WaitConfig::default()
        },
        ..config()
    }
}

fn command(every_ms: u64) -> WaitFor {
    WaitFor::Command {
        run: "test -f ready.flag".into(),
        every_ms,
        timeout_ms: None,
    }
}

impl Run {
    /// A turn in which the agent claims `wait` through MCP; it ends, and the wait begins.
    fn turn_asking(&mut self, wait: WaitFor) {
        let start = self.now + 100;
        self.screen(start, busy());
        self.ticks(start + 500);
        self.at(self.now + 100, |now_ms| Event::Claim {
            now_ms,
            channel: Channel::Mcp,
            claim: Claim::Waiting { wait },
        });
        let end = self.now + 100;
        self.screen(end, idle());
        self.ticks(end + QUIET + 200);
    }

    fn checks(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| matches!(a, Action::RunWaitCheck { .. }))
            .count()
    }

    fn checked(&mut self, now: u64, passed: bool, output: &str) {
        let output = output.to_string();
        self.at(now, |now_ms| Event::WaitChecked {
            now_ms,
            passed,
            exit_code: Some(if passed { 0 } else { 1 }),
            output,
        });
    }

    fn last_prompt(&self) -> (PromptKind, PromptVars) {
        self.actions
            .iter()
            .rev()
            .find_map(|a| match a {
                Action::Inject { kind, vars, .. } => Some((*kind, (**vars).clone())),
                _ => None,
            })
            .expect("a prompt")
    }

    fn ended(&self) -> Vec<String> {
        self.records("wait_ended")
            .iter()
            .map(|row| row["end"].as_str().unwrap().to_string())
            .collect()
    }
}

#[test]
fn a_command_wait_types_nothing_runs_once_per_interval_and_ends_when_it_passes() {
    let mut run = Run::new(waiting_config());
    run.start();
    run.turn_asking(command(60_000));
    let started = run.records("wait_started");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["cause"], "agent");
    assert_eq!(
        started[0]["wait_ms"],
        2 * 3600 * 1000,
        "the longest wait by default"
    );
    assert_eq!(run.records("claim")[0]["status"], "waiting");
    // The first check runs at once; it fails.
    assert_eq!(run.checks(), 1);
    let since = run.now;
    run.checked(since + 200, false, "");
    // Ten minutes of ticks: one check a minute (each fails), no prompt, no turn.
    while run.now < since + 10 * 60_000 {
        let next = run.now + 100;
        let asked = run.tick(next);
        if asked.iter().any(|a| {
            matches!(
                a,
                Action::RunWaitCheck {
                    timeout_ms: 60_000,
                    ..
                }
            )
        }) {
            run.checked(next + 50, false, "");
        }
    }
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    assert_eq!(run.sup.turns(), 1, "a wait is not a turn");
    assert_eq!(run.checks(), 10, "one check a minute for ten minutes");
    assert!(run.sup.waiting().is_some());
    // The next check passes: the wait ends, and the after-wait prompt says so.
    loop {
        let next = run.now + 100;
        if run
            .tick(next)
            .iter()
            .any(|a| matches!(a, Action::RunWaitCheck { .. }))
        {
            break;
        }
    }
    let now = run.now;
    run.checked(now + 100, true, "ready\n");
    assert_eq!(run.ended(), vec!["condition_met"]);
    let (kind, vars) = run.last_prompt();
    assert_eq!(kind, PromptKind::AfterWait);
    let wait = vars.wait.expect("the wait's note");
    assert!(
        wait.ended.contains("the wait command exited 0"),
        "{}",
        wait.ended
    );
    assert_eq!(wait.output.as_deref(), Some("ready\n"));
    assert!(wait.asked.contains("test -f ready.flag"));
    assert_eq!(run.records("wait_checked").len(), run.checks());
    assert!(run.sup.waiting().is_none());
}

#[test]
fn a_span_and_a_clock_time_end_when_they_come() {
    let mut run = Run::new(waiting_config());
    run.start();
    run.turn_asking(WaitFor::Span { ms: 20_000 });
    let since = run.now;
    run.ticks(since + 19_000);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    run.ticks(since + 20_500);
    assert_eq!(run.ended(), vec!["elapsed"]);
    assert_eq!(run.last_prompt().0, PromptKind::AfterWait);
    assert_eq!(run.checks(), 0);
    let typed = run.now + 300;
    run.injected(typed);

    // Until a minute from now by the wall clock.
    let unix_ms = ORIGIN + i64::try_from(run.now).unwrap() + 60_000;
    run.turn_asking(WaitFor::Until {
        unix_ms,
        shown: "in a minute".into(),
    });
    let since = run.now;
    let started = run.records("wait_started");
    let until = started[1]["until_ms"].as_i64().unwrap();
    assert!(
        (unix_ms - 2_000..=unix_ms).contains(&until),
        "{until} vs {unix_ms}"
    );
    run.ticks(since + 55_000);
    assert_eq!(run.injections().len(), 2);
    run.ticks(since + 61_000);
    assert_eq!(run.ended(), vec!["elapsed", "elapsed"]);
    assert_eq!(run.injections().len(), 3);
}

#[test]
fn waits_are_cut_at_the_longest_wait_and_at_the_time_limit() {
    let mut cfg = waiting_config();
    cfg.waits.max_wait_ms = 30_000;
    let mut run = Run::new(cfg);
    run.start();
    run.turn_asking(WaitFor::Span {
        ms: 5 * 3600 * 1000,
    });
    let since = run.now;
    assert_eq!(run.records("wait_started")[0]["wait_ms"], 30_000);
    run.ticks(since + 31_000);
    assert_eq!(run.ended(), vec!["timed_out"]);
    let (kind, vars) = run.last_prompt();
    assert_eq!(kind, PromptKind::AfterWait);
    assert!(vars.wait.unwrap().ended.contains("--max-wait"));

    let mut cfg = waiting_config();
    cfg.limits.max_time_ms = Some(60_000);
    let mut run = Run::new(cfg);
    run.start();
    run.turn_asking(command(10_000));
    run.ticks(70_000);
    assert_eq!(run.ended(), vec!["time_limit"]);
    // The time limit came: the wrap-up prompt, not the after-wait one.
    assert_eq!(run.last_prompt().0, PromptKind::BudgetLimit);
}

#[test]
fn a_time_limit_lowered_during_a_wait_cuts_it() {
    let mut run = Run::new(waiting_config());
    run.start();
    run.turn_asking(WaitFor::Span { ms: 3600 * 1000 });
    let limit = run.now + 10_000;
    run.at(run.now + 100, |now_ms| Event::Command {
        now_ms,
        command: UserCommand::Change(GoalChange {
            max_time_ms: Some(Some(limit)),
            ..GoalChange::default()
        }),
    });
    run.ticks(limit - 200);
    assert!(run.ended().is_empty(), "not before the limit");
    run.ticks(limit + 1_000);
    assert_eq!(run.ended(), vec!["time_limit"]);
    run.ticks(run.now + QUIET + 200);
    assert_eq!(run.last_prompt().0, PromptKind::BudgetLimit);
}

#[test]
fn the_user_resuming_the_goal_ends_the_wait_and_a_stale_screen_claim_is_ignored() {
    let mut run = Run::new(waiting_config());
    run.start();
    run.turn_asking(WaitFor::Span { ms: 3600 * 1000 });
    // The waiting turn's block read again while goalie waits: not a claim for the next turn.
    let claim = Claim::Waiting {
        wait: WaitFor::Span { ms: 3600 * 1000 },
    };
    run.at(run.now + 100, |now_ms| Event::Claim {
        now_ms,
        channel: Channel::Screen,
        claim,
    });
    assert_eq!(run.records("claim_ignored").len(), 1);
    run.ticks(run.now + 5_000);
    let actions = run.at(run.now + 100, |now_ms| Event::Command {
        now_ms,
        command: UserCommand::Change(GoalChange::status(Status::Pursuing)),
    });
    let Some(Action::Reply(Ok(messages))) = actions.last() else {
        panic!("{actions:?}");
    };
    assert!(
        messages[0].contains("was waiting: the wait is over"),
        "{messages:?}"
    );
    run.ticks(run.now + QUIET + 200);
    assert_eq!(run.ended(), vec!["user_resumed"]);
    let (kind, vars) = run.last_prompt();
    assert_eq!(kind, PromptKind::AfterWait);
    assert!(vars.wait.unwrap().ended.contains("goalie resume"));
    run.injected(run.now + 300);
    run.turn(500, idle());
    // The note went with the after-wait prompt only.
    assert_eq!(
        run.last_prompt(),
        (PromptKind::Continuation, run.last_prompt().1)
    );
    assert!(run.last_prompt().1.wait.is_none());
}

#[test]
fn a_quota_past_the_threshold_waits_for_its_reset_then_goes_on() {
    let mut cfg = waiting_config();
    cfg.waits.max_quota_pct = Some(80);
    let mut run = Run::new(cfg);
    run.start();
    let resets_at_ms = ORIGIN + 10 * 60_000;
    let windows = vec![
        QuotaWindow {
            name: "primary".into(),
            used_tenths: 855,
            window_minutes: Some(300),
            resets_at_ms: Some(resets_at_ms),
        },
        QuotaWindow {
            name: "secondary".into(),
            used_tenths: 100,
            window_minutes: Some(10_080),
            resets_at_ms: Some(ORIGIN + 86_400_000),
        },
    ];
    run.at(run.now + 100, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::Quota { windows },
    });
    let start = run.now + 100;
    run.screen(start, busy());
    run.ticks(start + 500);
    let end = run.now + 100;
    run.screen(end, idle());
    run.ticks(end + QUIET + 200);
    // The turn's quota is recorded, and goalie waits for the primary window's reset.
    let quota = run.records("quota");
    assert_eq!(quota.len(), 1);
    assert_eq!(quota[0]["windows"][0]["used_tenths"], 855);
    let started = run.records("wait_started");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["cause"], "quota");
    assert_eq!(
        started[0]["until_ms"].as_i64().unwrap(),
        resets_at_ms + i64::try_from(QUOTA_RESET_MARGIN_MS).unwrap()
    );
    run.ticks(10 * 60_000);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    run.ticks(10 * 60_000 + 1_000 + QUIET + 500);
    assert_eq!(run.ended(), vec!["quota_reset"]);
    // The reset window is forgotten: the next prompt comes, a continuation.
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::Continuation]
    );
    assert!(run.last_prompt().1.wait.is_none());
}

#[test]
fn without_a_threshold_the_quota_is_only_recorded() {
    let mut run = Run::new(waiting_config());
    run.start();
    let windows = vec![QuotaWindow {
        name: "primary".into(),
        used_tenths: 990,
        window_minutes: Some(300),
        resets_at_ms: Some(ORIGIN + 600_000),
    }];
    run.at(run.now + 100, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::Quota { windows },
    });
    run.turn(500, idle());
    assert_eq!(run.records("quota").len(), 1);
    assert!(run.records("wait_started").is_empty());
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::Continuation]
    );
}

#[test]
fn a_wait_an_earlier_run_was_in_is_ended_by_the_resume_and_the_first_prompt_says_so() {
    let mut cfg = waiting_config();
    cfg.first_prompt = PromptKind::Continuation;
    cfg.waits.interrupted = Some((
        crate::core::wait::WaitCause::Agent {
            channel: Channel::Mcp,
            wait: command(60_000),
        },
        600_000,
    ));
    let mut run = Run::new(cfg.clone());
    run.start_with(PromptKind::AfterWait);
    let (_, vars) = run.last_prompt();
    let note = vars.wait.expect("the note");
    assert!(
        note.ended.contains("`goalie resume` ended it"),
        "{}",
        note.ended
    );
    assert_eq!(note.waited, "10m 0s");
    // An agent that starts afresh gets the start prompt, which carries no note.
    cfg.first_prompt = PromptKind::Start;
    let mut run = Run::new(cfg);
    run.start();
    assert!(run.last_prompt().1.wait.is_none());
}

#[test]
fn a_known_dialog_during_a_wait_is_answered_and_the_wait_goes_on() {
    let mut run = Run::new(waiting_config());
    run.start();
    run.turn_asking(WaitFor::Span { ms: 60_000 });
    let since = run.now;
    run.screen(since + 100, dialog(0));
    run.ticks(since + 100 + QUIET + 200);
    assert_eq!(run.records("dialog_answered").len(), 1);
    assert!(run.sup.waiting().is_some(), "still waiting");
    run.screen(run.now + 100, idle());
    run.ticks(since + 50_000);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    run.ticks(since + 61_000);
    assert_eq!(run.ended(), vec!["elapsed"]);
    assert_eq!(run.last_prompt().0, PromptKind::AfterWait);
}

#[test]
fn a_compaction_in_the_waiting_turn_carries_the_wait_note_in_its_prompt() {
    let mut cfg = waiting_config();
    cfg.compaction_sources = vec![crate::core::compaction::Source::SessionLog];
    let mut run = Run::new(cfg);
    run.start();
    run.turn_asking(WaitFor::Span { ms: 20_000 });
    let since = run.now;
    // The agent's context was summarised at the end of the turn that asked.
    run.at(since + 100, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::Compacted {
            before: Some(170_000),
        },
    });
    assert_eq!(run.records("compacted").len(), 1);
    run.ticks(since + 21_000);
    assert_eq!(run.ended(), vec!["elapsed"]);
    // The compaction's prompt goes first, and it says the wait is over.
    let (kind, vars) = run.last_prompt();
    assert_eq!(kind, PromptKind::AfterCompaction);
    let note = vars.wait.expect("the wait's note");
    assert_eq!(note.waited, "20s", "{note:?}");
    assert_eq!(run.records("goal_restored").len(), 1);
}
