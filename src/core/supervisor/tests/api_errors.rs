//! API errors and usage limits on screen: a ledger row per appearance, and
//! turns that end with one wait longer each time, then pause the goal.

use super::*;
use crate::core::usage_reset::ResetTime;
use crate::goal::change::{GoalChange, Status, UserCommand};

fn shown(usage_limit: u32, api_error: u32, busy: bool) -> Observation {
    Observation {
        changed: true,
        busy,
        idle: true,
        usage_limit,
        api_error,
        ..Observation::default()
    }
}

impl Run {
    /// A turn that runs and ends with `usage_limit` and `api_error` rows on
    /// screen (those of earlier turns stay on screen while it runs).
    fn turn_showing(&mut self, before: (u32, u32), after: (u32, u32)) {
        let start = self.now + 100;
        self.screen(start, shown(before.0, before.1, true));
        self.ticks(start + 500);
        let end = self.now + 100;
        self.screen(end, shown(after.0, after.1, false));
        self.ticks(end + QUIET + 200);
    }

    /// The prompt goalie asked for has been typed.
    fn typed(&mut self) {
        let now = self.now + 300;
        self.injected(now);
    }

    fn waits(&self) -> Vec<u64> {
        self.records("error_backoff")
            .iter()
            .map(|row| row["wait_ms"].as_u64().unwrap())
            .collect()
    }
}

#[test]
fn each_new_message_row_is_recorded_once() {
    let mut run = Run::new(config());
    run.start();
    run.screen(run.now + 100, shown(0, 1, true));
    run.screen(run.now + 100, shown(0, 1, true));
    assert_eq!(run.records("api_error_shown").len(), 1);
    assert_eq!(run.records("api_error_shown")[0]["during_turn"], true);
    // A second error row under the first (an agent that prints one per
    // attempt), and a row scrolling away: the turn had its API error.
    run.screen(run.now + 100, shown(0, 2, true));
    run.screen(run.now + 100, shown(0, 1, true));
    assert_eq!(run.records("api_error_shown").len(), 1);
    run.screen(run.now + 100, shown(1, 1, true));
    let limits = run.records("usage_limit_shown");
    assert_eq!(limits.len(), 1);
    assert_eq!(limits[0]["turn"], 1);
    // Outside a turn every new row is recorded.
    run.screen(run.now + 100, shown(1, 1, false));
    run.ticks(run.now + QUIET + 200);
    assert_eq!(run.records("turn_ended").len(), 1);
    run.screen(run.now + 100, shown(1, 2, false));
    let errors = run.records("api_error_shown");
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[1]["during_turn"], false);
}

#[test]
fn a_turn_ending_with_an_api_error_waits_longer_each_time() {
    let mut run = Run::new(config());
    run.start();
    run.turn_showing((0, 0), (0, 1));
    let ended = run.records("turn_ended");
    assert_eq!(ended[0]["error"], "api_error");
    assert_eq!(run.waits(), vec![60_000]);
    let ended_at = run.now;
    run.ticks(ended_at + 59_000);
    assert_eq!(run.injections().len(), 1, "nothing typed during the wait");
    run.ticks(ended_at + 61_000);
    assert_eq!(run.injections().len(), 2, "the next prompt after a minute");
    let why = run
        .actions
        .iter()
        .rev()
        .find_map(|a| match a {
            Action::Inject { why, .. } => Some(why.clone()),
            _ => None,
        })
        .unwrap();
    assert!(why.contains("waited 1m 0s after an API error"), "{why}");
    run.typed();

    // The first error row stays on screen; a second one appears.
    run.turn_showing((0, 1), (0, 2));
    assert_eq!(run.waits(), vec![60_000, 120_000]);
    run.ticks(run.now + 120_500);
    assert_eq!(run.injections().len(), 3);
    run.typed();

    // A turn with a reply: the old error rows still show, but none is new.
    run.turn_showing((0, 2), (0, 2));
    assert_eq!(
        run.records("turn_ended")[2]["error"],
        serde_json::Value::Null
    );
    assert_eq!(run.injections().len(), 4, "typed at once");
    run.typed();

    // The count starts over.
    run.turn_showing((0, 2), (0, 3));
    assert_eq!(run.waits(), vec![60_000, 120_000, 60_000]);
    assert_eq!(run.sup.state(), GoalState::Pursuing);
}

