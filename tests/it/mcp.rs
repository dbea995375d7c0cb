//! `goalie mcp` with a real MCP client (rmcp) over stdio: the handshake, the
//! tool list, the calls, the refusals; and a claim made through it reaching a
//! running supervisor through the ledger.

use std::time::Duration;

use crate::support;
use goalie::ledger::{Ledger, NewGoal};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use serde_json::{Value, json};
use support::{GOALIE, Sandbox, eventually, path_str};

const LIMIT: Duration = Duration::from_secs(60);

fn new_goal(sandbox: &Sandbox) -> String {
    let ledger = Ledger::open(&sandbox.db()).unwrap();
    let goal = ledger
        .create_goal(&NewGoal {
            objective: "Make the parser accept:\n1. empty input\n2. a trailing comma".into(),
            agent: "codex".into(),
            workdir: path_str(&sandbox.workdir()),
            claim_code: "secretcode".into(),
            max_turns: Some(10),
            max_time_ms: None,
            budget_tokens: Some(100_000),
        })
        .unwrap();
    let mut spec = goalie::goal::spec::GoalSpec::bare(&goal.objective);
    spec.verify = vec![goalie::goal::spec::VerifyCommand {
        run: "cargo test".into(),
        timeout_ms: 60_000,
    }];
    ledger
        .set_spec(&goal.id, &serde_json::to_value(&spec).unwrap())
        .unwrap();
    goal.id
}

pub(crate) type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

/// Starts `goalie mcp --goal ID --db PATH` as the agents do, and shakes hands.
async fn connect(sandbox: &Sandbox, goal: &str) -> Client {
    connect_to(&path_str(&sandbox.db()), goal, &[]).await
}

/// Starts `goalie mcp --goal ID --db DB` with the variables `env`, and shakes hands.
pub(crate) async fn connect_to(db: &str, goal: &str, env: &[(&str, &str)]) -> Client {
    let (db, goal) = (db.to_string(), goal.to_string());
    let transport = TokioChildProcess::new(tokio::process::Command::new(GOALIE).configure(|cmd| {
        cmd.args(["mcp", "--goal", &goal, "--db", &db])
            .envs(env.iter().copied());
    }))
    .expect("spawn goalie mcp");
    tokio::time::timeout(LIMIT, ().serve(transport))
        .await
        .expect("handshake in time")
        .expect("handshake")
}

pub(crate) async fn call(client: &Client, name: &str, arguments: Value) -> CallToolResult {
    let params = CallToolRequestParams::new(name.to_string())
        .with_arguments(arguments.as_object().cloned().unwrap());
    tokio::time::timeout(LIMIT, client.call_tool(params))
        .await
        .expect("answer in time")
        .expect("a tool result")
}

pub(crate) fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn the_handshake_the_two_tools_and_the_refusals() {
    let sandbox = Sandbox::new();
    let goal = new_goal(&sandbox);
    let client = connect(&sandbox, &goal).await;
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("goalie")
    );

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, vec!["get_goal", "update_goal"]);

    let got = call(&client, "get_goal", json!({})).await;
    assert_ne!(got.is_error, Some(true));
    let summary: Value = serde_json::from_str(&text(&got)).unwrap();
    assert_eq!(summary["id"], goal.as_str());
    assert_eq!(summary["state"], "pursuing");
    assert_eq!(summary["requirements"][1]["id"], "R2");
    assert_eq!(summary["requirements"][1]["text"], "a trailing comma");
    assert_eq!(summary["verify"], json!(["cargo test"]));
    assert_eq!(summary["budgets"]["turns"], 10);
    assert_eq!(summary["remaining"]["tokens"], 100_000);
    assert_eq!(summary["last_audit"], Value::Null);

    let claimed = call(
        &client,
        "update_goal",
        json!({"status": "complete", "checklist": [
            {"requirement": "R1", "evidence": "tests/parse.rs::empty passes"},
            {"requirement": "R2", "evidence": "tests/parse.rs::trailing_comma passes"}
        ]}),
    )
    .await;
    assert_ne!(claimed.is_error, Some(true));
    assert!(
        text(&claimed).starts_with("received; goalie will audit it"),
        "{}",
        text(&claimed)
    );

    // Everything that would pause, clear, edit or re-budget is refused and recorded.
    for (name, arguments, expected) in [
        (
            "update_goal",
            json!({"status": "paused"}),
            "refused: status `paused` is refused",
        ),
        (
            "update_goal",
            json!({"status": "cleared"}),
            "refused: status `cleared` is refused",
        ),
        (
            "update_goal",
            json!({"status": "blocked", "reason": "x", "budget_tokens": 1_000_000}),
            "refused: update_goal takes only status, checklist, reason and wait; `budget_tokens`",
        ),
        (
            "pause_goal",
            json!({}),
            "refused: there is no tool `pause_goal`",
        ),
        (
            "clear_goal",
            json!({}),
            "refused: there is no tool `clear_goal`",
        ),
    ] {
        let result = call(&client, name, arguments).await;
        assert_eq!(result.is_error, Some(true), "{name}");
        assert!(text(&result).starts_with(expected), "{}", text(&result));
    }
    client.cancel().await.unwrap();

    let ledger = Ledger::open_existing(&sandbox.db()).unwrap();
    let entries = ledger.entries(&goal).unwrap();
    let submitted: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == "claim_submitted")
        .collect();
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0].data["channel"], "mcp");
    assert_eq!(submitted[0].data["claim"]["status"], "complete");
    assert_eq!(
        submitted[0].data["claim"]["checklist"][1]["requirement"],
        "R2"
    );
    let refused: Vec<_> = entries.iter().filter(|e| e.kind == "mcp_refused").collect();
    assert_eq!(refused.len(), 5);
    assert_eq!(refused[3].data["tool"], "pause_goal");
    // Nothing the agent did changed the goal itself.
    let after = ledger.goal(&goal).unwrap();
    assert_eq!(after.state.as_str(), "pursuing");
    assert_eq!(after.budget_tokens, Some(100_000));
}

