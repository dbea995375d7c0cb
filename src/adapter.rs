//! Agent adapters: how to launch an agent CLI, type into it and read its screen.
//!
//! Adapters are data (`adapters/*.yaml`). The built-in ones are compiled into the
//! binary; a file of the same name in the user's config dir, or `--adapter FILE`,
//! overrides them. A malformed adapter is an error that names file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::{Regex, RegexSet};
use serde::Deserialize;

use crate::source_location::{Located, locate_value};

/// The adapters compiled into the binary: (name, YAML text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("sim", include_str!("../adapters/sim.yaml")),
    ("codex", include_str!("../adapters/codex.yaml")),
    ("claude", include_str!("../adapters/claude.yaml")),
    ("gemini", include_str!("../adapters/gemini.yaml")),
    ("opencode", include_str!("../adapters/opencode.yaml")),
    ("aider", include_str!("../adapters/aider.yaml")),
];

/// A loaded, validated adapter.
#[derive(Debug, Clone)]
pub struct Adapter {
    pub name: String,
    pub description: String,
    /// Where it came from: a file path, or `adapters/NAME.yaml (built in)`.
    pub origin: PathBuf,
    /// The program. `{goalie}` stands for goalie's own executable (here and in `args`).
    pub command: String,
    pub args: Vec<String>,
    /// Arguments that register `goalie mcp` with the agent for this run only
    /// (never by editing the user's config). `{goalie}`, `{goal}` and `{db}`
    /// stand for goalie's executable, the goal's id and the database path.
    /// Empty: the agent has no MCP, and claims come through the text channel only.
    pub mcp_args: Vec<String>,
    /// Arguments that register the agent's turn-complete hook for this run only
    /// (Codex `notify`, Claude Code's `Stop` hook), which runs `goalie hook
    /// turn-complete`. The same placeholders as `mcp_args`, plus `{goalie:sh}`,
    /// `{goal:sh}` and `{db:sh}`: the value as one shell word (for a hook that
    /// is a shell command line).
    pub hook_args: Vec<String>,
    /// The arguments that start the agent again in its last conversation in the
    /// working directory (`goalie resume`), instead of `args`; none if it cannot.
    pub resume_args: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    /// Variables removed from the agent's environment: the agent runs in
    /// goalie's terminal, so a `CI=true` that makes it headless must not reach it.
    pub env_remove: Vec<String>,
    pub submit: Submit,
    pub screen: ScreenRules,
    pub dialogs: Vec<Dialog>,
    pub session_log: Option<SessionLogRule>,
    pub timing: Timing,
}

/// Where the agent writes its session log, and in which format.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionLogRule {
    pub format: crate::session_log::LogFormat,
    /// Candidate folders, first that expands wins: `$VAR` from the
    /// environment (skipped when unset), `~` for the home folder.
    pub dirs: Vec<String>,
}

/// A dialog the agent may show, and what goalie does about it.
#[derive(Debug, Clone)]
pub struct Dialog {
    pub name: String,
    /// Any match on any row: this dialog is on screen.
    pub detect: RegexSet,
    pub policy: DialogPolicy,
    /// The keys that accept it.
    pub accept: String,
    /// The keys that decline it.
    pub deny: String,
}

/// What goalie does when a dialog shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DialogPolicy {
    /// Answer yes.
    Accept,
    /// Answer no.
    Deny,
    /// Type nothing: pause the goal and tell the person.
    Escalate,
}

impl DialogPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            DialogPolicy::Accept => "accept",
            DialogPolicy::Deny => "deny",
            DialogPolicy::Escalate => "escalate",
        }
    }
}

/// How text is typed into the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    /// Wrap the text in bracketed-paste markers when the agent enabled that mode.
    pub bracketed_paste: bool,
    /// Pause between the text and the Enter key (Codex drops an Enter that follows too fast).
    pub pause_ms: u64,
    /// The bytes that submit the input.
    pub enter: String,
}

