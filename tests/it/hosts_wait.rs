//! A goal that waits (the agent asked for it: its tick is stopped until the
//! wait ends), controlled from another host (`GOALIE_HOST` differs, so the
//! commands go through the ledger): the supervisor still renews its
//! heartbeat and answers `budget`, `pause` and `resume` while it waits,
//! from the ledger chores' own timer (`runtime/run/heartbeat.rs`). The
//! budget, the pause and the resume that undoes it leave the wait as it is;
//! a resume of the pursuing goal ends it.

use std::time::Duration;

use serde_json::Value;

use crate::support::{self, Outcome, Sandbox, eventually};
use goalie::ledger::Goal;

const LIMIT: Duration = Duration::from_secs(90);

fn on(sandbox: &Sandbox, host: &str, args: &[&str]) -> Outcome {
    let mut cmd = sandbox.command(args);
    cmd.env("GOALIE_HOST", host);
    support::finish(cmd.spawn().expect("spawn goalie"), LIMIT)
}

fn goal(sandbox: &Sandbox) -> Option<Goal> {
    sandbox
        .db()
        .exists()
        .then(|| sandbox.ledger().goals().ok()?.into_iter().next())?
}

fn listed(sandbox: &Sandbox, host: &str) -> Value {
    let out = on(sandbox, host, &["ls", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let all: Value = serde_json::from_str(&out.stdout).unwrap();
    all[0].clone()
}

#[test]
fn a_waiting_goal_answers_budget_pause_and_resume_from_another_host_while_it_waits() {
    let sandbox = Sandbox::new();
    // Turn 1 asks for a wait far longer than the test: only the resume ends it.
    let scenario = sandbox.file(
        "waits.yaml",
        "name: waits\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\nclaim_after_turns: 1\n\
         claim_mode: waiting\nwait: [\"for: 1h\"]\nturns:\n  - work_ms: 300\n    tokens: 1000\n    \
         reply: \"The CI run is not done yet.\"\n",
    );
    let scenario = support::path_str(&scenario);
    let mut cmd = sandbox.command(&[
        "run",
        "--agent",
        "sim",
        "Make the tests pass",
        "--headless",
        "--max-turns",
        "2",
        "--",
        "--scenario",
        &scenario,
    ]);
    cmd.env("GOALIE_HOST", "alpha");
    let alpha = cmd.spawn().expect("spawn goalie");
    assert!(eventually(LIMIT, || goal(&sandbox).is_some()
        && !sandbox.entries_of("wait_started").is_empty()));
    let id = goal(&sandbox).unwrap().id;
    let waiting = || sandbox.entries_of("wait_ended").is_empty();

    // The heartbeat goes on while the tick is stopped.
    let beat = goal(&sandbox).unwrap().heartbeat_at.unwrap();
    assert!(eventually(LIMIT, || goal(&sandbox)
        .unwrap()
        .heartbeat_at
        .is_some_and(|at| at > beat)));
    assert!(waiting());
    let there = listed(&sandbox, "beta");
    assert_eq!(there["remote"]["host"], "alpha", "{there}");
    assert_eq!(there["remote"]["lost"], false, "{there}");

    // budget and pause from beta are answered, and the wait goes on.
    let budget = on(&sandbox, "beta", &["budget", &id, "--max-turns", "3"]);
    assert_eq!(budget.code, 0, "{budget:?}");
    assert!(budget.stdout.contains(&id), "{budget:?}");
    assert_eq!(listed(&sandbox, "beta")["max_turns"], 3);
    let paused = on(&sandbox, "beta", &["pause", &id]);
    assert_eq!(paused.code, 0, "{paused:?}");
    assert!(
        paused.stdout.starts_with(&format!("goal {id} paused")),
        "{paused:?}"
    );
    assert_eq!(listed(&sandbox, "beta")["state"], "paused");
    assert!(waiting(), "the budget or the pause ended the wait");
    let answered = sandbox.entries_of("control_answered");
    assert_eq!(answered.len(), 2, "{answered:?}");

    // resume from beta undoes the pause: the wait goes on.
    let resumed = on(&sandbox, "beta", &["resume", &id, "--headless"]);
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert!(
        resumed.stdout.starts_with(&format!("goal {id} resumed")),
        "{resumed:?}"
    );
    assert_eq!(listed(&sandbox, "beta")["state"], "pursuing");
    assert!(waiting(), "resuming a paused goal ended its wait");
    // A resume of the goal that waits and pursues ends the wait.
    let ends = on(&sandbox, "beta", &["resume", &id, "--headless"]);
    assert_eq!(ends.code, 0, "{ends:?}");
    assert!(
        ends.stdout
            .starts_with(&format!("goal {id} was waiting: the wait is over")),
        "{ends:?}"
    );
    let out = support::finish(alpha, LIMIT);
    assert_eq!(out.code, 3, "{out:?}");

    let started = sandbox.entries_of("wait_started");
    let ended = sandbox.entries_of("wait_ended");
    assert_eq!((started.len(), ended.len()), (1, 1), "{ended:?}");
    assert_eq!(ended[0].data["end"], "user_resumed", "{ended:?}");
    let requests = sandbox.entries_of("control_requested");
    let answers = sandbox.entries_of("control_answered");
    assert_eq!((requests.len(), answers.len()), (4, 4), "{answers:?}");
    for (request, answer) in requests.iter().zip(&answers) {
        assert_eq!(request.data["host"], "beta");
        assert_eq!(answer.data["host"], "alpha");
        assert_eq!(answer.data["request"], request.seq);
        assert_eq!(answer.data["ok"], true, "{answer:?}");
        // Each was answered during the wait (the last resume's answer may
        // follow the wait's end it caused).
        assert!(answer.seq > started[0].seq, "{answer:?}");
    }
    assert!(answers[2].seq < ended[0].seq, "{answers:?} {ended:?}");
    assert_eq!(requests[0].data["params"]["max_turns"], 3);
    assert_eq!(requests[1].data["params"]["status"], "paused");
    assert_eq!(requests[2].data["params"]["status"], "pursuing");
    assert_eq!(requests[3].data["params"]["status"], "pursuing");
    // The raised budget held: three turns, then the wrap-up.
    let prompts: Vec<String> = sandbox
        .entries_of("injection")
        .iter()
        .map(|e| e.data["prompt"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(prompts.first().map(String::as_str), Some("start"));
    assert_eq!(prompts.get(1).map(String::as_str), Some("after_wait"));
    assert_eq!(prompts.last().map(String::as_str), Some("budget_limit"));
    // Three turns and the wrap-up's (a wait is no turn).
    assert_eq!(sandbox.entries_of("turn_ended").len(), 4);
    assert_eq!(goal(&sandbox).unwrap().turns, 4);
}
