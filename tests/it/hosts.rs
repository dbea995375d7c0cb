//! Liveness and control across machines, with two hosts faked on one
//! machine by `GOALIE_HOST`: a supervisor renews its heartbeat in the
//! ledger; on another host `ls` and `status` show where it runs, and
//! `pause`, `budget`, `resume` and `clear` there are written in the ledger,
//! carried out by the supervisor and answered with its own rows (a command
//! nobody answers says so after `GOALIE_CONTROL_TIMEOUT`). Once the
//! supervisor is killed with SIGKILL and its heartbeat is older than
//! `GOALIE_HEARTBEAT_TIMEOUT`, it shows as "supervisor lost on HOST (last
//! seen …)", and `resume` on the other host takes the goal over. On its own
//! host a goal keeps the pid and start-time liveness.

use std::process::Child;
use std::time::Duration;

use serde_json::Value;

use crate::support::{self, Outcome, Sandbox, eventually};
use goalie::ledger::Goal;

const LIMIT: Duration = Duration::from_secs(90);
const WAIT: Duration = Duration::from_secs(60);
/// The heartbeat timeout the readers use: twelve seconds, so the supervisor beats every four.
const TIMEOUT: &str = "12";

fn on(sandbox: &Sandbox, host: &str, args: &[&str]) -> Outcome {
    let mut cmd = sandbox.command(args);
    cmd.env("GOALIE_HOST", host)
        .env("GOALIE_HEARTBEAT_TIMEOUT", TIMEOUT);
    support::finish(cmd.spawn().expect("spawn goalie"), LIMIT)
}

fn spawn_on(sandbox: &Sandbox, host: &str, args: &[&str]) -> Child {
    let mut cmd = sandbox.command(args);
    cmd.env("GOALIE_HOST", host)
        .env("GOALIE_HEARTBEAT_TIMEOUT", TIMEOUT);
    cmd.spawn().expect("spawn goalie")
}

