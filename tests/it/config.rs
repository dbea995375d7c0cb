//! Layered settings: defaults, the user's config.yaml, the project's
//! .goalie.yaml (found upward from the current directory), GOALIE_*
//! variables, flags; `goalie config --origin` says where each value came from.

use std::time::Duration;

use crate::support::{Outcome, Sandbox, finish, path_str};

const LIMIT: Duration = Duration::from_secs(120);

fn run(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut cmd = sandbox.command(args);
    for (key, value) in env {
        cmd.env(key, value);
    }
    finish(cmd.spawn().expect("spawn goalie"), LIMIT)
}

/// The `max_turns` line of `goalie config --origin`: (value, origin).
fn max_turns(out: &Outcome) -> (String, String) {
    assert_eq!(out.code, 0, "{out:?}");
    let line = out
        .stdout
        .lines()
        .find(|line| line.starts_with("max_turns "))
        .unwrap_or_else(|| panic!("no max_turns line: {}", out.stdout));
    let mut parts = line.split_whitespace().skip(1);
    let value = parts.next().unwrap().to_string();
    (value, parts.collect::<Vec<_>>().join(" "))
}

#[test]
fn a_value_set_in_every_layer_resolves_to_the_flags_and_config_says_where_each_came_from() {
    let sandbox = Sandbox::new();
    let config = sandbox.dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let user = config.join("config.yaml");
    std::fs::write(&user, "# mine\nmax_turns: 2\nstatus_line: true\n").unwrap();
    // The project's file is in a folder above the working directory.
    let project = sandbox.dir.path().join(".goalie.yaml");
    std::fs::write(&project, "record: false\n\nmax_turns: 3\n").unwrap();
    let env = [("GOALIE_MAX_TURNS", "4")];

    let out = run(&sandbox, &["config", "--origin", "--max-turns", "1"], &env);
    assert_eq!(max_turns(&out), ("1".into(), "flag --max-turns".into()));
    // Each other value says its own layer.
    let status_line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("status_line"))
        .unwrap();
    assert!(
        status_line.ends_with(&format!("{}:3", path_str(&user))),
        "{status_line}"
    );
    let record = out
        .stdout
        .lines()
        .find(|l| l.starts_with("record "))
        .unwrap();
    assert!(
        record.ends_with(&format!("{}:1", path_str(&project))),
        "{record}"
    );
    let quiet = out
        .stdout
        .lines()
        .find(|l| l.starts_with("user_quiet"))
        .unwrap();
    assert!(
        quiet.contains("3s") && quiet.ends_with("default"),
        "{quiet}"
    );
    assert!(out.stdout.contains(&format!(
        "# project settings: {} (read)",
        path_str(&project)
    )));

    // Take the top layer away, one by one: the next one shows through.
    let out = run(&sandbox, &["config", "--origin"], &env);
    assert_eq!(max_turns(&out), ("4".into(), "env GOALIE_MAX_TURNS".into()));
    let out = run(&sandbox, &["config", "--origin"], &[]);
    assert_eq!(
        max_turns(&out),
        ("3".into(), format!("{}:3", path_str(&project)))
    );
    std::fs::remove_file(&project).unwrap();
    let out = run(&sandbox, &["config", "--origin"], &[]);
    assert_eq!(
        max_turns(&out),
        ("2".into(), format!("{}:2", path_str(&user)))
    );
    std::fs::remove_file(&user).unwrap();
    let out = run(&sandbox, &["config", "--origin"], &[]);
    assert_eq!(max_turns(&out), ("none".into(), "default".into()));
    // Without --origin, only the values.
    let out = run(&sandbox, &["config"], &[]);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["max_turns", "none"])
    );

    // A run takes the same values: every layer set, the flag's wins.
    std::fs::write(&user, "max_turns: 2\n").unwrap();
    std::fs::write(&project, "max_turns: 3\n").unwrap();
    let out = run(&sandbox, &["demo", "--headless", "--max-turns", "1"], &env);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(sandbox.goal().max_turns, Some(1));
}

#[test]
fn a_run_without_flags_takes_the_variables_then_the_files() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.workdir().join(".goalie.yaml"),
        "max_turns: 1\nrecord: false\n",
    )
    .unwrap();
    let out = run(&sandbox, &["demo", "--headless"], &[]);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(sandbox.goal().max_turns, Some(1));
    assert!(sandbox.entries_of("recording").is_empty(), "record: false");
}

#[test]
fn an_unknown_key_or_a_bad_value_is_an_error_at_its_position() {
    let sandbox = Sandbox::new();
    let project = sandbox.workdir().join(".goalie.yaml");
    std::fs::write(&project, "# settings\nmax_turn: 3\n").unwrap();
    let out = run(&sandbox, &["config"], &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "{}:2:1: unknown field `max_turn`",
            path_str(&project)
        )),
        "{}",
        out.stderr
    );
    // So is a run's.
    let out = run(&sandbox, &["demo", "--headless"], &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(":2:1: unknown field `max_turn`"),
        "{}",
        out.stderr
    );

    std::fs::write(&project, "max_time: soon\n").unwrap();
    let out = run(&sandbox, &["config"], &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(&format!("{}:1:", path_str(&project))),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("max_time:"), "{}", out.stderr);

    std::fs::remove_file(&project).unwrap();
    let out = run(&sandbox, &["config"], &[("GOALIE_MAX_TURNS", "many")]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("GOALIE_MAX_TURNS=many"),
        "{}",
        out.stderr
    );
}

/// Moved from the command line's unit tests: with the agent a setting, a run
/// that names none anywhere is refused when the settings are resolved.
#[test]
fn run_needs_an_agent() {
    let sandbox = Sandbox::new();
    let out = run(&sandbox, &["run", "fix"], &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--agent"), "{}", out.stderr);
    // An agent from the settings is enough.
    let out = run(
        &sandbox,
        &["config", "--origin"],
        &[("GOALIE_AGENT", "codex")],
    );
    assert!(out.stdout.contains("env GOALIE_AGENT"), "{out:?}");
}
