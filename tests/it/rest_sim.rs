//! A goal paused at an idle prompt rests: goalie's clock stops (no tick can
//! change anything, `Supervisor::resting`), and the loop wakes only for
//! what can end the rest and, twice a second, for the ledger's chores.
//! Counted in the `stopped` row's `supervisor_work` (not timed): the ticks
//! while it rested stay a small constant however long it rests, and a
//! resume, over the control socket or from another host through the
//! ledger, still acts, and the goal ends as it should.

use std::time::Duration;

use serde_json::Value;

use crate::support::{Outcome, Sandbox, eventually, finish};

const LIMIT: Duration = Duration::from_secs(120);
const WAIT: Duration = Duration::from_secs(60);
/// How long the goal is left paused at its idle prompt.
const REST: Duration = Duration::from_secs(4);

/// Turns of 1.5 s (so the pause comes mid-turn), then of 0.3 s; a proper
/// claim on turn 3.
const SCENARIO: &str = "name: rest\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\nclaim_after_turns: 3\nclaim_mode: proper\nturns:\n  - work_ms: 1500\n    tokens: 1000\n    reply: \"Did one step.\"\n  - work_ms: 300\n    tokens: 1000\n    reply: \"Did one more.\"\n";

fn goalie(sandbox: &Sandbox, host: &str, args: &[&str]) -> Outcome {
    let mut cmd = sandbox.command(args);
    cmd.env("GOALIE_HOST", host);
    let out = finish(cmd.spawn().expect("spawn goalie"), LIMIT);
    assert_eq!(out.code, 0, "{args:?}: {out:?}");
    out
}

fn count(work: &Value, name: &str) -> u64 {
    work[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no {name} in {work}"))
}

/// Runs the goal in `sandbox` on host `alpha`, pauses it mid-turn from `pause_on`, leaves
/// it paused at its idle prompt for [`REST`], resumes it from `resume_on`,
/// and checks the rest and the end: returns the sandbox for more checks.
fn rest_and_resume(sandbox: Sandbox, pause_on: &str, resume_on: &str) -> Sandbox {
    let mut cmd = sandbox.sim_command(SCENARIO, &["--max-turns", "20", "--stall-turns", "0"]);
    cmd.env("GOALIE_HOST", "alpha");
    let run = cmd.spawn().expect("spawn goalie run");
    assert!(eventually(WAIT, || sandbox.has_entry("turn_started")));
    let id = sandbox.goal().id;
    let paused = goalie(&sandbox, pause_on, &["pause", &id]);
    assert!(
        paused.stdout.starts_with(&format!("goal {id} paused")),
        "{paused:?}"
    );
    // The turn under way ends; then the goal rests, and nothing is typed.
    assert!(eventually(WAIT, || !sandbox
        .entries_of("turn_ended")
        .is_empty()));
    let typed = sandbox.entries_of("injection").len();
    std::thread::sleep(REST);
    assert_eq!(
        sandbox.entries_of("injection").len(),
        typed,
        "typed while paused"
    );
    assert_eq!(sandbox.goal().state.as_str(), "paused");

    let resumed = goalie(&sandbox, resume_on, &["resume", &id, "--headless"]);
    assert!(
        resumed.stdout.starts_with(&format!("goal {id} resumed")),
        "{resumed:?}"
    );
    let out = finish(run, LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    // The resume acted: the next prompt continued the goal, which was then
    // achieved by the third turn's claim.
    let prompts: Vec<String> = sandbox
        .entries_of("injection")
        .iter()
        .map(|e| e.data["prompt"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        prompts.get(typed).map(String::as_str),
        Some("continuation"),
        "{prompts:?}"
    );
    assert_eq!(sandbox.goal().state.as_str(), "achieved");
    assert_eq!(sandbox.entries_of("turn_ended").len(), 3);
    let transitions: Vec<String> = sandbox
        .entries_of("transition")
        .iter()
        .map(|e| {
            format!(
                "{} by {}",
                e.data["to"].as_str().unwrap(),
                e.data["actor"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        transitions[..2],
        ["paused by user", "pursuing by user"],
        "{transitions:?}"
    );

    // The rest: the clock ticked ten times a second there before (some 40
    // ticks in 4 s); now only until the turn's last screen was looked at.
    let stopped = sandbox.entries_of("stopped");
    let work = &stopped[0].data["supervisor_work"];
    let rest_s = REST.as_secs();
    assert!(
        count(work, "rest_ticks") <= 5,
        "the clock ticked while the goal rested: {work}"
    );
    // Its chores came once a second instead (none before; twice a second
    // until the rest had a timer of its own, some 9 or 10 in 4 s).
    let chores = count(work, "rest_chores");
    assert!(
        chores + 1 >= rest_s,
        "no chores while the goal rested: {work}"
    );
    assert!(
        chores <= rest_s + 4,
        "more chores than one a second: {work}"
    );
    sandbox
}

#[test]
fn a_goal_paused_at_an_idle_prompt_rests_without_ticks_and_resumes_over_its_socket() {
    let sandbox = rest_and_resume(Sandbox::new(), "alpha", "alpha");
    // Over the socket: nothing went through the ledger.
    assert!(sandbox.entries_of("control_requested").is_empty());
}

#[test]
fn a_resting_goal_is_resumed_from_another_host_through_the_ledger() {
    resumed_from_another_host(Sandbox::new());
}

#[test]
#[ignore = "needs PostgreSQL: GOALIE_TEST_PG (scripts/test starts one with scripts/pg)"]
fn pg_a_resting_goal_is_resumed_from_another_host_through_the_ledger() {
    resumed_from_another_host(Sandbox::postgres());
}

/// Paused and resumed from host `beta` while the goal runs on `alpha`.
fn resumed_from_another_host(sandbox: Sandbox) {
    let sandbox = rest_and_resume(sandbox, "beta", "beta");
    let requests = sandbox.entries_of("control_requested");
    let answers = sandbox.entries_of("control_answered");
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(answers.len(), 2, "{answers:?}");
    for (request, answer) in requests.iter().zip(&answers) {
        assert_eq!(request.data["host"], "beta");
        assert_eq!(answer.data["host"], "alpha");
        assert_eq!(answer.data["request"], request.seq);
        assert_eq!(answer.data["ok"], true, "{answer:?}");
    }
    assert_eq!(requests[1].data["params"]["status"], "pursuing");
}
