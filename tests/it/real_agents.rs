//! goalie driving the real, unmodified gemini-cli, opencode and aider
//! (installed by `scripts/install-agents`) in a PTY, against the fake model
//! server: each types the objective, has each end of turn detected, gets the
//! continuation, does real work from a scripted reply, is limited by
//! `--max-turns` and by `--budget-tokens` after one wrap-up turn, and leaves
//! no process behind.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support;
use crate::support::fake_model;
use crate::support::real::{
    real_assert_told_it_hung, real_hang_script, real_hung_steps, real_prompts, real_run_command,
    real_shell_script,
};
use fake_model::{BlockingFakeModel, Script, Step};
use support::{Sandbox, agents};

const LIMIT: Duration = Duration::from_secs(240);
const OBJECTIVE: &str = "Create proof.txt containing hi, then keep the project tidy.";

/// `goalie run --agent AGENT --headless GOALIE_ARGS… OBJECTIVE -- AGENT_ARGS…`,
/// with `setup` preparing the agent's offline configuration.
fn run(
    sandbox: &Sandbox,
    agent: &str,
    goalie_args: &[&str],
    agent_args: &[&str],
    setup: impl FnOnce(&mut std::process::Command),
) -> support::Outcome {
    let mut cmd = real_run_command(sandbox, agent, goalie_args, OBJECTIVE, agent_args);
    setup(&mut cmd);
    support::finish(cmd.spawn().expect("goalie"), LIMIT)
}

/// What every agent's run must show: exit 3 after 3 turns and the wrap-up,
/// the objective in the latest user input of at least 3 distinct turns, the
/// scripted file written, and no process left.
fn check_run(sandbox: &Sandbox, server: &BlockingFakeModel, out: &support::Outcome) {
    let requests = || fake_model::summarize(&server.requests());
    assert_eq!(out.code, 3, "{out:?}\n{}", requests());
    let proof = std::fs::read_to_string(sandbox.workdir().join("proof.txt"))
        .unwrap_or_else(|err| panic!("proof.txt: {err}\n{}", requests()));
    assert_eq!(proof.trim(), "hi");
    let prompts: BTreeSet<String> = server
        .turn_requests()
        .into_iter()
        .map(|r| r.latest_user_text().to_string())
        .filter(|text| text.contains(OBJECTIVE))
        .collect();
    assert!(prompts.len() >= 3, "{}", requests());
    limited_after_wrap_up(sandbox, 4);
}

/// The goal ended budget-limited after `turns` turns, the last the wrap-up,
/// and no process of the agent is left.
fn limited_after_wrap_up(sandbox: &Sandbox, turns: u32) {
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "budget-limited");
    assert_eq!(goal.turns, turns, "the turns and the wrap-up");
    let injections = sandbox.entries_of("injection");
    assert_eq!(injections.len(), turns as usize);
    assert_eq!(injections.last().unwrap().data["prompt"], "budget_limit");

    let pid = sandbox.agent_pid();
    support::assert_no_process_left(pid);
}

/// The token budget every `…_budget_tokens_…` test sets: the first two replies
/// (1,050 and 2,050 tokens) cross it, so the third turn is the wrap-up.
const BUDGET: &str = "2500";

