//! goalie driving the real, unmodified Claude Code (installed by
//! `scripts/install-agents`) in a PTY, against the fake model server.

use std::time::Duration;

use crate::support;
use crate::support::fake_model;
use crate::support::real::{
    real_assert_told_it_hung, real_assert_turns_signalled_by_hook, real_hang_script, real_prompts,
    real_run_command, real_sandbox_without_session_log, real_shell_script,
};
use fake_model::{BlockingFakeModel, Script, Step};
use support::{Sandbox, agents, leftover_processes};

const LIMIT: Duration = Duration::from_secs(180);
const OBJECTIVE: &str = "Create proof.txt containing hi, then keep the project tidy.";

fn run_claude(sandbox: &Sandbox, server: &BlockingFakeModel, extra: &[&str]) -> support::Outcome {
    let agent_args = [
        "--model",
        "claude-sonnet-4-5",
        "--dangerously-skip-permissions",
    ];
    let mut cmd = real_run_command(sandbox, "claude", extra, OBJECTIVE, &agent_args);
    let config = sandbox.dir.path().join("claude-config");
    agents::claude(&mut cmd, &config, &server.base_url(), &sandbox.workdir());
    support::finish(cmd.spawn().expect("goalie"), LIMIT)
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_turns_are_detected_continued_and_limited() {
    agents::require("claude");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(real_shell_script()).expect("fake model");
    let out = run_claude(&sandbox, &server, &["--max-turns", "3"]);
    assert_eq!(
        out.code,
        3,
        "{out:?}\n{}",
        fake_model::summarize(&server.requests())
    );

    let proof = std::fs::read_to_string(sandbox.workdir().join("proof.txt")).expect("proof.txt");
    assert_eq!(proof.trim(), "hi");

    let prompts: std::collections::BTreeSet<String> = server
        .turn_requests()
        .into_iter()
        .map(|r| r.latest_user_text().to_string())
        .filter(|text| text.contains(OBJECTIVE))
        .collect();
    assert!(
        prompts.len() >= 3,
        "{}",
        fake_model::summarize(&server.requests())
    );

    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "budget-limited");
    assert_eq!(goal.turns, 4, "3 turns and the wrap-up");
    // Claude answers at once against the fake model, often without drawing a
    // spinner: its finished-turn line is what shows each turn ran.
    for turn in sandbox.entries_of("turn_ended") {
        assert!(
            turn.data["busy_seen"] == true || turn.data["done_seen"] == true,
            "no sign the turn ran: {turn:?}"
        );
    }
    // Token usage from Claude's transcript is exactly what the model reported.
    assert_eq!(goal.tokens_used, server.turn_tokens());
    assert_eq!(
        sandbox.entries_of("tokens").last().unwrap().data["source"],
        "session_log"
    );
    let pid = sandbox.agent_pid();
    assert!(support::eventually(Duration::from_secs(5), || {
        leftover_processes(pid).is_empty()
    }));
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_token_budget_ends_budget_limited() {
    agents::require("claude");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(Script::rule(|ctx| {
        Step::text(format!("Step {} done.", ctx.turn)).with_usage(4000, 100)
    }))
    .expect("fake model");
    let out = run_claude(&sandbox, &server, &["--budget-tokens", "10k"]);
    assert_eq!(out.code, 3, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(
        goal.turns, 4,
        "three turns of 4,100 pass 10,000; then the wrap-up"
    );
    assert_eq!(goal.tokens_used, server.turn_tokens());
    let transitions = sandbox.entries_of("transition");
    assert!(
        transitions[0].data["reason"]
            .as_str()
            .unwrap()
            .contains("token limit")
    );
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_compaction_is_detected_and_recorded() {
    agents::require("claude");
    let sandbox = Sandbox::new();
    // Claude compacts reactively: a "prompt is too long" refusal after a few
    // tool round trips makes it summarise and retry.
    let server = BlockingFakeModel::start(
        Script::queue([
            Step::shell("echo one").with_usage(150_000, 5),
            Step::shell("echo two").with_usage(160_000, 5),
            Step::shell("echo three").with_usage(170_000, 5),
            Step::PromptTooLong,
            Step::text("Carried on after compacting.").with_usage(3000, 10),
        ])
        .with_compaction_summary("FAKE-SUMMARY of the conversation"),
    )
    .expect("fake model");
    let out = run_claude(&sandbox, &server, &["--max-turns", "2"]);
    assert_eq!(
        out.code,
        3,
        "{out:?}\n{}",
        fake_model::summarize(&server.requests())
    );
    let compacted = sandbox.entries_of("compacted");
    assert_eq!(
        compacted.len(),
        1,
        "{}",
        fake_model::summarize(&server.requests())
    );
    assert_eq!(compacted[0].data["source"], "session_log");
    assert!(compacted[0].data["context_before"].as_u64().unwrap() >= 150_000);
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_compactions_each_get_the_goal_restored_in_the_next_prompt() {
    agents::require("claude");
    let sandbox = Sandbox::new();
    // Twice, in two turns: three tool round trips, then "prompt is too long":
    // Claude compacts in the middle of the turn and carries on.
    let round = |n: u32| {
        [
            Step::shell(format!("echo {n}-one")).with_usage(150_000, 5),
            Step::shell(format!("echo {n}-two")).with_usage(160_000, 5),
            Step::shell(format!("echo {n}-three")).with_usage(170_000, 5),
            Step::PromptTooLong,
            Step::text(format!("Carried on after compaction {n}.")).with_usage(3000, 10),
        ]
    };
    let mut steps: Vec<Step> = round(1).into();
    steps.extend(round(2));
    let server = BlockingFakeModel::start(
        Script::queue(steps).with_compaction_summary("FAKE-SUMMARY of the conversation"),
    )
    .expect("fake model");
    let out = run_claude(&sandbox, &server, &["--max-turns", "3"]);
    let requests = server.requests();
    let summary = fake_model::summarize(&requests);
    assert_eq!(out.code, 3, "{out:?}\n{summary}");

    let compactions: Vec<&fake_model::Recorded> = requests
        .iter()
        .filter(|r| r.kind == fake_model::RequestKind::Compaction)
        .collect();
    assert_eq!(compactions.len(), 2, "{summary}");
    let compacted = sandbox.entries_of("compacted");
    assert_eq!(compacted.len(), 2, "{compacted:#?}\n{summary}");
    for row in &compacted {
        assert_eq!(row.data["source"], "session_log");
        assert_eq!(row.data["during"], "turn");
        assert!(row.data["context_before"].as_u64().unwrap() >= 150_000);
    }
    // The prompt goalie typed after each compaction restores the objective.
    for compaction in &compactions {
        let in_flight = requests
            .iter()
            .rev()
            .find(|r| r.is_turn() && r.index < compaction.index)
            .map(|r| r.latest_user_text().to_string())
            .unwrap_or_default();
        let next = requests
            .iter()
            .filter(|r| r.is_turn() && r.index > compaction.index)
            .map(|r| r.latest_user_text().to_string())
            .find(|text| *text != in_flight && text.starts_with("[goalie]"))
            .unwrap_or_else(|| panic!("#{} unanswered\n{summary}", compaction.index));
        assert!(
            next.starts_with("[goalie] Your context was just summarised"),
            "#{}: {next}\n{summary}",
            compaction.index
        );
        assert!(next.contains(OBJECTIVE));
    }
    let injections = real_prompts(&sandbox);
    assert_eq!(
        injections,
        [
            "start",
            "after_compaction",
            "after_compaction",
            "budget_limit"
        ],
        "{summary}"
    );
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_stop_hook_signals_each_turn_through_goalie_hook() {
    agents::require("claude");
    // The user's adapter without the session log: only the hook says a turn is complete.
    let sandbox = real_sandbox_without_session_log("claude");
    let server = BlockingFakeModel::start(Script::rule(|ctx| {
        Step::text(format!("Step {} done.", ctx.turn)).with_usage(1000, 20)
    }))
    .expect("fake model");
    let out = run_claude(&sandbox, &server, &["--max-turns", "2"]);
    assert_eq!(out.code, 3, "{out:?}");
    real_assert_turns_signalled_by_hook(&sandbox, "claude-stop", "hook_event_name", "Stop");
}

/// `--rotate-at` with Claude Code, whose transcript says how many tokens the
/// context holds (the adapter knows the window): past 70 % goalie asks for the
/// handoff note, then a new Claude Code continues from it in a new conversation.
#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_rotation_hands_off_to_a_new_claude_with_the_note() {
    agents::require("claude");
    let sandbox = Sandbox::new();
    // Turn 2 fills 170k of its 200k window; the model writes the note where asked.
    let server = BlockingFakeModel::start(Script::handing_off(170_000)).expect("fake model");
    let out = run_claude(
        &sandbox,
        &server,
        &["--rotate-at", "70%", "--max-turns", "4"],
    );
    let summary = fake_model::summarize(&server.requests());
    assert_eq!(out.code, 3, "{out:?}\n{summary}");
    assert_eq!(sandbox.entries_of("agent_started").len(), 2, "{summary}");
    let rotation = sandbox.entries_of("rotation_started");
    assert_eq!(rotation.len(), 1, "{summary}");
    assert_eq!(rotation[0].data["context_used_pct"], 85);
    let handoff = sandbox.entries_of("handoff");
    assert_eq!(handoff.len(), 1, "{summary}");
    assert_eq!(handoff[0].data["source"], "file", "{summary}");
    assert_eq!(handoff[0].data["text"], "FAKE-HANDOFF: proof.txt is next.");
    // The new Claude Code's first request: a new conversation with the note.
    let first = server
        .turn_requests()
        .into_iter()
        .find(|r| {
            r.latest_user_text()
                .starts_with("[goalie] You are continuing work on one goal in a new session")
        })
        .expect("the new process's first prompt");
    assert!(
        first.latest_user_text().contains(
            "<untrusted_handoff>\nFAKE-HANDOFF: proof.txt is next.\n</untrusted_handoff>"
        )
    );
    // Its only user message: a new conversation.
    assert_eq!(first.user_texts.len(), 1, "{:#?}", first.user_texts);
    let pid = sandbox.agent_pid();
    support::assert_no_process_left(pid);
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_hung_turn_is_interrupted_with_esc_and_after_hang_follows() {
    agents::require("claude");
    let sandbox = Sandbox::new();
    // The first prompt's request never ends: Claude Code shows only its spinner.
    let server = BlockingFakeModel::start(real_hang_script(1)).expect("fake model");
    let out = run_claude(
        &sandbox,
        &server,
        &["--max-turns", "2", "--turn-timeout", "8s"],
    );
    let summary = fake_model::summarize(&server.requests());
    assert_eq!(out.code, 3, "{out:?}\n{summary}");
    let hung = sandbox.entries_of("turn_hung");
    assert_eq!(hung.len(), 1, "{hung:?}\n{summary}");
    assert_eq!(hung[0].data["step"], "interrupt");
    let prompts = real_prompts(&sandbox);
    assert_eq!(
        prompts,
        ["start", "after_hang", "budget_limit"],
        "{summary}"
    );
    assert_eq!(sandbox.entries_of("agent_started").len(), 1);
    real_assert_told_it_hung(&server, &summary);
    let pid = sandbox.agent_pid();
    assert!(support::eventually(Duration::from_secs(5), || {
        leftover_processes(pid).is_empty()
    }));
}
