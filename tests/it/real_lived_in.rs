//! The real Codex CLI, Claude Code and gemini-cli under goalie in homes that
//! have been used for months (`tests/it/support/lived_in.rs`): 5,000 earlier
//! sessions, this project's among them, files with odd times, and a session
//! of the same working directory that another agent process keeps writing
//! while goalie runs. goalie must follow the run's own session, count its
//! tokens exactly, and do an amount of work that does not grow with the
//! history: the `stopped` row's `session_log_work` counts it.

use crate::support;
use crate::support::fake_model;

use std::path::Path;
use std::time::Duration;

use fake_model::{BlockingFakeModel, Script, Step};
use support::{Sandbox, agents, lived_in};

const LIMIT: Duration = Duration::from_secs(240);
const OBJECTIVE: &str = "Keep the project tidy.";
const HISTORY: usize = 5000;

/// Each reply is text using 1,000 × turn input and 50 output tokens; the
/// first streams slowly, a stretch in which the agent writes nothing.
fn script() -> Script {
    Script::rule(|ctx| {
        let step = Step::text(format!("Step {} done; more to do.", ctx.turn))
            .with_usage(1000 * ctx.turn as u64, 50);
        if ctx.turn == 1 {
            step.slow(Duration::from_millis(400))
        } else {
            step
        }
    })
}

/// `goalie run --agent AGENT --headless --max-turns 2 OBJECTIVE -- ARGS…`
/// with `setup` preparing the agent, while `concurrent` keeps being written.
fn run(
    sandbox: &Sandbox,
    agent: agents::Agent,
    server: &BlockingFakeModel,
    concurrent: lived_in::Concurrent,
) -> support::Outcome {
    let mut args = vec![
        "run",
        "--agent",
        agent.name(),
        "--headless",
        "--max-turns",
        "2",
    ];
    args.push(OBJECTIVE);
    if !agent.args().is_empty() {
        args.push("--");
        args.extend_from_slice(agent.args());
    }
    let mut cmd = agent.command(sandbox, &server.base_url(), &args);
    let writer = concurrent.keep_writing(Duration::from_millis(250));
    let out = support::finish(cmd.spawn().expect("goalie"), LIMIT);
    drop(writer);
    out
}

