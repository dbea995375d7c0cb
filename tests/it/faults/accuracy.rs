//! Defect 13: the ledger stays accurate across a crash. A turn in progress
//! when goalie is killed keeps its time (the goal's counters are written
//! every 10 s while it runs), and after `resume` the agent's process is
//! named by the goal's count in `agent_ready` as in `agent_started`.

use std::time::Duration;

use super::{LIMIT, signal, start_sim, wait_for_row};
use crate::support::{Sandbox, eventually};

#[test]
fn a_killed_turn_keeps_its_time_and_resume_names_process_2_ready() {
    let sandbox = Sandbox::new();
    let scenario = "name: faults\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\nclaim_after_turns: 3\nturns:\n  - work_ms: 200\n    tokens: 1000\n    reply: One.\n  - work_ms: 60000\n    tokens: 1000\n    reply: Two.\n  - work_ms: 200\n    tokens: 1000\n    reply: Three.\n";
    let mut goalie = start_sim(&sandbox, None, scenario);
    wait_for_row(&sandbox, "turn_ended", |_| true);
    wait_for_row(&sandbox, "turn_started", |d| d["turn"] == 2);
    let after_turn_1 = sandbox.goal().time_used_ms;
    // The long turn 2 is under way: its time reaches the ledger while it runs.
    assert!(
        eventually(Duration::from_secs(30), || sandbox.goal().time_used_ms
            > after_turn_1),
        "the time of turn 2 was not written while it ran ({after_turn_1} ms)"
    );
    signal(&goalie, libc::SIGKILL);
    let _ = goalie.wait();
    let goal = sandbox.goal();
    assert!(goal.time_used_ms > after_turn_1);
    assert_eq!(goal.turns, 1);

    // The resumed agent (the same scenario file, rewritten) claims at once.
    sandbox.file(
        "scenario.yaml",
        &crate::support::scenario(Some(1), "proper", 200),
    );
    let out = sandbox.run(&["resume", &goal.id, "--headless"], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let started: Vec<_> = sandbox
        .entries_of("agent_started")
        .iter()
        .map(|e| e.data["process"].clone())
        .collect();
    let ready: Vec<_> = sandbox
        .entries_of("agent_ready")
        .iter()
        .map(|e| e.data["process"].clone())
        .collect();
    assert_eq!(started, vec![1, 2]);
    assert_eq!(ready, vec![1, 2]);
}