/// A `waiting` call whose `wait` goalie cannot do gets an error that says
/// why, and is never submitted (no wait, no claim); a good one after it is.
#[tokio::test]
async fn a_malformed_wait_is_answered_with_what_was_wrong_and_never_submitted() {
    let sandbox = Sandbox::new();
    let goal = new_goal(&sandbox);
    let client = connect(&sandbox, &goal).await;
    for (wait, expected) in [
        (
            json!({"for": "20m", "colour": "blue"}),
            "a wait takes for, until, or command (with every and timeout); not `colour`",
        ),
        (json!({"for": "soon"}), "`for: soon` is not a duration"),
        (
            json!({"until": "2020-01-01T00:00:00Z"}),
            "`wait.until: 2020-01-01T00:00:00Z` is already past",
        ),
        (json!({"until": "tomorrow"}), "is not an RFC 3339 time"),
        (
            json!({"every": "1m", "timeout": "2h"}),
            "a wait needs one of for, until or command",
        ),
        (json!({"command": ""}), "`command` is empty"),
        (json!({"for": 20}), "`wait.for` must be a text"),
    ] {
        let result = call(
            &client,
            "update_goal",
            json!({"status": "waiting", "wait": wait}),
        )
        .await;
        assert_eq!(result.is_error, Some(true), "{wait}");
        let answer = text(&result);
        assert!(answer.starts_with("refused: "), "{wait}: {answer}");
        assert!(answer.contains(expected), "{wait}: {answer}");
    }
    let good = call(
        &client,
        "update_goal",
        json!({"status": "waiting", "wait": {"until": "2099-01-01T00:00:00Z"}}),
    )
    .await;
    assert_ne!(good.is_error, Some(true), "{}", text(&good));
    client.cancel().await.unwrap();

    let ledger = Ledger::open_existing(&sandbox.db()).unwrap();
    let entries = ledger.entries(&goal).unwrap();
    let submitted: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == "claim_submitted")
        .collect();
    assert_eq!(submitted.len(), 1, "only the good wait");
    assert_eq!(submitted[0].data["claim"]["status"], "waiting");
    let refused = entries.iter().filter(|e| e.kind == "mcp_refused").count();
    assert_eq!(refused, 7);
    assert_eq!(ledger.goal(&goal).unwrap().state.as_str(), "pursuing");
}

#[tokio::test]
async fn an_unknown_goal_is_an_error_at_start() {
    let sandbox = Sandbox::new();
    new_goal(&sandbox);
    let out = sandbox.run(
        &[
            "mcp",
            "--goal",
            "zzzzzzzz",
            "--db",
            &path_str(&sandbox.db()),
        ],
        LIMIT,
    );
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: no goal matches `zzzzzzzz` (see `goalie ls`)\n"
    );
}

#[tokio::test]
async fn a_claim_through_mcp_reaches_the_running_supervisor_and_is_audited() {
    claim_through_mcp_reaches_the_supervisor(Sandbox::new()).await;
}