/// What every lived-in run must show: the goal ended after its turns, the
/// tokens are the model's exactly, the followed session is a new file of this
/// run (not the other process's), and the work to follow it was small.
fn check(sandbox: &Sandbox, server: &BlockingFakeModel, out: &support::Outcome, other: &Path) {
    let requests = || fake_model::summarize(&server.requests());
    assert_eq!(out.code, 3, "{out:?}\n{}", requests());
    let goal = sandbox.goal();
    assert_eq!(goal.tokens_used, server.turn_tokens(), "{}", requests());
    let logs = sandbox.entries_of("session_log");
    assert_eq!(logs.len(), 1, "{logs:?}");
    let path = logs[0].data["path"].as_str().expect("path");
    assert_ne!(Path::new(path), other, "the other process's session");
    // gemini-cli's is named in its private home of the run, gone now: it
    // links to the real folder.
    let real = match path.split_once("/.gemini/") {
        Some((_, rest)) => sandbox.dir.path().join("gemini-home/.gemini").join(rest),
        None => Path::new(path).to_path_buf(),
    };
    let meta = std::fs::metadata(&real).expect("the followed session");
    let made = meta.created().or_else(|_| meta.modified()).expect("time");
    let started: jiff::Timestamp = sandbox.entries_of("agent_started")[0]
        .at
        .parse()
        .expect("time");
    let started = std::time::SystemTime::from(started);
    assert!(
        made + Duration::from_secs(2) >= started,
        "{path} is older than the run"
    );
    let stopped = sandbox.entries_of("stopped");
    let work = &stopped[0].data["session_log_work"];
    let count = |name: &str| work[name].as_u64().unwrap_or_else(|| panic!("{work}"));
    // A few folders listed and files opened, whatever the 5,000 sessions.
    assert!(count("dir_scans") <= 12, "{work}");
    assert!(count("files_opened") <= 8, "{work}");
    // Woken by the agent's own writes, not by anyone's reads.
    assert!(count("wakes") <= 100, "{work}");
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_in_a_lived_in_home_follows_its_own_session() {
    agents::require("codex");
    let sandbox = Sandbox::new();
    let sessions = sandbox.dir.path().join("codex-home/sessions");
    // Codex writes some 15 kB of instructions on each session's first line.
    let home = lived_in::codex(&sessions, &sandbox.workdir(), HISTORY, 15_000);
    let other = home.concurrent.path().to_path_buf();
    let server = BlockingFakeModel::start(script()).expect("fake model");
    let out = run(&sandbox, agents::Agent::Codex, &server, home.concurrent);
    check(&sandbox, &server, &out, &other);
    // Its notify hook named the session goalie follows.
    let id = sandbox.entries_of("session_log")[0].data["session_id"].clone();
    for signal in sandbox.entries_of("turn_signal") {
        assert_eq!(signal.data["data"]["thread-id"], id, "{signal:?}");
    }
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_in_a_lived_in_home_follows_its_own_transcript() {
    agents::require("claude");
    let sandbox = Sandbox::new();
    let projects = sandbox.dir.path().join("claude-config/projects");
    let home = lived_in::claude(&projects, &sandbox.workdir(), HISTORY, 4000);
    let other = home.concurrent.path().to_path_buf();
    let server = BlockingFakeModel::start(script()).expect("fake model");
    let out = run(&sandbox, agents::Agent::Claude, &server, home.concurrent);
    check(&sandbox, &server, &out, &other);
    let path = sandbox.entries_of("session_log")[0].data["path"].clone();
    for signal in sandbox.entries_of("turn_signal") {
        assert_eq!(signal.data["data"]["transcript_path"], path, "{signal:?}");
    }
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn gemini_in_a_lived_in_home_follows_its_own_chat() {
    agents::require("gemini");
    let sandbox = Sandbox::new();
    let gemini = sandbox.dir.path().join("gemini-home/.gemini");
    let home = lived_in::gemini(&gemini, &sandbox.workdir(), HISTORY, 4000);
    let other = home.concurrent.path().to_path_buf();
    let server = BlockingFakeModel::start(script()).expect("fake model");
    let out = run(&sandbox, agents::Agent::Gemini, &server, home.concurrent);
    check(&sandbox, &server, &out, &other);
    // In the folder gemini-cli's registry gives this project.
    let path = sandbox.entries_of("session_log")[0].data["path"].clone();
    assert!(
        path.as_str().unwrap().contains("/tmp/work-1/chats/"),
        "{path}"
    );
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn opencode_in_a_lived_in_database_counts_its_own_replies() {
    agents::require("opencode");
    // A first run makes opencode's database as opencode 1.18.33 has it; its
    // history is then filled in, and a second goal runs in another folder.
    let first = Sandbox::new();
    let server = BlockingFakeModel::start(script()).expect("fake model");
    let args = [
        "run",
        "--agent",
        "opencode",
        "--headless",
        "--max-turns",
        "1",
        OBJECTIVE,
    ];
    let out = support::finish(
        agents::Agent::Opencode
            .command(&first, &server.base_url(), &args)
            .spawn()
            .expect("goalie"),
        LIMIT,
    );
    assert_eq!(out.code, 3, "{out:?}");
    let home = first.dir.path().join("opencode-home");
    let data = home.join(".local/share/opencode");
    let sandbox = Sandbox::new();
    let lived = lived_in::opencode(&data, &sandbox.workdir(), HISTORY);
    assert!(lived.this_project >= HISTORY / 20);
    let server = BlockingFakeModel::start(script()).expect("fake model");
    let mut args = vec![
        "run",
        "--agent",
        "opencode",
        "--headless",
        "--max-turns",
        "2",
    ];
    args.push(OBJECTIVE);
    let mut cmd = sandbox.command(&args);
    agents::offline(&mut cmd, &sandbox.workdir());
    agents::opencode(
        &mut cmd,
        &home,
        &format!("{}/v1", server.base_url()),
        &sandbox.workdir(),
    );
    let writer = lived.concurrent.keep_writing(Duration::from_millis(250));
    let out = support::finish(cmd.spawn().expect("goalie"), LIMIT);
    drop(writer);
    assert_eq!(
        out.code,
        3,
        "{out:?}\n{}",
        fake_model::summarize(&server.requests())
    );
    assert_eq!(sandbox.goal().tokens_used, server.turn_tokens());
    let work = &sandbox.entries_of("stopped")[0].data["session_log_work"];
    let count = |name: &str| work[name].as_u64().unwrap_or_else(|| panic!("{work}"));
    assert_eq!(count("dir_scans"), 0, "{work}");
    assert!(count("files_opened") <= 2, "{work}");
    // A look per write of the database at most, each over the new rows only.
    assert!(
        count("db_queries") <= count("wakes") + count("rescans") + 2,
        "{work}"
    );
}
