//! goalie on a shared ledger in PostgreSQL (`--db postgres://…`, here
//! through `GOALIE_DB`): a real headless run of the sim agent, then `ls`,
//! `status`, `report` and `watch` read it back; export and import carry a
//! finished and a running goal between two PostgreSQL ledgers; the events
//! table refuses UPDATE, DELETE and TRUNCATE (the triggers); two supervisors
//! that race for one goal's claim leave one winner; and the hosts test (a
//! supervisor killed with SIGKILL on one `GOALIE_HOST` reads as lost, and
//! `resume` under another takes over) and a claim made through `goalie mcp`
//! hold on PostgreSQL too.
//!
//! Each test has a database of its own on the server `GOALIE_TEST_PG` names
//! (see support/pg.rs). They are #[ignore]d: `scripts/test` starts a server
//! with `scripts/pg` and runs them in its ignored phase; run by hand without
//! one, they fail and say why.

use std::time::Duration;

use serde_json::Value;

use crate::support::{self, Outcome, Sandbox, eventually};

const LIMIT: Duration = Duration::from_secs(120);
const WAIT: Duration = Duration::from_secs(60);

fn ok(out: Outcome) -> String {
    assert_eq!(out.code, 0, "{out:?}");
    out.stdout
}

/// A sim scenario whose agent claims after its first turn, with evidence.
const CLAIMS: &str = "name: pg\nstartup_ms: 100\nclaim_after_turns: 1\nevidence: \"see `fixed.txt`\"\nturns:\n  - work_ms: 300\n    reply: Created the fix.\n    run: touch fixed.txt\n";

/// A sim scenario that keeps working, one step of `work_ms` a turn.
fn slow(sandbox: &Sandbox, work_ms: u32) -> String {
    let scenario = sandbox.file(
        "slow.yaml",
        &format!(
            "name: slow\nstartup_ms: 100\nclaim_after_turns: null\nturns:\n  - work_ms: {work_ms}\n    tokens: 1000\n    reply: \"Did one step.\"\n"
        ),
    );
    support::path_str(&scenario)
}

#[test]
#[ignore = "needs PostgreSQL: GOALIE_TEST_PG (scripts/test starts one with scripts/pg)"]
fn pg_a_headless_sim_run_is_stored_and_ls_status_report_and_watch_read_it() {
    let sandbox = Sandbox::postgres();
    let mut cmd = sandbox.command(&[
        "run",
        "--agent",
        "sim",
        "--headless",
        "Make the tests pass",
        "--",
        "--scenario",
        &support::path_str(&sandbox.file("claims.yaml", CLAIMS)),
    ]);
    cmd.env("GOALIE_HOST", "pg-host-a");
    let out = support::finish(cmd.spawn().unwrap(), LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    // The end of the run names the ledger by its URL, with no password.
    assert!(
        out.stdout.contains("ledger postgres://goalie:***@"),
        "{out:?}"
    );
    assert!(!out.stdout.contains(&password()), "{out:?}");

    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "achieved");
    assert_eq!(goal.host.as_deref(), Some("pg-host-a"));
    let rows = sandbox.entries();
    assert!(rows.iter().any(|row| row.kind == "turn_ended"), "{rows:?}");

    let listed: Value = serde_json::from_str(&ok(sandbox.run(&["ls", "--json"], LIMIT))).unwrap();
    let listed = &listed.as_array().unwrap()[0];
    assert_eq!(listed["id"], goal.id.as_str());
    assert_eq!(listed["host"], "pg-host-a");
    assert_eq!(listed["state"], "achieved");
    let table = ok(sandbox.run(&["ls"], LIMIT));
    assert!(
        table.contains(&goal.id) && table.contains("achieved"),
        "{table}"
    );
    let status = ok(sandbox.run(&["status", &goal.id], LIMIT));
    assert!(
        status.starts_with(&format!("goal {}  achieved", goal.id)),
        "{status}"
    );
    let report: Value = serde_json::from_str(&ok(
        sandbox.run(&["report", &goal.id, "--json", "--rows"], LIMIT)
    ))
    .unwrap();
    assert_eq!(report["goal"]["id"], goal.id.as_str(), "{report}");
    let text = ok(sandbox.run(&["report", &goal.id], LIMIT));
    assert!(
        text.starts_with(&format!("goal {}  achieved", goal.id)),
        "{text}"
    );
    // `watch --since 0` of a goal that ended reads its rows from the ledger.
    let watched = ok(sandbox.run(&["watch", &goal.id, "--json", "--since", "0"], LIMIT));
    let seqs: Vec<i64> = watched
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|line| line["params"]["seq"].as_i64())
        .collect();
    assert_eq!(
        seqs,
        rows.iter().map(|row| row.seq).collect::<Vec<_>>(),
        "{watched}"
    );

    // What PostgreSQL holds, read behind goalie's back: the schema's version
    // (five migrations), the goal and its rows.
    let mut client = sandbox.pg.as_ref().unwrap().client();
    let version: i64 = client
        .query_one("SELECT version FROM goalie_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 5);
    let stored: i64 = client
        .query_one(
            "SELECT count(*) FROM events WHERE goal_id = $1",
            &[&goal.id],
        )
        .unwrap()
        .get(0);
    assert_eq!(stored as usize, rows.len());

    // The URL's password is hidden in every row stored (a `--db` URL is on
    // the command lines of the agent's MCP server and hooks, which are).
    let ledger = goalie::ledger::Ledger::open(&sandbox.db()).unwrap();
    let args = serde_json::json!({"args": ["mcp", "--db", sandbox.db().to_string_lossy()]});
    let entry = ledger
        .append(
            &goal.id,
            &goalie::core::row::Row::from_parts("agent_started", args),
        )
        .unwrap();
    let data: String = client
        .query_one("SELECT data FROM events WHERE seq = $1", &[&entry.seq])
        .unwrap()
        .get(0);
    assert!(!data.contains(&password()), "{data}");
    assert!(data.contains("[redacted:env:GOALIE_DB_PASSWORD]"), "{data}");
}

