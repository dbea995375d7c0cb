//! `goalie doctor`: an agent CLI present at the tested version, at another
//! version, and missing (with its install command), through a fake `codex` on
//! PATH that prints a version as the real one does; Codex's trusted folder;
//! and, with a generated home, Claude Code's first run, trust and API key,
//! gemini-cli's sign-in, trusted folders and settings file, and an
//! OPENCODE_CONFIG_CONTENT goalie cannot add its server to.

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

/// A program `name` in `bin` that prints `version` for `--version`.
fn fake_program(bin: &Path, name: &str, version: &str) {
    std::fs::create_dir_all(bin).unwrap();
    let path = bin.join(name);
    std::fs::write(&path, format!("#!/bin/sh\necho '{version}'\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `goalie doctor` with a generated home: HOME is `home`, none of the
/// agents' own location variables is inherited, an API key for Claude Code.
fn doctor_at_home(sandbox: &Sandbox, bin: &Path, home: &Path, args: &[&str]) -> Outcome {
    doctor_with(sandbox, bin, home, args, &[])
}

/// [`doctor_at_home`] with variables of the person's own (`env`).
fn doctor_with(
    sandbox: &Sandbox,
    bin: &Path,
    home: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Outcome {
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    let mut cmd = sandbox.command(&all);
    cmd.env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("HOME", home)
        .env("ANTHROPIC_API_KEY", CLAUDE_KEY)
        .env(
            "GEMINI_CLI_SYSTEM_SETTINGS_PATH",
            home.join("no-system-settings.json"),
        );
    for name in [
        "CLAUDE_CONFIG_DIR",
        "GEMINI_CLI_HOME",
        "GEMINI_CLI_TRUSTED_FOLDERS_PATH",
        "GEMINI_CLI_TRUST_WORKSPACE",
        "OPENCODE_CONFIG_CONTENT",
        "CODEX_HOME",
        "GEMINI_API_KEY",
        "GOOGLE_GENAI_USE_GCA",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GEMINI_BASE_URL",
        "CLOUD_SHELL",
        "GEMINI_CLI_USE_COMPUTE_ADC",
    ] {
        cmd.env_remove(name);
    }
    for (name, value) in env {
        cmd.env(name, value);
    }
    crate::support::finish(cmd.spawn().expect("spawn goalie"), LIMIT)
}

const CLAUDE_KEY: &str = "sk-ant-doctor-0000-abcdefghij0123456789";

/// The settings rows of `agent`: setting → (ok, blocks).
fn settings_of(json: &Value, agent: &str) -> std::collections::BTreeMap<String, (bool, bool)> {
    json["settings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["agent"] == agent)
        .map(|s| {
            (
                s["setting"].as_str().unwrap().to_string(),
                (s["ok"].as_bool().unwrap(), s["blocks"].as_bool().unwrap()),
            )
        })
        .collect()
}

#[test]
fn claude_codes_first_run_trust_and_api_key_are_checked_in_its_state_file() {
    let sandbox = Sandbox::new();
    let bin = sandbox.dir.path().join("bin");
    fake_program(&bin, "claude", "2.1.197 (Claude Code)");
    let home = sandbox.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();

    // A home where Claude Code never ran: its first-run screens would stop
    // the run (not ready), its trust dialog and the key's question are notes.
    let out = doctor_at_home(&sandbox, &bin, &home, &["--agent", "claude", "--json"]);
    assert_eq!(out.code, 7, "{out:?}");
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let claude = settings_of(&json, "claude");
    assert_eq!(claude["first run"], (false, true), "{claude:?}");
    assert_eq!(claude["trusted folder"], (false, false), "{claude:?}");
    assert_eq!(claude["API key"], (false, false), "{claude:?}");
    let text = doctor_at_home(&sandbox, &bin, &home, &["--agent", "claude"]);
    assert_eq!(text.code, 7, "{text:?}");
    assert!(
        text.stdout
            .contains("PROBLEM        first run: not done in")
            && text
                .stdout
                .contains("not ready: claude cannot run here (exit 7)"),
        "{}",
        text.stdout
    );

    // As the person's Claude Code leaves it once they have run it here.
    let tail = &CLAUDE_KEY[CLAUDE_KEY.len() - 20..];
    let state = serde_json::json!({
        "hasCompletedOnboarding": true,
        "customApiKeyResponses": {"approved": [tail], "rejected": []},
        "projects": {crate::support::path_str(&sandbox.workdir()): {"hasTrustDialogAccepted": true}},
    });
    std::fs::write(home.join(".claude.json"), state.to_string()).unwrap();
    let out = doctor_at_home(&sandbox, &bin, &home, &["--agent", "claude", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let claude = settings_of(&json, "claude");
    for setting in ["first run", "trusted folder", "API key"] {
        assert_eq!(claude[setting], (true, false), "{setting}: {claude:?}");
    }
    // A key Claude Code was told not to use is a problem.
    let state = serde_json::json!({
        "hasCompletedOnboarding": true,
        "customApiKeyResponses": {"approved": [], "rejected": [tail]},
    });
    std::fs::write(home.join(".claude.json"), state.to_string()).unwrap();
    let out = doctor_at_home(&sandbox, &bin, &home, &["--agent", "claude", "--json"]);
    assert_eq!(out.code, 7, "{out:?}");
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(settings_of(&json, "claude")["API key"], (false, true));
}

#[test]
fn gemini_clis_sign_in_trusted_folders_and_settings_file_are_checked() {
    let sandbox = Sandbox::new();
    let bin = sandbox.dir.path().join("bin");
    fake_program(&bin, "gemini", "0.45.0");
    let home = sandbox.dir.path().join("home");
    std::fs::create_dir_all(home.join(".gemini")).unwrap();

    let out = doctor_at_home(&sandbox, &bin, &home, &["--agent", "gemini", "--json"]);
    assert_eq!(out.code, 7, "{out:?}");
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let gemini = settings_of(&json, "gemini");
    assert_eq!(gemini["sign-in"], (false, true), "{gemini:?}");
    assert_eq!(gemini["trusted folder"], (false, false), "{gemini:?}");
    assert_eq!(gemini["MCP server"], (true, false), "{gemini:?}");
    // An API key in its environment is a sign-in it takes (a note).
    let keyed = doctor_with(
        &sandbox,
        &bin,
        &home,
        &["--agent", "gemini", "--json"],
        &[("GEMINI_API_KEY", "k")],
    );
    assert_eq!(keyed.code, 0, "{keyed:?}");
    let json: Value = serde_json::from_str(&keyed.stdout).unwrap();
    assert_eq!(settings_of(&json, "gemini")["sign-in"], (false, false));

    // Signed in with a key (comments allowed, as gemini-cli allows them),
    // the folder above the working directory trusted.
    std::fs::write(
        home.join(".gemini/settings.json"),
        "{\n  // mine\n  \"security\": {\"auth\": {\"selectedType\": \"gemini-api-key\"}}\n}\n",
    )
    .unwrap();
    let rules = serde_json::json!({ crate::support::path_str(sandbox.dir.path()): "TRUST_FOLDER" });
    std::fs::write(home.join(".gemini/trustedFolders.json"), rules.to_string()).unwrap();
    let out = doctor_at_home(&sandbox, &bin, &home, &["--agent", "gemini", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let gemini = settings_of(&json, "gemini");
    for setting in ["sign-in", "trusted folder", "MCP server"] {
        assert_eq!(gemini[setting], (true, false), "{setting}: {gemini:?}");
    }

    // Settings goalie cannot add its server to: `goalie run` would refuse,
    // and doctor says where the file is wrong.
    let settings = home.join(".gemini/settings.json");
    std::fs::write(&settings, "{\n  \"security\": {,\n}\n").unwrap();
    let out = doctor_at_home(&sandbox, &bin, &home, &["--agent", "gemini"]);
    assert_eq!(out.code, 7, "{out:?}");
    assert!(
        out.stdout.contains(&format!(
            "PROBLEM        MCP server: {}:2:",
            crate::support::path_str(&settings)
        )),
        "{}",
        out.stdout
    );
    // A trusted-folders file gemini-cli cannot read stops it at its start.
    std::fs::write(
        &settings,
        r#"{"security": {"auth": {"selectedType": "x"}}}"#,
    )
    .unwrap();
    std::fs::write(home.join(".gemini/trustedFolders.json"), "{ nope").unwrap();
    let out = doctor_at_home(&sandbox, &bin, &home, &["--agent", "gemini", "--json"]);
    assert_eq!(out.code, 7, "{out:?}");
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        settings_of(&json, "gemini")["trusted folder"],
        (false, true)
    );
}

#[test]
fn an_opencode_config_content_goalie_cannot_add_its_server_to_is_a_problem() {
    let sandbox = Sandbox::new();
    let bin = sandbox.dir.path().join("bin");
    fake_program(&bin, "opencode", "1.18.33");
    let home = sandbox.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let ok = doctor_at_home(&sandbox, &bin, &home, &["--agent", "opencode", "--json"]);
    assert_eq!(ok.code, 0, "{ok:?}");
    let json: Value = serde_json::from_str(&ok.stdout).unwrap();
    assert_eq!(settings_of(&json, "opencode")["MCP server"], (true, false));
    let theirs = [("OPENCODE_CONFIG_CONTENT", "{model:")];
    let out = doctor_with(&sandbox, &bin, &home, &["--agent", "opencode"], &theirs);
    assert_eq!(out.code, 7, "{out:?}");
    assert!(
        out.stdout.contains(
            "PROBLEM        MCP server: OPENCODE_CONFIG_CONTENT is set but is not a JSON object"
        ),
        "{}",
        out.stdout
    );
}
