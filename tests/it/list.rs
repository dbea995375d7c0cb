//! `goalie ls`: sized to the terminal, with the working directory; `--state`
//! and `--here` filters; `goalie archive` hides a goal (`--all` lists it, the
//! ledger keeps every row and gains one).

use std::time::Duration;

use serde_json::Value;

use crate::support::{self, Sandbox};

const LIMIT: Duration = Duration::from_secs(90);

fn ls(sandbox: &Sandbox, args: &[&str], columns: &str) -> String {
    let mut all = vec!["ls"];
    all.extend_from_slice(args);
    let mut cmd = sandbox.command(&all);
    cmd.env("COLUMNS", columns);
    let out = support::finish(cmd.spawn().unwrap(), LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    out.stdout
}

fn ids(listing: &str) -> Vec<String> {
    listing
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .map(String::from)
        .collect()
}

#[test]
fn ls_fits_the_terminal_filters_by_state_and_folder_and_leaves_archived_goals_out() {
    let sandbox = Sandbox::new();
    let elsewhere = sandbox.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let here = sandbox.run(&["demo", "--headless"], LIMIT);
    assert_eq!(here.code, 0, "{here:?}");
    let achieved = sandbox.goal().id;
    let away = sandbox.run(
        &[
            "demo",
            "--headless",
            "--max-turns",
            "1",
            "--workdir",
            &support::path_str(&elsewhere),
        ],
        LIMIT,
    );
    assert_eq!(away.code, 3, "{away:?}");
    let goals = sandbox.ledger().goals().unwrap();
    let limited = goals
        .iter()
        .find(|g| g.id != achieved)
        .expect("the second goal")
        .id
        .clone();

    let all = ls(&sandbox, &[], "100");
    assert_eq!(ids(&all), [limited.clone(), achieved.clone()], "{all}");
    assert!(all.lines().next().unwrap().contains(" WORKDIR "), "{all}");
    for line in all.lines() {
        assert!(line.chars().count() <= 100, "wider than 100: {line}");
    }
    assert!(all.contains("…"), "the objective is cut to fit: {all}");
    let wide = ls(&sandbox, &[], "400");
    assert!(
        wide.contains("Make the demo project's test suite pass"),
        "{wide}"
    );
    assert!(wide.contains(&support::path_str(&elsewhere)), "{wide}");

    assert_eq!(
        ids(&ls(&sandbox, &["--state", "achieved"], "200")),
        vec![achieved.clone()]
    );
    assert_eq!(
        ids(&ls(&sandbox, &["--state", "budget-limited"], "200")),
        vec![limited.clone()]
    );
    assert_eq!(
        ids(&ls(&sandbox, &["--here"], "200")),
        vec![achieved.clone()]
    );
    assert_eq!(
        ls(&sandbox, &["--state", "paused"], "200"),
        "no goal matches (`goalie ls --all` lists every goal)\n"
    );
    let bad = sandbox.run(&["ls", "--state", "done"], LIMIT);
    assert_eq!(bad.code, 2, "{bad:?}");

    // Archived: left out, but listed with --all, and the ledger only grows.
    let rows = sandbox.ledger().entries(&achieved).unwrap().len();
    let out = sandbox.run(&["archive", &achieved[..6]], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.starts_with(&format!("goal {achieved} archived")),
        "{out:?}"
    );
    assert_eq!(ids(&ls(&sandbox, &[], "200")), vec![limited.clone()]);
    let everything = ls(&sandbox, &["--all"], "200");
    assert_eq!(ids(&everything), [limited.clone(), achieved.clone()]);
    assert!(everything.contains("achieved (archived)"), "{everything}");
    let json: Value = serde_json::from_str(&ls(&sandbox, &["--all", "--json"], "200")).unwrap();
    assert_eq!(json[1]["archived"], true);
    assert_eq!(json[0]["archived"], false);
    let entries = sandbox.ledger().entries(&achieved).unwrap();
    assert_eq!(entries.len(), rows + 1);
    assert_eq!(entries.last().unwrap().kind, "archived");
    let again = sandbox.run(&["archive", &achieved], LIMIT);
    assert_eq!(
        again.stdout,
        format!("goal {achieved} is already archived\n")
    );
    let undo = sandbox.run(&["archive", &achieved, "--undo"], LIMIT);
    assert_eq!(undo.code, 0, "{undo:?}");
    assert_eq!(ids(&ls(&sandbox, &[], "200")), [limited, achieved.clone()]);
    assert_eq!(
        sandbox
            .ledger()
            .entries(&achieved)
            .unwrap()
            .last()
            .unwrap()
            .kind,
        "unarchived"
    );
}

/// A ledger file that its first writer has made but not yet given its
/// tables (several jobs start at once and a reader looks in between) is no
/// error for the read commands: they wait for that writer, then read it.
/// Found by the Slurm suite, where `goalie ls` ran while the first job was
/// creating the shared ledger ("no such table: goals").
#[test]
fn the_read_commands_read_a_ledger_file_that_is_not_yet_made() {
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.db(), "").unwrap();
    assert_eq!(
        ls(&sandbox, &[], "100"),
        "no goals yet (start one with `goalie run` or `goalie demo`)\n"
    );
    let json = ls(&sandbox, &["--json"], "100");
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap(),
        Value::Array(vec![])
    );
    let status = sandbox.run(&["status"], LIMIT);
    assert_ne!(status.code, 1, "{status:?}");
    assert!(!status.stderr.contains("no such table"), "{status:?}");
}