/// The test above, in a sandbox of either backend (tests/it/postgres.rs
/// runs it on PostgreSQL: `goalie mcp --db postgres://…`). The test's own
/// reads of the ledger are made inside its tokio runtime, as the
/// supervisor's are.
pub(crate) async fn claim_through_mcp_reaches_the_supervisor(sandbox: Sandbox) {
    let child = start_sim_goal(&sandbox);
    let goal = sandbox.goal().id;
    let client = connect(&sandbox, &goal).await;
    let claimed = call(
        &client,
        "update_goal",
        json!({"status": "complete", "checklist": [
            {"requirement": "the objective", "evidence": "created done.txt; `test -f done.txt` passes"}
        ]}),
    )
    .await;
    assert_ne!(claimed.is_error, Some(true), "{}", text(&claimed));
    client.cancel().await.unwrap();

    let out = tokio::task::spawn_blocking(move || support::finish(child, LIMIT))
        .await
        .unwrap();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(sandbox.goal().state.as_str(), "achieved");
    assert_eq!(sandbox.goal().turns, 1);
    let claims = sandbox.entries_of("claim");
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].data["channel"], "mcp");
    let verify: Vec<_> = sandbox
        .entries_of("audit_step")
        .into_iter()
        .filter(|s| s.data["check"] == "verify")
        .collect();
    assert_eq!(verify.len(), 1);
    assert_eq!(verify[0].data["passed"], true);
    assert!(
        out.stdout
            .contains("the agent claimed the goal complete in turn 1 (mcp)"),
        "{}",
        out.stdout
    );
}

/// An adapter that registers `goalie mcp` through a variable naming a private
/// file: the agent (the sim, behind a shell that keeps what it was given)
/// finds the file with the run's goal and database in it, in a directory only
/// its user may enter, and the directory is gone when the run ends.
#[test]
fn registration_files_are_private_to_the_run() {
    let sandbox = Sandbox::new();
    let keep = r#"cp "$AGENT_SETTINGS" seen.json && stat -c %a "$(dirname "$AGENT_SETTINGS")" "$AGENT_SETTINGS" > modes.txt && printf %s "$AGENT_SETTINGS" > path.txt && exec "$0" sim "$@""#;
    let adapter = include_str!("../../adapters/sim.yaml").replace(
        "command: \"{goalie}\"\nargs: [sim]\n",
        &format!(
            "command: sh\nargs: ['-c', '{}', '{{goalie}}']\nmcp_env:\n  AGENT_SETTINGS: '{{file:settings.json}}'\nmcp_files:\n  settings.json: '{{\"goalie\":{{\"command\":\"{{goalie}}\",\"args\":[\"mcp\",\"--goal\",\"{{goal}}\",\"--db\",\"{{db}}\"]}}}}'\n",
            keep.replace('\'', "''")
        ),
    );
    assert!(adapter.contains("mcp_files"), "the sim adapter changed");
    sandbox.user_adapter("sim", &adapter);
    let out = sandbox.run_sim(&support::scenario(Some(1), "proper", 300), &[], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");

    let goal = sandbox.goal();
    let seen: Value = serde_json::from_str(
        &std::fs::read_to_string(sandbox.workdir().join("seen.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(seen["goalie"]["command"], GOALIE);
    assert_eq!(
        seen["goalie"]["args"],
        json!(["mcp", "--goal", goal.id, "--db", path_str(&sandbox.db())])
    );
    let modes = std::fs::read_to_string(sandbox.workdir().join("modes.txt")).unwrap();
    assert_eq!(modes, "700\n600\n");
    let path = std::path::PathBuf::from(
        std::fs::read_to_string(sandbox.workdir().join("path.txt")).unwrap(),
    );
    let sockets = sandbox.runtime_dir().join("goalie");
    assert_eq!(path.parent().unwrap().parent().unwrap(), sockets);
    assert!(!path.parent().unwrap().exists(), "left behind: {path:?}");
}

/// Starts a headless sim goal for the MCP tests: it works 4 s per turn and
/// never claims on screen, and its first turn creates done.txt. Returns
/// once that turn has started.
pub(crate) fn start_sim_goal(sandbox: &Sandbox) -> std::process::Child {
    let spec = sandbox.file(
        "goal.yaml",
        "objective: Make `test -f done.txt` pass\nverify: ['test -f done.txt']\nstop:\n  turns: 4\n",
    );
    // The sim works 4 s per turn and never claims on screen; its first turn creates done.txt.
    let scenario = sandbox.file(
        "scenario.yaml",
        "name: mcp\nstartup_ms: 100\nclaim_mode: none\nturns:\n  - work_ms: 4000\n    reply: Created done.txt.\n    run: touch done.txt\n",
    );
    let child = sandbox
        .command(&[
            "run",
            "--agent",
            "sim",
            "--goal",
            &path_str(&spec),
            "--",
            "--scenario",
            &path_str(&scenario),
        ])
        .spawn()
        .unwrap();
    assert!(
        eventually(LIMIT, || sandbox
            .try_ledger()
            .is_some_and(|ledger| ledger.goals().is_ok_and(|g| g.len() == 1))
            && !sandbox.entries_of("turn_started").is_empty()),
        "the first turn never started"
    );
    child
}
