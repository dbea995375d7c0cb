//! goalie driving the real, unmodified Codex CLI (installed by
//! `scripts/install-agents`) in a PTY, against the fake model server.

use std::time::Duration;

use crate::support;
use crate::support::fake_model;
use crate::support::real::{
    real_assert_told_it_hung, real_assert_turns_signalled_by_hook, real_hang_script,
    real_hung_steps, real_prompts, real_run_command, real_sandbox_without_session_log,
    real_shell_script,
};
use fake_model::{BlockingFakeModel, Script, Step};
use support::{Sandbox, agents, leftover_processes};

const LIMIT: Duration = Duration::from_secs(180);
const OBJECTIVE: &str = "Create proof.txt containing hi, then keep the project tidy.";

/// Runs `goalie run --agent codex --headless EXTRA… OBJECTIVE -- AGENT_ARGS…`.
fn run_codex(
    sandbox: &Sandbox,
    server: &BlockingFakeModel,
    extra: &[&str],
    agent_args: &[&str],
) -> support::Outcome {
    run_codex_in(sandbox, server, extra, agent_args, true)
}

fn run_codex_in(
    sandbox: &Sandbox,
    server: &BlockingFakeModel,
    extra: &[&str],
    agent_args: &[&str],
    trusted: bool,
) -> support::Outcome {
    let mut cmd = real_run_command(sandbox, "codex", extra, OBJECTIVE, agent_args);
    let home = sandbox.dir.path().join("codex-home");
    agents::codex(
        &mut cmd,
        &home,
        &format!("{}/v1", server.base_url()),
        &sandbox.workdir(),
        trusted,
    );
    support::finish(cmd.spawn().expect("goalie"), LIMIT)
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_turns_are_detected_continued_and_limited() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(real_shell_script()).expect("fake model");
    let out = run_codex(&sandbox, &server, &["--max-turns", "3"], &[]);
    assert_eq!(
        out.code,
        3,
        "{out:?}\n{}",
        fake_model::summarize(&server.requests())
    );

    // The agent really ran the scripted shell command.
    let proof = std::fs::read_to_string(sandbox.workdir().join("proof.txt")).expect("proof.txt");
    assert_eq!(proof.trim(), "hi");

    // At least 3 turns reached the model, each with the objective in its latest user input.
    let turns: Vec<_> = server
        .turn_requests()
        .into_iter()
        .filter(|r| r.latest_user_text().contains(OBJECTIVE))
        .collect();
    let prompts: std::collections::BTreeSet<String> = turns
        .iter()
        .map(|r| r.latest_user_text().to_string())
        .collect();
    assert!(
        prompts.len() >= 3,
        "{}",
        fake_model::summarize(&server.requests())
    );

    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "budget-limited");
    assert_eq!(goal.turns, 4, "3 turns and the wrap-up");
    let injections = sandbox.entries_of("injection");
    assert_eq!(injections.last().unwrap().data["prompt"], "budget_limit");

    // Token usage from Codex's session log is exactly what the model reported.
    assert_eq!(goal.tokens_used, server.turn_tokens());
    let tokens = sandbox.entries_of("tokens");
    assert_eq!(tokens.last().unwrap().data["source"], "session_log");
    assert!(!sandbox.entries_of("session_log").is_empty());

    // No process of the agent is left: no TUI, no app-server.
    let pid = sandbox.agent_pid();
    assert!(support::eventually(Duration::from_secs(5), || {
        leftover_processes(pid).is_empty()
    }));
    assert!(no_codex_left(&sandbox), "a codex process outlived goalie");
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_token_budget_from_the_screen_ends_budget_limited() {
    agents::require("codex");
    // The user's adapter without the session log: tokens come from the status line.
    let sandbox = real_sandbox_without_session_log("codex");

    let server = BlockingFakeModel::start(real_shell_script()).expect("fake model");
    let out = run_codex(&sandbox, &server, &["--budget-tokens", "5k"], &[]);
    assert_eq!(out.code, 3, "{out:?}");
    let goal = sandbox.goal();
    assert!(goal.tokens_used >= 5000);
    assert_eq!(
        sandbox.entries_of("tokens").last().unwrap().data["source"],
        "screen"
    );
    // The status line's rounded figure is within 10 % of what the model reported.
    let reported = server.turn_tokens() as f64;
    let seen = goal.tokens_used as f64;
    assert!(
        (seen - reported).abs() <= reported * 0.10,
        "screen {seen} vs model {reported}"
    );
    let transitions = sandbox.entries_of("transition");
    assert!(
        transitions[0].data["reason"]
            .as_str()
            .unwrap()
            .contains("token limit")
    );
    assert!(no_codex_left(&sandbox));
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_compaction_mid_turn_is_detected_and_recorded() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    // Every step reports 60k tokens of usage against a 50k auto-compaction
    // limit, and the first prompt makes four tool calls: Codex compacts in the
    // middle of that turn and carries on.
    let server = BlockingFakeModel::start(Script::rule(|ctx| {
        if ctx.prompt_index == 1 && ctx.step < 4 {
            Step::shell(format!("echo step {}", ctx.step)).with_usage(60_000, 40)
        } else {
            Step::text("Done with this step.").with_usage(60_000, 40)
        }
    }))
    .expect("fake model");
    let out = run_codex(
        &sandbox,
        &server,
        &["--max-turns", "2"],
        &["-c", "model_auto_compact_token_limit=50000"],
    );
    assert_eq!(out.code, 3, "{out:?}");
    let compacted = sandbox.entries_of("compacted");
    assert!(
        !compacted.is_empty(),
        "no compaction recorded\n{}",
        fake_model::summarize(&server.requests())
    );
    let compactions = server
        .requests()
        .iter()
        .filter(|r| r.kind == fake_model::RequestKind::Compaction)
        .count();
    assert!(compactions >= 1);
}

