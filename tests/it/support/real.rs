//! Set-ups the real agents' tests share: the offline `goalie run` command, the
//! fake model's scripts most of them run, a sandbox whose adapter reads no
//! session log, what the ledger says was typed and done against hung turns,
//! and the checks that the hook ended each turn and that the model heard its
//! turn hung.

use std::process::Command;

use super::fake_model::{BlockingFakeModel, Script, Step};
use super::{Sandbox, agents};

/// The first reply of the first prompt runs a shell command; every other reply
/// is text with a growing token usage.
pub fn real_shell_script() -> Script {
    Script::rule(|ctx| {
        if ctx.prompt_index == 1 && ctx.step == 0 {
            Step::shell("echo hi > proof.txt")
        } else {
            Step::text(format!("Step {} done; more to do.", ctx.turn))
                .with_usage(1000 * ctx.turn as u64, 50)
        }
    })
}

/// The requests of the first `hung` prompts never end (the agent shows only its
/// spinner); every later one is answered with text.
pub fn real_hang_script(hung: usize) -> Script {
    Script::rule(move |ctx| {
        if ctx.prompt_index <= hung {
            Step::hang()
        } else {
            Step::text(format!("Step {} done.", ctx.turn))
        }
    })
}

/// A sandbox whose user adapter for `agent` is the built-in one without its
/// session log: only the screen and the hooks tell goalie about a turn.
pub fn real_sandbox_without_session_log(agent: &str) -> Sandbox {
    let builtin = match agent {
        "codex" => include_str!("../../../adapters/codex.yaml"),
        "claude" => include_str!("../../../adapters/claude.yaml"),
        other => panic!("no built-in adapter for {other} here"),
    };
    let sandbox = Sandbox::new();
    sandbox.user_adapter(agent, &super::without_session_log(builtin));
    sandbox
}

/// Every turn signal came from the hook `source` with `field` = `value` in its
/// data, at least three were recorded, and each of the three turns ended on one.
pub fn real_assert_turns_signalled_by_hook(
    sandbox: &Sandbox,
    source: &str,
    field: &str,
    value: &str,
) {
    let signals = sandbox.entries_of("turn_signal");
    assert!(signals.len() >= 3, "{signals:?}");
    for signal in &signals {
        assert_eq!(signal.data["source"], source);
        assert_eq!(signal.data["data"][field], value);
    }
    let turns = sandbox.entries_of("turn_ended");
    assert_eq!(turns.len(), 3);
    for turn in turns {
        assert_eq!(turn.data["signalled_by"], "hook", "{turn:?}");
    }
}

/// The prompts goalie typed, by name, in order.
pub fn real_prompts(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .entries_of("injection")
        .iter()
        .map(|e| e.data["prompt"].as_str().unwrap().to_string())
        .collect()
}

/// The steps goalie took against hung turns, in order.
pub fn real_hung_steps(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .entries_of("turn_hung")
        .iter()
        .map(|e| e.data["step"].as_str().unwrap().to_string())
        .collect()
}

/// A turn request told the model that its last turn hung (`after_hang.md`).
pub fn real_assert_told_it_hung(server: &BlockingFakeModel, summary: &str) {
    assert!(
        server
            .turn_requests()
            .iter()
            .any(|r| r.latest_user_text().contains("Your last turn hung")),
        "{summary}"
    );
}

/// `goalie run --agent AGENT --headless GOALIE_ARGS… OBJECTIVE -- AGENT_ARGS…`
/// (no `--` without agent arguments), offline: the agent reaches nothing but
/// 127.0.0.1. The caller adds the agent's own configuration.
pub fn real_run_command(
    sandbox: &Sandbox,
    agent: &str,
    goalie_args: &[&str],
    objective: &str,
    agent_args: &[&str],
) -> Command {
    let mut args = vec!["run", "--agent", agent, "--headless"];
    args.extend_from_slice(goalie_args);
    args.push(objective);
    if !agent_args.is_empty() {
        args.push("--");
        args.extend_from_slice(agent_args);
    }
    let mut cmd = sandbox.command(&args);
    agents::offline(&mut cmd, &sandbox.workdir());
    cmd
}