fn listed(sandbox: &Sandbox, host: &str, id: &str) -> Value {
    let out = on(sandbox, host, &["ls", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let all: Value = serde_json::from_str(&out.stdout).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|goal| goal["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("goal {id} not listed: {all}"))
}

fn text(sandbox: &Sandbox, host: &str, args: &[&str]) -> String {
    let out = on(sandbox, host, args);
    assert_eq!(out.code, 0, "{out:?}");
    out.stdout
}

fn goal(sandbox: &Sandbox) -> Option<Goal> {
    sandbox.try_ledger()?.goals().ok()?.into_iter().next()
}

fn kill9(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_goal_on_another_host_is_controlled_through_the_ledger_and_once_its_supervisor_is_killed_reads_as_lost_and_is_taken_over()
 {
    controlled_from_another_host_then_lost_and_taken_over(Sandbox::new());
}

/// The test above, in a sandbox of either backend (tests/it/postgres.rs
/// runs it on PostgreSQL).
pub(crate) fn controlled_from_another_host_then_lost_and_taken_over(sandbox: Sandbox) {
    let scenario = sandbox.file(
        "slow.yaml",
        "name: slow\nstartup_ms: 100\nclaim_after_turns: null\nturns:\n  - work_ms: 800\n    tokens: 1000\n    reply: \"Did one step.\"\n",
    );
    let scenario = support::path_str(&scenario);
    let run_args = [
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
    ];
    let mut alpha = spawn_on(&sandbox, "alpha", &run_args);
    assert!(eventually(WAIT, || goal(&sandbox)
        .is_some_and(
            |g| g.control_socket.is_some() && g.heartbeat_at.is_some()
        )));
    let id = goal(&sandbox).unwrap().id;
    let first = goal(&sandbox).unwrap();
    assert_eq!(first.host.as_deref(), Some("alpha"));

    // The heartbeat is renewed while it runs.
    let beat = first
        .heartbeat_at
        .clone()
        .expect("a heartbeat at the start");
    assert!(eventually(WAIT, || goal(&sandbox)
        .unwrap()
        .heartbeat_at
        .is_some_and(|at| at > beat)));

    // On alpha: today's liveness by pid.
    let here = listed(&sandbox, "alpha", &id);
    assert_eq!(here["running"], true, "{here}");
    assert_eq!(here["remote"], Value::Null, "{here}");
    // On beta: running on alpha, not here; nothing changes it behind alpha's back.
    let there = listed(&sandbox, "beta", &id);
    assert_eq!(there["running"], false, "{there}");
    assert_eq!(there["remote"]["host"], "alpha", "{there}");
    assert_eq!(there["remote"]["lost"], false, "{there}");
    assert!(text(&sandbox, "beta", &["ls"]).contains("running on alpha"));
    let status = text(&sandbox, "beta", &["status", &id]);
    assert!(
        status.starts_with(&format!("goal {id}  pursuing (running on alpha)\n")),
        "{status}"
    );
    // beta watches alpha's goal through the ledger until alpha is lost. Its
    // output goes to a file, so the test can wait for its first line (the
    // goal's state when it began) before anything changes that state.
    let watch_out = sandbox.file("watch.out", "");
    let mut watch_cmd = sandbox.command(&["watch", &id]);
    watch_cmd
        .env("GOALIE_HOST", "beta")
        .env("GOALIE_HEARTBEAT_TIMEOUT", TIMEOUT)
        .stdout(std::fs::File::create(&watch_out).unwrap());
    let watch = watch_cmd.spawn().expect("spawn goalie watch");
    assert!(eventually(WAIT, || std::fs::read_to_string(&watch_out)
        .is_ok_and(|text| text.contains('\n'))));
    // Commands on beta go through the ledger; alpha's supervisor answers.
    let paused = text(&sandbox, "beta", &["pause", &id]);
    assert!(paused.starts_with(&format!("goal {id} paused")), "{paused}");
    assert_eq!(listed(&sandbox, "alpha", &id)["state"], "paused");
    let again = on(&sandbox, "beta", &["budget", &id, "--max-turns", "1"]);
    assert_eq!(
        again.code, 6,
        "a limit at or below what is used is refused: {again:?}"
    );
    let budget = text(&sandbox, "beta", &["budget", &id, "--max-turns", "400"]);
    assert!(budget.contains(&id), "{budget}");
    assert_eq!(listed(&sandbox, "alpha", &id)["max_turns"], 400);
    let resumed = text(&sandbox, "beta", &["resume", &id, "--headless"]);
    assert!(
        resumed.starts_with(&format!("goal {id} resumed")),
        "{resumed}"
    );
    assert_eq!(listed(&sandbox, "alpha", &id)["state"], "pursuing");
    let requests = sandbox.entries_of("control_requested");
    let answers = sandbox.entries_of("control_answered");
    assert_eq!(requests.len(), 4, "{requests:?}");
    assert_eq!(answers.len(), 4, "{answers:?}");
    for (request, answer) in requests.iter().zip(&answers) {
        assert_eq!(request.data["host"], "beta");
        assert_eq!(answer.data["host"], "alpha");
        assert_eq!(answer.data["request"], request.seq);
    }
    assert_eq!(requests[0].data["params"]["status"], "paused");
    assert_eq!(
        answers
            .iter()
            .map(|a| a.data["ok"] == true)
            .collect::<Vec<_>>(),
        [true, false, true, true]
    );

    // alpha's supervisor is killed; its agent goes too (nothing on beta could end it).
    let agent = sandbox.agent_pid();
    alpha.kill().unwrap();
    let _ = alpha.wait();
    kill9(agent);
    // Nobody answers now, and the command says so once it has waited.
    let mut cmd = sandbox.command(&["pause", &id]);
    cmd.env("GOALIE_HOST", "beta")
        .env("GOALIE_HEARTBEAT_TIMEOUT", TIMEOUT)
        .env("GOALIE_CONTROL_TIMEOUT", "2");
    let unanswered = support::finish(cmd.spawn().unwrap(), LIMIT);
    assert_eq!(unanswered.code, 1, "{unanswered:?}");
    assert!(
        unanswered.stderr.contains(&format!(
            "goal {id}'s supervisor on alpha did not answer within 2 s"
        )),
        "{unanswered:?}"
    );
    assert_eq!(sandbox.entries_of("control_requested").len(), 5);
    assert_eq!(sandbox.entries_of("control_answered").len(), 4);
    assert!(eventually(WAIT, || listed(&sandbox, "beta", &id)["remote"]
        ["lost"]
        == true));
    let last_seen = goal(&sandbox).unwrap().heartbeat_at.unwrap();
    let lost = listed(&sandbox, "beta", &id);
    assert_eq!(lost["running"], false, "{lost}");
    assert_eq!(lost["remote"]["last_seen"], last_seen.as_str(), "{lost}");
    let watched = support::finish_to_file(watch, &watch_out, LIMIT);
    assert_eq!(watched.code, 0, "{watched:?}");
    assert!(
        watched.stdout.starts_with(&format!(
            "goal {id} pursuing: watching its rows in the ledger (its supervisor runs on alpha)\n"
        )),
        "{watched:?}"
    );
    for kind in [
        "pursuing -> paused by user",
        "control_requested",
        "control_answered",
    ] {
        assert!(watched.stdout.contains(kind), "{kind}: {watched:?}");
    }
    assert!(
        watched
            .stdout
            .trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with(&format!("goal {id}: supervisor lost on alpha (last seen ")),
        "{watched:?}"
    );
    let listing = text(&sandbox, "beta", &["ls"]);
    assert!(
        listing.contains("supervisor lost on alpha (last seen "),
        "{listing}"
    );
    let status = text(&sandbox, "beta", &["status", &id]);
    assert!(
        status.starts_with(&format!(
            "goal {id}  pursuing (supervisor lost on alpha (last seen "
        )),
        "{status}"
    );
    // On alpha the dead pid says it: not running, and no word of another host.
    let here = listed(&sandbox, "alpha", &id);
    assert_eq!(
        (&here["running"], &here["remote"]),
        (&Value::Bool(false), &Value::Null)
    );

    // beta takes it over: the atomic claim sees alpha's heartbeat is stale.
    let beta = spawn_on(&sandbox, "beta", &["resume", &id, "--headless"]);
    // Its run is up once its agent started and its supervisor answers on its socket.
    assert!(eventually(WAIT, || sandbox
        .entries_of("agent_started")
        .len()
        == 2
        && listed(&sandbox, "beta", &id)["running"] == true));
    assert_eq!(goal(&sandbox).unwrap().host.as_deref(), Some("beta"));
    let from_alpha = listed(&sandbox, "alpha", &id);
    assert_eq!(from_alpha["remote"]["host"], "beta", "{from_alpha}");
    assert_eq!(from_alpha["remote"]["lost"], false, "{from_alpha}");
    // The request from before beta's run is not carried out: the goal is
    // pursuing, not paused.
    assert_eq!(listed(&sandbox, "beta", &id)["state"], "pursuing");
    // Cleared from alpha now, through the ledger: the command returns once the run ended.
    let cleared = text(&sandbox, "alpha", &["clear", &id]);
    assert!(
        cleared.starts_with(&format!("goal {id} cleared")),
        "{cleared}"
    );
    assert_eq!(goal(&sandbox).unwrap().supervisor_pid, None);
    let out = support::finish(beta, LIMIT);
    assert_eq!(out.code, 5, "{out:?}");
    assert_eq!(goal(&sandbox).unwrap().state.as_str(), "cleared");
    let last = sandbox.entries_of("control_answered").pop().unwrap();
    assert_eq!(last.data["host"], "beta");
    assert_eq!(last.data["ok"], true);
}