/// A git repository Codex was not told to trust: it asks first.
fn untrusted_repo(sandbox: &Sandbox) {
    let status = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(sandbox.workdir())
        .status()
        .expect("git");
    assert!(status.success());
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_trust_dialog_is_answered_by_policy() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    untrusted_repo(&sandbox);
    let server = BlockingFakeModel::start(real_shell_script()).expect("fake model");
    let out = run_codex_in(&sandbox, &server, &["--max-turns", "1"], &[], false);
    assert_eq!(out.code, 3, "{out:?}");
    let answers = sandbox.entries_of("dialog_answered");
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].data["dialog"], "trust-folder");
    assert_eq!(answers[0].data["answer"], "accept");
    // Only after the dialog was answered did the objective go in.
    let first_turn = server.turn_requests().into_iter().next().expect("a turn");
    assert!(first_turn.latest_user_text().contains(OBJECTIVE));
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_trust_dialog_escalates_when_the_policy_says_so() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    untrusted_repo(&sandbox);
    // The user's own adapter: the same Codex, but trust is theirs to give.
    let builtin = include_str!("../../adapters/codex.yaml");
    assert!(builtin.contains("policy: accept"));
    sandbox.user_adapter(
        "codex",
        &builtin.replace("policy: accept", "policy: escalate"),
    );
    let server = BlockingFakeModel::start(real_shell_script()).expect("fake model");
    let out = run_codex_in(&sandbox, &server, &[], &[], false);
    assert_eq!(out.code, 5, "{out:?}");
    assert_eq!(sandbox.goal().state.as_str(), "paused");
    let escalated = sandbox.entries_of("dialog_escalated");
    assert_eq!(escalated[0].data["dialog"], "trust-folder");
    assert!(
        escalated[0].data["screen"]
            .as_str()
            .unwrap()
            .contains("Trust this folder?")
    );
    assert!(
        sandbox.entries_of("injection").is_empty(),
        "nothing was typed"
    );
    assert!(
        server.turn_requests().is_empty(),
        "the agent never got a prompt"
    );
    assert!(no_codex_left(&sandbox));
}

/// Whether any codex process still runs with this sandbox's CODEX_HOME.
fn no_codex_left(sandbox: &Sandbox) -> bool {
    let home = sandbox.dir.path().join("codex-home");
    let needle = format!("CODEX_HOME={}", home.display());
    support::eventually(Duration::from_secs(5), || {
        std::fs::read_dir("/proc")
            .expect("/proc")
            .flatten()
            .all(|entry| {
                std::fs::read(entry.path().join("environ"))
                    .map(|env| {
                        !String::from_utf8_lossy(&env)
                            .split('\0')
                            .any(|var| var == needle)
                    })
                    .unwrap_or(true)
            })
    })
}

