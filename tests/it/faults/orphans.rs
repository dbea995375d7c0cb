//! Defects 2 and 3: nothing of a goal outlives goalie. What a goalie killed
//! with SIGKILL left running (a `nohup` descendant of the agent, a verify
//! command in its own process group) is ended by the next `clear` or
//! `resume`; SIGTERM during an audit ends the verify command's group at
//! once, never waits for it.

use std::time::Duration;

use super::{LIMIT, processes_running, signal, start_sim, wait_for_row};
use crate::support::{Sandbox, eventually, finish, leftover_processes};

const HEAD: &str = "name: faults\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\n";

/// The living members of the process group or session `pgid`.
fn group(pgid: u64) -> Vec<String> {
    leftover_processes(u32::try_from(pgid).unwrap())
}

#[test]
fn a_nohup_descendant_of_the_agent_is_ended_by_clear_after_kill_9() {
    let sandbox = Sandbox::new();
    let scenario = format!(
        "{HEAD}claim_after_turns: null\nturns:\n  - work_ms: 200\n    reply: Started a server.\n    run: nohup sleep 901 >/dev/null 2>&1 &\n  - work_ms: 60000\n    reply: Still at it.\n"
    );
    let mut goalie = start_sim(&sandbox, None, &scenario);
    let agent = wait_for_row(&sandbox, "group_started", |d| d["role"] == "agent");
    let session = agent["pgid"].as_u64().unwrap();
    let in_session = |pid: &u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|t| goalie::agent::process_tree::parse_stat(&t))
            .is_some_and(|s| u64::from(s.session) == session)
    };
    assert!(
        eventually(Duration::from_secs(30), || processes_running(&[
            "sleep", "901"
        ])
        .iter()
        .any(in_session)),
        "the turn's nohup sleep never ran"
    );
    signal(&goalie, libc::SIGKILL);
    let _ = goalie.wait();
    // The agent went with its terminal; the nohup'd sleep did not.
    let orphans: Vec<u32> = processes_running(&["sleep", "901"])
        .into_iter()
        .filter(in_session)
        .collect();
    assert_eq!(orphans.len(), 1, "{:?}", group(session));

    let goal = sandbox.goal();
    let out = sandbox.run(&["clear", &goal.id], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(group(session).is_empty(), "{:?}", group(session));
    let ended = sandbox.entries_of("leftovers_ended");
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0].data["by"], "clear");
    assert!(
        ended[0].data["pids"]
            .as_array()
            .unwrap()
            .contains(&orphans[0].into()),
        "{ended:?}"
    );
    assert!(out.stderr.contains("left running"), "{out:?}");
}

/// Processes whose environment holds `entry` (`NAME=VALUE`).
fn carrying(pids: Vec<u32>, entry: &str) -> Vec<u32> {
    pids.into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|var| var == entry.as_bytes()))
        })
        .collect()
}

#[test]
fn a_descendant_in_a_session_of_its_own_is_ended_by_clear_after_kill_9() {
    let sandbox = Sandbox::new();
    let scenario = format!(
        "{HEAD}claim_after_turns: null\nturns:\n  - work_ms: 200\n    reply: Started a daemon.\n    run: setsid nohup sleep 904 >/dev/null 2>&1 &\n  - work_ms: 60000\n    reply: Still at it.\n"
    );
    let mut goalie = start_sim(&sandbox, None, &scenario);
    let agent = wait_for_row(&sandbox, "group_started", |d| d["role"] == "agent");
    let session = agent["pgid"].as_u64().unwrap();
    let mark = format!(
        "GOALIE_RUN={}",
        agent["mark"].as_str().expect("the run's mark")
    );
    let daemon = || carrying(processes_running(&["sleep", "904"]), &mark);
    assert!(
        eventually(Duration::from_secs(30), || !daemon().is_empty()),
        "the turn's setsid sleep never ran"
    );
    let escaped = daemon();
    assert_eq!(escaped.len(), 1, "{escaped:?}");
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", escaped[0])).unwrap();
    let stat = goalie::agent::process_tree::parse_stat(&stat).unwrap();
    assert_ne!(
        u64::from(stat.session),
        session,
        "it left the agent's session"
    );
    signal(&goalie, libc::SIGKILL);
    let _ = goalie.wait();
    assert_eq!(daemon(), escaped, "it outlived goalie");

    let goal = sandbox.goal();
    let out = sandbox.run(&["clear", &goal.id], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        eventually(Duration::from_secs(5), || daemon().is_empty()),
        "{:?}",
        daemon()
    );
    let ended = sandbox.entries_of("leftovers_ended");
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0].data["by"], "clear");
    assert!(
        ended[0].data["pids"]
            .as_array()
            .unwrap()
            .contains(&escaped[0].into()),
        "{ended:?}"
    );
}

const VERIFYING: &str = "claim_after_turns: 1\nevidence: \"ran the verify command\"\nturns:\n  - work_ms: 200\n    reply: Done.\n";

