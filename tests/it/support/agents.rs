//! Running the real agent CLIs (installed by `scripts/install-agents`) against
//! the fake model: where they are, and the private, offline configuration each
//! needs so that it shows no dialog and reaches nothing but 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where `scripts/install-agents` put the CLIs.
pub fn agents_dir() -> PathBuf {
    std::env::var_os("GOALIE_AGENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/agents"))
}

/// The CLI's path; fails the test when it is not installed. Every test that
/// calls it is `#[ignore]`d, so it runs only when asked for: by `scripts/test`,
/// which installs the CLIs and runs the tests of those it has (naming the rest as
/// not run), or by hand (`cargo test --test it -- --ignored real_`).
pub fn require(name: &str) -> PathBuf {
    let path = agents_dir().join("node_modules/.bin").join(name);
    assert!(
        path.is_file(),
        "`{name}` is not installed in {}: run scripts/install-agents (scripts/test does)",
        agents_dir().display()
    );
    path
}

/// Variables that would point an agent at a real service or account.
const SCRUBBED: &[&str] = &[
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "CODEX_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GEMINI_CLI_HOME",
    "OPENCODE_CONFIG",
    "OPENCODE_CONFIG_DIR",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
];

/// A loopback port nothing listens on: every request an agent makes on its own
/// (update checks, announcements) fails here at once instead of leaving the machine.
const DEAD_PROXY: &str = "http://127.0.0.1:9";

/// Prepares `cmd` (a goalie command) for a real agent: credentials and
/// endpoints scrubbed, a dead proxy for everything but loopback, the CLIs on PATH.
pub fn offline(cmd: &mut Command, workdir: &Path) {
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    for var in [
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "https_proxy",
        "http_proxy",
        "all_proxy",
    ] {
        cmd.env(var, DEAD_PROXY);
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![agents_dir().join("node_modules/.bin")];
    dirs.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(dirs).expect("PATH"));
    cmd.current_dir(workdir).env("PWD", workdir);
}

/// Codex CLI: a private CODEX_HOME whose provider is the fake model at
/// `base_url` (ending in /v1), with `workdir` trusted (unless `trusted` is
/// false) and a status line that shows the token figure goalie reads.
pub fn codex(cmd: &mut Command, home: &Path, base_url: &str, workdir: &Path, trusted: bool) {
    std::fs::create_dir_all(home).expect("codex home");
    let trust = if trusted {
        format!(
            "[projects.\"{}\"]\ntrust_level = \"trusted\"\n",
            workdir.display()
        )
    } else {
        String::new()
    };
    let config = format!(
        r#"model = "fake-model"
model_provider = "fake"
approval_policy = "never"
sandbox_mode = "workspace-write"
check_for_update_on_startup = false

[model_providers.fake]
name = "fake"
base_url = "{base_url}"
env_key = "FAKE_MODEL_API_KEY"
wire_api = "responses"

[analytics]
enabled = false

# The plugin feature looks up github.com and chatgpt.com in the background.
[features]
plugins = false

[tui]
screen_reader_detection_done = true
status_line = ["model-with-reasoning", "run-state", "context-remaining", "used-tokens"]

{trust}"#
    );
    std::fs::write(home.join("config.toml"), config).expect("config.toml");
    cmd.env("CODEX_HOME", home)
        .env("FAKE_MODEL_API_KEY", "fake-key");
}

/// The fake API key handed to Claude Code; its last 20 characters are pre-approved.
pub const CLAUDE_KEY: &str = "sk-ant-fake-0000000000-goalie-test-key";

/// Claude Code: a private config dir with onboarding done, the key approved,
/// `workdir` trusted and the permission-bypass confirmation skipped; the
/// environment that sends it to the fake model at `base_url`.
pub fn claude(cmd: &mut Command, config_dir: &Path, base_url: &str, workdir: &Path) {
    std::fs::create_dir_all(config_dir).expect("claude config dir");
    let tail = &CLAUDE_KEY[CLAUDE_KEY.len() - 20..];
    let mut projects = serde_json::Map::new();
    projects.insert(
        workdir.display().to_string(),
        serde_json::json!({ "hasTrustDialogAccepted": true, "allowedTools": [] }),
    );
    let state = serde_json::json!({
        "hasCompletedOnboarding": true,
        "theme": "dark",
        "customApiKeyResponses": { "approved": [tail], "rejected": [] },
        "projects": projects,
    });
    std::fs::write(config_dir.join(".claude.json"), state.to_string()).expect(".claude.json");
    std::fs::write(
        config_dir.join("settings.json"),
        r#"{"skipDangerousModePermissionPrompt": true}"#,
    )
    .expect("settings.json");
    // A private HOME as well: Claude's Bash tool sources the user's shell start-up
    // files, and a developer's ~/.bashrc (pyenv's init here, whose `pyenv rehash`
    // waits 60 s on a lock that a killed shell left behind) must not decide a test.
    let home = config_dir.with_file_name("claude-home");
    std::fs::create_dir_all(&home).expect("claude home");
    cmd.env("HOME", home)
        .env("CLAUDE_CONFIG_DIR", config_dir)
        .env("ANTHROPIC_BASE_URL", base_url)
        .env("ANTHROPIC_API_KEY", CLAUDE_KEY)
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        // Otherwise the TUI clones the official plugin marketplace over ssh.
        .env("CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL", "1")
        // Root may bypass permissions only inside a declared sandbox.
        .env("IS_SANDBOX", "1");
}

