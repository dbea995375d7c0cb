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
    // The template protects `tests/`, which `check` wants to see in the workspace.
    let out = sandbox.run(&["check", "goal.yaml"], LIMIT);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("error: `protect: tests/` does not exist in"),
        "{}",
        out.stderr
    );
    std::fs::create_dir(sandbox.workdir().join("tests")).unwrap();
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

#[test]
fn check_refuses_what_run_refuses_each_at_its_place() {
    let sandbox = Sandbox::new();
    let cases = [
        (
            "agent.yaml",
            "objective: Make `true` pass\nverify: ['true']\nstop: {turns: 1}\nagent: nosuch\n",
            (":4:8", "`agent: nosuch`: no adapter named `nosuch`"),
        ),
        (
            "protect.yaml",
            "objective: Make `true` pass\nverify: ['true']\nstop: {turns: 1}\nprotect: [nothere.rs]\n",
            (":4:11", "`protect: nothere.rs` does not exist in"),
        ),
        (
            "objective.yaml",
            "objective: 42\nverify: ['true']\nstop: {turns: 1}\n",
            (
                ":1:12",
                "objective: invalid type: integer `42`, expected text",
            ),
        ),
        (
            "verify.yaml",
            "objective: Make `true` pass\nverify:\n  - run: 'true'\n    timout: 5m\nstop: {turns: 1}\n",
            (":4:5", "verify[0]: unknown field `timout`"),
        ),
    ];
    for (name, text, (at, message)) in cases {
        let spec = path_str(&sandbox.file(name, text));
        let check = sandbox.run(&["check", &spec], LIMIT);
        assert_eq!(check.code, 2, "{check:?}");
        assert!(
            check
                .stderr
                .starts_with(&format!("{spec}{at}: error: {message}")),
            "{name}: {}",
            check.stderr
        );
        // `run` refuses the same, in the same words, before starting anything.
        let run = sandbox.run(&["run", "--goal", &spec], LIMIT);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains(&format!("{spec}{at}: {message}")),
            "{name}: {}",
            run.stderr
        );
    }
    assert!(!sandbox.db().exists(), "nothing was started");
}

#[test]
fn a_binary_or_deeply_nested_spec_is_refused_with_a_position() {
    let sandbox = Sandbox::new();
    let binary = sandbox.dir.path().join("binary.yaml");
    std::fs::write(&binary, b"objective: ok\nverify: [\xff\xfe]\n").unwrap();
    let out = sandbox.run(&["check", &path_str(&binary)], LIMIT);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.starts_with(&format!(
            "{}:2:10: error: this is not a text file: byte 0xff is not UTF-8",
            binary.display()
        )),
        "{}",
        out.stderr
    );
    let nested = sandbox.file(
        "nested.yaml",
        &format!("objective: ok\nverify: {}", "[".repeat(200 * 1024)),
    );
    let out = sandbox.run(&["check", &path_str(&nested)], LIMIT);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(":2:") && out.stderr.contains("nested more than 64 levels deep"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_objective_over_16_kib_on_the_command_line_is_refused() {
    let sandbox = Sandbox::new();
    let objective = "y".repeat(50 * 1024 * 1024 / 1024);
    let out = sandbox.run(&["run", "--agent", "sim", &objective], LIMIT);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: the objective is 51200 bytes; the most goalie takes is 16384 (16 KiB): say what \
         must be achieved and point to files for the details\n"
    );
    assert!(!sandbox.db().exists(), "nothing was started");
}
