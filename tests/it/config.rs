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

/// The `KEY` line of `goalie config --origin`: (value, origin).
fn setting(out: &Outcome, key: &str) -> (String, String) {
    assert_eq!(out.code, 0, "{out:?}");
    let line = out
        .stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some(key))
        .unwrap_or_else(|| panic!("no {key} line: {}", out.stdout));
    let mut parts = line.split_whitespace().skip(1);
    let value = parts.next().unwrap().to_string();
    (value, parts.collect::<Vec<_>>().join(" "))
}

const OVERNIGHT: [&str; 4] = ["stall_turns", "turn_timeout", "max_wait", "max_quota"];

/// Each overnight key's (value, origin), in `OVERNIGHT`'s order.
fn overnight(out: &Outcome) -> Vec<(String, String)> {
    OVERNIGHT.iter().map(|key| setting(out, key)).collect()
}

fn pairs(values: [(&str, String); 4]) -> Vec<(String, String)> {
    values
        .into_iter()
        .map(|(value, origin)| (value.to_string(), origin))
        .collect()
}

#[test]
fn the_overnight_settings_set_in_every_layer_resolve_to_the_flags_and_config_says_so() {
    let sandbox = Sandbox::new();
    let config = sandbox.dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let user = config.join("config.yaml");
    std::fs::write(
        &user,
        "stall_turns: 2\nturn_timeout: 10m\nmax_wait: 1h\nmax_quota: 50%\n",
    )
    .unwrap();
    let project = sandbox.dir.path().join(".goalie.yaml");
    std::fs::write(
        &project,
        "# overnight\nmax_quota: 60\nmax_wait: 3h\nturn_timeout: 0\nstall_turns: 4\n",
    )
    .unwrap();
    let env = [
        ("GOALIE_STALL_TURNS", "5"),
        ("GOALIE_TURN_TIMEOUT", "20m"),
        ("GOALIE_MAX_WAIT", "4h"),
        ("GOALIE_MAX_QUOTA", "70%"),
    ];
    let spec = sandbox.file(
        "goal.yaml",
        "objective: |\n  1. proof.txt exists\nverify:\n  - test -f proof.txt\nstop:\n  turns: 3\n  stall_turns: 6\n  quota: 75%\n",
    );
    let spec_origin = format!("goal spec {}", path_str(&spec));
    let flags = [
        "--stall-turns",
        "7",
        "--turn-timeout",
        "5m",
        "--max-wait",
        "30m",
        "--max-quota",
        "90%",
    ];
    let config_with = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["config", "--origin"];
        args.extend_from_slice(extra);
        run(&sandbox, &args, env)
    };

    let spec_arg = path_str(&spec);
    let mut every = vec!["--goal", spec_arg.as_str()];
    every.extend_from_slice(&flags);
    assert_eq!(
        overnight(&config_with(&every, &env)),
        pairs([
            ("7", "flag --stall-turns".into()),
            ("5m", "flag --turn-timeout".into()),
            ("30m", "flag --max-wait".into()),
            ("90%", "flag --max-quota".into()),
        ])
    );
    // Without the flags: the goal spec's stop wins for its own two keys,
    // over the variables, which win for the others.
    assert_eq!(
        overnight(&config_with(&["--goal", &spec_arg], &env)),
        pairs([
            ("6", spec_origin.clone()),
            ("20m", "env GOALIE_TURN_TIMEOUT".into()),
            ("4h", "env GOALIE_MAX_WAIT".into()),
            ("75%", spec_origin),
        ])
    );
    assert_eq!(
        overnight(&config_with(&[], &env)),
        pairs([
            ("5", "env GOALIE_STALL_TURNS".into()),
            ("20m", "env GOALIE_TURN_TIMEOUT".into()),
            ("4h", "env GOALIE_MAX_WAIT".into()),
            ("70%", "env GOALIE_MAX_QUOTA".into()),
        ])
    );
    let at = |path: &std::path::Path, line: usize| format!("{}:{line}", path_str(path));
    assert_eq!(
        overnight(&config_with(&[], &[])),
        pairs([
            ("4", at(&project, 5)),
            ("off", at(&project, 4)),
            ("3h", at(&project, 3)),
            ("60%", at(&project, 2)),
        ])
    );
    std::fs::remove_file(&project).unwrap();
    assert_eq!(
        overnight(&config_with(&[], &[])),
        pairs([
            ("2", at(&user, 1)),
            ("10m", at(&user, 2)),
            ("1h", at(&user, 3)),
            ("50%", at(&user, 4)),
        ])
    );
    std::fs::remove_file(&user).unwrap();
    assert_eq!(
        overnight(&config_with(&[], &[])),
        pairs([
            ("3", "default".into()),
            ("30m", "default".into()),
            ("2h", "default".into()),
            ("none", "default".into()),
        ])
    );
}

