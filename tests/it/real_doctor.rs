//! `goalie doctor` on the real, pinned Codex CLI (installed by
//! scripts/install-agents): found on PATH, at the tested version, ready.

use std::time::Duration;

use serde_json::Value;

use crate::support::{Sandbox, agents};

#[test]
#[ignore = "needs the real Codex CLI (scripts/test runs it)"]
fn codex_doctor_finds_the_pinned_cli_ready() {
    let codex = agents::require("codex");
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command(&["doctor", "--agent", "codex", "--json"]);
    let path = std::env::var("PATH").unwrap_or_default();
    cmd.env(
        "PATH",
        format!("{}:{path}", codex.parent().unwrap().display()),
    )
    .env("CODEX_HOME", sandbox.dir.path().join("codex-home"));
    let out = crate::support::finish(cmd.spawn().unwrap(), Duration::from_secs(90));
    assert_eq!(out.code, 0, "{out:?}");
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let entry = json["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "codex")
        .unwrap()
        .clone();
    assert_eq!(entry["status"], "ready", "{entry}");
    assert_eq!(entry["version"], entry["tested_version"]);
}
