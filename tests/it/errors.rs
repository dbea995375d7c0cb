//! What the user sees when the input is wrong: the exact messages, the exit
//! codes, and that the ledger is not touched.

use std::time::Duration;

use crate::support;
use support::{Sandbox, path_str};

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn a_malformed_adapter_names_file_line_and_column_and_touches_nothing() {
    let sandbox = Sandbox::new();
    let adapter = sandbox.file(
        "bad.yaml",
        "name: bad\ncommand: sh\nscreen:\n  busy: ['esc to (interrupt']\n  idle: ['^> ']\n",
    );
    let out = sandbox.run(
        &["run", "--adapter", &path_str(&adapter), "objective"],
        LIMIT,
    );
    assert_eq!(out.code, 2);
    let expected = format!(
        "error: {}:4:10: bad pattern: regex parse error:",
        adapter.display()
    );
    assert!(out.stderr.starts_with(&expected), "{}", out.stderr);
    assert!(!sandbox.db().exists(), "the ledger was touched");
}

#[test]
fn a_file_placeholder_naming_no_file_is_an_adapter_error() {
    let sandbox = Sandbox::new();
    let adapter = sandbox.file(
        "bad.yaml",
        "name: bad\ncommand: sh\nmcp_env:\n  AGENT_SETTINGS: '{file:settings.json}'\nscreen:\n  busy: [a]\n  idle: [b]\n",
    );
    let out = sandbox.run(
        &["run", "--adapter", &path_str(&adapter), "objective"],
        LIMIT,
    );
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!(
            "error: {}:4:19: `{{file:settings.json}}` names no file in `mcp_files`\n",
            adapter.display()
        )
    );
    assert!(!sandbox.db().exists(), "the ledger was touched");
}

#[test]
fn unreadable_agent_settings_for_a_private_home_name_their_place_and_touch_nothing() {
    let sandbox = Sandbox::new();
    let adapter = sandbox.file(
        "home.yaml",
        "name: home\ncommand: sh\nmcp_home:\n  var: AGENT_HOME\n  dir: .agent\n  settings: settings.json\n  merge: '{\"servers\":{\"goalie\":\"{goalie}\"}}'\nscreen:\n  busy: [a]\n  idle: [b]\n",
    );
    let home = sandbox.dir.path().join("agent-home");
    std::fs::create_dir_all(home.join(".agent")).unwrap();
    let settings = home.join(".agent/settings.json");
    let text = "{\n  // mine\n  \"ui\": {\"theme\": \"dark\",}\n}\n";
    std::fs::write(&settings, text).unwrap();
    let mut cmd = sandbox.command(&["run", "--adapter", &path_str(&adapter), "objective"]);
    cmd.env("AGENT_HOME", &home);
    let out = support::finish(cmd.spawn().unwrap(), LIMIT);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: cannot register goalie mcp with the agent: {}:3:26: trailing comma\n\
             hint: the agent reads this settings file too: fix it (goalie copies it for the run and never writes it)\n",
            settings.display()
        )
    );
    assert!(!sandbox.db().exists(), "the ledger was touched");
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), text);
    assert_eq!(std::fs::read_dir(home.join(".agent")).unwrap().count(), 1);
}

#[test]
fn an_inline_config_goalie_cannot_add_to_is_an_error_before_the_ledger() {
    let sandbox = Sandbox::new();
    let adapter = sandbox.file(
        "inline.yaml",
        "name: inline\ncommand: sh\nmcp_env:\n  AGENT_CONFIG: '{\"mcp\":{\"goalie\":\"{goalie}\"}}'\nmcp_env_merge: [AGENT_CONFIG]\nscreen:\n  busy: [a]\n  idle: [b]\n",
    );
    let mut cmd = sandbox.command(&["run", "--adapter", &path_str(&adapter), "objective"]);
    cmd.env("AGENT_CONFIG", "[\"not an object\"]");
    let out = support::finish(cmd.spawn().unwrap(), LIMIT);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: cannot register goalie mcp with the agent: AGENT_CONFIG is set but is not a JSON object goalie can add its server to (not an object): fix it, or unset it for goalie's runs\n"
    );
    assert!(!sandbox.db().exists(), "the ledger was touched");
}