/// The test server's password, which goalie never shows.
fn password() -> String {
    let url = std::env::var("GOALIE_TEST_PG").unwrap_or_default();
    let config: postgres::Config = url.parse().unwrap();
    String::from_utf8(config.get_password().unwrap_or(b"no password").to_vec()).unwrap()
}

#[test]
#[ignore = "needs PostgreSQL: GOALIE_TEST_PG (scripts/test starts one with scripts/pg)"]
fn pg_a_finished_and_a_running_goal_are_exported_and_imported_between_two_postgres_ledgers() {
    crate::export::finished_and_running_goals_carried_over(
        Sandbox::postgres(),
        Sandbox::postgres(),
    );
}

#[test]
#[ignore = "needs PostgreSQL: GOALIE_TEST_PG (scripts/test starts one with scripts/pg)"]
fn pg_the_events_table_refuses_update_delete_and_truncate() {
    let sandbox = Sandbox::postgres();
    let out = sandbox.run(&["demo", "--headless", "--max-turns", "1"], LIMIT);
    assert_eq!(out.code, 3, "{out:?}");
    let rows = sandbox.entries();
    let mut client = sandbox.pg.as_ref().unwrap().client();
    for sql in [
        "UPDATE events SET kind = 'x'",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let err = client.batch_execute(sql).unwrap_err();
        let message = err.as_db_error().map(|db| db.message().to_string());
        assert_eq!(
            message.as_deref(),
            Some("the ledger is append-only"),
            "{sql}: {err}"
        );
    }
    assert_eq!(sandbox.entries(), rows);
}

#[test]
#[ignore = "needs PostgreSQL: GOALIE_TEST_PG (scripts/test starts one with scripts/pg)"]
fn pg_two_supervisors_racing_for_one_goals_claim_leave_one_winner() {
    let sandbox = Sandbox::postgres();
    let scenario = slow(&sandbox, 800);
    let mut first = sandbox
        .command(&[
            "run",
            "--agent",
            "sim",
            "Keep going",
            "--max-turns",
            "500",
            "--stall-turns",
            "0",
            "--",
            "--scenario",
            &scenario,
        ])
        .spawn()
        .unwrap();
    assert!(eventually(WAIT, || sandbox
        .try_ledger()
        .and_then(|ledger| ledger.goals().ok())
        .is_some_and(|goals| goals
            .first()
            .is_some_and(|g| g.control_socket.is_some()))));
    let id = sandbox.goal().id;
    assert!(eventually(WAIT, || !sandbox
        .entries_of("turn_ended")
        .is_empty()));
    ok(sandbox.run(&["pause", &id], LIMIT));
    // The supervisor and its agent die without a word: the goal is paused
    // and its recorded supervisor is dead.
    let agent = sandbox.agent_pid();
    first.kill().unwrap();
    let _ = first.wait();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &agent.to_string()])
        .status();

    // Two `resume`s, let go together just before they open the ledger.
    let together = support::path_str(&sandbox.dir.path().join("together"));
    let racers: Vec<_> = (0..2)
        .map(|_| {
            let mut cmd = sandbox.command(&["resume", &id, "--headless"]);
            cmd.env("GOALIE_TEST_OPEN_TOGETHER", format!("{together}:2"));
            cmd.spawn().unwrap()
        })
        .collect();
    // One takes the goal over and starts its agent; the other is refused.
    assert!(eventually(WAIT, || sandbox
        .entries_of("agent_started")
        .len()
        == 2
        && sandbox.goal().control_socket.is_some()));
    let cleared = ok(sandbox.run(&["clear", &id], LIMIT));
    assert!(
        cleared.starts_with(&format!("goal {id} cleared")),
        "{cleared}"
    );
    let outcomes: Vec<Outcome> = racers
        .into_iter()
        .map(|child| support::finish(child, LIMIT))
        .collect();
    // Exactly one supervised the goal (the run ended by `clear`); the other
    // started no agent: refused by the claim, or, come later, it found the
    // winner's supervisor.
    let supervised: Vec<&Outcome> = outcomes
        .iter()
        .filter(|out| {
            out.stdout
                .contains(&format!("goal {id} started: agent sim"))
        })
        .collect();
    assert_eq!(supervised.len(), 1, "{outcomes:#?}");
    assert_eq!(supervised[0].code, 5, "{outcomes:#?}");
    let loser = outcomes
        .iter()
        .find(|out| !out.stdout.contains("started: agent sim"))
        .unwrap();
    assert!(
        loser
            .stderr
            .contains("is already being supervised by goalie")
            || loser.stderr.contains("runs but does not answer")
            || loser.stdout.starts_with(&format!("goal {id} resumed")),
        "{outcomes:#?}"
    );
    assert_eq!(sandbox.entries_of("agent_started").len(), 2);
}

