//! Waiting without spending tokens, with the real Codex CLI and the fake
//! model: the model asks goalie (MCP `update_goal`, status `waiting`) to wait
//! until a command passes, and no model request is made until it does; and
//! Codex's rate-limit headers, as the real service sends them, make
//! `--max-quota` wait for the reported reset before the next prompt.

use std::process::Child;
use std::time::{Duration, Instant};

use crate::support;
use crate::support::fake_model;
use fake_model::{BlockingFakeModel, Script, Step};
use serde_json::json;
use support::agents::{self, Agent};
use support::{Sandbox, path_str};

const LIMIT: Duration = Duration::from_secs(240);

const SPEC: &str = r#"objective: |
  Create the proof file once the build is ready:
  1. proof.txt holds the word hi
verify:
  - test "$(cat proof.txt)" = hi
stop:
  turns: 4
"#;

/// What after_wait.md starts with.
const AFTER_WAIT: &str = "The wait you asked for is over";

fn start(sandbox: &Sandbox, server: &BlockingFakeModel, extra: &[&str]) -> Child {
    let spec = sandbox.file("goal.yaml", SPEC);
    let spec = path_str(&spec);
    let mut args = vec!["run", "--headless", "--agent", "codex", "--goal", &spec];
    args.extend_from_slice(extra);
    args.push("--");
    args.extend_from_slice(Agent::Codex.args());
    let mut cmd = Agent::Codex.command(sandbox, &server.base_url(), &args);
    cmd.spawn().expect("goalie")
}

/// The goal's `status --json` while its supervisor runs.
fn status(sandbox: &Sandbox) -> serde_json::Value {
    let out = sandbox.run(&["status", "--json"], Duration::from_secs(20));
    assert_eq!(out.code, 0, "{out:?}");
    serde_json::from_str(&out.stdout).expect("status JSON")
}

