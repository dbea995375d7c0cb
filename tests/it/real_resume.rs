//! `goalie resume` with the real agent CLIs: a goal stopped by its turn limit is
//! given more turns from another command, then resumed; the agent continues
//! its own conversation (its session id comes from the session log goalie
//! followed), the counters continue, and tokens are counted once.

use std::time::Duration;

use crate::support;
use crate::support::fake_model;
use fake_model::{BlockingFakeModel, Script, Step};
use support::Sandbox;
use support::agents::{self, Agent};

const LIMIT: Duration = Duration::from_secs(180);
const OBJECTIVE: &str = "Keep a tidy log of the steps in steps.txt.";

fn resume_continues_the_agents_own_conversation(agent: Agent) {
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(Script::rule(|ctx| {
        Step::text(format!("Logged step {}.", ctx.turn)).with_usage(1000, 10)
    }))
    .expect("fake model");
    let mut args = vec![
        "run",
        "--headless",
        "--agent",
        agent.name(),
        "--max-turns",
        "1",
        OBJECTIVE,
    ];
    args.push("--");
    args.extend_from_slice(agent.args());
    let first = support::finish(
        agent
            .command(&sandbox, &server.base_url(), &args)
            .spawn()
            .unwrap(),
        LIMIT,
    );
    assert_eq!(first.code, 3, "{first:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.turns, 2, "one turn and the wrap-up");
    let session = sandbox.entries_of("session_log");
    let session_id = session[0].data["session_id"].as_str().map(str::to_string);
    assert!(session_id.is_some(), "{session:?}");
    let requests_before = server.turn_requests().len();

    // From another shell: more turns (no supervisor runs: the database is updated).
    let raised = support::finish(
        agent
            .command(
                &sandbox,
                &server.base_url(),
                &["budget", &goal.id, "--max-turns", "4"],
            )
            .spawn()
            .unwrap(),
        LIMIT,
    );
    assert_eq!(raised.code, 0, "{raised:?}");

    let resumed = support::finish(
        agent
            .command(
                &sandbox,
                &server.base_url(),
                &["resume", &goal.id, "--headless"],
            )
            .spawn()
            .unwrap(),
        LIMIT,
    );
    assert_eq!(
        resumed.code,
        3,
        "{resumed:?}\n{}",
        fake_model::summarize(&server.requests())
    );
    let goal = sandbox.goal();
    assert_eq!(
        goal.turns, 5,
        "the counters continued: 2 before, 2 more and a wrap-up"
    );

    // The agent was started on its own session, and got the continuation prompt.
    let started = sandbox.entries_of("agent_started");
    assert_eq!(started.len(), 2);
    let args = started[1].data["args"].to_string();
    // By the session id its log named.
    assert!(
        args.contains(session_id.as_deref().expect("a session id")),
        "not resumed by session id: {args}"
    );
    let injections = sandbox.entries_of("injection");
    assert_eq!(injections[2].data["prompt"], "continuation");
    // The model saw the first run's prompts again: the conversation was kept.
    let after = &server.turn_requests()[requests_before];
    assert!(
        after
            .user_texts
            .iter()
            .any(|t| t.contains("You are working on one goal")),
        "{}",
        fake_model::summarize(&server.requests())
    );
    // Tokens are those the model reported, each counted once across both runs.
    assert_eq!(
        goal.tokens_used,
        server.turn_tokens(),
        "{:?}\n{}",
        sandbox.entries_of("session_log"),
        list_files(sandbox.dir.path())
    );
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_resume_continues_its_session() {
    agents::require("codex");
    resume_continues_the_agents_own_conversation(Agent::Codex);
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_resume_continues_its_session() {
    agents::require("claude");
    resume_continues_the_agents_own_conversation(Agent::Claude);
}

/// gemini-cli runs in a private home each time (its MCP registration): the
/// first run's chat, moved back into the person's `.gemini`, is the one the
/// second resumes, by the id in its first line.
#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn gemini_resume_continues_its_session() {
    agents::require("gemini");
    resume_continues_the_agents_own_conversation(Agent::Gemini);
}

fn list_files(dir: &std::path::Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                out.push_str(&format!(
                    "{} {}\n",
                    path.display(),
                    std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
                ));
            }
        }
    }
    out
}