#[test]
fn a_usage_limit_ends_the_turn_as_one_even_beside_an_api_error() {
    let mut run = Run::new(config());
    run.start();
    run.turn_showing((0, 0), (1, 1));
    assert_eq!(run.records("turn_ended")[0]["error"], "usage_limit");
    let backoff = run.records("error_backoff");
    assert_eq!(backoff[0]["error"], "usage_limit");
    assert_eq!(backoff[0]["consecutive"], 1);
}

#[test]
fn consecutive_error_turns_pause_the_goal() {
    let mut run = Run::new(config());
    run.start();
    for n in 1..=ERROR_TURNS {
        run.turn_showing((n - 1, 0), (n, 0));
        if n < ERROR_TURNS {
            run.ticks(run.now + error_backoff_ms(n) + 500);
            run.typed();
        }
    }
    assert_eq!(
        run.waits(),
        vec![60_000, 120_000, 240_000, 480_000],
        "1, 2, 4 and 8 minutes"
    );
    assert_eq!(run.sup.turns(), ERROR_TURNS);
    assert_eq!(run.injections().len(), ERROR_TURNS as usize);
    assert_eq!(
        run.transitions(),
        vec![(GoalState::Pursuing, GoalState::Paused, Actor::Runtime)]
    );
    assert_eq!(run.stop_code(), Some(exit_code::PAUSED));
    let paused = run.records("error_turns_paused");
    assert_eq!(paused[0]["consecutive"], ERROR_TURNS);
    let reason = run
        .actions
        .iter()
        .find_map(|a| match a {
            Action::Transition { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        reason.contains("last 5 turns each ended with an API error or a usage limit"),
        "{reason}"
    );
}

#[test]
fn a_pause_during_the_wait_types_nothing() {
    let mut run = Run::new(config());
    run.start();
    run.turn_showing((0, 0), (0, 1));
    let command = UserCommand::Change(GoalChange::status(Status::Paused));
    run.at(run.now + 1000, |now_ms| Event::Command { now_ms, command });
    run.ticks(run.now + 120_000);
    assert_eq!(run.injections().len(), 1);
    assert_eq!(run.sup.state(), GoalState::Paused);
}

#[test]
fn an_api_error_in_the_session_log_ends_the_turn_as_one() {
    let log = |run: &mut Run, event: LogEvent| {
        let at = run.now + 50;
        run.at(at, |now_ms| Event::SessionLog { now_ms, event });
    };
    let mut run = Run::new(config());
    run.start();
    run.screen(run.now + 100, shown(0, 0, true));
    log(
        &mut run,
        LogEvent::ApiError {
            status: Some(500),
            message: "fake model: scripted HTTP 500".into(),
        },
    );
    let shown_rows = run.records("api_error_shown");
    assert_eq!(shown_rows.len(), 1);
    assert_eq!(shown_rows[0]["source"], "session_log");
    assert_eq!(shown_rows[0]["status"], 500);
    assert_eq!(shown_rows[0]["message"], "fake model: scripted HTTP 500");
    // The screen showing it too is the same error.
    run.screen(run.now + 100, shown(0, 1, true));
    assert_eq!(run.records("api_error_shown").len(), 1);
    run.turn_showing((0, 1), (0, 1));
    assert_eq!(run.records("turn_ended")[0]["error"], "api_error");
    assert_eq!(run.waits(), vec![60_000]);
    run.ticks(run.now + 60_500);
    run.typed();

    // A 429 is the usage limit.
    run.screen(run.now + 100, shown(0, 1, true));
    log(
        &mut run,
        LogEvent::ApiError {
            status: Some(429),
            message: "You exceeded your current quota".into(),
        },
    );
    assert_eq!(run.records("usage_limit_shown").len(), 1);
    run.turn_showing((0, 1), (0, 1));
    assert_eq!(run.records("turn_ended")[1]["error"], "usage_limit");
}

fn limit_resetting_in(ms: u64, busy: bool) -> Observation {
    Observation {
        usage_limit_reset: Some(ResetTime::In {
            ms,
            shown: "try again at 3:35 PM".into(),
        }),
        ..shown(1, 0, busy)
    }
}

#[test]
fn a_usage_limit_that_shows_its_reset_waits_until_then() {
    let mut run = Run::new(config());
    run.start();
    let start = run.now + 100;
    run.screen(start, shown(0, 0, true));
    // The limit and its reset in 85 minutes appear during the turn.
    run.screen(start + 200, limit_resetting_in(85 * 60_000, true));
    run.ticks(start + 500);
    let end = run.now + 100;
    run.screen(
        end,
        limit_resetting_in(85 * 60_000 - (end - start - 200), false),
    );
    run.ticks(end + QUIET + 200);
    let backoff = run.records("error_backoff");
    assert_eq!(backoff.len(), 1);
    assert_eq!(backoff[0]["until_reset"], "try again at 3:35 PM");
    // From when it was shown, plus the margin.
    let waited = backoff[0]["wait_ms"].as_u64().unwrap();
    let expected = 85 * 60_000 + RESET_MARGIN_MS - (run.now - (start + 200));
    assert!(waited.abs_diff(expected) <= 1000, "{waited} vs {expected}");
    // Nothing is typed before then; the next prompt after.
    let ended_at = run.now;
    run.ticks(ended_at + waited - 1000);
    assert_eq!(run.injections().len(), 1);
    run.ticks(ended_at + waited + QUIET + 100);
    assert_eq!(run.injections().len(), 2);
}

#[test]
fn an_old_reset_on_screen_is_not_this_turns() {
    let mut run = Run::new(config());
    run.start();
    // Turn 1 ends with no reset shown: the doubling backoff.
    run.turn_showing((0, 0), (1, 0));
    assert_eq!(run.waits(), vec![60_000]);
    run.ticks(run.now + 60_500);
    run.typed();
    // Turn 2: the old limit row is still on screen with a reset beside it,
    // and no new limit row appears: it ends with a reply, no wait.
    let start = run.now + 100;
    run.screen(start, limit_resetting_in(3_600_000, true));
    run.ticks(start + 500);
    run.screen(run.now + 100, limit_resetting_in(3_600_000, false));
    run.ticks(run.now + QUIET + 200);
    assert_eq!(
        run.records("turn_ended")[1]["error"],
        serde_json::Value::Null
    );
    assert_eq!(run.waits(), vec![60_000]);
}

#[test]
fn a_reset_past_the_time_limit_waits_only_until_the_limit() {
    let mut cfg = config();
    cfg.limits.max_time_ms = Some(10 * 60_000);
    let mut run = Run::new(cfg);
    run.start();
    let start = run.now + 100;
    run.screen(start, shown(0, 0, true));
    run.screen(start + 200, limit_resetting_in(3_600_000, true));
    run.ticks(start + 500);
    run.screen(run.now + 100, limit_resetting_in(3_600_000, false));
    run.ticks(run.now + QUIET + 200);
    let waited = run.waits()[0];
    // The rest of the time, from when the turn ended.
    assert!(
        (10 * 60_000 - run.now..10 * 60_000 - start).contains(&waited),
        "{waited}"
    );
}

#[test]
fn a_reset_an_earlier_run_waited_for_holds_the_first_prompt() {
    let mut cfg = config();
    cfg.first_prompt = PromptKind::Continuation;
    cfg.reset_wait = Some((20 * 60_000, "try again at 3:35 PM".into()));
    let mut run = Run::new(cfg);
    run.screen(100, idle());
    run.ticks(100 + QUIET);
    assert!(run.injections().is_empty());
    let backoff = run.records("error_backoff");
    assert_eq!(backoff.len(), 1);
    assert_eq!(backoff[0]["until_reset"], "try again at 3:35 PM");
    assert_eq!(backoff[0]["after_restart"], true);
    let ready_at = run.now;
    run.ticks(ready_at + 20 * 60_000 - 1000);
    assert!(run.injections().is_empty());
    run.ticks(ready_at + 20 * 60_000 + QUIET + 100);
    assert_eq!(run.injections(), vec![PromptKind::Continuation]);
}