#[test]
fn an_adapter_with_a_yaml_error_names_its_position() {
    let sandbox = Sandbox::new();
    let adapter = sandbox.file(
        "bad.yaml",
        "name: bad\ncommand: sh\nscreen:\n  busy: [a\n  idle: [b]\n",
    );
    let out = sandbox.run(
        &["run", "--adapter", &path_str(&adapter), "objective"],
        LIMIT,
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with(&format!("error: {}:5:", adapter.display())),
        "{}",
        out.stderr
    );
    assert!(!sandbox.db().exists());
}

#[test]
fn an_unknown_agent_lists_the_known_ones() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["run", "--agent", "nope", "objective"], LIMIT);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: no adapter named `nope` (built in: sim, codex, claude, gemini, opencode, aider; or give one with --adapter FILE)\n"
    );
    assert!(!sandbox.db().exists());
}

#[test]
fn a_missing_agent_program_is_a_clear_error_before_the_ledger() {
    let sandbox = Sandbox::new();
    let adapter = sandbox.file(
        "missing.yaml",
        "name: missing\ncommand: definitely-missing-agent\nscreen:\n  busy: [x]\n  idle: [y]\n",
    );
    let out = sandbox.run(
        &["run", "--adapter", &path_str(&adapter), "objective"],
        LIMIT,
    );
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: cannot find the agent program `definitely-missing-agent` on PATH (is it installed?)\n\
         hint: install the agent CLI, pass its path with an adapter file (--adapter FILE), or try `goalie demo`\n"
    );
    assert!(!sandbox.db().exists());
}

#[test]
fn a_broken_prompt_override_names_file_line_and_column() {
    let sandbox = Sandbox::new();
    let prompts = sandbox.dir.path().join("config/prompts");
    std::fs::create_dir_all(&prompts).unwrap();
    std::fs::write(prompts.join("continuation.md"), "Go on\n  {{ objective }\n").unwrap();
    let out = sandbox.run(&["demo"], LIMIT);
    assert_eq!(out.code, 2);
    let expected = format!("error: {}:2:", prompts.join("continuation.md").display());
    assert!(out.stderr.starts_with(&expected), "{}", out.stderr);
    assert!(!sandbox.db().exists());
}

#[test]
fn a_broken_scenario_names_file_line_and_column() {
    let sandbox = Sandbox::new();
    let scenario = sandbox.file("s.yaml", "name: s\nturns:\n  - work_ms: 10\n    wrok: 3\n");
    let out = sandbox.run(&["demo", "--scenario", &path_str(&scenario)], LIMIT);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with(&format!("error: {}:4:", scenario.display())),
        "{}",
        out.stderr
    );
    assert!(!sandbox.db().exists());
}

#[test]
fn bad_usage_exits_2() {
    let sandbox = Sandbox::new();
    for args in [
        &["run", "objective"][..],
        &["run", "--agent", "sim", "--max-turns", "0", "objective"],
        &["run", "--agent", "sim", "--max-time", "soon", "objective"],
        &[
            "run",
            "--agent",
            "sim",
            "--budget-tokens",
            "lots",
            "objective",
        ],
        &["run", "--agent", "sim", "  "],
        &[
            "run",
            "--agent",
            "sim",
            "--workdir",
            "/no/such/dir",
            "objective",
        ],
        &["frobnicate"],
    ] {
        let out = sandbox.run(args, LIMIT);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains("error"), "{args:?}: {out:?}");
    }
    assert!(!sandbox.db().exists());
}