#[test]
fn a_run_keeps_the_overnight_settings_it_resolved_and_leaves_out_a_quota_the_agent_cannot_keep() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.workdir().join(".goalie.yaml"),
        "record: false\nstall_turns: 4\nturn_timeout: 12m\nmax_wait: 3h\nmax_quota: 60%\n",
    )
    .unwrap();
    let env = [("GOALIE_MAX_WAIT", "5h")];
    let out = run(
        &sandbox,
        &[
            "run",
            "--agent",
            "sim",
            "--headless",
            "--max-turns",
            "1",
            "--stall-turns",
            "9",
            "Make the tests pass",
        ],
        &env,
    );
    // The sim does not report its quota: a file's max_quota holds for the
    // agents that do, so this run goes on without it, and says so.
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "goalie: max_quota 60% ({}:5) is not used: the sim agent does not report its plan's quota",
            path_str(&sandbox.workdir().join(".goalie.yaml"))
        )),
        "{}",
        out.stderr
    );
    let created = &sandbox.entries_of("goal_created")[0].data;
    assert_eq!(created["stall_turns"], 9, "{created}");
    assert_eq!(created["turn_timeout_ms"], 12 * 60 * 1000, "{created}");
    assert_eq!(
        created["waits"]["max_wait_ms"],
        5 * 3600 * 1000,
        "{created}"
    );
    assert!(created["waits"]["max_quota_pct"].is_null(), "{created}");

    // (From a flag or a goal spec it is an error: tests/it/errors.rs.)
    // 0 and `off` turn the breaker and the hang watch off, from any layer.
    let sandbox = Sandbox::new();
    let out = run(
        &sandbox,
        &["config", "--origin", "--turn-timeout", "off"],
        &[("GOALIE_STALL_TURNS", "0")],
    );
    assert_eq!(
        setting(&out, "stall_turns"),
        ("off".into(), "env GOALIE_STALL_TURNS".into())
    );
    assert_eq!(
        setting(&out, "turn_timeout"),
        ("off".into(), "flag --turn-timeout".into())
    );
}

#[test]
fn a_bad_overnight_value_is_an_error_at_its_position() {
    let sandbox = Sandbox::new();
    let project = sandbox.workdir().join(".goalie.yaml");
    for (text, line, key) in [
        ("stall_turns: 2\nmax_quota: 120%\n", 2, "max_quota"),
        ("turn_timeout: soon\n", 1, "turn_timeout"),
        ("\nmax_wait: 0\n", 2, "max_wait"),
    ] {
        std::fs::write(&project, text).unwrap();
        let out = run(&sandbox, &["config"], &[]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(
            out.stderr
                .contains(&format!("{}:{line}:", path_str(&project)))
                && out.stderr.contains(&format!("{key}:")),
            "{text}: {}",
            out.stderr
        );
    }
    std::fs::write(&project, "stall_turn: 2\n").unwrap();
    let out = run(&sandbox, &["config"], &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "{}:1:1: unknown field `stall_turn`",
            path_str(&project)
        )),
        "{}",
        out.stderr
    );
    std::fs::remove_file(&project).unwrap();
    let out = run(&sandbox, &["config"], &[("GOALIE_MAX_QUOTA", "most")]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("GOALIE_MAX_QUOTA=most"),
        "{}",
        out.stderr
    );
}