#[test]
#[ignore = "needs PostgreSQL: GOALIE_TEST_PG (scripts/test starts one with scripts/pg)"]
fn pg_a_goal_on_another_host_is_controlled_through_the_ledger_and_once_killed_is_lost_and_taken_over()
 {
    crate::hosts::controlled_from_another_host_then_lost_and_taken_over(Sandbox::postgres());
}

#[test]
#[ignore = "needs PostgreSQL: GOALIE_TEST_PG (scripts/test starts one with scripts/pg)"]
fn pg_a_wrong_password_is_an_error_naming_the_url_without_the_password() {
    let sandbox = Sandbox::postgres();
    let url = sandbox.db().to_string_lossy().replacen(
        &format!(":{}@", password()),
        ":not-the-password@",
        1,
    );
    assert!(url.contains(":not-the-password@"), "{url}");
    let mut cmd = sandbox.command(&["ls"]);
    cmd.env("GOALIE_DB", &url);
    let out = support::finish(cmd.spawn().unwrap(), LIMIT);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: cannot open the database postgres://goalie:***@"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("password authentication failed"),
        "{out:?}"
    );
    assert!(!out.stderr.contains("not-the-password"), "{out:?}");
}

#[test]
#[ignore = "needs PostgreSQL: GOALIE_TEST_PG (scripts/test starts one with scripts/pg)"]
fn pg_a_connection_the_server_ends_stops_the_run_with_exit_code_8_and_resume_goes_on() {
    let sandbox = Sandbox::postgres();
    let scenario = slow(&sandbox, 500);
    let run = sandbox
        .command(&[
            "run",
            "--agent",
            "sim",
            "--headless",
            "Keep going",
            "--max-turns",
            "500",
            "--stall-turns",
            "0",
            "--",
            "--scenario",
            &scenario,
        ])
        .spawn()
        .unwrap();
    assert!(eventually(WAIT, || sandbox
        .try_ledger()
        .is_some_and(|_| sandbox.entries_of("turn_ended").len() >= 2)));
    let id = sandbox.goal().id;
    let agent = sandbox.agent_pid();
    // The server ends every connection to the goal's database but this one.
    let mut client = sandbox.pg.as_ref().unwrap().client();
    let ended: i64 = client
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ended >= 1, "goalie's connections: {ended}");
    let out = support::finish(run, LIMIT);
    assert_eq!(out.code, 8, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "error: the database postgres://goalie:***@{}",
            sandbox.db().to_string_lossy().split_once('@').unwrap().1
        )) && out.stderr.contains("could not be reached"),
        "{out:?}"
    );
    // Its agent went with it.
    assert!(eventually(WAIT, || !std::path::Path::new(&format!(
        "/proc/{agent}"
    ))
    .exists()));
    // Once the server answers again, `resume` takes the goal over.
    let resumed = sandbox
        .command(&["resume", &id, "--headless"])
        .spawn()
        .unwrap();
    assert!(eventually(WAIT, || sandbox
        .entries_of("agent_started")
        .len()
        == 2
        && sandbox.goal().control_socket.is_some()));
    ok(sandbox.run(&["clear", &id], LIMIT));
    let out = support::finish(resumed, LIMIT);
    assert_eq!(out.code, 5, "{out:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: GOALIE_TEST_PG (scripts/test starts one with scripts/pg)"]
async fn pg_a_claim_through_goalie_mcp_reaches_the_running_supervisor_and_is_audited() {
    crate::mcp::claim_through_mcp_reaches_the_supervisor(Sandbox::postgres()).await;
}