/// The first user prompt of `requests` after index `after` that differs from
/// `in_flight` (the prompt the agent was on when it compacted), if any.
fn next_new_prompt(
    requests: &[fake_model::Recorded],
    after: usize,
    in_flight: &str,
) -> Option<String> {
    requests
        .iter()
        .filter(|r| r.is_turn() && r.index > after)
        .map(|r| r.latest_user_text().to_string())
        .find(|text| text != in_flight)
}

const RESTORED: &str = "[goalie] Your context was just summarised";

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_compactions_each_get_the_goal_restored_in_the_next_prompt() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    // Every step reports 60k tokens against a 50k auto-compaction limit: Codex
    // compacts in the middle of the first prompt's four tool calls, and again
    // in later turns.
    let server = BlockingFakeModel::start(Script::rule(|ctx| {
        if ctx.prompt_index == 1 && ctx.step < 4 {
            Step::shell(format!("echo step {}", ctx.step)).with_usage(60_000, 40)
        } else {
            Step::text(format!("Did step {}.", ctx.turn)).with_usage(60_000, 40)
        }
    }))
    .expect("fake model");
    let out = run_codex(
        &sandbox,
        &server,
        &["--max-turns", "3"],
        &["-c", "model_auto_compact_token_limit=50000"],
    );
    let requests = server.requests();
    let summary = fake_model::summarize(&requests);
    assert_eq!(out.code, 3, "{out:?}\n{summary}");

    let compactions: Vec<&fake_model::Recorded> = requests
        .iter()
        .filter(|r| r.kind == fake_model::RequestKind::Compaction)
        .collect();
    assert!(compactions.len() >= 2, "{summary}");
    // One ledger row per compaction the model was asked for: none missed, none twice.
    let compacted = sandbox.entries_of("compacted");
    assert_eq!(
        compacted.len(),
        compactions.len(),
        "{compacted:#?}\n{summary}"
    );
    assert!(compacted.iter().all(|row| {
        row.data["sources"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("session_log"))
    }));

    // At least one compaction fell between tool calls of the first prompt.
    let first_prompt = server.turn_requests()[0].latest_user_text().to_string();
    assert!(first_prompt.contains(OBJECTIVE));
    let mid_turn = compactions.iter().any(|c| {
        let before = requests
            .iter()
            .rev()
            .find(|r| r.is_turn() && r.index < c.index);
        let after = requests.iter().find(|r| r.is_turn() && r.index > c.index);
        match (before, after) {
            (Some(before), Some(after)) => {
                before.latest_user_text() == first_prompt
                    && after.latest_user_text() == first_prompt
                    && after.step.unwrap_or(0) >= 1
            }
            _ => false,
        }
    });
    assert!(mid_turn, "{summary}");

    // After each compaction, the next prompt goalie typed carries the objective:
    // the restoring prompt, or, once the turn limit is reached, the wrap-up.
    let mut answered = 0;
    for compaction in &compactions {
        let in_flight = requests
            .iter()
            .rev()
            .find(|r| r.is_turn() && r.index < compaction.index)
            .map(|r| r.latest_user_text().to_string())
            .unwrap_or_default();
        let next = next_new_prompt(&requests, compaction.index, &in_flight)
            .unwrap_or_else(|| panic!("#{} unanswered\n{summary}", compaction.index));
        assert!(next.contains(OBJECTIVE), "#{}: {next}", compaction.index);
        if next.starts_with(RESTORED) {
            answered += 1;
        } else {
            assert!(
                next.contains("turn limit has been reached"),
                "#{}: {next}\n{summary}",
                compaction.index
            );
        }
    }
    assert!(answered >= 2, "{summary}");
    let restored = sandbox.entries_of("goal_restored");
    assert!(restored.len() >= 2, "{restored:#?}");
    assert!(no_codex_left(&sandbox));
}

/// The prompts goalie typed, grouped by the agent process they went to (from the ledger).
fn prompts_per_process(sandbox: &Sandbox) -> Vec<Vec<(String, String)>> {
    let mut processes: Vec<Vec<(String, String)>> = Vec::new();
    for row in sandbox.entries() {
        match row.kind.as_str() {
            "agent_started" => processes.push(Vec::new()),
            "injection" => processes.last_mut().expect("a process").push((
                row.data["prompt"].as_str().unwrap().to_string(),
                row.data["text"].as_str().unwrap().to_string(),
            )),
            _ => {}
        }
    }
    processes
}

