//! Agent adapters: how to launch an agent CLI, type into it and read its screen.
//!
//! Adapters are data (`adapters/*.yaml`). The built-in ones are compiled into the
//! binary; a file of the same name in the user's config dir, or `--adapter FILE`,
//! overrides them. A malformed adapter is an error that names file, line and column.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use regex::{Regex, RegexSet};
use serde::Deserialize;

use crate::agent::home::{AgentHome, HomeError, HomeRule, Settled, io};
use crate::core::config::{DialogPolicy, Timing};
use crate::core::observer::Observer;
use crate::core::screen_rules::{ScreenRules, is_token_group};
use crate::goal::source_location::{Located, locate_value};

/// The adapters compiled into the binary: (name, YAML text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("sim", include_str!("../../adapters/sim.yaml")),
    ("codex", include_str!("../../adapters/codex.yaml")),
    ("claude", include_str!("../../adapters/claude.yaml")),
    ("gemini", include_str!("../../adapters/gemini.yaml")),
    ("opencode", include_str!("../../adapters/opencode.yaml")),
    ("aider", include_str!("../../adapters/aider.yaml")),
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
    /// Empty (and no `mcp_env` or `mcp_home`): the agent has no MCP, and
    /// claims come through the text channel only.
    pub mcp_args: Vec<String>,
    /// Variables that register `goalie mcp` for this run only (opencode's
    /// `OPENCODE_CONFIG_CONTENT`), with the placeholders of `mcp_args`.
    pub mcp_env: BTreeMap<String, String>,
    /// Variables of `mcp_env` whose value (a JSON object) is merged into the
    /// person's own value of that variable, when they have one, instead of
    /// replacing it (opencode's `OPENCODE_CONFIG_CONTENT`).
    pub mcp_env_merge: Vec<String>,
    /// Files goalie writes for the run, by name, into a private directory that
    /// is removed when the run ends: `{file:NAME}` in `mcp_args`, `mcp_env` or
    /// another file stands for that file's path. Their text has the placeholders
    /// of `mcp_args` too.
    pub mcp_files: BTreeMap<String, String>,
    /// A home of the agent's own for the run, whose settings file registers
    /// `goalie mcp` (gemini-cli; see [`crate::agent::home`]).
    pub mcp_home: Option<HomeRule>,
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
    pub format: crate::agent::session_log::LogFormat,
    /// Candidate folders, first that expands wins: `$VAR` from the
    /// environment (skipped when unset), `~` for the home folder.
    pub dirs: Vec<String>,
    /// The model's context window in tokens, when the log says how many
    /// tokens the context holds but not the window (Claude Code's transcript):
    /// the share `--rotate-at` reads.
    #[serde(default)]
    pub context_window: Option<u64>,
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
    mcp_env: BTreeMap<String, String>,
    #[serde(default)]
    mcp_env_merge: Vec<String>,
    #[serde(default)]
    mcp_files: BTreeMap<String, String>,
    #[serde(default)]
    mcp_home: Option<HomeRule>,
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
    usage_limit_reset: Option<String>,
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
        // An optional pattern that must have the named groups `has_groups` wants.
        let grouped = |pattern: &Option<String>,
                       has_groups: &dyn Fn(&Regex) -> bool,
                       needs: &str|
         -> Result<Option<Regex>, AdapterError> {
            let Some(pattern) = pattern else {
                return Ok(None);
            };
            let re = Regex::new(pattern)
                .map_err(|err| invalid(pattern, format!("bad pattern: {}", one_line(&err))))?;
            if !has_groups(&re) {
                return Err(invalid(pattern, needs.to_string()));
            }
            Ok(Some(re))
        };
        let tokens = grouped(
            &file.screen.tokens,
            &|re| re.capture_names().flatten().any(is_token_group),
            "`screen.tokens` needs a named group `(?P<tokens>…)` (or `tokens_…`)",
        )?;
        let usage_limit_reset = grouped(
            &file.screen.usage_limit_reset,
            &crate::core::usage_reset::pattern_is_usable,
            "`screen.usage_limit_reset` needs a group `(?P<hour>…)` (with `minute`, `ampm`) or `(?P<in_minutes>…)` (`in_hours`, `in_seconds`)",
        )?;
        let context = grouped(
            &file.screen.context,
            &|re| {
                re.capture_names()
                    .any(|name| matches!(name, Some("left" | "used")))
            },
            "`screen.context` needs a named group `(?P<left>…)` or `(?P<used>…)` (percent)",
        )?;
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
        for name in file.mcp_files.keys() {
            if !is_plain_name(name) {
                return Err(invalid(
                    &format!("{name}:"),
                    format!("`mcp_files`: `{name}` must be a plain file name"),
                ));
            }
        }
        for name in &file.mcp_env_merge {
            let is_object = file.mcp_env.get(name).is_some_and(|value| {
                serde_json::from_str::<serde_json::Value>(value).is_ok_and(|v| v.is_object())
            });
            if !is_object {
                return Err(invalid(
                    "mcp_env_merge:",
                    format!(
                        "`mcp_env_merge`: `{name}` must be a variable of `mcp_env` whose value is a JSON object"
                    ),
                ));
            }
        }
        if let Some(home) = &file.mcp_home {
            if home.var.is_empty()
                || !home
                    .var
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(invalid(
                    "var:",
                    "`mcp_home.var` must be the name of a variable".into(),
                ));
            }
            for (key, name) in [("dir:", &home.dir), ("settings:", &home.settings)] {
                if !is_plain_name(name) {
                    return Err(invalid(
                        key,
                        format!(
                            "`mcp_home.{}` must be a plain file name",
                            key.trim_end_matches(':')
                        ),
                    ));
                }
            }
            if let Some(path) = home
                .extend
                .keys()
                .find(|path| path.split('.').any(str::is_empty))
            {
                return Err(invalid(
                    &format!("{path}:"),
                    format!("`mcp_home.extend`: `{path}` must be a dotted path of keys"),
                ));
            }
            if !serde_json::from_str::<serde_json::Value>(&home.merge)
                .is_ok_and(|value| value.is_object())
            {
                return Err(invalid(
                    "merge:",
                    "`mcp_home.merge` must be a JSON object".into(),
                ));
            }
        }
        let templates = file
            .mcp_args
            .iter()
            .chain(file.mcp_env.values())
            .chain(file.mcp_files.values())
            .chain(file.mcp_home.as_ref().map(|home| &home.merge));
        for template in templates {
            for name in file_references(template) {
                if !file.mcp_files.contains_key(name) {
                    return Err(invalid(
                        &format!("{{file:{name}}}"),
                        format!("`{{file:{name}}}` names no file in `mcp_files`"),
                    ));
                }
            }
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
                usage_limit_reset,
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
            mcp_env: file.mcp_env,
            mcp_env_merge: file.mcp_env_merge,
            mcp_files: file.mcp_files,
            mcp_home: file.mcp_home,
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

fn expand(args: &[String], goalie_exe: &Path) -> Vec<String> {
    let exe = goalie_exe.to_string_lossy();
    args.iter()
        .map(|arg| arg.replace("{goalie}", &exe))
        .collect()
}

impl Adapter {
    /// Answers the dialog named `name` by `policy` for this run (`--dialog
    /// NAME=POLICY`). An unknown name is an error listing the adapter's dialogs.
    pub fn set_dialog_policy(&mut self, name: &str, policy: DialogPolicy) -> Result<(), String> {
        if let Some(dialog) = self.dialogs.iter_mut().find(|d| d.name == name) {
            dialog.policy = policy;
            return Ok(());
        }
        match self.dialogs.is_empty() {
            true => Err(format!(
                "the {} adapter has no dialogs, so there is no dialog `{name}`",
                self.name
            )),
            false => Err(format!(
                "the {} adapter has no dialog `{name}` (its dialogs: {})",
                self.name,
                self.dialogs
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Whether the agent gets `goalie mcp` (its claims can come through MCP).
    pub fn has_mcp(&self) -> bool {
        !self.mcp_args.is_empty() || !self.mcp_env.is_empty() || self.mcp_home.is_some()
    }

    /// Registers `goalie mcp` for goal `goal` in database `db`, for one run:
    /// writes the `mcp_files` (and makes the `mcp_home`) in a new private
    /// directory in `parent` (mode 0700, files 0600) and fills in the
    /// arguments and variables. `env` reads goalie's environment (for the
    /// person's home). The directory is removed, the home settled first, when
    /// the registration is dropped. A directory a killed goalie left for the
    /// same goal is settled and removed first.
    pub fn register_mcp(
        &self,
        goalie_exe: &Path,
        goal: &str,
        db: &Path,
        parent: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<McpRegistration, HomeError> {
        let prefix = format!("{goal}-mcp-");
        sweep_left_behind(parent, &prefix);
        let mut dir = None;
        let mut files = BTreeMap::new();
        if !self.mcp_files.is_empty() || self.mcp_home.is_some() {
            let made = tempfile::Builder::new()
                .prefix(&prefix)
                .tempdir_in(parent)
                .map_err(io("cannot create a private folder in", parent))?;
            std::fs::set_permissions(made.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(io("cannot set the mode of", made.path()))?;
            for name in self.mcp_files.keys() {
                files.insert(name.clone(), made.path().join(name));
            }
            dir = Some(made);
        }
        let values = RunValues {
            goalie_exe,
            goal,
            db,
            files: &files,
        };
        for (name, text) in &self.mcp_files {
            let path = &files[name];
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .and_then(|mut file| file.write_all(fill(text, &values).as_bytes()))
                .map_err(io("cannot write", path))?;
        }
        let mut vars = BTreeMap::new();
        for (name, value) in &self.mcp_env {
            let mut value = fill(value, &values);
            if self.mcp_env_merge.contains(name)
                && let Some(theirs) = self.lookup(name, env)
            {
                value = merged_variable(name, &theirs, &value)?;
            }
            vars.insert(name.clone(), value);
        }
        let mut home = None;
        if let (Some(rule), Some(dir)) = (&self.mcp_home, &dir) {
            let real_home = self.real_home(rule, env)?;
            // Valid JSON with its placeholders filled in JSON-escaped (checked at load).
            let merge = serde_json::from_str(&fill(&rule.merge, &values))
                .unwrap_or_else(|_| serde_json::json!({}));
            let root = dir.path().join("home");
            std::fs::create_dir(&root).map_err(io("cannot create", &root))?;
            let made = AgentHome::create(rule, &real_home, &root, &merge, goal)?;
            vars.insert(rule.var.clone(), made.path().to_string_lossy().into_owned());
            home = Some(made);
        }
        Ok(McpRegistration {
            args: self.mcp_args.iter().map(|arg| fill(arg, &values)).collect(),
            env: vars,
            home,
            dir,
        })
    }

    /// Checks, before anything is written, that `goalie mcp` can be
    /// registered: the person's values of the `mcp_env_merge` variables and
    /// the settings file of the private home (if any) read as JSON objects.
    pub fn check_mcp_registration(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), HomeError> {
        for name in &self.mcp_env_merge {
            if let Some(theirs) = self.lookup(name, env) {
                merged_variable(name, &theirs, "{}")?;
            }
        }
        match &self.mcp_home {
            Some(rule) => crate::agent::home::check_settings(rule, &self.real_home(rule, env)?),
            None => Ok(()),
        }
    }

    /// A variable of the agent's environment: the adapter's `env`, else
    /// `env` (goalie's own); empty counts as unset.
    fn lookup(&self, name: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        self.env
            .get(name)
            .cloned()
            .or_else(|| env(name))
            .filter(|value| !value.is_empty())
    }

    /// The person's own home for the agent: the rule's variable (the
    /// adapter's `env`, else `env`), else `HOME`.
    fn real_home(
        &self,
        rule: &HomeRule,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<PathBuf, HomeError> {
        self.lookup(&rule.var, env)
            .or_else(|| self.lookup("HOME", env))
            .map(PathBuf::from)
            .or_else(dirs::home_dir)
            .ok_or_else(|| HomeError::Io {
                context: "cannot find the home folder for",
                path: PathBuf::from(&rule.var),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "HOME is not set"),
            })
    }

    /// The arguments that register the turn-complete hook for goal `goal` in
    /// database `db` (escaped as for `mcp_args`).
    pub fn hook_launch_args(&self, goalie_exe: &Path, goal: &str, db: &Path) -> Vec<String> {
        let values = RunValues {
            goalie_exe,
            goal,
            db,
            files: &BTreeMap::new(),
        };
        self.hook_args
            .iter()
            .map(|arg| fill(arg, &values))
            .collect()
    }
}

impl Observer {
    /// An observer with the adapter's screen rules and dialogs. It is defined
    /// here, with the adapter, so that the core never names the adapter.
    pub fn for_adapter(adapter: &Adapter) -> Observer {
        let dialogs = adapter.dialogs.iter().map(|d| d.detect.clone()).collect();
        Observer::with_dialogs(adapter.screen.clone(), dialogs)
    }
}

/// `goalie mcp` registered with the agent for one run (see
/// [`Adapter::register_mcp`]).
#[derive(Debug)]
pub struct McpRegistration {
    /// Arguments for the agent's command line.
    pub args: Vec<String>,
    /// Variables for the agent's environment.
    pub env: BTreeMap<String, String>,
    /// The agent's private home, settled on drop (before `dir` is removed).
    home: Option<AgentHome>,
    /// The private directory of the registration's files; removed on drop.
    dir: Option<tempfile::TempDir>,
}

impl McpRegistration {
    /// Ends the registration now: settles the agent's private home (what
    /// that did, when it has one) and removes the private directory.
    pub fn finish(mut self) -> Option<Settled> {
        self.settle_home()
    }

    /// Settles the home; when something could not be moved back, the
    /// private directory is kept (with it) instead of removed.
    fn settle_home(&mut self) -> Option<Settled> {
        let settled = self.home.take()?.settle();
        if !settled.failed.is_empty()
            && let Some(dir) = self.dir.take()
        {
            let _ = dir.keep();
        }
        Some(settled)
    }

    /// The private directory holding the registration's files, if it has any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(tempfile::TempDir::path)
    }
}

/// The person's value of variable `name` (a JSON object) with goalie's
/// `ours` merged in.
fn merged_variable(name: &str, theirs: &str, ours: &str) -> Result<String, HomeError> {
    let mut value: serde_json::Value =
        serde_json::from_str(theirs).map_err(|err| HomeError::Variable {
            name: name.to_string(),
            message: err.to_string(),
        })?;
    if !value.is_object() {
        return Err(HomeError::Variable {
            name: name.to_string(),
            message: "not an object".into(),
        });
    }
    let ours: serde_json::Value = serde_json::from_str(ours).unwrap_or_default();
    crate::agent::home::merge_into(&mut value, &ours);
    Ok(value.to_string())
}

/// Settles and removes the private directories named `prefix…` in `parent`
/// that a killed goalie left behind.
fn sweep_left_behind(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(prefix));
        // Kept when part of the agent's writes could not be moved back.
        if ours
            && crate::agent::home::settle_dir(&entry.path().join("home"))
                .failed
                .is_empty()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for McpRegistration {
    fn drop(&mut self) {
        self.settle_home();
    }
}

/// What the placeholders stand for in one run.
struct RunValues<'a> {
    goalie_exe: &'a Path,
    goal: &'a str,
    db: &'a Path,
    /// The paths of the `mcp_files`, by name.
    files: &'a BTreeMap<String, PathBuf>,
}

impl RunValues<'_> {
    /// The text for the placeholder `{name}`, if `name` is one: `goalie`,
    /// `goal`, `db` and `file:NAME` escaped for a JSON or TOML string; `goalie:sh`,
    /// `goal:sh`, `db:sh` as one shell word, then escaped the same way.
    fn value(&self, name: &str) -> Option<String> {
        let exe = self.goalie_exe.to_string_lossy();
        let db = self.db.to_string_lossy();
        let shell = |text: &str| escape(&format!("'{}'", text.replace('\'', "'\\''")));
        Some(match name {
            "goalie" => escape(&exe),
            "goal" => escape(self.goal),
            "db" => escape(&db),
            "goalie:sh" => shell(&exe),
            "goal:sh" => shell(self.goal),
            "db:sh" => shell(&db),
            _ => escape(
                &self
                    .files
                    .get(name.strip_prefix("file:")?)?
                    .to_string_lossy(),
            ),
        })
    }
}

/// `template` with its placeholders filled in, in one pass (a value that
/// happens to contain `{goal}` stays as it is); other braces are kept.
fn fill(template: &str, values: &RunValues) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let filled = after
            .find('}')
            .and_then(|close| Some((close, values.value(&after[..close])?)));
        match filled {
            Some((close, value)) => {
                out.push_str(&value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` escaped for the inside of a JSON or TOML string: backslash, quote,
/// and control characters as `\uXXXX`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() && (c as u32) < 0x80 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// A file name with no folder in it (not `.`, `..` or empty).
fn is_plain_name(name: &str) -> bool {
    !(name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']))
}

/// The names `NAME` of the `{file:NAME}` placeholders in `template`.
fn file_references(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find("{file:") {
        let after = &rest[at + "{file:".len()..];
        match after.find('}') {
            Some(close) => {
                names.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    names
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
    fn a_dialog_policy_can_be_changed_for_a_run() {
        let mut gemini = Adapter::named("gemini", None).unwrap();
        gemini
            .set_dialog_policy("tool-permission", DialogPolicy::Accept)
            .unwrap();
        let dialog = gemini.dialogs.iter().find(|d| d.name == "tool-permission");
        assert_eq!(dialog.unwrap().policy, DialogPolicy::Accept);
        assert_eq!(
            gemini
                .set_dialog_policy("nope", DialogPolicy::Deny)
                .unwrap_err(),
            "the gemini adapter has no dialog `nope` (its dialogs: trust-folder, tool-permission, usage-limit)"
        );
        let mut sim = Adapter::named("sim", None).unwrap();
        assert_eq!(
            sim.set_dialog_policy("x", DialogPolicy::Deny).unwrap_err(),
            "the sim adapter has no dialogs, so there is no dialog `x`"
        );
        assert_eq!(DialogPolicy::parse("deny"), Some(DialogPolicy::Deny));
        assert_eq!(DialogPolicy::parse("Deny"), None);
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
        let parent = tempfile::tempdir().unwrap();
        let codex = Adapter::named("codex", None).unwrap();
        assert!(codex.has_mcp());
        let mcp = codex
            .register_mcp(exe, "ab12cd34", db, parent.path(), &|_| None)
            .unwrap();
        assert_eq!(
            mcp.args,
            vec![
                "-c",
                "mcp_servers.goalie.command=\"/opt/goalie\"",
                "-c",
                "mcp_servers.goalie.args=[\"mcp\", \"--goal\", \"ab12cd34\", \"--db\", \"/data/go\\\"al.db\"]",
                "-c",
                "mcp_servers.goalie.default_tools_approval_mode=\"approve\"",
            ]
        );
        assert!(mcp.env.is_empty() && mcp.dir().is_none());
        let claude = Adapter::named("claude", None).unwrap();
        let mcp = claude
            .register_mcp(
                exe,
                "ab12cd34",
                Path::new("/data/g.db"),
                parent.path(),
                &|_| None,
            )
            .unwrap();
        let args = mcp.args.clone();
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
        let sim = Adapter::named("sim", None).unwrap();
        assert!(!sim.has_mcp());
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
    }

    /// The goalie, goal and database of a run whose paths hold quotes,
    /// backslashes, a newline and a brace placeholder's look-alike.
    fn awkward_run() -> (PathBuf, &'static str, PathBuf) {
        (
            PathBuf::from("/opt/my \"goalie\"\\{goal}/goalie"),
            "ab12cd34",
            PathBuf::from("/data/it's\\a\n\"db\".db"),
        )
    }

    #[test]
    fn mcp_env_and_files_are_filled_escaped_and_private() {
        use std::os::unix::fs::MetadataExt;
        let text = r#"name: x
command: y
mcp_args: [--settings, '{file:settings.json}']
mcp_env:
  AGENT_CONFIG: '{"servers":{"goalie":{"command":"{goalie}","args":["mcp","--goal","{goal}","--db","{db}"]}}}'
  AGENT_SETTINGS: '{file:settings.json}'
mcp_files:
  settings.json: '{"goalie":{"command":"{goalie}","db":"{db}","self":"{file:settings.json}","sh":"{db:sh}"}}'
screen:
  busy: [a]
  idle: [b]
"#;
        let adapter = Adapter::from_yaml(text, &origin()).unwrap();
        assert!(adapter.has_mcp());
        let (exe, goal, db) = awkward_run();
        // A parent whose own name needs escaping too.
        let tmp = tempfile::tempdir().unwrap();
        let parent = tmp.path().join("run \"x\"\\y");
        std::fs::create_dir(&parent).unwrap();
        let mcp = adapter
            .register_mcp(&exe, goal, &db, &parent, &|_| None)
            .unwrap();
        let dir = mcp.dir().unwrap().to_path_buf();
        assert!(dir.starts_with(&parent));
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        let file = dir.join("settings.json");
        assert_eq!(std::fs::metadata(&file).unwrap().mode() & 0o777, 0o600);

        // The path placeholder is the plain path in an argument and a variable
        // as far as JSON goes: each parses back to the path.
        let as_json =
            |text: &str| -> String { serde_json::from_str(&format!("\"{text}\"")).unwrap() };
        assert_eq!(mcp.args[0], "--settings");
        assert_eq!(as_json(&mcp.args[1]), file.to_string_lossy());
        assert_eq!(as_json(&mcp.env["AGENT_SETTINGS"]), file.to_string_lossy());

        let config: serde_json::Value = serde_json::from_str(&mcp.env["AGENT_CONFIG"]).unwrap();
        let server = &config["servers"]["goalie"];
        assert_eq!(server["command"], exe.to_string_lossy().as_ref());
        assert_eq!(
            server["args"],
            serde_json::json!(["mcp", "--goal", goal, "--db", db.to_string_lossy()])
        );

        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(written["goalie"]["command"], exe.to_string_lossy().as_ref());
        assert_eq!(written["goalie"]["db"], db.to_string_lossy().as_ref());
        assert_eq!(written["goalie"]["self"], file.to_string_lossy().as_ref());
        assert_eq!(
            written["goalie"]["sh"], "'/data/it'\\''s\\a\n\"db\".db'",
            "one shell word"
        );

        drop(mcp);
        assert!(!dir.exists(), "the private directory goes with the run");
        assert_eq!(std::fs::read_dir(&parent).unwrap().count(), 0);
    }

    #[test]
    fn gemini_gets_a_private_home_whose_settings_register_goalie() {
        let gemini = Adapter::named("gemini", None).unwrap();
        assert!(gemini.has_mcp());
        let (exe, goal, db) = awkward_run();
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("home");
        std::fs::create_dir_all(real.join(".gemini")).unwrap();
        std::fs::write(
            real.join(".gemini/settings.json"),
            r#"{"ui":{"theme":"x"}}"#,
        )
        .unwrap();
        let parent = tmp.path().join("run");
        std::fs::create_dir(&parent).unwrap();
        // A directory a killed goalie left for this goal is cleared first.
        std::fs::create_dir(parent.join(format!("{goal}-mcp-old"))).unwrap();
        let home_var = real.to_string_lossy().into_owned();
        let env = move |name: &str| (name == "HOME").then(|| home_var.clone());
        let mcp = gemini.register_mcp(&exe, goal, &db, &parent, &env).unwrap();
        assert!(!parent.join(format!("{goal}-mcp-old")).exists());
        let home = PathBuf::from(&mcp.env["GEMINI_CLI_HOME"]);
        assert!(home.starts_with(mcp.dir().unwrap()));
        let settings: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(home.join(".gemini/settings.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(settings["ui"]["theme"], "x");
        let server = &settings["mcpServers"]["goalie"];
        assert_eq!(server["command"], exe.to_string_lossy().as_ref());
        assert_eq!(
            server["args"],
            serde_json::json!(["mcp", "--goal", goal, "--db", db.to_string_lossy()])
        );
        assert_eq!(server["trust"], true);
        assert!(mcp.finish().unwrap().is_empty());
        assert_eq!(std::fs::read_dir(&parent).unwrap().count(), 0);
        assert_eq!(
            std::fs::read_to_string(real.join(".gemini/settings.json")).unwrap(),
            r#"{"ui":{"theme":"x"}}"#
        );

        // GEMINI_CLI_HOME of the person's own is their home.
        let own = tmp.path().join("own");
        std::fs::create_dir(&own).unwrap();
        let own_var = own.to_string_lossy().into_owned();
        let env = move |name: &str| (name == "GEMINI_CLI_HOME").then(|| own_var.clone());
        let mcp = gemini.register_mcp(&exe, goal, &db, &parent, &env).unwrap();
        assert_ne!(PathBuf::from(&mcp.env["GEMINI_CLI_HOME"]), own);
        assert!(own.join(".gemini").is_dir());
    }

    #[test]
    fn opencode_adds_its_registration_to_the_persons_inline_config() {
        let opencode = Adapter::named("opencode", None).unwrap();
        let (exe, goal, db) = awkward_run();
        let parent = tempfile::tempdir().unwrap();
        let theirs = r#"{"model":"mine/m","permission":{"bash":"ask"},"mcp":{"theirs":{"type":"local","command":["x"]}}}"#;
        let env = |name: &str| (name == "OPENCODE_CONFIG_CONTENT").then(|| theirs.to_string());
        let mcp = opencode
            .register_mcp(&exe, goal, &db, parent.path(), &env)
            .unwrap();
        let config: serde_json::Value =
            serde_json::from_str(&mcp.env["OPENCODE_CONFIG_CONTENT"]).unwrap();
        assert_eq!(config["model"], "mine/m");
        assert_eq!(config["permission"]["bash"], "ask");
        assert_eq!(config["permission"]["goalie_update_goal"], "allow");
        assert_eq!(config["mcp"]["theirs"]["command"], serde_json::json!(["x"]));
        assert_eq!(
            config["mcp"]["goalie"]["command"][0],
            exe.to_string_lossy().as_ref()
        );
        // Without one of theirs, goalie's alone.
        let mcp = opencode
            .register_mcp(&exe, goal, &db, parent.path(), &|_| None)
            .unwrap();
        let config: serde_json::Value =
            serde_json::from_str(&mcp.env["OPENCODE_CONFIG_CONTENT"]).unwrap();
        assert_eq!(
            config.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["mcp", "permission"]
        );
        // One that is not a JSON object is an error, not silently replaced.
        let env = |name: &str| (name == "OPENCODE_CONFIG_CONTENT").then(|| "{model:".to_string());
        let err = opencode
            .register_mcp(&exe, goal, &db, parent.path(), &env)
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "OPENCODE_CONFIG_CONTENT is set but is not a JSON object goalie can add its server to (key must be a string"
            ),
            "{err}"
        );
        let bad = "name: x\ncommand: y\nmcp_env:\n  A: '[1]'\nmcp_env_merge: [A]\nscreen:\n  busy: [a]\n  idle: [b]\n";
        assert_eq!(
            Adapter::from_yaml(bad, &origin()).unwrap_err().to_string(),
            "my.yaml:5:1: `mcp_env_merge`: `A` must be a variable of `mcp_env` whose value is a JSON object"
        );
    }

    #[test]
    fn a_usage_limit_reset_pattern_names_a_time_or_a_delay() {
        let text = |pattern: &str| {
            format!(
                "name: x\ncommand: y\nscreen:\n  busy: [a]\n  idle: [b]\n  usage_limit_reset: '{pattern}'\n"
            )
        };
        assert!(Adapter::from_yaml(&text("at (?P<hour>\\d+)"), &origin()).is_ok());
        assert!(Adapter::from_yaml(&text("in (?P<in_minutes>\\d+)"), &origin()).is_ok());
        let err = Adapter::from_yaml(&text("at (\\d+)"), &origin())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "my.yaml:6:22: `screen.usage_limit_reset` needs a group `(?P<hour>…)` (with `minute`, `ampm`) or `(?P<in_minutes>…)` (`in_hours`, `in_seconds`)"
        );
    }

    #[test]
    fn a_bad_mcp_home_is_an_error_at_its_place() {
        let adapter = |home: &str| {
            let text = format!(
                "name: x\ncommand: y\nmcp_home:\n{home}screen:\n  busy: [a]\n  idle: [b]\n"
            );
            Adapter::from_yaml(&text, &origin())
                .map(|_| ())
                .map_err(|err| err.to_string())
        };
        let good = "  var: X_HOME\n  dir: .x\n  settings: s.json\n  merge: '{\"a\":\"{goal}\"}'\n";
        assert_eq!(adapter(good), Ok(()));
        assert_eq!(
            adapter(&good.replace("'{\"a\":\"{goal}\"}'", "'[1]'")),
            Err("my.yaml:7:3: `mcp_home.merge` must be a JSON object".into())
        );
        assert_eq!(
            adapter(&good.replace(".x", "a/b")),
            Err("my.yaml:5:3: `mcp_home.dir` must be a plain file name".into())
        );
        assert_eq!(
            adapter(&good.replace("X_HOME", "X-HOME")),
            Err("my.yaml:4:3: `mcp_home.var` must be the name of a variable".into())
        );
        assert_eq!(
            adapter(&good.replace("{goal}", "{file:f}")),
            Err("my.yaml:7:16: `{file:f}` names no file in `mcp_files`".into())
        );
        assert_eq!(
            adapter(&format!("{good}  extend:\n    mcp..allowed: [goalie]\n")),
            Err(
                "my.yaml:9:5: `mcp_home.extend`: `mcp..allowed` must be a dotted path of keys"
                    .into()
            )
        );
        assert!(
            adapter("  var: X\n").unwrap_err().starts_with("my.yaml:"),
            "a missing field is an error too"
        );
    }

    #[test]
    fn a_file_placeholder_must_name_a_file() {
        let text = "name: x\ncommand: y\nmcp_env:\n  CONF: '{file:conf.json}'\nmcp_files:\n  other.json: '{}'\nscreen:\n  busy: [a]\n  idle: [b]\n";
        let err = Adapter::from_yaml(text, &origin()).unwrap_err().to_string();
        assert_eq!(
            err,
            "my.yaml:4:9: `{file:conf.json}` names no file in `mcp_files`"
        );
        let args = "name: x\ncommand: y\nmcp_args: [--config, '{file:c.json}']\nscreen:\n  busy: [a]\n  idle: [b]\n";
        let err = Adapter::from_yaml(args, &origin()).unwrap_err().to_string();
        assert!(err.starts_with("my.yaml:3:22: "), "{err}");
        let bad_name = "name: x\ncommand: y\nmcp_files:\n  ../escape.json: '{}'\nscreen:\n  busy: [a]\n  idle: [b]\n";
        let err = Adapter::from_yaml(bad_name, &origin())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "my.yaml:4:3: `mcp_files`: `../escape.json` must be a plain file name"
        );
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
