//! `goalie doctor`: an agent CLI present at the tested version, at another
//! version, and missing (with its install command), through a fake `codex` on
//! PATH that prints a version as the real one does; Codex's trusted folder.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::support::{Outcome, Sandbox};

const LIMIT: Duration = Duration::from_secs(60);

/// The pinned Codex version, as scripts/agent-versions has it.
fn pinned_codex() -> String {
    let pins = include_str!("../../scripts/agent-versions");
    pins.lines()
        .find_map(|line| line.strip_prefix("@openai/codex "))
        .expect("codex is pinned")
        .trim()
        .to_string()
}

/// A `codex` in `bin` that prints `version` as Codex does.
fn fake_codex(bin: &Path, version: &str) {
    std::fs::create_dir_all(bin).unwrap();
    let path = bin.join("codex");
    std::fs::write(&path, format!("#!/bin/sh\necho 'codex-cli {version}'\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn doctor(sandbox: &Sandbox, bin: &Path, args: &[&str]) -> Outcome {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    let mut cmd = sandbox.command(&all);
    cmd.env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("CODEX_HOME", sandbox.dir.path().join("codex-home"))
        .env("XDG_STATE_HOME", sandbox.dir.path().join("state"));
    crate::support::finish(cmd.spawn().expect("spawn goalie"), LIMIT)
}

fn codex_of(json: &Value) -> &Value {
    json["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "codex")
        .expect("codex is listed")
}

#[test]
fn an_agent_at_the_tested_version_is_ready() {
    let sandbox = Sandbox::new();
    let bin = sandbox.dir.path().join("bin");
    fake_codex(&bin, &pinned_codex());
    let out = doctor(&sandbox, &bin, &["--agent", "codex", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["ready"], true);
    let codex = codex_of(&json);
    assert_eq!(codex["status"], "ready");
    assert_eq!(codex["origin"], "built in");
    assert_eq!(codex["version"], pinned_codex());
    assert_eq!(codex["tested_version"], pinned_codex());
    assert_eq!(codex["path"], bin.join("codex").display().to_string());
    // Every path goalie needs is named and usable.
    let paths: Vec<&str> = json["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["usable"], true, "{p}");
            p["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(paths, ["database", "config", "state", "sockets"]);

    // The text says so too, and names Codex's trust of this folder.
    let text = doctor(&sandbox, &bin, &["--agent", "codex"]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout.contains("ready: goalie can run codex here"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(&format!(
            "{} is not trusted in",
            sandbox.workdir().display()
        )),
        "{}",
        text.stdout
    );
    let home = sandbox.dir.path().join("codex-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("config.toml"),
        format!(
            "[projects.\"{}\"]\ntrust_level = \"trusted\"\n",
            sandbox.workdir().display()
        ),
    )
    .unwrap();
    let json: Value = serde_json::from_str(&doctor(&sandbox, &bin, &["--json"]).stdout).unwrap();
    let trust = &json["settings"][0];
    assert_eq!(
        (&trust["agent"], &trust["ok"]),
        (&Value::from("codex"), &Value::from(true))
    );
}

#[test]
fn another_version_is_ready_with_a_note() {
    let sandbox = Sandbox::new();
    let bin = sandbox.dir.path().join("bin");
    fake_codex(&bin, "0.1.0");
    let out = doctor(&sandbox, &bin, &["--agent", "codex"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(&format!(
            "other version  0.1.0 at {} (goalie was tested with {}",
            bin.join("codex").display(),
            pinned_codex()
        )),
        "{}",
        out.stdout
    );
    let json: Value =
        serde_json::from_str(&doctor(&sandbox, &bin, &["--agent", "codex", "--json"]).stdout)
            .unwrap();
    assert_eq!(codex_of(&json)["status"], "other_version");
    assert_eq!(codex_of(&json)["version"], "0.1.0");
}

#[test]
fn a_missing_agent_is_not_ready_and_says_how_to_install_it() {
    let sandbox = Sandbox::new();
    let bin = sandbox.dir.path().join("empty-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let out = doctor(&sandbox, &bin, &["--agent", "codex"]);
    assert_eq!(out.code, 7, "{out:?}");
    assert!(
        out.stdout.contains(&format!(
            "install: npm install -g @openai/codex@{}",
            pinned_codex()
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("not ready: codex cannot run here (exit 7)")
    );
    let json: Value =
        serde_json::from_str(&doctor(&sandbox, &bin, &["--agent", "codex", "--json"]).stdout)
            .unwrap();
    assert_eq!(json["ready"], false);
    assert_eq!(codex_of(&json)["status"], "missing");
    // Without --agent, nothing chosen is missing: ready.
    assert_eq!(doctor(&sandbox, &bin, &[]).code, 0);
    // A misspelt agent is bad usage, as for `goalie run`, with the nearest name.
    let misspelt = doctor(&sandbox, &bin, &["--agent", "codx"]);
    assert_eq!(misspelt.code, 2);
    assert!(
        misspelt.stderr.contains("hint: did you mean `codex`?"),
        "{}",
        misspelt.stderr
    );
    let run = sandbox.run(&["run", "--agent", "cladue", "fix it"], LIMIT);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("hint: did you mean `claude`?"),
        "{}",
        run.stderr
    );
}
