//! The agent's own word that its turn is complete (hook or session log):
//! the turn ends on the evidence that its TUI takes input again, not on a
//! fixed stillness.

use super::*;

fn hook(run: &mut Run, at: u64) -> Vec<Action> {
    run.at(at, |now_ms| Event::TurnSignal {
        now_ms,
        source: "claude-stop".into(),
        data: serde_json::Value::Null,
    })
}

fn log_turn_complete(run: &mut Run, at: u64) -> Vec<Action> {
    run.at(at, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::TurnComplete,
    })
}

fn injects(actions: &[Action]) -> bool {
    actions.iter().any(|a| matches!(a, Action::Inject { .. }))
}

#[test]
fn after_the_signal_the_first_idle_look_ends_the_turn() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    assert!(run.sup.turn_showed_work() && !run.sup.turn_signalled());
    // The hook comes before the TUI has drawn the end of its turn.
    assert!(!injects(&hook(&mut run, t + 200)));
    assert!(!injects(&run.screen(t + 220, busy())), "still busy");
    run.ticks(t + 400);
    assert_eq!(
        run.injections().len(),
        1,
        "nothing typed into a busy screen"
    );
    assert!(run.sup.turn_signalled(), "the shell looks as output comes");
    let idle_look = run.screen(t + 430, idle());
    assert!(injects(&idle_look), "typed on the idle look itself");
    assert!(!run.sup.turn_signalled(), "the next turn has no word yet");
    assert_eq!(run.injections().len(), 2);
    let ended = &run.records("turn_ended")[0];
    assert_eq!(ended["signalled_by"], "hook");
}

#[test]
fn the_session_logs_turn_end_works_the_same() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    assert!(!injects(&log_turn_complete(&mut run, t + 300)));
    assert!(injects(&run.screen(t + 310, idle())));
    assert_eq!(run.records("turn_ended")[0]["signalled_by"], "session_log");
}

#[test]
fn a_signal_on_an_idle_still_screen_ends_the_turn_after_a_short_settle() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    run.screen(t + 300, idle());
    // The screen showed the input box before the signal and stays unchanged.
    assert!(!injects(&hook(&mut run, t + 350)));
    // The clock is asked to look again when the settle is over.
    assert_eq!(run.sup.signal_settles_ms(t + 350), Some(t + 400));
    assert!(!injects(&run.tick(t + 380)), "30 ms after the signal");
    assert!(!injects(&run.tick(t + 399)));
    assert!(injects(&run.tick(t + 400)), "50 ms after the signal");
    assert_eq!(run.injections().len(), 2);
    assert_eq!(run.sup.signal_settles_ms(t + 400), None, "the turn ended");
}

#[test]
fn no_settle_is_due_before_the_signal_or_once_it_is_over() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    assert_eq!(run.sup.signal_settles_ms(t + 100), None, "no word yet");
    hook(&mut run, t + 200);
    assert_eq!(run.sup.signal_settles_ms(t + 200), Some(t + 250));
    // Still busy: the settle passes and nothing more is due from it.
    run.tick(t + 250);
    assert_eq!(run.sup.signal_settles_ms(t + 250), None);
    assert_eq!(
        run.injections().len(),
        1,
        "a busy screen holds the turn open"
    );
}

#[test]
fn a_look_at_the_signals_own_millisecond_needs_the_settle() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    hook(&mut run, t + 300);
    // Drawn in the same millisecond: maybe before the signal.
    assert!(!injects(&run.screen(t + 300, idle())));
    assert!(!injects(&run.tick(t + 349)));
    assert!(injects(&run.tick(t + 350)));
}

#[test]
fn the_persons_keys_hold_a_signalled_turn_open() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    hook(&mut run, t + 200);
    run.at(t + 250, |now_ms| Event::UserInput { now_ms });
    assert!(
        !injects(&run.screen(t + 300, idle())),
        "the person is typing"
    );
    run.ticks(t + 250 + 2900);
    assert_eq!(run.injections().len(), 1);
    run.ticks(t + 250 + 3100);
    assert_eq!(
        run.injections().len(),
        2,
        "once the keys were still for 3 s"
    );
}

