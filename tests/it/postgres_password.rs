//! The `--db` URL's password stays off the command lines of the agent's MCP
//! server and hooks (anyone on the machine can read those): the agent gets
//! the URL without it on its own command line and the password in
//! `PGPASSWORD`, and a claim through `goalie mcp` started exactly so still
//! reaches the supervisor on PostgreSQL. The agent is the sim behind a
//! shell that writes down what it was handed. #[ignore]d like the other
//! pg_ tests (GOALIE_TEST_PG).

use std::time::Duration;

use serde_json::json;

use crate::mcp::{call, connect_to, text};
use crate::support::{self, Sandbox};

const LIMIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: GOALIE_TEST_PG (scripts/test starts one with scripts/pg)"]
async fn pg_the_agent_gets_the_url_without_its_password_and_a_claim_through_goalie_mcp_still_works()
{
    let sandbox = Sandbox::postgres();
    let url = sandbox.db().to_string_lossy().to_string();
    let config: postgres::Config = url.parse().unwrap();
    let password = String::from_utf8(config.get_password().unwrap().to_vec()).unwrap();
    // The sim, behind a shell that keeps its whole command line, the `{db}`
    // of its MCP registration and of its hook, and its PGPASSWORD.
    let keep = r#"printf '%s\n' "$0" "$@" > argv.txt && printf %s "$1" > mcp_db.txt && printf %s "$2" > hook_db.txt && printf %s "${PGPASSWORD-}" > pgpassword.txt && shift 2 && exec "$0" sim "$@""#;
    let adapter = include_str!("../../adapters/sim.yaml").replace(
        "command: \"{goalie}\"\nargs: [sim]\n",
        &format!(
            "command: sh\nargs: ['-c', '{}', '{{goalie}}']\nmcp_args: ['{{db}}']\nhook_args: ['{{db}}']\n",
            keep.replace('\'', "''")
        ),
    );
    assert!(adapter.contains("mcp_args"), "the sim adapter changed");
    sandbox.user_adapter("sim", &adapter);
    let child = crate::mcp::start_sim_goal(&sandbox);
    let goal = sandbox.goal().id;
    let read = |name: &str| std::fs::read_to_string(sandbox.workdir().join(name)).unwrap();
    let argv = read("argv.txt");
    assert!(!argv.contains(&password), "{argv}");
    let mcp_db = read("mcp_db.txt");
    assert_eq!(mcp_db, url.replacen(&format!(":{password}@"), "@", 1));
    assert_eq!(read("hook_db.txt"), mcp_db);
    assert_eq!(read("pgpassword.txt"), password);

    // `goalie mcp` as the agent starts it: that URL, the password in PGPASSWORD.
    let client = connect_to(&mcp_db, &goal, &[("PGPASSWORD", &password)]).await;
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
    let claims = sandbox.entries_of("claim");
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].data["channel"], "mcp");
    // The agent_started row shows the command line without the password.
    let started = sandbox.entries_of("agent_started");
    assert_eq!(started.len(), 1);
    let shown = started[0].data.to_string();
    assert!(!shown.contains(&password), "{shown}");
}