#[test]
fn a_verify_command_left_by_kill_9_is_ended_by_resume() {
    let sandbox = Sandbox::new();
    let spec = "objective: Make the tests pass\nverify:\n  - run: sleep 902\n    timeout: 10m\nstop:\n  turns: 5\n";
    let mut goalie = start_sim(&sandbox, Some(spec), &format!("{HEAD}{VERIFYING}"));
    let verify = wait_for_row(&sandbox, "group_started", |d| d["role"] == "verify");
    let pgid = verify["pgid"].as_u64().unwrap();
    assert!(!group(pgid).is_empty(), "the verify command is not running");
    signal(&goalie, libc::SIGKILL);
    let _ = goalie.wait();
    assert!(
        !group(pgid).is_empty(),
        "the verify command went with goalie"
    );

    let goal = sandbox.goal();
    let resumed = sandbox
        .command(&["resume", &goal.id, "--headless"])
        .spawn()
        .expect("spawn goalie resume");
    assert!(
        eventually(Duration::from_secs(30), || group(pgid).is_empty()),
        "{:?}",
        group(pgid)
    );
    // The resumed run audits again: its own verify command, ended by SIGTERM
    // (defect 3) so that the run ends without waiting for it.
    let again = wait_for_row(&sandbox, "group_started", |d| {
        d["role"] == "verify" && d["pgid"].as_u64() != Some(pgid)
    });
    signal(&resumed, libc::SIGTERM);
    let out = finish(resumed, LIMIT);
    assert_eq!(out.code, 128 + libc::SIGTERM, "{out:?}");
    let again = again["pgid"].as_u64().unwrap();
    assert!(group(again).is_empty(), "{:?}", group(again));
    let ended = sandbox.entries_of("leftovers_ended");
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0].data["by"], "resume");
}

#[test]
fn a_verify_command_s_descendant_in_a_session_of_its_own_is_ended_by_clear_after_kill_9() {
    let sandbox = Sandbox::new();
    let spec = "objective: Make the tests pass\nverify:\n  - run: setsid nohup sleep 905 >/dev/null 2>&1 & sleep 906\n    timeout: 10m\nstop:\n  turns: 5\n";
    let mut goalie = start_sim(&sandbox, Some(spec), &format!("{HEAD}{VERIFYING}"));
    let verify = wait_for_row(&sandbox, "group_started", |d| d["role"] == "verify");
    let mark = format!(
        "GOALIE_RUN={}",
        verify["mark"].as_str().expect("the run's mark")
    );
    let daemon = || carrying(processes_running(&["sleep", "905"]), &mark);
    assert!(
        eventually(Duration::from_secs(30), || !daemon().is_empty()),
        "the verify command's setsid sleep never ran"
    );
    let escaped = daemon();
    signal(&goalie, libc::SIGKILL);
    let _ = goalie.wait();
    assert_eq!(daemon(), escaped, "it outlived goalie");

    let goal = sandbox.goal();
    let out = sandbox.run(&["clear", &goal.id], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        eventually(Duration::from_secs(5), || daemon().is_empty()),
        "{:?}",
        daemon()
    );
    let ended = sandbox.entries_of("leftovers_ended");
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert!(
        ended[0].data["pids"]
            .as_array()
            .unwrap()
            .contains(&escaped[0].into()),
        "{ended:?}"
    );
}

#[test]
fn sigterm_during_an_audit_ends_the_verify_group_at_once() {
    let sandbox = Sandbox::new();
    // Far longer than the test's guard: goalie must not wait for it.
    let spec = "objective: Make the tests pass\nverify:\n  - run: sleep 600\n    timeout: 20m\nstop:\n  turns: 5\n";
    let goalie = start_sim(&sandbox, Some(spec), &format!("{HEAD}{VERIFYING}"));
    let verify = wait_for_row(&sandbox, "group_started", |d| d["role"] == "verify");
    let pgid = verify["pgid"].as_u64().unwrap();
    assert!(!group(pgid).is_empty(), "the verify command is not running");
    signal(&goalie, libc::SIGTERM);
    let out = finish(goalie, LIMIT);
    assert_eq!(out.code, 128 + libc::SIGTERM, "{out:?}");
    assert!(group(pgid).is_empty(), "{:?}", group(pgid));
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "paused");
    assert_eq!(sandbox.entries_of("stopped").len(), 1);
}

#[test]
fn the_next_run_on_the_database_ends_what_a_killed_run_left() {
    let sandbox = Sandbox::new();
    let scenario = format!(
        "{HEAD}claim_after_turns: null\nturns:\n  - work_ms: 200\n    reply: Started a server.\n    run: nohup sleep 903 >/dev/null 2>&1 &\n  - work_ms: 60000\n    reply: Still at it.\n"
    );
    let mut goalie = start_sim(&sandbox, None, &scenario);
    let agent = wait_for_row(&sandbox, "group_started", |d| d["role"] == "agent");
    let session = agent["pgid"].as_u64().unwrap();
    assert!(
        eventually(Duration::from_secs(30), || group(session)
            .iter()
            .any(|stat| stat.contains("(sleep)"))),
        "the turn's nohup sleep never ran"
    );
    signal(&goalie, libc::SIGKILL);
    let _ = goalie.wait();
    assert!(!group(session).is_empty());
    // Another goal on the same database: its run ends the killed one's leftovers.
    let out = sandbox.run_sim(
        &crate::support::scenario(Some(1), "proper", 100),
        &["--headless"],
        LIMIT,
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(group(session).is_empty(), "{:?}", group(session));
    assert!(out.stderr.contains("left running"), "{out:?}");
}
