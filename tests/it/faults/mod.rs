//! goalie under faults (issue 15): a dead supervisor whose pid is a zombie or
//! was reused, what a goalie killed with SIGKILL leaves running, signals
//! during an audit, a new database opened by several goalies at once, a full
//! disk, a closed pipe, a read-only or damaged ledger, logs while the agent's
//! screen is shown, and the ledger's accuracy across a crash; and the crash
//! consistency suite that kills goalie at seeded random moments.

mod accuracy;
mod crash;
mod disk;
mod ledger_files;
mod liveness;
mod orphans;
mod pipes;

use std::path::Path;
use std::time::Duration;

use crate::support::{Sandbox, path_str};
use goalie::ledger::{Goal, Ledger, NewGoal};

/// How long a goalie command may take before the test fails (a guard, not a measure).
pub const LIMIT: Duration = Duration::from_secs(60);

/// A goal in the sandbox's database that no goalie runs, as `goalie run` leaves one.
pub fn stored_goal(sandbox: &Sandbox) -> Goal {
    let ledger = Ledger::open(&sandbox.db()).expect("ledger");
    ledger
        .create_goal(&NewGoal {
            objective: "Make the tests pass".into(),
            agent: "sim".into(),
            workdir: path_str(&sandbox.workdir()),
            claim_code: "ABCDEFGHJK".into(),
            max_turns: None,
            max_time_ms: None,
            budget_tokens: None,
        })
        .expect("goal")
}

/// Sets columns of the goal's row by hand (what a killed supervisor left).
pub fn set_columns(db: &Path, goal: &Goal, assignments: &str) {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.execute(
        &format!("UPDATE goals SET {assignments} WHERE id = ?1"),
        [&goal.id],
    )
    .expect("update goal");
}

/// Waits (up to 30 s) until the ledger has a row of `kind` whose data
/// satisfies `pick`; that data.
pub fn wait_for_row(
    sandbox: &Sandbox,
    kind: &str,
    pick: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut found = None;
    crate::support::eventually(Duration::from_secs(30), || {
        let Ok(ledger) = Ledger::open_existing(&sandbox.db()) else {
            return false;
        };
        let Ok(goals) = ledger.goals() else {
            return false;
        };
        found = goals.iter().find_map(|goal| {
            ledger
                .entries(&goal.id)
                .ok()?
                .into_iter()
                .rev()
                .find(|e| e.kind == kind && pick(&e.data))
                .map(|e| e.data)
        });
        found.is_some()
    });
    found.unwrap_or_else(|| panic!("no such `{kind}` row within 30 s"))
}

/// The living processes (no zombies) whose command line is `words`.
pub fn processes_running(words: &[&str]) -> Vec<u32> {
    let wanted: Vec<u8> = words
        .iter()
        .flat_map(|w| [w.as_bytes(), b"\0"].concat())
        .collect();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let zombie = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|text| goalie::agent::process_tree::parse_stat(&text))
            .is_none_or(|stat| stat.state == 'Z');
        if !zombie && std::fs::read(entry.path().join("cmdline")).is_ok_and(|c| c == wanted) {
            found.push(pid);
        }
    }
    found
}

/// Sends `signal` to `child` (SIGKILL: goalie gets no chance to clean up).
pub fn signal(child: &std::process::Child, signal: i32) {
    // SAFETY: kill(2) with a pid this test spawned.
    unsafe { libc::kill(child.id() as i32, signal) };
}

/// Starts `goalie run --agent sim [--goal SPEC] --headless -- --scenario FILE` in the background.
pub fn start_sim(sandbox: &Sandbox, spec: Option<&str>, scenario: &str) -> std::process::Child {
    let scenario = path_str(&sandbox.file("scenario.yaml", scenario));
    let mut args = vec!["run".to_string(), "--agent".into(), "sim".into()];
    match spec {
        Some(spec) => {
            args.push("--goal".into());
            args.push(path_str(&sandbox.file("goal.yaml", spec)));
        }
        None => args.push("Make the tests pass".into()),
    }
    args.extend(["--headless", "--", "--scenario"].map(String::from));
    args.push(scenario);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sandbox.command(&args).spawn().expect("spawn goalie run")
}