/// What the agent's screen looks like in each situation.
#[derive(Debug, Clone)]
pub struct ScreenRules {
    /// Any match on any row: the agent is working.
    pub busy: RegexSet,
    /// Any match on any row: the input box is shown (necessary, not sufficient, for idle).
    pub idle: RegexSet,
    /// A row the agent prints when a turn has finished (`Worked for 12s`): a new
    /// one after goalie's prompt shows the turn ran even if no busy sign was seen.
    pub done: RegexSet,
    /// A row announcing a context compaction.
    pub compaction: RegexSet,
    /// A row announcing a usage limit.
    pub usage_limit: RegexSet,
    /// A row announcing an error of the model's API (a server error, a refused
    /// request) that ended the agent's attempt, after any retries of its own.
    pub api_error: RegexSet,
    /// A pattern whose `tokens` group is the token figure (`12,345`, `443K`, `1.2M`);
    /// groups named `tokens_…` (e.g. `tokens_sent`, `tokens_received`) are added up.
    pub tokens: Option<Regex>,
    /// The context gauge: a pattern whose `left` or `used` group is the percentage
    /// of the context window left or used (`Context 32% left`).
    pub context: Option<Regex>,
    /// The figure is each reply's own (aider's `Tokens: 2.1k sent, 50 received.`),
    /// not a running total: every such row, on screen or scrolled off, adds up.
    pub tokens_per_reply: bool,
    /// A row that starts command or file output the agent displays (Codex `└`,
    /// Claude Code `⎿`). A claim block in such output is not the agent's own
    /// (see [`crate::claim_block`]).
    pub tool_output: RegexSet,
}

/// The adapter's clocks, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long the screen must be still, with no busy indicator, for a turn to have ended.
    pub quiet_ms: u64,
    /// A turn in which no busy indicator was ever seen ends only after this much stillness.
    pub no_busy_quiet_ms: u64,
    /// How long the agent may take to show its input box at start.
    pub startup_timeout_ms: u64,
    /// A screen neither busy nor idle nor a known dialog, unchanged this long,
    /// is an unknown dialog: goalie escalates instead of typing into it.
    pub stuck_ms: u64,
}

