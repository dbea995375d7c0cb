//! `goalie export` and `goalie import` (docs/export.md): a finished goal and
//! a running (paused) one carried into a fresh database read the same
//! (`ls --json`, `report --json --rows`), a second import adds no row, and a
//! garbled or cut-short file is an error naming its line, with nothing imported.
//! Every line of an export is of the documented schema (docs/export.schema.json).

use std::process::Child;
use std::time::Duration;

use serde_json::Value;

use crate::support::{self, Outcome, Sandbox, eventually};

const LIMIT: Duration = Duration::from_secs(120);
const WAIT: Duration = Duration::from_secs(30);

fn ok(out: Outcome) -> String {
    assert_eq!(out.code, 0, "{out:?}");
    out.stdout
}

fn json(out: Outcome) -> Value {
    serde_json::from_str(&ok(out)).expect("JSON")
}

/// A demo goal that ends budget-limited after `max_turns`.
fn demo(sandbox: &Sandbox, max_turns: &str) {
    let out = sandbox.run(&["demo", "--headless", "--max-turns", max_turns], LIMIT);
    assert_eq!(out.code, 3, "{out:?}");
}

fn rows(sandbox: &Sandbox) -> usize {
    let ledger = sandbox.ledger();
    ledger
        .goals()
        .unwrap()
        .iter()
        .map(|goal| ledger.entries(&goal.id).unwrap().len())
        .sum()
}

/// A sim goal whose turns take 1.5 s, in the background.
fn start_running(sandbox: &Sandbox) -> Child {
    let scenario = sandbox.file(
        "slow.yaml",
        "name: slow\nstartup_ms: 100\nclaim_after_turns: null\nturns:\n  - work_ms: 1500\n    tokens: 1000\n    reply: \"Did one step.\"\n",
    );
    let scenario = support::path_str(&scenario);
    sandbox
        .command(&[
            "run",
            "--agent",
            "sim",
            "Keep going",
            "--max-turns",
            "20",
            "--stall-turns",
            "0",
            "--",
            "--scenario",
            &scenario,
        ])
        .spawn()
        .expect("spawn goalie run")
}

fn count(sandbox: &Sandbox, id: &str, kind: &str) -> usize {
    sandbox
        .ledger()
        .entries(id)
        .map(|rows| rows.iter().filter(|row| row.kind == kind).count())
        .unwrap_or(0)
}

#[test]
fn a_finished_and_a_running_goal_import_into_a_fresh_database_and_read_the_same() {
    finished_and_running_goals_carried_over(Sandbox::new(), Sandbox::new());
}