#[test]
fn without_a_signal_the_quiet_window_still_rules() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    run.screen(t + 300, idle());
    run.ticks(t + 300 + QUIET - 100);
    assert_eq!(
        run.injections().len(),
        1,
        "an idle look alone is not enough"
    );
    run.ticks(t + 300 + QUIET);
    assert_eq!(run.injections().len(), 2);
    assert_eq!(run.records("turn_ended")[0]["signalled"], false);
}

#[test]
fn a_screen_without_the_input_box_after_the_signal_types_nothing() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    hook(&mut run, t + 200);
    run.screen(
        t + 250,
        Observation {
            changed: true,
            ..Observation::default()
        },
    );
    run.ticks(t + 1000);
    assert_eq!(run.injections().len(), 1, "no input box, nothing typed");
    assert!(injects(&run.screen(t + 1050, idle())));
}

#[test]
fn a_signal_in_a_turn_that_showed_no_sign_it_ran_waits_half_a_second() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    // The hook, first heard now, may be the last turn's, late: no busy
    // sign and no new finished-turn line yet.
    hook(&mut run, t + 100);
    assert!(
        !injects(&run.screen(t + 150, idle())),
        "not this turn's word"
    );
    run.ticks(t + 600);
    assert_eq!(run.injections().len(), 1);
    run.ticks(t + 700);
    assert_eq!(run.injections().len(), 2, "the half-second stillness");
}

#[test]
fn a_new_finished_turn_line_is_a_sign_the_turn_ran() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    hook(&mut run, t + 100);
    let done = Observation {
        turns_done: 1,
        ..idle()
    };
    assert!(injects(&run.screen(t + 150, done)));
}

#[test]
fn with_a_session_log_the_hook_waits_for_the_logs_turn_end() {
    let mut cfg = config();
    cfg.compaction_sources = vec![Source::SessionLog];
    let mut run = Run::new(cfg);
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    // The hook comes before the log's last lines (a compaction's, say).
    hook(&mut run, t + 200);
    assert!(
        !injects(&run.screen(t + 250, idle())),
        "the log has not caught up"
    );
    run.at(t + 300, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::Compacted { before: None },
    });
    assert!(
        injects(&log_turn_complete(&mut run, t + 350)),
        "typed as the log says the turn ended too"
    );
    assert_eq!(run.injections()[1], PromptKind::AfterCompaction);
}

#[test]
fn a_hook_before_the_finished_turn_line_ends_the_turn_as_the_log_catches_up() {
    // Claude Code with a model that answers at once: its Stop hook comes
    // before any busy sign, its finished-turn line is drawn after the hook,
    // and its session log says the turn ended after that.
    let mut cfg = config();
    cfg.compaction_sources = vec![Source::SessionLog];
    let mut run = Run::new(cfg);
    run.start();
    let t = run.now;
    hook(&mut run, t + 100);
    assert!(!injects(&run.screen(t + 105, idle())), "no sign it ran yet");
    let done = Observation {
        turns_done: 1,
        ..idle()
    };
    assert!(
        !injects(&run.screen(t + 250, done)),
        "the log has not caught up"
    );
    assert!(
        injects(&log_turn_complete(&mut run, t + 260)),
        "typed as the log says the turn ended: the screen after the hook showed its end"
    );
    assert_eq!(run.records("turn_ended")[0]["signalled_by"], "hook");
}

fn log_prompt(run: &mut Run, at: u64, text: &str) -> Vec<Action> {
    let text = text.to_string();
    run.at(at, move |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::Prompt { text },
    })
}

