//! Loading adapters: the YAML file's shape, its checks (each error names
//! file, line and column), and finding an adapter by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::{Regex, RegexSet};
use serde::Deserialize;

use super::model::{Adapter, AdapterError, BUILTIN, Dialog, SessionLogRule, Submit};
use crate::agent::home::HomeRule;
use crate::core::config::{DialogPolicy, Timing};
use crate::core::screen_rules::{ScreenRules, is_token_group};
use crate::goal::source_location::{Located, locate_value};

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
    prompt_args: Option<Vec<String>>,
    #[serde(default)]
    interrupt: Vec<String>,
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
    taken: Vec<String>,
    mcp_tools_ms: u64,
    mcp_settle_ms: u64,
    #[serde(deserialize_with = "crate::goal::yaml_input::text_only")]
    enter: String,
}

impl Default for SubmitFile {
    fn default() -> Self {
        SubmitFile {
            bracketed_paste: true,
            pause_ms: 250,
            taken: Vec::new(),
            mcp_tools_ms: 0,
            mcp_settle_ms: 0,
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
    /// Absent: the start screen is not known (the first prompt waits for the
    /// quiet window); a list, even an empty one: it is.
    #[serde(default)]
    starting: Option<Vec<String>>,
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
        crate::goal::yaml_input::check_nesting(origin, text).map_err(AdapterError::Invalid)?;
        let file: AdapterFile = serde_yaml_ng::from_str(text)
            .map_err(|err| AdapterError::Invalid(Located::from_yaml(origin, &err)))?;
        let check = Check { origin, text };
        check.required(&file)?;
        let grouped = check.grouped_patterns(&file.screen)?;
        let dialogs = check.dialogs(&file.dialogs)?;
        check.mcp(&file)?;
        check.prompt_args(file.prompt_args.as_deref())?;
        if let Some(log) = &file.session_log
            && log.dirs.is_empty()
        {
            return Err(check.invalid(
                "session_log:",
                "`session_log.dirs` needs at least one folder".into(),
            ));
        }
        let screen = check.screen_rules(&file.screen, grouped)?;
        let taken = if file.submit.taken.is_empty() {
            None
        } else {
            Some(check.set(&file.submit.taken)?)
        };
        Ok(Adapter {
            dialogs,
            session_log: file.session_log,
            screen,
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
            prompt_args: file.prompt_args,
            interrupt: file.interrupt,
            env: file.env,
            env_remove: file.env_remove,
            submit: Submit {
                bracketed_paste: file.submit.bracketed_paste,
                pause_ms: file.submit.pause_ms,
                taken,
                mcp_tools_ms: file.submit.mcp_tools_ms,
                mcp_settle_ms: file.submit.mcp_settle_ms,
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
        let bytes = std::fs::read(path).map_err(|source| AdapterError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = crate::goal::yaml_input::text_of(path, &bytes).map_err(AdapterError::Invalid)?;
        Adapter::from_yaml(text, path)
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
}

/// The checks of one adapter file, in the order its errors are reported;
/// each error points at its place in the text.
struct Check<'a> {
    origin: &'a Path,
    text: &'a str,
}

/// The optional screen patterns that must have certain named groups.
struct GroupedPatterns {
    tokens: Option<Regex>,
    usage_limit_reset: Option<Regex>,
    context: Option<Regex>,
}

impl Check<'_> {
    /// An error at the first place `needle` appears in the file.
    fn invalid(&self, needle: &str, message: String) -> AdapterError {
        AdapterError::Invalid(locate_value(self.origin, self.text, needle, message))
    }

    /// `prompt_args`, when given, name `{prompt}` exactly once.
    fn prompt_args(&self, args: Option<&[String]>) -> Result<(), AdapterError> {
        let Some(args) = args else {
            return Ok(());
        };
        let uses: usize = args.iter().map(|arg| arg.matches("{prompt}").count()).sum();
        if uses != 1 {
            return Err(self.invalid(
                "prompt_args:",
                format!(
                    "`prompt_args` must name `{{prompt}}` exactly once (it names it {uses} times)"
                ),
            ));
        }
        Ok(())
    }

    /// The fields that must not be empty or zero.
    fn required(&self, file: &AdapterFile) -> Result<(), AdapterError> {
        if file.command.trim().is_empty() {
            return Err(self.invalid("command:", "`command` must not be empty".into()));
        }
        if file.screen.busy.is_empty() || file.screen.idle.is_empty() {
            return Err(self.invalid(
                "screen:",
                "`screen.busy` and `screen.idle` each need at least one pattern".into(),
            ));
        }
        if file.submit.enter.is_empty() {
            return Err(self.invalid("enter:", "`submit.enter` must not be empty".into()));
        }
        if file.timing.quiet_ms == 0 {
            return Err(self.invalid("quiet_ms:", "`timing.quiet_ms` must be above 0".into()));
        }
        if file.timing.startup_timeout_ms == 0 {
            return Err(self.invalid(
                "startup_timeout_ms:",
                "`timing.startup_timeout_ms` must be above 0 (the agent needs time to start)"
                    .into(),
            ));
        }
        Ok(())
    }

    fn set(&self, patterns: &[String]) -> Result<RegexSet, AdapterError> {
        for pattern in patterns {
            self.not_empty(pattern)?;
            Regex::new(pattern)
                .map_err(|err| self.invalid(pattern, format!("bad pattern: {}", one_line(&err))))?;
        }
        RegexSet::new(patterns).map_err(|err| self.invalid("screen:", one_line(&err)))
    }

    /// An empty pattern matches every screen: refused.
    fn not_empty(&self, pattern: &str) -> Result<(), AdapterError> {
        if pattern.trim().is_empty() {
            // Point at the empty item as written: `''` or `""`.
            let at = ["''", "\"\""]
                .into_iter()
                .find(|quoted| self.text.contains(quoted))
                .unwrap_or("screen:");
            return Err(self.invalid(
                at,
                "an empty pattern matches every screen; give it some text or remove it".into(),
            ));
        }
        Ok(())
    }

    /// An optional pattern that must have the named groups `has_groups` wants.
    fn grouped(
        &self,
        pattern: &Option<String>,
        has_groups: &dyn Fn(&Regex) -> bool,
        needs: &str,
    ) -> Result<Option<Regex>, AdapterError> {
        let Some(pattern) = pattern else {
            return Ok(None);
        };
        let re = Regex::new(pattern)
            .map_err(|err| self.invalid(pattern, format!("bad pattern: {}", one_line(&err))))?;
        if !has_groups(&re) {
            return Err(self.invalid(pattern, needs.to_string()));
        }
        Ok(Some(re))
    }

    fn grouped_patterns(&self, screen: &ScreenFile) -> Result<GroupedPatterns, AdapterError> {
        let tokens = self.grouped(
            &screen.tokens,
            &|re| re.capture_names().flatten().any(is_token_group),
            "`screen.tokens` needs a named group `(?P<tokens>…)` (or `tokens_…`)",
        )?;
        let usage_limit_reset = self.grouped(
            &screen.usage_limit_reset,
            &crate::core::usage_reset::pattern_is_usable,
            "`screen.usage_limit_reset` needs a group `(?P<hour>…)` (with `minute`, `ampm`) or `(?P<in_minutes>…)` (`in_hours`, `in_seconds`)",
        )?;
        let context = self.grouped(
            &screen.context,
            &|re| {
                re.capture_names()
                    .any(|name| matches!(name, Some("left" | "used")))
            },
            "`screen.context` needs a named group `(?P<left>…)` or `(?P<used>…)` (percent)",
        )?;
        Ok(GroupedPatterns {
            tokens,
            usage_limit_reset,
            context,
        })
    }

    fn screen_rules(
        &self,
        screen: &ScreenFile,
        grouped: GroupedPatterns,
    ) -> Result<ScreenRules, AdapterError> {
        Ok(ScreenRules {
            busy: self.set(&screen.busy)?,
            idle: self.set(&screen.idle)?,
            done: self.set(&screen.done)?,
            compaction: self.set(&screen.compaction)?,
            usage_limit: self.set(&screen.usage_limit)?,
            api_error: self.set(&screen.api_error)?,
            usage_limit_reset: grouped.usage_limit_reset,
            tokens: grouped.tokens,
            context: grouped.context,
            tokens_per_reply: screen.tokens_per_reply,
            tool_output: self.set(&screen.tool_output)?,
            starting: self.set(screen.starting.as_deref().unwrap_or_default())?,
            start_known: screen.starting.is_some(),
        })
    }

    fn dialogs(&self, files: &[DialogFile]) -> Result<Vec<Dialog>, AdapterError> {
        let mut dialogs = Vec::new();
        for dialog in files {
            if dialog.detect.is_empty() {
                return Err(self.invalid(
                    &dialog.name,
                    format!("dialog `{}` needs a `detect` pattern", dialog.name),
                ));
            }
            dialogs.push(Dialog {
                name: dialog.name.clone(),
                detect: self.set(&dialog.detect)?,
                policy: dialog.policy,
                accept: dialog.accept.clone(),
                deny: dialog.deny.clone(),
            });
        }
        Ok(dialogs)
    }

    /// The MCP registration: plain file names, mergeable variables, the
    /// private home, and `{file:NAME}` placeholders that name a file.
    fn mcp(&self, file: &AdapterFile) -> Result<(), AdapterError> {
        for name in file.mcp_files.keys() {
            if !is_plain_name(name) {
                return Err(self.invalid(
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
                return Err(self.invalid(
                    "mcp_env_merge:",
                    format!(
                        "`mcp_env_merge`: `{name}` must be a variable of `mcp_env` whose value is a JSON object"
                    ),
                ));
            }
        }
        if let Some(home) = &file.mcp_home {
            self.mcp_home(home)?;
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
                    return Err(self.invalid(
                        &format!("{{file:{name}}}"),
                        format!("`{{file:{name}}}` names no file in `mcp_files`"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn mcp_home(&self, home: &HomeRule) -> Result<(), AdapterError> {
        if home.var.is_empty()
            || !home
                .var
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(self.invalid(
                "var:",
                "`mcp_home.var` must be the name of a variable".into(),
            ));
        }
        for (key, name) in [("dir:", &home.dir), ("settings:", &home.settings)] {
            if !is_plain_name(name) {
                return Err(self.invalid(
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
            return Err(self.invalid(
                &format!("{path}:"),
                format!("`mcp_home.extend`: `{path}` must be a dotted path of keys"),
            ));
        }
        if !serde_json::from_str::<serde_json::Value>(&home.merge)
            .is_ok_and(|value| value.is_object())
        {
            return Err(self.invalid("merge:", "`mcp_home.merge` must be a JSON object".into()));
        }
        Ok(())
    }
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
mod refusal_tests;

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
    fn a_start_screen_is_known_once_starting_is_given_even_empty() {
        let base = "name: x\ncommand: y\nscreen:\n  busy: [b]\n  idle: [i]\n";
        let absent = Adapter::from_yaml(base, &origin()).unwrap();
        assert!(!absent.screen.start_known);
        let empty = Adapter::from_yaml(&format!("{base}  starting: []\n"), &origin()).unwrap();
        assert!(empty.screen.start_known && empty.screen.starting.is_empty());
        let given = Adapter::from_yaml(&format!("{base}  starting: [s]\n"), &origin()).unwrap();
        assert!(given.screen.start_known && given.screen.starting.len() == 1);
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
}