/// The test above, from and into sandboxes of either backend
/// (tests/it/postgres.rs runs it from PostgreSQL into PostgreSQL).
pub(crate) fn finished_and_running_goals_carried_over(there: Sandbox, here: Sandbox) {
    demo(&there, "2");
    let finished = there.goal().id;
    let child = start_running(&there);
    let mut running = None;
    assert!(eventually(WAIT, || {
        running = there
            .ledger()
            .goals()
            .unwrap()
            .into_iter()
            .find(|goal| goal.id != finished && goal.control_socket.is_some());
        running.is_some()
    }));
    let running = running.unwrap().id;
    assert!(eventually(WAIT, || count(&there, &running, "turn_started") >= 1));
    ok(there.run(&["pause", &running], LIMIT));
    assert!(eventually(WAIT, || count(&there, &running, "turn_ended") >= 1));

    // The export and the reports it is compared with are of one moment: the
    // running goal's reports before and after the export are the same.
    let mut settled = None;
    for _ in 0..20 {
        let before = ok(there.run(&["report", &running, "--json", "--rows"], LIMIT));
        let export = ok(there.run(&["export", "--all"], LIMIT));
        let after = ok(there.run(&["report", &running, "--json", "--rows"], LIMIT));
        if before == after {
            settled = Some((export, after));
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let (export, running_report) = settled.expect("the paused goal's ledger settles");
    // Every line is of the documented schema, and the schema does check.
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/export.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    for line in export.lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&line)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{line}: {errors:?}");
    }
    let mut wrong: Value = serde_json::from_str(export.lines().nth(1).unwrap()).unwrap();
    wrong["rows"] = Value::from(-1);
    assert!(!validator.is_valid(&wrong));
    let file = there.file("goals.jsonl", &export);
    let file = support::path_str(&file);

    // Into a fresh database, from another folder: no workspace is needed.
    let out = ok(here.run(&["import", &file], LIMIT));
    assert!(out.contains(&format!("goal {finished}: added")), "{out}");
    assert!(out.contains(&format!("goal {running}: added")), "{out}");
    let imported_rows = rows(&here);
    assert_eq!(imported_rows, export.lines().count() - 4, "{export}");

    assert_eq!(
        ok(here.run(&["report", &running, "--json", "--rows"], LIMIT)),
        running_report
    );
    for args in [
        &["report", &finished, "--json", "--rows"][..],
        &["report", &finished][..],
        &["status", &finished, "--json"][..],
    ] {
        assert_eq!(
            ok(here.run(args, LIMIT)),
            ok(there.run(args, LIMIT)),
            "{args:?}"
        );
    }
    // `ls`: the same goals, the finished one alike in every field; the
    // running one is not running here.
    let listed = |sandbox: &Sandbox| json(sandbox.run(&["ls", "--json"], LIMIT));
    let (mine, theirs) = (listed(&here), listed(&there));
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|goal| goal["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&mine), ids(&theirs));
    let by_id = |list: &Value, id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|goal| goal["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id(&mine, &finished), by_id(&theirs, &finished));
    assert_eq!(by_id(&theirs, &running)["running"], true);
    assert_eq!(by_id(&mine, &running)["running"], false);
    assert_eq!(by_id(&mine, &running)["state"], "paused");

    // Twice: nothing new.
    let again = ok(here.run(&["import", &file, &file], LIMIT));
    assert!(
        again.contains(&format!("goal {finished}: already here with the same rows")),
        "{again}"
    );
    assert!(again.contains("imported 0 new goals and 0 rows"), "{again}");
    assert_eq!(rows(&here), imported_rows);

    ok(there.run(&["clear", &running], LIMIT));
    let out = support::finish(child, LIMIT);
    assert_eq!(out.code, 5, "{out:?}");
}

#[test]
fn a_garbled_or_cut_short_export_names_its_line_and_imports_nothing() {
    let there = Sandbox::new();
    demo(&there, "2");
    demo(&there, "1");
    let export = ok(there.run(&["export", "--all"], LIMIT));
    let lines: Vec<&str> = export.lines().collect();
    let good = there.file("good.jsonl", &export);

    let here = Sandbox::new();
    let mut garbled = lines.clone();
    let half = &lines[4][..lines[4].len() / 2];
    garbled[4] = half;
    let cases = [
        (
            "garbled.jsonl",
            garbled.join("\n") + "\n",
            5,
            "not a line of a goalie export",
        ),
        (
            "short.jsonl",
            lines[..lines.len() - 1].join("\n") + "\n",
            lines.len(),
            "cut short",
        ),
    ];
    for (name, text, line, words) in cases {
        let bad = there.file(name, &text);
        // The good file first: it is not imported either.
        let out = here.run(
            &[
                "import",
                &support::path_str(&good),
                &support::path_str(&bad),
            ],
            LIMIT,
        );
        assert_eq!(out.code, 2, "{out:?}");
        let expected = format!("error: {}:{line}: ", bad.display());
        assert!(out.stderr.starts_with(&expected), "{expected} in {out:?}");
        assert!(out.stderr.contains(words), "{out:?}");
        assert!(out.stderr.contains("nothing was imported"), "{out:?}");
        let listed = ok(here.run(&["ls"], LIMIT));
        assert!(listed.starts_with("no goals yet"), "{listed}");
    }
}
