//! `goalie report` on a goal the simulated agent ran: the text leads with the
//! summary and a row per turn, `--json` validates against the documented
//! schema (docs/report.schema.json), and `--html` loads in headless Chromium
//! with no console message, its chart drawn and one table row per turn. The
//! end-of-run summary names the limit and quotes the wrap-up.

use std::time::Duration;

use serde_json::Value;

use crate::support::{self, Sandbox, browser};

const LIMIT: Duration = Duration::from_secs(120);

/// A budget-limited demo goal: two turns, then the wrap-up turn.
fn limited_goal() -> (Sandbox, support::Outcome) {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["demo", "--headless", "--max-turns", "2"], LIMIT);
    assert_eq!(out.code, 3, "{out:?}");
    (sandbox, out)
}

fn schema() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the schema")).expect("schema JSON")
}

#[test]
fn a_budget_limited_goal_reports_its_limit_turns_and_wrap_up_in_text_json_and_html() {
    let (sandbox, run) = limited_goal();
    let goal = sandbox.goal();
    let turns = sandbox.entries_of("turn_ended").len();
    assert_eq!(turns, goal.turns as usize);

    // The end of the run names the limit and quotes the wrap-up.
    assert!(
        run.stdout
            .contains("goalie:   the turn limit (2 turns) was reached"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("goalie:   the wrap-up reply"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("goalie:   > "), "{}", run.stdout);

    // Text: the summary first, then one table row per turn; no raw rows.
    let text = sandbox.run(&["report"], LIMIT);
    assert_eq!(text.code, 0, "{text:?}");
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines[0], format!("goal {}  budget-limited", goal.id));
    assert!(
        text.stdout
            .contains("  limit      the turn limit (2 turns) was reached")
    );
    let header = lines
        .iter()
        .position(|line| line.trim_start().starts_with("turn  prompt"))
        .expect("the turns' table");
    let rows: Vec<&&str> = lines[header + 1..]
        .iter()
        .take_while(|line| !line.is_empty())
        .collect();
    assert_eq!(rows.len(), turns, "{}", text.stdout);
    assert!(rows[0].contains("start"), "{}", rows[0]);
    assert!(
        rows.last().unwrap().contains("budget_limit"),
        "{}",
        text.stdout
    );
    assert!(
        rows.last().unwrap().contains("wrapped up"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("the wrap-up reply (turn 3)"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("turn_started"), "{}", text.stdout);
    let with_rows = sandbox.run(&["report", "--rows"], LIMIT);
    assert!(
        with_rows.stdout.contains("agent_ready"),
        "{}",
        with_rows.stdout
    );
    // Times a person reads are local, with the offset (a POSIX TZ: UTC+05:30).
    let mut local = sandbox.command(&["report"]);
    local.env("TZ", "XST-5:30");
    let local = support::finish(local.spawn().unwrap(), LIMIT);
    let started = local
        .stdout
        .lines()
        .find(|line| line.starts_with("  started    "))
        .expect("a started line");
    assert!(started.contains(" +05:30  ended "), "{started}");
    assert!(started.ends_with(" +05:30"), "{started}");
    let mut status = sandbox.command(&["status", &goal.id]);
    status.env("TZ", "XST-5:30");
    let status = support::finish(status.spawn().unwrap(), LIMIT);
    assert!(
        status.stdout.contains(" +05:30\n  ended "),
        "{}",
        status.stdout
    );

    // JSON: one document that validates against the documented schema.
    let json = sandbox.run(&["report", "--json", "--rows"], LIMIT);
    assert_eq!(json.code, 0, "{json:?}");
    let document: Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    let validator = jsonschema::validator_for(&schema()).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|err| format!("{} at {}", err, err.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{}", json.stdout);
    assert_eq!(document["schema_version"], 1);
    assert_eq!(document["summary"]["limit"], "turn");
    assert_eq!(document["turns"].as_array().unwrap().len(), turns);
    assert_eq!(
        document["rows"].as_array().unwrap().len(),
        sandbox.entries().len()
    );
    // JSON keeps UTC.
    assert!(
        document["goal"]["created_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    // Without --rows, no rows; and that validates too.
    let plain: Value =
        serde_json::from_str(&sandbox.run(&["report", "--json"], LIMIT).stdout).unwrap();
    assert!(plain.get("rows").is_none());
    assert!(validator.is_valid(&plain));
    // A document the schema must refuse: it does check.
    let mut broken = plain.clone();
    broken["turns"][0]["outcome"] = Value::from(3);
    assert!(!validator.is_valid(&broken));

    // HTML: a self-contained page that loads in Chromium with no console
    // message, its self-check passed, the chart drawn, one row per turn.
    let page = sandbox.dir.path().join("report.html");
    let html = sandbox.run(&["report", "--html", &support::path_str(&page)], LIMIT);
    assert_eq!(html.code, 0, "{html:?}");
    let source = std::fs::read_to_string(&page).expect("the page");
    for remote in ["http://", "https://", "src=", "<link"] {
        assert!(!source.contains(remote), "the page loads {remote}");
    }
    let loaded = browser::load(&page, sandbox.dir.path());
    assert!(loaded.console.is_empty(), "{:#?}", loaded.console);
    assert!(
        loaded
            .dom
            .contains(&format!("<p id=\"self-check\">ok: {turns} turns</p>")),
        "{}\n{}",
        loaded.dom,
        loaded.stderr
    );
    assert_eq!(loaded.dom.matches("<tr class=\"turn\">").count(), turns);
    assert!(
        loaded.dom.contains("<polyline class=\"tokens\""),
        "{}",
        loaded.dom
    );
    assert!(loaded.dom.contains("the turn limit (2 turns) was reached"));
}