/// What a `--budget-tokens 2500` run must show: exit 3, the budget crossed
/// after two turns (no sooner), then the wrap-up, and no process left.
fn check_budget_run(sandbox: &Sandbox, server: &BlockingFakeModel, out: &support::Outcome) {
    assert_eq!(
        out.code,
        3,
        "{out:?}\n{}",
        fake_model::summarize(&server.requests())
    );
    let budget: u64 = BUDGET.parse().unwrap();
    let transitions = sandbox.entries_of("transition");
    assert!(
        transitions[0].data["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("token limit")),
        "{transitions:?}"
    );
    assert!(sandbox.goal().tokens_used >= budget);
    limited_after_wrap_up(sandbox, 3);
}

/// Every reply is text using 1,000 × turn input and 50 output tokens.
fn costly_script() -> Script {
    Script::rule(|ctx| {
        Step::text(format!("Step {} done; more to do.", ctx.turn))
            .with_usage(1000 * ctx.turn as u64, 50)
    })
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn gemini_turns_are_detected_continued_and_limited() {
    agents::require("gemini");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(real_shell_script()).expect("fake model");
    let home = sandbox.dir.path().join("gemini-home");
    // Its shell tool asks first; goalie answers that dialog (by default it
    // would escalate) because the person said so for this goal.
    // As in CI: gemini-cli runs headless (and exits) when it sees CI=true; its
    // adapter keeps that variable from it, since it runs in goalie's terminal.
    let out = run(
        &sandbox,
        "gemini",
        &["--max-turns", "3", "--dialog", "tool-permission=accept"],
        &[],
        |cmd| {
            agents::gemini(cmd, &home, &server.base_url());
            cmd.env("CI", "true").env("GITHUB_ACTIONS", "true");
        },
    );
    check_run(&sandbox, &server, &out);
    let answers = sandbox.entries_of("dialog_answered");
    assert!(
        answers
            .iter()
            .any(|a| a.data["dialog"] == "tool-permission" && a.data["answer"] == "accept"),
        "{answers:?}"
    );
    // Token usage from its chat log is exactly what the model reported.
    assert_eq!(sandbox.goal().tokens_used, server.turn_tokens());
    assert_eq!(
        sandbox.entries_of("tokens").last().unwrap().data["source"],
        "session_log"
    );
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn opencode_turns_are_detected_continued_and_limited() {
    agents::require("opencode");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(real_shell_script()).expect("fake model");
    let home = sandbox.dir.path().join("opencode-home");
    let base_url = format!("{}/v1", server.base_url());
    let out = run(&sandbox, "opencode", &["--max-turns", "3"], &[], |cmd| {
        agents::opencode(cmd, &home, &base_url, &sandbox.workdir())
    });
    check_run(&sandbox, &server, &out);
    // Token usage from its database is exactly what the model reported, and
    // the database said when each turn was complete.
    assert_eq!(sandbox.goal().tokens_used, server.turn_tokens());
    assert_eq!(
        sandbox.entries_of("tokens").last().unwrap().data["source"],
        "session_log"
    );
    for turn in sandbox.entries_of("turn_ended") {
        assert_eq!(turn.data["signalled"], true, "{turn:?}");
    }
}

/// aider's first reply suggests a shell command (a ```bash block, in its diff
/// edit format); every other reply is text.
fn aider_script() -> Script {
    Script::rule(|ctx| {
        let reply = if ctx.prompt_index == 1 {
            "I will create the file with a shell command.\n\n```bash\necho hi > proof.txt\n```\n"
                .to_string()
        } else {
            format!("Step {} done; more to do.", ctx.turn)
        };
        Step::text(reply).with_usage(1000 * ctx.turn as u64, 50)
    })
}

const AIDER_ARGS: &[&str] = &[
    "--model",
    "openai/fake-model",
    "--no-git",
    "--edit-format",
    "diff",
];

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn aider_turns_are_detected_continued_and_limited() {
    agents::require("aider");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(aider_script()).expect("fake model");
    let home = sandbox.dir.path().join("aider-home");
    let base_url = format!("{}/v1", server.base_url());
    // aider asks before it runs a command the model suggested; the person lets
    // goalie say yes for this goal.
    let out = run(
        &sandbox,
        "aider",
        &["--max-turns", "3", "--dialog", "run-shell-command=accept"],
        AIDER_ARGS,
        |cmd| agents::aider(cmd, &home, &base_url),
    );
    check_run(&sandbox, &server, &out);
    let answers = sandbox.entries_of("dialog_answered");
    assert!(
        answers
            .iter()
            .any(|a| a.data["dialog"] == "run-shell-command" && a.data["answer"] == "accept"),
        "{answers:?}"
    );
    // Its offer to open a web page (the unknown model's warning) is declined.
    assert!(
        answers
            .iter()
            .all(|a| a.data["dialog"] != "open-url-or-install" || a.data["answer"] == "deny"),
        "{answers:?}"
    );
    // Token usage from its `Tokens: 2k sent, 50 received.` lines (rounded) is
    // within 10 % of what the model reported.
    let reported = server.turn_tokens() as f64;
    let seen = sandbox.goal().tokens_used as f64;
    assert!(
        (seen - reported).abs() <= reported * 0.10,
        "screen {seen} vs model {reported}"
    );
    assert_eq!(
        sandbox.entries_of("tokens").last().unwrap().data["source"],
        "screen"
    );
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn gemini_budget_tokens_ends_the_goal_after_a_wrap_up() {
    agents::require("gemini");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(costly_script()).expect("fake model");
    let home = sandbox.dir.path().join("gemini-home");
    let out = run(
        &sandbox,
        "gemini",
        &["--budget-tokens", BUDGET],
        &[],
        |cmd| agents::gemini(cmd, &home, &server.base_url()),
    );
    check_budget_run(&sandbox, &server, &out);
    assert_eq!(sandbox.goal().tokens_used, server.turn_tokens());
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn opencode_budget_tokens_ends_the_goal_after_a_wrap_up() {
    agents::require("opencode");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(costly_script()).expect("fake model");
    let home = sandbox.dir.path().join("opencode-home");
    let base_url = format!("{}/v1", server.base_url());
    let out = run(
        &sandbox,
        "opencode",
        &["--budget-tokens", BUDGET],
        &[],
        |cmd| agents::opencode(cmd, &home, &base_url, &sandbox.workdir()),
    );
    check_budget_run(&sandbox, &server, &out);
    assert_eq!(sandbox.goal().tokens_used, server.turn_tokens());
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn aider_budget_tokens_ends_the_goal_after_a_wrap_up() {
    agents::require("aider");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(costly_script()).expect("fake model");
    let home = sandbox.dir.path().join("aider-home");
    let base_url = format!("{}/v1", server.base_url());
    let out = run(
        &sandbox,
        "aider",
        &["--budget-tokens", BUDGET],
        AIDER_ARGS,
        |cmd| agents::aider(cmd, &home, &base_url),
    );
    check_budget_run(&sandbox, &server, &out);
}

/// The first prompt's request never ends: the agent shows only its busy sign.
/// At the turn timeout goalie records `turn_hung` and sends the adapter's
/// interrupt keys; `after_hang.md` reaches the model from the same process, or
/// (`restarted`: the keys did not stop the turn) from the agent restarted a
/// timeout later.
fn hung_turn_is_interrupted(
    agent: &str,
    restarted: bool,
    agent_args: &[&str],
    setup: impl FnOnce(&mut std::process::Command, &BlockingFakeModel),
) {
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(real_hang_script(1)).expect("fake model");
    let out = run(
        &sandbox,
        agent,
        &["--max-turns", "2", "--turn-timeout", "8s"],
        agent_args,
        |cmd| setup(cmd, &server),
    );
    let summary = fake_model::summarize(&server.requests());
    assert_eq!(out.code, 3, "{out:?}\n{summary}");
    let steps = real_hung_steps(&sandbox);
    let expected: &[&str] = if restarted {
        &["interrupt", "restart"]
    } else {
        &["interrupt"]
    };
    assert_eq!(steps, expected, "{summary}");
    let prompts = real_prompts(&sandbox);
    // A hung turn the restart cut short is no turn: the next prompt is one more.
    let expected: &[&str] = if restarted {
        &["start", "after_hang", "continuation", "budget_limit"]
    } else {
        &["start", "after_hang", "budget_limit"]
    };
    assert_eq!(prompts, expected, "{summary}");
    let started = sandbox.entries_of("agent_started");
    assert_eq!(started.len(), if restarted { 2 } else { 1 });
    real_assert_told_it_hung(&server, &summary);
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "budget-limited");
    assert_eq!(goal.turns, 3, "two turns and the wrap-up");
    for process in started {
        support::assert_no_process_left(process.data["pid"].as_u64().unwrap() as u32);
    }
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn gemini_hung_turn_is_interrupted_with_esc_and_after_hang_follows() {
    agents::require("gemini");
    hung_turn_is_interrupted("gemini", false, &[], |cmd, server| {
        let home = cmd.get_current_dir().unwrap().join("../gemini-home");
        agents::gemini(cmd, &home, &server.base_url());
    });
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn opencode_hung_turn_that_esc_does_not_stop_restarts_opencode() {
    agents::require("opencode");
    hung_turn_is_interrupted("opencode", true, &[], |cmd, server| {
        let workdir = cmd.get_current_dir().unwrap().to_path_buf();
        let home = workdir.join("../opencode-home");
        agents::opencode(cmd, &home, &format!("{}/v1", server.base_url()), &workdir);
    });
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn aider_hung_turn_that_ctrl_c_does_not_stop_restarts_aider() {
    agents::require("aider");
    hung_turn_is_interrupted("aider", true, AIDER_ARGS, |cmd, server| {
        let home = cmd.get_current_dir().unwrap().join("../aider-home");
        agents::aider(cmd, &home, &format!("{}/v1", server.base_url()));
    });
}