#[test]
fn status_and_ls_read_the_database() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["status"], LIMIT);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("error: there are no goals yet in"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: start one with `goalie run` or `goalie demo`")
    );
    let out = sandbox.run(&["ls"], LIMIT);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (
            0,
            "no goals yet (start one with `goalie run` or `goalie demo`)\n"
        )
    );

    let out = sandbox.run(&["demo", "--max-turns", "1"], Duration::from_secs(90));
    assert_eq!(out.code, 3, "{out:?}");
    let goal = sandbox.goal();

    let out = sandbox.run(&["status", "--json", &goal.id[..3]], LIMIT);
    assert_eq!(out.code, 0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    for field in [
        "id",
        "objective",
        "state",
        "turns",
        "tokens_used",
        "started_at",
        "ended_at",
    ] {
        assert!(json.get(field).is_some(), "{field} missing: {json}");
    }
    assert_eq!(json["state"], "budget-limited");
    assert_eq!(json["turns"], 2);
    assert_eq!(json["running"], false);
    assert!(
        json.get("claim_code").is_none(),
        "the claim code is a secret"
    );

    let out = sandbox.run(&["status"], LIMIT);
    assert!(
        out.stdout
            .starts_with(&format!("goal {}  budget-limited\n", goal.id)),
        "{}",
        out.stdout
    );
    let out = sandbox.run(&["ls"], LIMIT);
    assert!(
        out.stdout.lines().nth(1).unwrap().starts_with(&goal.id),
        "{}",
        out.stdout
    );
    let out = sandbox.run(&["ls", "--json"], LIMIT);
    let all: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);

    let out = sandbox.run(&["status", "zzzz"], LIMIT);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: no goal matches `zzzz` (see `goalie ls`)\n"
    );
}

#[test]
fn a_dialog_policy_for_an_unknown_dialog_names_the_known_ones() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(
        &[
            "run",
            "--agent",
            "gemini",
            "--dialog",
            "nope=accept",
            "objective",
        ],
        LIMIT,
    );
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: the gemini adapter has no dialog `nope` (its dialogs: trust-folder, tool-permission, usage-limit)\n"
    );
    assert!(!sandbox.db().exists(), "the ledger was touched");

    let out = sandbox.run(
        &[
            "run",
            "--agent",
            "gemini",
            "--dialog",
            "tool-permission=maybe",
            "objective",
        ],
        LIMIT,
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            "invalid value 'tool-permission=maybe' for '--dialog <NAME=POLICY>': `maybe` is not a dialog policy: use accept, deny or escalate"
        ),
        "{}",
        out.stderr
    );
    assert!(!sandbox.db().exists(), "the ledger was touched");
}

#[test]
fn max_quota_for_an_agent_that_does_not_report_its_quota_is_an_error_before_the_ledger() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(
        &[
            "run",
            "--agent",
            "claude",
            "--max-quota",
            "80%",
            "objective",
        ],
        LIMIT,
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: --max-quota 80% (or `stop.quota`): the claude agent does not report its plan's \
         quota to goalie (only Codex writes its rate-limit windows to its session log), so goalie \
         cannot wait for a reset; drop the flag\n"
    );
    assert!(!sandbox.db().exists(), "the ledger was touched");
    // The same from a goal spec's `stop.quota`.
    let spec = sandbox.file(
        "goal.yaml",
        "objective: |\n  1. proof.txt exists\nverify:\n  - test -f proof.txt\nstop:\n  turns: 3\n  quota: 80%\nagent: sim\n",
    );
    let out = sandbox.run(&["run", "--goal", &path_str(&spec)], LIMIT);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: --max-quota 80% (or `stop.quota`): the sim agent"),
        "{}",
        out.stderr
    );
    assert!(!sandbox.db().exists(), "the ledger was touched");
    // A quota that is not a percentage is the spec's error.
    let bad = sandbox.file(
        "bad.yaml",
        "objective: |\n  1. proof.txt exists\nverify:\n  - test -f proof.txt\nstop:\n  turns: 3\n  quota: most\n",
    );
    let out = sandbox.run(&["check", &path_str(&bad)], LIMIT);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("`stop.quota: most` is not a percentage from 1% to 100%"),
        "{}",
        out.stderr
    );
}
