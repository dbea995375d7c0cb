//! Compactions over event sequences: merged detection, and the goal restored
//! by the first prompt after each compaction burst, never typed into a busy agent.

use super::*;
use crate::goal::change::{GoalChange, Status, UserCommand};

impl Run {
    fn vars_of(&self, wanted: PromptKind) -> Vec<PromptVars> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Inject { kind, vars, .. } if *kind == wanted => Some((**vars).clone()),
                _ => None,
            })
            .collect()
    }

    /// A compaction banner appears (the `n`th of this process) while busy, and holds.
    fn banner(&mut self, n: u32) {
        let t = self.now + 100;
        self.screen(
            t,
            Observation {
                compactions: n,
                ..busy()
            },
        );
        self.ticks(t + 400);
    }

    /// The rest of a turn whose busy screen is already shown: idle, then the next prompt.
    fn finish_turn(&mut self, seen: Observation) {
        let end = self.now + 100;
        self.screen(end, seen);
        self.ticks(end + QUIET + 200);
        let now = self.now + 300;
        self.injected(now);
    }
}

fn banners(n: u32) -> Observation {
    Observation {
        compactions: n,
        ..idle()
    }
}

#[test]
fn a_compaction_mid_turn_is_answered_at_the_end_of_the_turn() {
    let mut run = Run::new(config());
    run.start();
    run.screen(run.now + 100, busy());
    run.banner(1);
    assert_eq!(run.records("compacted").len(), 1);
    assert_eq!(run.records("compacted")[0]["during"], "turn");
    // The agent works on after compacting: nothing is typed into it.
    let until = run.now + 20_000;
    run.ticks(until);
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    run.finish_turn(banners(1));
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::AfterCompaction]
    );
    let restored = run.vars_of(PromptKind::AfterCompaction);
    assert_eq!(restored[0].objective, "Make the tests pass");
    assert_eq!(restored[0].compactions, 1);
    assert_eq!(run.records("goal_restored").len(), 1);
    // The next turn, without a compaction (its banner still on screen), continues as usual.
    let start = run.now + 100;
    run.screen(
        start,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    run.ticks(start + 1000);
    run.finish_turn(banners(1));
    assert_eq!(run.injections().last(), Some(&PromptKind::Continuation));
}

#[test]
fn a_burst_of_compactions_is_answered_once() {
    let mut run = Run::new(config());
    run.start();
    run.screen(run.now + 100, busy());
    run.banner(1);
    run.banner(2);
    run.banner(3);
    run.finish_turn(banners(3));
    assert_eq!(run.records("compacted").len(), 3);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::AfterCompaction]
    );
    assert_eq!(run.vars_of(PromptKind::AfterCompaction)[0].compactions, 3);
}

#[test]
fn a_compaction_while_a_prompt_is_typed_is_answered_after_that_turn() {
    let mut run = Run::new(config());
    run.start();
    let start = run.now + 100;
    run.screen(start, busy());
    run.ticks(start + 1000);
    let end = run.now + 100;
    run.screen(end, idle());
    run.ticks(end + QUIET + 200);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::Continuation]
    );
    // The continuation is being typed when the agent compacts (at the start of its new turn).
    let t = run.now + 50;
    run.screen(t, banners(1));
    run.ticks(t + 400);
    let now = run.now + 100;
    run.injected(now);
    assert_eq!(run.records("compacted")[0]["during"], "turn");
    let start = run.now + 100;
    run.screen(
        start,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    run.ticks(start + 1000);
    run.finish_turn(banners(1));
    assert_eq!(run.records("compacted").len(), 1);
    assert_eq!(
        run.injections(),
        vec![
            PromptKind::Start,
            PromptKind::Continuation,
            PromptKind::AfterCompaction
        ]
    );
}

#[test]
fn a_compaction_while_paused_is_answered_on_resume() {
    let mut run = Run::new(config());
    run.start();
    run.at(run.now + 50, |now_ms| Event::Command {
        now_ms,
        command: UserCommand::Change(GoalChange::status(Status::Paused)),
    });
    run.turn(1000, idle());
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    // The person compacts by hand while the goal is paused.
    let t = run.now + 100;
    run.screen(t, banners(1));
    run.ticks(t + 1000);
    let compacted = run.records("compacted");
    assert_eq!(compacted.len(), 1);
    assert_eq!(compacted[0]["during"], "between_turns");
    run.at(run.now + 100, |now_ms| Event::Command {
        now_ms,
        command: UserCommand::Change(GoalChange::status(Status::Pursuing)),
    });
    let until = run.now + QUIET + 200;
    run.ticks(until);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::AfterCompaction]
    );
}

#[test]
fn the_restoring_prompt_carries_a_rejected_claims_reasons() {
    let mut run = Run::new(config());
    run.start();
    run.screen(run.now + 100, busy());
    run.banner(1);
    run.finish_turn_with_claim();
    let restored = run.vars_of(PromptKind::AfterCompaction);
    assert_eq!(restored.len(), 1, "{:?}", run.injections());
    assert_eq!(
        restored[0].rejection_reasons,
        vec!["no test for R1".to_string()]
    );
}