/// A problem with an adapter.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    #[error("{0}")]
    Invalid(Located),
    #[error("cannot read adapter {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no adapter named `{name}` (built in: {known}; or give one with --adapter FILE)")]
    Unknown { name: String, known: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdapterFile {
    name: String,
    #[serde(default)]
    description: String,
    command: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    mcp_args: Vec<String>,
    #[serde(default)]
    hook_args: Vec<String>,
    resume_args: Option<Vec<String>>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    env_remove: Vec<String>,
    #[serde(default)]
    submit: SubmitFile,
    screen: ScreenFile,
    #[serde(default)]
    dialogs: Vec<DialogFile>,
    #[serde(default)]
    session_log: Option<SessionLogRule>,
    #[serde(default)]
    timing: TimingFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DialogFile {
    name: String,
    detect: Vec<String>,
    policy: DialogPolicy,
    #[serde(default = "default_accept")]
    accept: String,
    #[serde(default = "default_deny")]
    deny: String,
}

fn default_accept() -> String {
    "\r".into()
}

fn default_deny() -> String {
    "\x1b".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SubmitFile {
    bracketed_paste: bool,
    pause_ms: u64,
    enter: String,
}

impl Default for SubmitFile {
    fn default() -> Self {
        SubmitFile {
            bracketed_paste: true,
            pause_ms: 250,
            enter: "\r".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScreenFile {
    busy: Vec<String>,
    idle: Vec<String>,
    #[serde(default)]
    done: Vec<String>,
    #[serde(default)]
    compaction: Vec<String>,
    #[serde(default)]
    usage_limit: Vec<String>,
    #[serde(default)]
    api_error: Vec<String>,
    #[serde(default)]
    tokens: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    tokens_per_reply: bool,
    #[serde(default)]
    tool_output: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TimingFile {
    quiet_ms: u64,
    no_busy_quiet_ms: u64,
    startup_timeout_ms: u64,
    stuck_ms: u64,
}

impl Default for TimingFile {
    fn default() -> Self {
        TimingFile {
            quiet_ms: 1500,
            no_busy_quiet_ms: 10_000,
            startup_timeout_ms: 120_000,
            stuck_ms: 30_000,
        }
    }
}

impl Adapter {
    /// Parses and validates adapter YAML; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &Path) -> Result<Adapter, AdapterError> {
        let file: AdapterFile = serde_yaml_ng::from_str(text)
            .map_err(|err| AdapterError::Invalid(Located::from_yaml(origin, &err)))?;
        let invalid = |needle: &str, message: String| {
            AdapterError::Invalid(locate_value(origin, text, needle, message))
        };
        if file.command.trim().is_empty() {
            return Err(invalid("command:", "`command` must not be empty".into()));
        }
        if file.screen.busy.is_empty() || file.screen.idle.is_empty() {
            return Err(invalid(
                "screen:",
                "`screen.busy` and `screen.idle` each need at least one pattern".into(),
            ));
        }
        if file.submit.enter.is_empty() {
            return Err(invalid("enter:", "`submit.enter` must not be empty".into()));
        }
        if file.timing.quiet_ms == 0 {
            return Err(invalid(
                "quiet_ms:",
                "`timing.quiet_ms` must be above 0".into(),
            ));
        }
        let set = |patterns: &[String]| -> Result<RegexSet, AdapterError> {
            for pattern in patterns {
                Regex::new(pattern)
                    .map_err(|err| invalid(pattern, format!("bad pattern: {}", one_line(&err))))?;
            }
            RegexSet::new(patterns).map_err(|err| invalid("screen:", one_line(&err)))
        };
        let tokens = match &file.screen.tokens {
            None => None,
            Some(pattern) => {
                let re = Regex::new(pattern)
                    .map_err(|err| invalid(pattern, format!("bad pattern: {}", one_line(&err))))?;
                if !re.capture_names().flatten().any(is_token_group) {
                    return Err(invalid(
                        pattern,
                        "`screen.tokens` needs a named group `(?P<tokens>…)` (or `tokens_…`)"
                            .into(),
                    ));
                }
                Some(re)
            }
        };
        let context = match &file.screen.context {
            None => None,
            Some(pattern) => {
                let re = Regex::new(pattern)
                    .map_err(|err| invalid(pattern, format!("bad pattern: {}", one_line(&err))))?;
                if !re
                    .capture_names()
                    .any(|name| matches!(name, Some("left" | "used")))
                {
                    return Err(invalid(
                        pattern,
                        "`screen.context` needs a named group `(?P<left>…)` or `(?P<used>…)` (percent)"
                            .into(),
                    ));
                }
                Some(re)
            }
        };
        let mut dialogs = Vec::new();
        for dialog in &file.dialogs {
            if dialog.detect.is_empty() {
                return Err(invalid(
                    &dialog.name,
                    format!("dialog `{}` needs a `detect` pattern", dialog.name),
                ));
            }
            dialogs.push(Dialog {
                name: dialog.name.clone(),
                detect: set(&dialog.detect)?,
                policy: dialog.policy,
                accept: dialog.accept.clone(),
                deny: dialog.deny.clone(),
            });
        }
        if let Some(log) = &file.session_log
            && log.dirs.is_empty()
        {
            return Err(invalid(
                "session_log:",
                "`session_log.dirs` needs at least one folder".into(),
            ));
        }
        Ok(Adapter {
            dialogs,
            session_log: file.session_log,
            screen: ScreenRules {
                busy: set(&file.screen.busy)?,
                idle: set(&file.screen.idle)?,
                done: set(&file.screen.done)?,
                compaction: set(&file.screen.compaction)?,
                usage_limit: set(&file.screen.usage_limit)?,
                api_error: set(&file.screen.api_error)?,
                tokens,
                context,
                tokens_per_reply: file.screen.tokens_per_reply,
                tool_output: set(&file.screen.tool_output)?,
            },
            name: file.name,
            description: file.description,
            origin: origin.to_path_buf(),
            command: file.command,
            args: file.args,
            mcp_args: file.mcp_args,
            hook_args: file.hook_args,
            resume_args: file.resume_args,
            env: file.env,
            env_remove: file.env_remove,
            submit: Submit {
                bracketed_paste: file.submit.bracketed_paste,
                pause_ms: file.submit.pause_ms,
                enter: file.submit.enter,
            },
            timing: Timing {
                quiet_ms: file.timing.quiet_ms,
                no_busy_quiet_ms: file.timing.no_busy_quiet_ms.max(file.timing.quiet_ms),
                startup_timeout_ms: file.timing.startup_timeout_ms,
                stuck_ms: file.timing.stuck_ms.max(file.timing.quiet_ms),
            },
        })
    }

    /// Reads an adapter file.
    pub fn from_file(path: &Path) -> Result<Adapter, AdapterError> {
        let text = std::fs::read_to_string(path).map_err(|source| AdapterError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Adapter::from_yaml(&text, path)
    }

    /// Finds an adapter by name: the user's override in `config_dir/adapters/NAME.yaml`
    /// first, then the built-in one.
    pub fn named(name: &str, config_dir: Option<&Path>) -> Result<Adapter, AdapterError> {
        if let Some(dir) = config_dir {
            let path = dir.join("adapters").join(format!("{name}.yaml"));
            if path.is_file() {
                return Adapter::from_file(&path);
            }
        }
        match BUILTIN.iter().find(|(builtin, _)| *builtin == name) {
            Some((_, text)) => Adapter::from_yaml(
                text,
                &PathBuf::from(format!("adapters/{name}.yaml (built in)")),
            ),
            None => Err(AdapterError::Unknown {
                name: name.to_string(),
                known: BUILTIN
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The program to run, with `{goalie}` replaced by `goalie_exe`.
    pub fn program(&self, goalie_exe: &Path) -> String {
        self.command
            .replace("{goalie}", &goalie_exe.to_string_lossy())
    }

    /// The default arguments, with `{goalie}` replaced by `goalie_exe`.
    pub fn launch_args(&self, goalie_exe: &Path) -> Vec<String> {
        expand(&self.args, goalie_exe)
    }

    /// The arguments that resume the agent's conversation, if it has them:
    /// `{session_id}` stands for the id of the session to resume (from its
    /// session log); a template that needs one cannot resume without it.
    pub fn resume_launch_args(
        &self,
        goalie_exe: &Path,
        session_id: Option<&str>,
    ) -> Option<Vec<String>> {
        let args = self.resume_args.as_ref()?;
        let needs_id = args.iter().any(|arg| arg.contains("{session_id}"));
        if needs_id && session_id.is_none() {
            return None;
        }
        let args = expand(args, goalie_exe);
        Some(
            args.into_iter()
                .map(|arg| arg.replace("{session_id}", session_id.unwrap_or_default()))
                .collect(),
        )
    }
}

/// A group of the `screen.tokens` pattern whose figure counts: `tokens`, `tokens_…`.
pub fn is_token_group(name: &str) -> bool {
    name == "tokens" || name.starts_with("tokens_")
}

fn expand(args: &[String], goalie_exe: &Path) -> Vec<String> {
    let exe = goalie_exe.to_string_lossy();
    args.iter()
        .map(|arg| arg.replace("{goalie}", &exe))
        .collect()
}

impl Adapter {
    /// The arguments that register `goalie mcp` for goal `goal` in database `db`.
    /// Values are escaped for a JSON or TOML string (`\\` and `"`), since the
    /// templates put them inside one.
    pub fn mcp_launch_args(&self, goalie_exe: &Path, goal: &str, db: &Path) -> Vec<String> {
        registration(&self.mcp_args, goalie_exe, goal, db)
    }

    /// The arguments that register the turn-complete hook for goal `goal` in
    /// database `db` (escaped as for [`Adapter::mcp_launch_args`]).
    pub fn hook_launch_args(&self, goalie_exe: &Path, goal: &str, db: &Path) -> Vec<String> {
        registration(&self.hook_args, goalie_exe, goal, db)
    }
}

/// `{goalie}`, `{goal}`, `{db}` (and their `:sh` forms, one shell word each)
/// filled in, escaped for a JSON or TOML string.
fn registration(args: &[String], goalie_exe: &Path, goal: &str, db: &Path) -> Vec<String> {
    let escape = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"");
    let shell = |text: &str| escape(&format!("'{}'", text.replace('\'', "'\\''")));
    let exe = goalie_exe.to_string_lossy();
    let db = db.to_string_lossy();
    args.iter()
        .map(|arg| {
            arg.replace("{goalie:sh}", &shell(&exe))
                .replace("{goal:sh}", &shell(goal))
                .replace("{db:sh}", &shell(&db))
                .replace("{goalie}", &escape(&exe))
                .replace("{goal}", &escape(goal))
                .replace("{db}", &escape(&db))
        })
        .collect()
}

fn one_line(err: &dyn std::fmt::Display) -> String {
    err.to_string()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> PathBuf {
        PathBuf::from("my.yaml")
    }

    #[test]
    fn every_builtin_adapter_loads() {
        for (name, _) in BUILTIN {
            let adapter = Adapter::named(name, None).unwrap();
            assert_eq!(&adapter.name, name);
            assert!(adapter.origin.to_string_lossy().contains("built in"));
        }
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = Adapter::named("nope", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no adapter named `nope` (built in: sim, codex, claude, gemini, opencode, aider; or give one with --adapter FILE)"
        );
    }

    #[test]
    fn a_syntax_error_names_file_line_and_column() {
        let text = "name: x\ncommand: y\nscreen:\n  busy: [a\n  idle: [b]\n";
        let err = Adapter::from_yaml(text, &origin()).unwrap_err().to_string();
        assert!(err.starts_with("my.yaml:"), "{err}");
        let mut parts = err.splitn(4, ':');
        parts.next();
        let line: usize = parts.next().unwrap().parse().unwrap();
        let column: usize = parts.next().unwrap().parse().unwrap();
        assert!(line >= 4 && column >= 1, "{err}");
    }

    #[test]
    fn an_unknown_field_is_an_error_with_its_position() {
        let text = "name: x\ncommand: y\nscreen:\n  busy: [a]\n  idle: [b]\n  bussy: [c]\n";
        let err = Adapter::from_yaml(text, &origin()).unwrap_err().to_string();
        assert!(err.starts_with("my.yaml:6:"), "{err}");
        assert!(err.contains("unknown field `bussy`"), "{err}");
    }

    #[test]
    fn a_bad_regex_points_at_the_pattern() {
        let text = "name: x\ncommand: y\nscreen:\n  busy: ['esc to (interrupt']\n  idle: [b]\n";
        let err = Adapter::from_yaml(text, &origin()).unwrap_err().to_string();
        assert!(err.starts_with("my.yaml:4:10: bad pattern:"), "{err}");
    }

    #[test]
    fn a_tokens_pattern_needs_its_group() {
        let text =
            "name: x\ncommand: y\nscreen:\n  busy: [a]\n  idle: [b]\n  tokens: '(\\d+) used'\n";
        let err = Adapter::from_yaml(text, &origin()).unwrap_err().to_string();
        assert!(err.starts_with("my.yaml:6:"), "{err}");
        assert!(err.contains("(?P<tokens>"), "{err}");
    }

    #[test]
    fn empty_patterns_are_refused() {
        let text = "name: x\ncommand: y\nscreen:\n  busy: []\n  idle: [b]\n";
        let err = Adapter::from_yaml(text, &origin()).unwrap_err().to_string();
        assert!(err.starts_with("my.yaml:3:1:"), "{err}");
    }

    #[test]
    fn dialogs_carry_a_policy() {
        let text = "name: x\ncommand: y\nscreen:\n  busy: [a]\n  idle: [b]\ndialogs:\n  - name: trust\n    detect: ['Trust this folder']\n    policy: accept\n";
        let adapter = Adapter::from_yaml(text, &origin()).unwrap();
        assert_eq!(adapter.dialogs[0].policy, DialogPolicy::Accept);
        assert_eq!(adapter.dialogs[0].accept, "\r");
        let bad = text.replace("policy: accept", "policy: maybe");
        let err = Adapter::from_yaml(&bad, &origin()).unwrap_err().to_string();
        assert!(err.starts_with("my.yaml:9:13: "), "{err}");
        assert!(err.contains("unknown variant `maybe`"), "{err}");
    }

    #[test]
    fn codex_and_claude_register_goalie_mcp_for_the_run_only() {
        let exe = Path::new("/opt/goalie");
        let db = Path::new("/data/go\"al.db");
        let codex = Adapter::named("codex", None).unwrap();
        let args = codex.mcp_launch_args(exe, "ab12cd34", db);
        assert_eq!(
            args,
            vec![
                "-c",
                "mcp_servers.goalie.command=\"/opt/goalie\"",
                "-c",
                "mcp_servers.goalie.args=[\"mcp\", \"--goal\", \"ab12cd34\", \"--db\", \"/data/go\\\"al.db\"]",
                "-c",
                "mcp_servers.goalie.default_tools_approval_mode=\"approve\"",
            ]
        );
        let claude = Adapter::named("claude", None).unwrap();
        let args = claude.mcp_launch_args(exe, "ab12cd34", Path::new("/data/g.db"));
        let config = args
            .iter()
            .position(|a| a == "--mcp-config")
            .map(|i| &args[i + 1])
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(config).unwrap();
        assert_eq!(json["mcpServers"]["goalie"]["command"], "/opt/goalie");
        assert_eq!(
            json["mcpServers"]["goalie"]["args"],
            serde_json::json!(["mcp", "--goal", "ab12cd34", "--db", "/data/g.db"])
        );
        assert!(Adapter::named("sim", None).unwrap().mcp_args.is_empty());
    }

    #[test]
    fn codex_and_claude_register_their_turn_hook_for_the_run_only() {
        let exe = Path::new("/opt/my goalie/goalie");
        let db = Path::new("/data/it's.db");
        let codex = Adapter::named("codex", None).unwrap();
        let args = codex.hook_launch_args(exe, "ab12cd34", db);
        assert_eq!(args[0], "-c");
        let notify = args[1].strip_prefix("notify=").unwrap();
        let notify: Vec<String> = serde_json::from_str(notify).unwrap();
        assert_eq!(
            notify,
            [
                "/opt/my goalie/goalie",
                "hook",
                "turn-complete",
                "--goal",
                "ab12cd34",
                "--db",
                "/data/it's.db",
                "--source",
                "codex-notify"
            ]
        );
        let claude = Adapter::named("claude", None).unwrap();
        let args = claude.hook_launch_args(exe, "ab12cd34", db);
        assert_eq!(args[0], "--settings");
        let settings: serde_json::Value = serde_json::from_str(&args[1]).unwrap();
        assert_eq!(
            settings["hooks"]["Stop"][0]["hooks"][0]["command"],
            "'/opt/my goalie/goalie' hook turn-complete --goal 'ab12cd34' --db '/data/it'\\''s.db' --source claude-stop"
        );
        assert!(Adapter::named("sim", None).unwrap().hook_args.is_empty());
    }

    #[test]
    fn a_user_file_overrides_the_builtin() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("adapters")).unwrap();
        std::fs::write(
            dir.path().join("adapters/codex.yaml"),
            "name: codex\ncommand: my-codex\nscreen:\n  busy: [a]\n  idle: [b]\n",
        )
        .unwrap();
        let adapter = Adapter::named("codex", Some(dir.path())).unwrap();
        assert_eq!(adapter.command, "my-codex");
        assert_eq!(adapter.submit.pause_ms, 250);
    }

    #[test]
    fn resume_args_are_optional() {
        let exe = Path::new("/bin/goalie");
        let sim = Adapter::named("sim", None).unwrap();
        assert_eq!(sim.resume_launch_args(exe, Some("x")), None);
        let claude = Adapter::named("claude", None).unwrap();
        assert_eq!(
            claude.resume_launch_args(exe, None),
            None,
            "no session, no resume"
        );
        assert_eq!(
            claude.resume_launch_args(exe, Some("e98f3d61-ac2c-4c1f-87cc-15ac176ec389")),
            Some(vec![
                "--resume".to_string(),
                "e98f3d61-ac2c-4c1f-87cc-15ac176ec389".to_string()
            ])
        );
        let codex = Adapter::named("codex", None).unwrap();
        assert_eq!(
            codex.resume_launch_args(exe, Some("01a1fe14")),
            Some(vec![
                "resume".into(),
                "--no-daemon".into(),
                "01a1fe14".into()
            ])
        );
        let text = "name: x\ncommand: y\nresume_args: ['{goalie}', resume]\nscreen:\n  busy: [a]\n  idle: [b]\n";
        let adapter = Adapter::from_yaml(text, &origin()).unwrap();
        assert_eq!(
            adapter.resume_launch_args(exe, None),
            Some(vec!["/bin/goalie".to_string(), "resume".to_string()])
        );
    }
}
