//! Turn signals from the agent's hooks: a signal ends its turn and is recorded,
//! tokens reported after the stop still count, a late signal does not end the next turn.

use super::*;

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