impl Run {
    fn finish_turn_with_claim(&mut self) {
        let end = self.now + 100;
        let mut seen = banners(1);
        seen.claim = Some(Claim::Complete {
            checklist: vec![crate::goal::claim::ChecklistItem {
                requirement: "R1".into(),
                evidence: "x".into(),
            }],
        });
        self.screen(end, seen);
        self.ticks(end + QUIET + 200);
        let now = self.now + 100;
        self.at(now, |now_ms| Event::AuditFinished {
            now_ms,
            passed: false,
            reasons: vec!["no test for R1".into()],
        });
        let now = self.now + 300;
        self.injected(now);
    }
}

#[test]
fn a_sudden_fall_of_the_gauge_is_a_compaction() {
    let mut cfg = config();
    cfg.compaction_sources = vec![Source::Screen, Source::Gauge];
    let mut run = Run::new(cfg);
    run.start();
    let gauge = |pct: u8| Observation {
        context_used_pct: Some(pct),
        ..busy()
    };
    run.screen(run.now + 100, gauge(70));
    run.screen(run.now + 100, gauge(85));
    run.screen(run.now + 100, gauge(12));
    let until = run.now + 6000;
    run.ticks(until);
    let compacted = run.records("compacted");
    assert_eq!(compacted.len(), 1);
    assert_eq!(compacted[0]["sources"], serde_json::json!(["gauge"]));
    assert_eq!(compacted[0]["context_used_pct_before"], 85);
    assert_eq!(compacted[0]["context_used_pct_after"], 12);
    run.finish_turn(idle());
    assert_eq!(run.injections().last(), Some(&PromptKind::AfterCompaction));
}

#[test]
fn rows_still_open_are_recorded_when_the_run_stops() {
    let mut cfg = config();
    cfg.compaction_sources = vec![Source::SessionLog, Source::Screen];
    let mut run = Run::new(cfg);
    run.start();
    run.screen(run.now + 100, busy());
    run.banner(1);
    assert!(run.records("compacted").is_empty());
    run.at(run.now + 100, |now_ms| Event::Interrupted {
        now_ms,
        signal: 15,
    });
    assert_eq!(run.records("compacted").len(), 1);
}

#[test]
fn banners_that_leave_the_screen_by_a_redraw_lower_the_baseline() {
    let mut run = Run::new(config());
    run.start();
    run.screen(run.now + 100, busy());
    run.banner(1);
    // A full redraw without scrolling: the banner is gone; a flicker is no compaction.
    run.banner(0);
    run.screen(
        run.now + 50,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    run.screen(
        run.now + 50,
        Observation {
            compactions: 0,
            ..busy()
        },
    );
    let until = run.now + 1000;
    run.ticks(until);
    assert_eq!(run.records("compacted").len(), 1);
    // A new banner later is a new compaction.
    run.banner(1);
    assert_eq!(run.records("compacted").len(), 2);
}

/// A turn whose last look shows a new banner, on a quiet window shorter than
/// the banner's settle time (the screen the only source): the turn ends once
/// the banner has counted, so the next prompt's redraw cannot take it away
/// uncounted.
#[test]
fn a_banner_at_a_turns_end_counts_before_a_short_quiet_window_ends_it() {
    let mut cfg = config();
    cfg.timing.quiet_ms = 150;
    let mut run = Run::new(cfg);
    run.start();
    run.screen(run.now + 100, busy());
    let until = run.now + 500;
    run.ticks(until);
    let end = run.now + 100;
    run.screen(end, banners(1));
    run.ticks(end + 200);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start],
        "the banner has not held yet"
    );
    assert!(run.records("turn_ended").is_empty());
    run.ticks(end + 300);
    assert_eq!(run.records("compacted").len(), 1);
    assert_eq!(run.records("turn_ended").len(), 1);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::AfterCompaction]
    );
    // The next prompt's redraw takes the banner off the screen: still one.
    let now = run.now + 100;
    run.injected(now);
    run.screen(run.now + 50, busy());
    let until = run.now + 1000;
    run.ticks(until);
    assert_eq!(run.records("compacted").len(), 1);
}

/// On the same short quiet window, a redraw that shows the banner twice for a
/// moment just before the turn ends is no second compaction, and holds the
/// end back no longer than the moment.
#[test]
fn a_banner_shown_twice_for_a_moment_at_a_turns_end_is_one_compaction() {
    let mut cfg = config();
    cfg.timing.quiet_ms = 150;
    let mut run = Run::new(cfg);
    run.start();
    run.screen(run.now + 100, busy());
    run.banner(1);
    assert_eq!(run.records("compacted").len(), 1);
    let end = run.now + 100;
    run.screen(end, banners(2));
    run.screen(end + 50, banners(1));
    run.ticks(end + 250);
    assert_eq!(run.records("turn_ended").len(), 1);
    assert_eq!(run.records("compacted").len(), 1);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::AfterCompaction]
    );
}
