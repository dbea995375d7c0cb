//! What the agent's session log says about a turn: its tokens, and its turn
//! complete ending a turn only when the screen is not busy.

use super::*;

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
