//! Defect 8: a closed pipe on stdout and stderr is not a crash, and a panic
//! anywhere in the run still ends the goal in the ledger (`stopped`, paused).

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use super::LIMIT;
use crate::support::{Sandbox, finish, scenario};

#[test]
fn a_reader_that_goes_away_is_no_crash_with_logging_on() {
    let sandbox = Sandbox::new();
    // `goalie -vvv demo --headless 2>&1 | head -3`
    let (reader, writer) = std::io::pipe().unwrap();
    let mut command = sandbox.command(&["-vvv", "demo", "--headless", "--max-turns", "2"]);
    command
        .stdout(writer.try_clone().unwrap())
        .stderr(Stdio::from(writer));
    let child = command.spawn().expect("spawn goalie demo");
    drop(command);
    let mut lines = BufReader::new(reader).lines();
    for _ in 0..3 {
        lines.next().expect("a line").expect("text");
    }
    drop(lines);
    let mut child = child;
    child.stdout = None;
    child.stderr = None;
    let deadline = std::time::Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "goalie did not end");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    // Budget-limited after its 2 turns, as with a reader that stays.
    assert_eq!(status.code(), Some(3), "{status:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "budget-limited");
    assert_eq!(sandbox.entries_of("stopped").len(), 1);
}

#[test]
fn a_panic_still_records_the_stop_and_leaves_the_goal_paused() {
    let sandbox = Sandbox::new();
    let file = sandbox.file("scenario.yaml", &scenario(None, "proper", 200));
    let child = sandbox
        .command(&[
            "run",
            "--agent",
            "sim",
            "--headless",
            "Make the tests pass",
            "--",
            "--scenario",
            &file.to_string_lossy(),
        ])
        .env("GOALIE_TEST_PANIC", "1")
        .env("RUST_BACKTRACE", "0")
        .spawn()
        .unwrap();
    let out = finish(child, LIMIT);
    assert_eq!(out.code, 101, "{out:?}");
    assert!(out.stderr.contains("GOALIE_TEST_PANIC"), "{out:?}");
    let stopped = sandbox.entries_of("stopped");
    assert_eq!(stopped.len(), 1, "{out:?}");
    assert_eq!(stopped[0].data["exit_code"], 101);
    assert!(
        stopped[0].data["reason"]
            .as_str()
            .unwrap()
            .starts_with("goalie panicked: GOALIE_TEST_PANIC"),
        "{stopped:?}"
    );
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "paused");
    assert!(goal.ended_at.is_some());
    crate::support::assert_no_process_left(sandbox.agent_pid());
}