/// Turn 2 (the prompt after the wait): write the file and claim completion.
fn finishing(ctx_step: usize) -> Step {
    match ctx_step {
        0 => Step::shell("echo hi > proof.txt"),
        1 => Step::mcp(
            "goalie",
            "update_goal",
            json!({ "status": "complete",
                    "checklist": [{ "requirement": "R1", "evidence": "proof.txt holds hi (cat proof.txt)" }] }),
        ),
        _ => Step::text("Done: proof.txt holds hi."),
    }
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_waits_for_a_command_without_a_model_request_until_it_passes() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    let script = Script::rule(|ctx| match (ctx.prompt_index, ctx.step) {
        (1, 0) => Step::mcp(
            "goalie",
            "update_goal",
            json!({ "status": "waiting",
                    "wait": { "command": "test -f ready.flag", "every": "2s", "timeout": "30m" } }),
        ),
        (1, _) => Step::text("The build is not ready; I asked goalie to wait for ready.flag."),
        (_, step) => finishing(step),
    });
    let server = BlockingFakeModel::start(script).expect("fake model");
    let child = start(&sandbox, &server, &[]);

    // The wait begins once the asking turn ended.
    assert!(
        support::eventually(Duration::from_secs(120), || sandbox
            .has_entry("wait_started")),
        "no wait began\n{}",
        fake_model::summarize(&server.requests())
    );
    let asked = server.requests().len();
    let status_now = status(&sandbox);
    assert_eq!(
        status_now["waiting"]["command"], "test -f ready.flag",
        "{status_now}"
    );
    assert!(status_now["waiting"]["until"].is_string(), "{status_now}");

    // For at least 20 s the flag is absent: the command keeps failing, and the
    // model hears nothing (no request of any kind).
    let watched = Instant::now();
    while watched.elapsed() < Duration::from_secs(21) {
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            server.requests().len(),
            asked,
            "a model request during the wait\n{}",
            fake_model::summarize(&server.requests())
        );
    }
    let checks = sandbox.entries_of("wait_checked");
    assert!(checks.len() >= 2, "{checks:?}");
    assert!(
        checks.iter().all(|c| c.data["passed"] == false),
        "{checks:?}"
    );
    assert!(sandbox.entries_of("wait_ended").is_empty());
    assert_eq!(sandbox.goal().turns, 1, "a wait is not a turn");

    std::fs::write(sandbox.workdir().join("ready.flag"), "").expect("flag");
    let out = support::finish(child, LIMIT);
    let requests = server.requests();
    assert_eq!(out.code, 0, "{out:?}\n{}", fake_model::summarize(&requests));
    // The next turn request after the wait carries the after-wait prompt.
    let next = requests[asked..]
        .iter()
        .find(|r| r.is_turn())
        .expect("a turn after the wait");
    let text = next.user_text.clone().unwrap_or_default();
    assert!(text.contains(AFTER_WAIT), "{text}");
    assert!(text.contains("the wait command exited 0"), "{text}");
    let ended = sandbox.entries_of("wait_ended");
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].data["end"], "condition_met");
    assert_eq!(sandbox.goal().state.as_str(), "achieved");
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_rate_limits_past_max_quota_wait_for_the_reported_reset() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    // The primary window is 91% used and resets in 25 s, as the service's
    // headers say (`x-codex-primary-reset-at`: Unix seconds).
    let reset_at = jiff::Timestamp::now().as_second() + 25;
    let script = Script::rule(|ctx| match (ctx.prompt_index, ctx.step) {
        (1, _) => Step::text("Looked around; nothing written yet."),
        (_, step) => finishing(step),
    })
    .with_turn_headers([
        ("x-codex-primary-used-percent", "91.0".to_string()),
        ("x-codex-primary-window-minutes", "300".to_string()),
        ("x-codex-primary-reset-at", reset_at.to_string()),
        ("x-codex-secondary-used-percent", "12.5".to_string()),
        ("x-codex-secondary-window-minutes", "10080".to_string()),
        (
            "x-codex-secondary-reset-at",
            (reset_at + 86_400).to_string(),
        ),
    ]);
    let server = BlockingFakeModel::start(script).expect("fake model");
    let child = start(&sandbox, &server, &["--max-quota", "80%"]);

    assert!(
        support::eventually(Duration::from_secs(120), || sandbox
            .has_entry("wait_started")),
        "no quota wait began\n{}\n{:?}",
        fake_model::summarize(&server.requests()),
        sandbox
            .entries()
            .iter()
            .map(|e| format!("{} {}", e.kind, e.data))
            .collect::<Vec<_>>()
    );
    let asked = server.requests().len();
    let started = &sandbox.entries_of("wait_started")[0];
    assert_eq!(started.data["cause"], "quota", "{started:?}");
    assert_eq!(started.data["window"]["name"], "primary");
    assert_eq!(
        started.data["until_ms"].as_i64(),
        Some(reset_at * 1000 + 1000),
        "the reported reset, not a guess"
    );
    let shown = status(&sandbox);
    let windows = shown["quota"]["windows"]
        .as_array()
        .expect("quota in status");
    assert_eq!(windows[0]["name"], "primary", "{shown}");
    assert_eq!(windows[0]["used_tenths"], 910, "{shown}");
    assert_eq!(windows[1]["used_tenths"], 125, "{shown}");
    assert!(
        shown["waiting"]["what"]
            .as_str()
            .unwrap_or_default()
            .contains("quota")
    );

    // Nothing is typed until the reset.
    while jiff::Timestamp::now().as_second() < reset_at {
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(server.requests().len(), asked, "a request before the reset");
        assert!(sandbox.entries_of("wait_ended").is_empty());
    }
    let out = support::finish(child, LIMIT);
    let requests = server.requests();
    assert_eq!(out.code, 0, "{out:?}\n{}", fake_model::summarize(&requests));
    let ended = sandbox.entries_of("wait_ended");
    assert_eq!(ended[0].data["end"], "quota_reset", "{ended:?}");
    // The turn after the reset began after it, by the ledger's clock.
    let resumed = sandbox
        .entries_of("turn_started")
        .into_iter()
        .find(|e| e.data["turn"] == 2)
        .expect("a second turn");
    let at: jiff::Timestamp = resumed.at.parse().expect("a time");
    assert!(
        at.as_second() >= reset_at,
        "{} before {reset_at}",
        resumed.at
    );
    assert!(!sandbox.entries_of("quota").is_empty());
    // Near its limit Codex offers a cheaper model; goalie kept the person's.
    let answered = sandbox.entries_of("dialog_answered");
    assert!(
        answered
            .iter()
            .any(|d| d.data.to_string().contains("rate-limit-model-switch")),
        "{answered:?}"
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.is_turn())
            .all(|r| r.model == "fake-model"),
        "{}",
        fake_model::summarize(&requests)
    );
}
