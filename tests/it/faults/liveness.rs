//! Defect 1: a supervisor is alive only while its pid runs as the process
//! that started then: a zombie, or a pid given to another process, is dead,
//! and the goal can be controlled on the database.

use std::process::Command;
use std::time::Duration;

use super::{LIMIT, set_columns, stored_goal};
use crate::support::{Sandbox, eventually};

fn stat_fields(pid: u32) -> Vec<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let (_, tail) = text.rsplit_once(')').unwrap_or(("", ""));
    tail.split_whitespace().map(String::from).collect()
}

#[test]
fn a_zombie_or_a_reused_pid_is_no_supervisor() {
    let sandbox = Sandbox::new();
    let goal = stored_goal(&sandbox);
    let socket = sandbox.dir.path().join("gone.sock");

    // A real zombie: a child of this test that exited and is never reaped.
    let zombie = Command::new("true").spawn().expect("spawn true");
    let pid = zombie.id();
    assert!(
        eventually(Duration::from_secs(10), || stat_fields(pid)
            .first()
            .is_some_and(|state| state == "Z")),
        "the child did not become a zombie"
    );
    set_columns(
        &sandbox.db(),
        &goal,
        &format!(
            "supervisor_pid = {pid}, control_socket = '{}'",
            socket.display()
        ),
    );
    for args in [
        vec!["status", &goal.id[..]],
        vec!["pause", &goal.id[..]],
        vec!["status", &goal.id[..]],
    ] {
        let out = sandbox.run(&args, LIMIT);
        assert_eq!(out.code, 0, "{args:?} with a zombie supervisor: {out:?}");
    }
    let ledger = sandbox.ledger();
    assert_eq!(ledger.goal(&goal.id).unwrap().state.as_str(), "paused");

    // A pid that runs, but as another process than the one recorded: this
    // sleep, recorded with another start time.
    let mut other = Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("spawn sleep");
    let fields = stat_fields(other.id());
    let start: u64 = fields[19].parse().expect("start time");
    set_columns(
        &sandbox.db(),
        &goal,
        &format!(
            "supervisor_pid = {}, supervisor_start = {}, control_socket = '{}'",
            other.id(),
            start + 1000,
            socket.display()
        ),
    );
    let out = sandbox.run(&["status", &goal.id], LIMIT);
    assert_eq!(out.code, 0, "a reused pid: {out:?}");
    // The same process recorded with its own start time is alive: its silent
    // socket is an error, never acted behind.
    set_columns(&sandbox.db(), &goal, &format!("supervisor_start = {start}"));
    let out = sandbox.run(&["status", &goal.id], LIMIT);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("runs but does not answer"), "{out:?}");
    // Dead again: clear works on the database.
    set_columns(
        &sandbox.db(),
        &goal,
        &format!("supervisor_start = {}", start + 1000),
    );
    let out = sandbox.run(&["clear", &goal.id], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        sandbox.ledger().goal(&goal.id).unwrap().state.as_str(),
        "cleared"
    );
    let _ = other.kill();
    let _ = other.wait();
    drop(zombie);
}