#[test]
fn a_log_that_holds_this_turns_prompt_says_its_turn_end_is_this_turns() {
    // Claude Code with a model that answers at once: no busy sign, the hook,
    // then the log's turn end before the finished-turn line is drawn.
    let mut cfg = config();
    cfg.compaction_sources = vec![Source::SessionLog];
    let mut run = Run::new(cfg);
    run.start();
    let t = run.now;
    let nonce = crate::goal::claim::turn_nonce("code123456", 1);
    log_prompt(
        &mut run,
        t + 20,
        &format!("[goalie] … This turn's claim nonce: {nonce} …"),
    );
    hook(&mut run, t + 100);
    assert!(!injects(&run.screen(t + 105, idle())), "no sign it ran yet");
    assert!(!injects(&log_turn_complete(&mut run, t + 280)));
    let done = Observation {
        turns_done: 1,
        ..idle()
    };
    assert!(
        injects(&run.screen(t + 300, done)),
        "typed on the first look drawn after the log's turn end"
    );
}

#[test]
fn a_logged_prompt_of_another_turn_is_no_sign() {
    let mut cfg = config();
    cfg.compaction_sources = vec![Source::SessionLog];
    let mut run = Run::new(cfg);
    run.start();
    let t = run.now;
    let other = crate::goal::claim::turn_nonce("code123456", 2);
    log_prompt(
        &mut run,
        t + 20,
        &format!("This turn's claim nonce: {other}"),
    );
    hook(&mut run, t + 100);
    run.screen(t + 105, idle());
    log_turn_complete(&mut run, t + 280);
    let done = Observation {
        turns_done: 1,
        ..idle()
    };
    assert!(
        !injects(&run.screen(t + 300, done)),
        "the log's turn end may be the last turn's"
    );
    run.ticks(t + 700);
    assert_eq!(run.injections().len(), 1);
    run.ticks(t + 800);
    assert_eq!(run.injections().len(), 2, "500 ms still after t + 300");
}

#[test]
fn with_a_session_log_that_stays_silent_the_hook_waits_half_a_second() {
    let mut cfg = config();
    cfg.compaction_sources = vec![Source::SessionLog];
    let mut run = Run::new(cfg);
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    hook(&mut run, t + 200);
    run.screen(t + 250, idle());
    run.ticks(t + 700);
    assert_eq!(run.injections().len(), 1);
    run.ticks(t + 800);
    assert_eq!(run.injections().len(), 2, "as before: 500 ms of stillness");
}

#[test]
fn a_compaction_banner_still_settling_holds_a_signalled_turn() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    hook(&mut run, t + 200);
    let banner = Observation {
        compactions: 1,
        ..idle()
    };
    assert!(!injects(&run.screen(t + 250, banner.clone())));
    run.ticks(t + 500);
    assert_eq!(
        run.injections().len(),
        1,
        "the banner holds for 300 ms first"
    );
    run.ticks(t + 600);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::AfterCompaction]
    );
}

#[test]
fn without_a_signal_a_session_log_changes_no_quiet_window() {
    let mut cfg = config();
    cfg.compaction_sources = vec![Source::SessionLog];
    let mut run = Run::new(cfg);
    run.start();
    let t = run.now;
    run.screen(t + 100, busy());
    run.screen(t + 300, idle());
    run.ticks(t + 300 + QUIET - 100);
    assert_eq!(run.injections().len(), 1);
    run.ticks(t + 300 + QUIET);
    assert_eq!(
        run.injections().len(),
        2,
        "the quiet window, not the no-busy one"
    );
}

/// The races a signal can lose to the turn it seems to end: it may be the
/// last turn's, heard late (a source first heard late owes nothing), or it
/// may come before the turn showed it ran.
mod races {
    use super::*;