/// gemini-cli: a private HOME whose settings select API-key auth and turn off
/// folder trust, update checks and telemetry; the fake model at `base_url`.
pub fn gemini(cmd: &mut Command, home: &Path, base_url: &str) {
    std::fs::create_dir_all(home.join(".gemini")).expect("gemini home");
    std::fs::write(
        home.join(".gemini/settings.json"),
        r#"{"security":{"auth":{"selectedType":"gemini-api-key"},"folderTrust":{"enabled":false}},"general":{"disableAutoUpdate":true,"disableUpdateNag":true},"privacy":{"usageStatisticsEnabled":false},"telemetry":{"enabled":false}}"#,
    )
    .expect("settings.json");
    cmd.env("HOME", home)
        .env("GOOGLE_GEMINI_BASE_URL", base_url)
        .env("GEMINI_API_KEY", "fake-key");
}

/// opencode: `opencode.json` in `workdir` with the fake model (at `base_url`,
/// ending in /v1) as its only provider and bash and edits allowed; a private
/// HOME (its database goes in `~/.local/share/opencode`); no downloads.
pub fn opencode(cmd: &mut Command, home: &Path, base_url: &str, workdir: &Path) {
    std::fs::create_dir_all(home).expect("opencode home");
    let config = serde_json::json!({
        "$schema": "https://opencode.ai/config.json",
        "provider": { "fake": {
            "npm": "@ai-sdk/openai-compatible",
            "name": "fake",
            "options": { "baseURL": base_url, "apiKey": "fake-key" },
            "models": { "fake-model": { "name": "fake-model" } },
        }},
        "model": "fake/fake-model",
        "small_model": "fake/fake-model",
        "enabled_providers": ["fake"],
        "permission": { "bash": "allow", "edit": "allow" },
        "autoupdate": false,
        "share": "disabled",
    });
    std::fs::write(workdir.join("opencode.json"), config.to_string()).expect("opencode.json");
    cmd.env("HOME", home)
        .env("OPENCODE_DISABLE_MODELS_FETCH", "1")
        .env("OPENCODE_DISABLE_AUTOUPDATE", "1")
        .env("OPENCODE_DISABLE_DEFAULT_PLUGINS", "1")
        .env("OPENCODE_DISABLE_LSP_DOWNLOAD", "1");
}

/// aider: the fake model (at `base_url`, ending in /v1) as an OpenAI-compatible
/// endpoint, the bundled model-cost map, a private HOME. Pass
/// `--model openai/fake-model` to it.
pub fn aider(cmd: &mut Command, home: &Path, base_url: &str) {
    std::fs::create_dir_all(home).expect("aider home");
    cmd.env("HOME", home)
        .env("OPENAI_API_BASE", base_url)
        .env("OPENAI_API_KEY", "fake-key")
        .env("LITELLM_LOCAL_MODEL_COST_MAP", "True");
}

/// A real agent CLI a test drives, with its offline setup in a sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    Codex,
    Claude,
    Opencode,
    Gemini,
    Aider,
}

impl Agent {
    pub fn name(self) -> &'static str {
        match self {
            Agent::Codex => "codex",
            Agent::Claude => "claude",
            Agent::Opencode => "opencode",
            Agent::Gemini => "gemini",
            Agent::Aider => "aider",
        }
    }

    /// Arguments for the agent CLI itself (after `--`) that every test passes.
    pub fn args(self) -> &'static [&'static str] {
        match self {
            Agent::Codex | Agent::Opencode => &[],
            Agent::Claude => &[
                "--model",
                "claude-sonnet-4-5",
                "--dangerously-skip-permissions",
            ],
            // Its shell tool runs without asking.
            Agent::Gemini => &["--yolo"],
            Agent::Aider => &["--model", "openai/fake-model", "--no-git"],
        }
    }

    /// A goalie command in `sandbox` whose agent talks only to the fake model at
    /// `base_url` (`http://127.0.0.1:PORT`), with a private, trusted configuration.
    pub fn command(self, sandbox: &super::Sandbox, base_url: &str, args: &[&str]) -> Command {
        let mut cmd = sandbox.command(args);
        offline(&mut cmd, &sandbox.workdir());
        match self {
            Agent::Codex => codex(
                &mut cmd,
                &sandbox.dir.path().join("codex-home"),
                &format!("{base_url}/v1"),
                &sandbox.workdir(),
                true,
            ),
            Agent::Claude => claude(
                &mut cmd,
                &sandbox.dir.path().join("claude-config"),
                base_url,
                &sandbox.workdir(),
            ),
            Agent::Opencode => {
                opencode(
                    &mut cmd,
                    &sandbox.dir.path().join("opencode-home"),
                    &format!("{base_url}/v1"),
                    &sandbox.workdir(),
                );
                // As a cautious user has it: every tool asks but the shell and
                // edits, so goalie's own tools run unasked only because its
                // registration allows them.
                let path = sandbox.workdir().join("opencode.json");
                let mut config: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).expect("opencode.json"))
                        .expect("opencode.json");
                config["permission"] =
                    serde_json::json!({ "*": "ask", "bash": "allow", "edit": "allow" });
                std::fs::write(&path, config.to_string()).expect("opencode.json");
            }
            Agent::Gemini => gemini(&mut cmd, &sandbox.dir.path().join("gemini-home"), base_url),
            Agent::Aider => aider(
                &mut cmd,
                &sandbox.dir.path().join("aider-home"),
                &format!("{base_url}/v1"),
            ),
        }
        cmd
    }
}