const NEW_SESSION: &str = "[goalie] You are continuing work on one goal in a new session";

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_fresh_context_runs_every_turn_in_a_new_codex() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(Script::rule(|ctx| {
        Step::text(format!("Did step {}.", ctx.turn)).with_usage(1000 * ctx.turn as u64, 50)
    }))
    .expect("fake model");
    let out = run_codex(&sandbox, &server, &["--fresh", "--max-turns", "3"], &[]);
    let summary = fake_model::summarize(&server.requests());
    assert_eq!(out.code, 3, "{out:?}\n{summary}");
    assert_eq!(sandbox.ledger().goals().unwrap().len(), 1);
    let started = sandbox.entries_of("agent_started");
    assert_eq!(started.len(), 3, "{summary}");
    let pids: std::collections::BTreeSet<u64> = started
        .iter()
        .map(|row| row.data["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids.len(), 3);
    let kinds: Vec<Vec<String>> = prompts_per_process(&sandbox)
        .into_iter()
        .map(|p| p.into_iter().map(|(kind, _)| kind).collect())
        .collect();
    assert_eq!(
        kinds,
        [
            vec!["start"],
            vec!["after_rotation"],
            vec!["after_rotation", "budget_limit"]
        ]
    );
    // Each new Codex starts a new conversation whose first prompt carries the objective.
    let fresh: Vec<_> = server
        .turn_requests()
        .into_iter()
        .filter(|r| r.latest_user_text().starts_with(NEW_SESSION))
        .collect();
    assert_eq!(fresh.len(), 2, "{summary}");
    for request in &fresh {
        assert!(request.latest_user_text().contains(OBJECTIVE));
        assert_eq!(request.user_texts.len(), 1, "a new conversation: {summary}");
    }
    // Tokens add up across the three processes' session logs, exactly.
    let rows: Vec<String> = sandbox
        .entries()
        .iter()
        .filter(|e| {
            matches!(
                e.kind.as_str(),
                "tokens" | "turn_ended" | "session_log" | "agent_started" | "rotated"
            )
        })
        .map(|e| format!("{} {}", e.kind, e.data))
        .collect();
    assert_eq!(
        sandbox.goal().tokens_used,
        server.turn_tokens(),
        "{rows:#?}\n{summary}"
    );
    assert!(no_codex_left(&sandbox));
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_rotation_hands_off_to_a_new_codex_with_the_note() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    // Turn 2 fills 200k of the context window: past 70 %, goalie asks for the
    // handoff note; the model writes it where the prompt says.
    let server = BlockingFakeModel::start(Script::handing_off(200_000)).expect("fake model");
    let out = run_codex(
        &sandbox,
        &server,
        &["--rotate-at", "70%", "--max-turns", "4"],
        &[],
    );
    let summary = fake_model::summarize(&server.requests());
    assert_eq!(out.code, 3, "{out:?}\n{summary}");
    assert_eq!(sandbox.ledger().goals().unwrap().len(), 1);
    assert_eq!(sandbox.entries_of("agent_started").len(), 2, "{summary}");
    let handoff = sandbox.entries_of("handoff");
    assert_eq!(handoff.len(), 1);
    assert_eq!(handoff[0].data["source"], "file", "{summary}");
    assert_eq!(handoff[0].data["text"], "FAKE-HANDOFF: proof.txt is next.");
    let kinds: Vec<Vec<String>> = prompts_per_process(&sandbox)
        .into_iter()
        .map(|p| p.into_iter().map(|(kind, _)| kind).collect())
        .collect();
    assert_eq!(
        kinds,
        [
            vec!["start", "continuation", "handoff"],
            vec!["after_rotation", "budget_limit"]
        ]
    );
    // The new Codex's first request: a new conversation, the objective and the note.
    let first = server
        .turn_requests()
        .into_iter()
        .find(|r| r.latest_user_text().starts_with(NEW_SESSION))
        .expect("the new process's first prompt");
    let text = first.latest_user_text();
    assert!(text.contains(OBJECTIVE));
    assert!(
        text.contains(
            "<untrusted_handoff>\nFAKE-HANDOFF: proof.txt is next.\n</untrusted_handoff>"
        ),
        "{text}"
    );
    assert_eq!(first.user_texts.len(), 1, "{summary}");
    assert!(no_codex_left(&sandbox));
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_notify_signals_each_turn_through_goalie_hook() {
    agents::require("codex");
    // The user's adapter without the session log: only the hook says a turn is complete.
    let sandbox = real_sandbox_without_session_log("codex");
    let server = BlockingFakeModel::start(real_shell_script()).expect("fake model");
    let out = run_codex(&sandbox, &server, &["--max-turns", "2"], &[]);
    assert_eq!(out.code, 3, "{out:?}");
    real_assert_turns_signalled_by_hook(&sandbox, "codex-notify", "type", "agent-turn-complete");
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_hung_turn_is_interrupted_with_esc_and_after_hang_follows() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    // The first prompt's request never ends: Codex shows only its spinner.
    let server = BlockingFakeModel::start(real_hang_script(1)).expect("fake model");
    let out = run_codex(
        &sandbox,
        &server,
        &["--max-turns", "2", "--turn-timeout", "8s"],
        &[],
    );
    let summary = fake_model::summarize(&server.requests());
    assert_eq!(out.code, 3, "{out:?}\n{summary}");
    let hung = sandbox.entries_of("turn_hung");
    assert_eq!(hung.len(), 1, "{hung:?}\n{summary}");
    assert_eq!(hung[0].data["step"], "interrupt");
    assert!(hung[0].data["silent_ms"].as_u64().unwrap() >= 8000);
    let prompts = real_prompts(&sandbox);
    assert_eq!(
        prompts,
        ["start", "after_hang", "budget_limit"],
        "{summary}"
    );
    // Esc reached Codex: the same process took the next prompt to the model.
    assert_eq!(sandbox.entries_of("agent_started").len(), 1);
    real_assert_told_it_hung(&server, &summary);
    assert!(no_codex_left(&sandbox));
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_long_build_with_cpu_in_its_tree_is_not_interrupted() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    // The first prompt runs a 9 s "build" (a busy loop) with the model silent:
    // past the 5 s turn timeout, but the CPU time is in Codex's tree.
    let server = BlockingFakeModel::start(Script::rule(|ctx| {
        if ctx.prompt_index == 1 && ctx.step == 0 {
            Step::shell("timeout 9 sh -c 'while :; do :; done'; echo built > built.txt")
        } else {
            Step::text(format!("Step {} done.", ctx.turn))
        }
    }))
    .expect("fake model");
    let out = run_codex(
        &sandbox,
        &server,
        &["--max-turns", "1", "--turn-timeout", "5s"],
        &[],
    );
    let summary = fake_model::summarize(&server.requests());
    assert_eq!(out.code, 3, "{out:?}\n{summary}");
    assert!(sandbox.entries_of("turn_hung").is_empty(), "{summary}");
    let built = std::fs::read_to_string(sandbox.workdir().join("built.txt")).expect("built.txt");
    assert_eq!(built.trim(), "built");
    let ended = sandbox.entries_of("turn_ended");
    assert!(ended[0].data["duration_ms"].as_u64().unwrap() >= 9000);
    assert!(no_codex_left(&sandbox));
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_second_hang_in_a_row_restarts_codex_on_its_own_session() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    // The first two prompts' requests never end; the third is answered.
    let server = BlockingFakeModel::start(real_hang_script(2)).expect("fake model");
    let out = run_codex(
        &sandbox,
        &server,
        &["--max-turns", "2", "--turn-timeout", "8s"],
        &[],
    );
    let summary = fake_model::summarize(&server.requests());
    assert_eq!(out.code, 3, "{out:?}\n{summary}");
    let steps = real_hung_steps(&sandbox);
    assert_eq!(steps, ["interrupt", "restart"], "{summary}");
    let prompts = real_prompts(&sandbox);
    assert_eq!(
        prompts,
        ["start", "after_hang", "after_hang", "budget_limit"],
        "{summary}"
    );
    // The new Codex resumed the session: its first request carries the old prompts.
    let started = sandbox.entries_of("agent_started");
    assert_eq!(started.len(), 2);
    let args: Vec<String> = serde_json::from_value(started[1].data["args"].clone()).unwrap();
    assert_eq!(args[0], "resume", "{args:?}");
    let after = server
        .turn_requests()
        .into_iter()
        .find(|r| {
            r.latest_user_text()
                .contains("restarted you on your own session")
        })
        .expect("the prompt after the restart reached the model");
    assert!(
        after.user_texts.iter().any(|text| text.contains(OBJECTIVE)),
        "{summary}"
    );
    assert!(no_codex_left(&sandbox));
}
