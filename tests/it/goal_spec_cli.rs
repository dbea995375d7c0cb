//! `goalie check`, `goalie init` and `goalie run --goal`: the real binary, exact
//! messages and exit codes.

use std::time::Duration;

use crate::support;
use support::{Sandbox, path_str};

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn check_refuses_a_vague_spec_with_an_example_and_exit_2() {
    let sandbox = Sandbox::new();
    let spec = sandbox.file(
        "goal.yaml",
        "objective: Make the codebase better\nverify: [cargo test]\nstop: {turns: 5}\n",
    );
    let out = sandbox.run(&["check", &path_str(&spec)], LIMIT);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.starts_with(&format!(
            "{}:1:1: error: the objective is too vague to check (\"Make the codebase better\": better by what measure?)",
            spec.display()
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("  verify:\n    - cargo test -p parser"));
    assert!(out.stdout.is_empty());
}

#[test]
fn check_reports_missing_verify_and_stop_with_their_places() {
    let sandbox = Sandbox::new();
    let spec = sandbox.file(
        "a.yaml",
        "objective: Make `cargo test` pass\nstop: {turns: 2}\n",
    );
    let out = sandbox.run(&["check", &path_str(&spec)], LIMIT);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(&format!(
            "{}:1:1: error: no `verify` commands",
            spec.display()
        )),
        "{}",
        out.stderr
    );
    let spec = sandbox.file(
        "b.yaml",
        "objective: Make `cargo test` pass\nverify: [cargo test]\n",
    );
    let out = sandbox.run(&["check", &path_str(&spec)], LIMIT);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("error: no stop rule"), "{}", out.stderr);
}

#[test]
fn init_writes_a_template_that_checks_and_never_overwrites() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["init"], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let path = sandbox.workdir().join("goal.yaml");
    assert!(path.is_file());
    let out = sandbox.run(&["check", "goal.yaml"], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "goal.yaml: ok: 4 requirement(s), 1 verify command(s), 1 protected path(s)\n"
    );
    let before = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, "mine\n").unwrap();
    let out = sandbox.run(&["init"], LIMIT);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: goal.yaml already exists; goalie init never overwrites a file (give another path)\n"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine\n");
    assert!(before.contains("# "));
}

#[test]
fn run_with_a_bad_spec_touches_nothing() {
    let sandbox = Sandbox::new();
    let spec = sandbox.file(
        "goal.yaml",
        "objective: fix `x`\nverify: ['true']\nstop:\n  turns: 0\n",
    );
    let out = sandbox.run(
        &["run", "--agent", "sim", "--goal", &path_str(&spec)],
        LIMIT,
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: {}:4:3: `stop.turns` must be at least 1\n",
            spec.display()
        )
    );
    assert!(!sandbox.db().exists());
}
