//! A real agent's usage-limit reply under goalie: gemini-cli (installed by
//! `scripts/install-agents`) in a PTY against the fake model, whose every turn
//! request is a used-up daily quota. goalie answers gemini's usage-limit dialog
//! (`Stop`), records the limit, and waits before its next prompt instead of
//! spending the turn budget.

use std::time::Duration;

use crate::support;
use crate::support::fake_model;
use fake_model::{BlockingFakeModel, Script, Step};
use goalie::ledger::{Entry, Ledger};
use support::{Sandbox, agents};

/// The rows of `kind` of the only goal, if it exists yet.
fn rows(sandbox: &Sandbox, kind: &str) -> Vec<Entry> {
    let Ok(ledger) = Ledger::open_existing(&sandbox.db()) else {
        return Vec::new();
    };
    let goals = ledger.goals().unwrap_or_default();
    let Some(goal) = goals.first() else {
        return Vec::new();
    };
    ledger
        .entries(&goal.id)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn gemini_usage_limit_is_recorded_and_the_next_prompt_waits() {
    agents::require("gemini");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(Script::rule(|_| Step::UsageLimit)).expect("fake model");
    let home = sandbox.dir.path().join("gemini-home");
    let mut cmd = sandbox.command(&[
        "run",
        "--agent",
        "gemini",
        "--headless",
        "--max-turns",
        "3",
        "Create proof.txt containing hi.",
    ]);
    agents::offline(&mut cmd, &sandbox.workdir());
    agents::gemini(&mut cmd, &home, &server.base_url());
    let child = cmd.spawn().expect("goalie");

    let waiting = support::eventually(Duration::from_secs(120), || {
        !rows(&sandbox, "error_backoff").is_empty()
    });
    // Some seconds into the wait: nothing more was typed.
    std::thread::sleep(Duration::from_secs(3));
    let cleared = support::finish(
        sandbox.command(&["clear"]).spawn().expect("goalie clear"),
        Duration::from_secs(60),
    );
    let out = support::finish(child, Duration::from_secs(60));
    let requests = fake_model::summarize(&server.requests());
    assert!(waiting, "no error_backoff row\n{out:?}\n{requests}");
    assert_eq!(cleared.code, 0, "{cleared:?}");
    assert_eq!(out.code, 5, "cleared: {out:?}");

    // Every row, for the turn assertions' messages: which turn saw the limit
    // is decided by the order of these rows.
    let all: Vec<String> = sandbox
        .entries()
        .iter()
        .map(|e| format!("{} {} {}", e.at, e.kind, e.data))
        .collect();
    let all = all.join("\n");
    let answered = rows(&sandbox, "dialog_answered");
    assert_eq!(answered[0].data["dialog"], "usage-limit", "{answered:?}");
    assert_eq!(answered[0].data["answer"], "deny");
    let shown = rows(&sandbox, "usage_limit_shown");
    assert_eq!(shown.len(), 1, "{all}");
    assert_eq!(shown[0].data["turn"], 1, "{all}\n{requests}");
    assert_eq!(shown[0].data["during_turn"], true, "{all}");
    assert!(rows(&sandbox, "api_error_shown").is_empty());
    let ended = rows(&sandbox, "turn_ended");
    assert_eq!(ended.len(), 1, "{all}");
    assert_eq!(ended[0].data["error"], "usage_limit", "{all}");
    let backoff = rows(&sandbox, "error_backoff");
    assert_eq!(backoff[0].data["wait_ms"], 60_000);
    assert_eq!(
        rows(&sandbox, "injection").len(),
        1,
        "nothing typed while waiting"
    );
    assert_eq!(server.turn_requests().len(), 1, "{requests}");
    assert!(
        out.stdout.contains("goalie: the agent shows a usage limit"),
        "{}",
        out.stdout
    );

    let pid = sandbox.agent_pid();
    support::assert_no_process_left(pid);
}

/// Codex shows when its usage limit resets (`… or try again at 3:35 PM.`, an
/// hour after the fake model's 429): goalie waits until then, not a minute;
/// stopped while it waits and resumed, it goes on waiting for the reset.
#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_usage_limit_waits_until_the_reset_it_shows() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(Script::rule(|_| Step::UsageLimit)).expect("fake model");
    let codex = |args: &[&str]| {
        agents::Agent::Codex
            .command(&sandbox, &server.base_url(), args)
            .spawn()
            .expect("goalie")
    };
    let child = codex(&[
        "run",
        "--agent",
        "codex",
        "--headless",
        "--max-turns",
        "3",
        "Create proof.txt containing hi.",
    ]);
    let waiting = support::eventually(Duration::from_secs(120), || {
        !rows(&sandbox, "error_backoff").is_empty()
    });
    // Stopped while it waits (the goal is left paused).
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let out = support::finish(child, Duration::from_secs(60));
    let requests = fake_model::summarize(&server.requests());
    assert!(waiting, "no error_backoff row\n{out:?}\n{requests}");
    assert_eq!(out.code, 128 + 15, "{out:?}");

    let shown = rows(&sandbox, "usage_limit_shown");
    assert_eq!(shown.len(), 1, "{shown:?}");
    let backoff = rows(&sandbox, "error_backoff");
    assert_eq!(backoff[0].data["error"], "usage_limit");
    let until = backoff[0].data["until_reset"].as_str().expect("the reset");
    assert!(until.starts_with("try again at "), "{until}");
    // An hour (shown to the minute) and the minute's margin.
    let wait = backoff[0].data["wait_ms"].as_u64().unwrap();
    assert!(
        (58 * 60_000..=62 * 60_000).contains(&wait),
        "{wait} ms\n{backoff:?}"
    );
    assert!(
        out.stdout.contains("when the limit resets (`try again at "),
        "{}",
        out.stdout
    );
    assert_eq!(
        rows(&sandbox, "injection").len(),
        1,
        "nothing typed while waiting"
    );
    support::assert_no_process_left(sandbox.agent_pid());

    // Resumed: the agent starts again, and goalie goes on waiting for the reset.
    let goal = sandbox.goal().id;
    let resumed = codex(&["resume", &goal, "--headless"]);
    let again = support::eventually(Duration::from_secs(120), || {
        rows(&sandbox, "error_backoff").len() == 2
    });
    let cleared = support::finish(
        sandbox
            .command(&["clear", &goal])
            .spawn()
            .expect("goalie clear"),
        Duration::from_secs(60),
    );
    let out = support::finish(resumed, Duration::from_secs(60));
    assert!(again, "no second error_backoff row\n{out:?}");
    assert_eq!(cleared.code, 0, "{cleared:?}");
    let backoff = rows(&sandbox, "error_backoff");
    assert_eq!(backoff[1].data["after_restart"], true);
    assert_eq!(backoff[1].data["until_reset"], until);
    let left = backoff[1].data["wait_ms"].as_u64().unwrap();
    assert!(left <= wait && left + 5 * 60_000 > wait, "{left} of {wait}");
    assert_eq!(
        rows(&sandbox, "injection").len(),
        1,
        "nothing typed after the resume"
    );
    assert_eq!(
        server.turn_requests().len(),
        1,
        "{}",
        fake_model::summarize(&server.requests())
    );
}