    #[test]
    fn a_signal_before_the_turn_showed_it_ran_ends_nothing_on_evidence() {
        let mut run = Run::new(config());
        run.start();
        let t = run.now;
        // The last turn's hook, first heard now: the turn shows nothing yet.
        hook(&mut run, t + 50);
        run.screen(t + 100, busy());
        // A frame between two steps of the work: the input box, no busy sign.
        assert!(
            !injects(&run.screen(t + 200, idle())),
            "the early signal is not this turn's by evidence"
        );
        assert!(!injects(&run.screen(t + 250, busy())));
        run.ticks(t + 600);
        assert_eq!(run.injections().len(), 1, "nothing typed while it works");
        // The turn's own hook, after its busy sign: now the evidence rule.
        assert!(!injects(&hook(&mut run, t + 650)));
        assert!(injects(&run.screen(t + 670, idle())));
        assert_eq!(run.records("turn_ended")[0]["signalled_by"], "hook");
    }

    #[test]
    fn an_early_signal_alone_needs_the_half_second_stillness() {
        let mut run = Run::new(config());
        run.start();
        let t = run.now;
        hook(&mut run, t + 50);
        run.screen(t + 100, busy());
        run.screen(t + 200, idle());
        run.ticks(t + 600);
        assert_eq!(run.injections().len(), 1);
        run.ticks(t + 700);
        assert_eq!(run.injections().len(), 2, "500 ms still after t + 200");
    }

    #[test]
    fn a_signal_while_the_prompt_is_typed_is_not_the_new_turns() {
        let mut run = Run::new(config());
        run.screen(100, idle());
        run.ticks(100 + QUIET);
        assert_eq!(run.injections(), vec![PromptKind::Start]);
        // Before goalie finished typing: no turn is under way.
        let t = run.now;
        hook(&mut run, t + 100);
        assert_eq!(run.records("turn_signal")[0]["counted"], false);
        run.injected(t + 300);
        run.screen(t + 400, busy());
        run.screen(t + 500, idle());
        run.ticks(t + 500 + QUIET - 100);
        assert_eq!(
            run.injections().len(),
            1,
            "no signal of this turn: the quiet window"
        );
        run.ticks(t + 500 + QUIET);
        assert_eq!(run.injections().len(), 2);
        assert_eq!(run.records("turn_ended")[0]["signalled"], false);
    }

    #[test]
    fn a_late_log_turn_end_of_the_last_turn_ends_nothing() {
        let mut cfg = config();
        cfg.compaction_sources = vec![Source::SessionLog];
        let mut run = Run::new(cfg);
        run.start();
        let t = run.now;
        // Turn 1: both sources signal it.
        run.screen(t + 100, busy());
        hook(&mut run, t + 200);
        log_turn_complete(&mut run, t + 220);
        assert!(injects(&run.screen(t + 240, idle())));
        run.injected(t + 540);
        // Turn 2: only the log signals it, after the screen's quiet window.
        let t = run.now;
        run.screen(t + 100, busy());
        log_turn_complete(&mut run, t + 200);
        run.screen(t + 250, idle());
        run.ticks(t + 250 + 500);
        assert_eq!(run.injections().len(), 3, "the log alone: 500 ms still");
        run.injected(run.now + 300);
        // Turn 3: turn 2's hook comes now, late; it owed it.
        let t = run.now;
        run.screen(t + 100, busy());
        hook(&mut run, t + 150);
        assert!(
            !injects(&run.screen(t + 200, idle())),
            "the late hook is turn 2's"
        );
        let late = run.records("turn_signal");
        assert_eq!(late.last().unwrap()["counted"], false);
    }

    #[test]
    fn a_log_turn_end_before_the_turn_ran_does_not_catch_the_log_up() {
        let mut cfg = config();
        cfg.compaction_sources = vec![Source::SessionLog];
        let mut run = Run::new(cfg);
        run.start();
        let t = run.now;
        // The log's line read first now may be the last turn's.
        log_turn_complete(&mut run, t + 50);
        run.screen(t + 100, busy());
        hook(&mut run, t + 200);
        assert!(
            !injects(&run.screen(t + 250, idle())),
            "the log has not said this turn ended"
        );
        assert!(
            injects(&log_turn_complete(&mut run, t + 300)),
            "its line after the turn ran"
        );
    }
}
