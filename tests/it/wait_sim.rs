//! Waits the agent asks for, through the real binary and the simulated agent
//! in a real PTY: a claim block with the word `waiting` and a `for` or an
//! `until` line. goalie types nothing until the wait is over, then the
//! after-wait prompt; a wait is not a turn.

use std::time::Duration;

use crate::support;
use support::Sandbox;

const LIMIT: Duration = Duration::from_secs(120);

/// Turn 1 asks goalie to wait with `wait_line`; the others just work.
fn scenario(wait_line: &str) -> String {
    format!(
        "name: waits\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\nclaim_after_turns: 1\n\
         claim_mode: waiting\nwait: [\"{wait_line}\"]\nturns:\n  - work_ms: 300\n    tokens: 1000\n    \
         reply: \"The CI run is not done yet.\"\n"
    )
}

/// The run waited once, as asked: nothing typed between the wait's start and
/// its end, the after-wait prompt next, and the wait not counted as a turn.
fn assert_waited(sandbox: &Sandbox, at_least_ms: u64) {
    let started = sandbox.entries_of("wait_started");
    let ended = sandbox.entries_of("wait_ended");
    assert_eq!(
        (started.len(), ended.len()),
        (1, 1),
        "{started:?} {ended:?}"
    );
    assert_eq!(started[0].data["cause"], "agent");
    assert_eq!(started[0].data["channel"], "screen");
    assert_eq!(ended[0].data["end"], "elapsed");
    assert!(
        ended[0].data["waited_ms"].as_u64().unwrap() >= at_least_ms,
        "{ended:?}"
    );
    // Not polled: the clock woke goalie at the deadline (the sim is silent
    // while it waits), not every tick.
    let wakes = ended[0].data["wakes"].as_u64().unwrap();
    assert!((1..=2).contains(&wakes), "{wakes} wake-ups: {ended:?}");
    let (from, to) = (started[0].seq, ended[0].seq);
    let injections = sandbox.entries_of("injection");
    assert!(
        injections.iter().all(|e| e.seq < from || e.seq > to),
        "typed during the wait"
    );
    let prompts: Vec<&str> = injections
        .iter()
        .map(|e| e.data["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(
        prompts,
        ["start", "after_wait", "budget_limit"],
        "{prompts:?}"
    );
    let after = injections
        .iter()
        .find(|e| e.data["prompt"] == "after_wait")
        .unwrap();
    assert!(after.seq > to);
    let text = after.data["text"].as_str().unwrap();
    assert!(
        text.contains("The wait you asked for is over") && text.contains("has passed"),
        "{text}"
    );
    // Turn 1 asked, turn 2 came after the wait: two turns, then the wrap-up.
    assert_eq!(sandbox.entries_of("turn_ended").len(), 3);
}

#[test]
fn a_for_wait_on_screen_types_nothing_until_it_has_passed() {
    let sandbox = Sandbox::new();
    let out = sandbox.run_sim(
        &scenario("for: 4s"),
        &["--headless", "--max-turns", "2"],
        LIMIT,
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert_waited(&sandbox, 4_000);
    assert_eq!(
        sandbox.entries_of("wait_started")[0].data["wait"]["ms"],
        4_000
    );
}

#[test]
fn an_until_wait_on_screen_types_nothing_until_that_time() {
    let sandbox = Sandbox::new();
    let until = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(8))
        .unwrap();
    // Whole seconds, as an agent would write it.
    let until = jiff::Timestamp::from_second(until.as_second()).unwrap();
    let out = sandbox.run_sim(
        &scenario(&format!("until: {until}")),
        &["--headless", "--max-turns", "2"],
        LIMIT,
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert_waited(&sandbox, 1);
    let started = &sandbox.entries_of("wait_started")[0];
    assert_eq!(started.data["wait"]["shown"], until.to_string());
    // The next prompt came after that time, by the ledger's own clock.
    let after = sandbox
        .entries_of("injection")
        .into_iter()
        .find(|e| e.data["prompt"] == "after_wait")
        .unwrap();
    let at: jiff::Timestamp = after.at.parse().unwrap();
    assert!(at >= until, "{} before {until}", after.at);
}

/// A waiting block goalie cannot do (an unknown key, a bad duration, a time
/// already past, a command missing) is answered in the next prompt with what
/// was wrong: no wait starts, and it is no claim.
#[test]
fn a_malformed_waiting_block_is_answered_and_never_waited_or_claimed() {
    for (line, why) in [
        ("colour: blue", "not `colour`"),
        ("for: soon", "`for: soon` is not a duration"),
        ("until: 2020-01-01T00:00:00Z", "is already past"),
        ("every: 1m", "a wait needs one of for, until or command"),
    ] {
        let sandbox = Sandbox::new();
        let out = sandbox.run_sim(&scenario(line), &["--headless", "--max-turns", "2"], LIMIT);
        assert_eq!(out.code, 3, "{line}: {out:?}");
        assert!(
            out.stdout
                .contains("turn 1 asked for a wait goalie cannot do"),
            "{line}: {}",
            out.stdout
        );
        assert!(sandbox.entries_of("wait_started").is_empty(), "{line}");
        assert!(sandbox.entries_of("claim").is_empty(), "{line}: no claim");
        assert!(sandbox.entries_of("audit_started").is_empty(), "{line}");
        let refused = sandbox.entries_of("wait_refused");
        assert!(!refused.is_empty(), "{line}");
        assert_eq!(refused[0].data["turn"], 1, "{line}");
        assert_eq!(refused[0].data["channel"], "screen", "{line}");
        let first = refused[0].data["why"].as_str().unwrap();
        assert!(first.contains(why), "{line}: {first}");
        let injections = sandbox.entries_of("injection");
        let prompts: Vec<&str> = injections
            .iter()
            .map(|e| e.data["prompt"].as_str().unwrap())
            .collect();
        assert_eq!(prompts, ["start", "continuation", "budget_limit"], "{line}");
        let text = injections[1].data["text"].as_str().unwrap();
        assert!(
            text.contains("goalie did not wait") && text.contains(why),
            "{line}: {text}"
        );
        assert_eq!(sandbox.goal().state.as_str(), "budget-limited", "{line}");
    }
}
