//! Layered settings with their provenance. Each value comes from the last
//! layer that sets it, in this order:
//!
//! 1. built-in defaults;
//! 2. the user's `config.yaml` ([`config_dir`]);
//! 3. the project's `.goalie.yaml`, the nearest one upward from the current directory;
//! 4. `GOALIE_*` variables (`GOALIE_MAX_TURNS=40`; the names are in [`KEYS`]);
//! 5. the goal spec (`goalie run --goal FILE`: its `agent` and `stop`, the
//!    breaker's `stall_turns` and the plan's `quota` included: they are the
//!    goal's own, so they override the files and variables);
//! 6. flags.
//!
//! Every value keeps where it came from ([`Origin`]), which `goalie config
//! --origin` prints. The files are read with serde_yaml_ng, whose errors know
//! their line and column (an unknown key is one), and layered here by hand:
//! figment, which records origins too, reads YAML through the deprecated
//! serde_yaml and reports an unknown key without its position in the file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config_file::{ConfigFile, config_dir, project_file};
use crate::core::config::DialogPolicy;
use crate::error::Error;
use crate::goal::spec::GoalSpec;

use super::args::LimitArgs;
pub use super::settings_layers::{KEYS, Partial};
use super::settings_layers::{env_layer, file_layer, line_of, lookup};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    /// A settings file, at the line of its key.
    File {
        path: PathBuf,
        line: usize,
    },
    Env(&'static str),
    /// The goal spec file.
    Spec(PathBuf),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Env(name) => write!(f, "env {name}"),
            Origin::Spec(path) => write!(f, "goal spec {}", path.display()),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

fn default<T>(value: T) -> Setting<T> {
    Setting {
        value,
        origin: Origin::Default,
    }
}

/// Every setting, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub agent: Setting<Option<String>>,
    pub max_turns: Setting<Option<u32>>,
    pub max_time: Setting<Option<Duration>>,
    pub budget_tokens: Setting<Option<u64>>,
    pub user_quiet: Setting<Duration>,
    pub wrap_up_grace: Setting<Duration>,
    pub rotate_at: Setting<Option<u8>>,
    /// By dialog name, each with its own origin.
    pub dialogs: BTreeMap<String, Setting<DialogPolicy>>,
    pub status_line: Setting<bool>,
    pub record: Setting<bool>,
    pub record_cap_mb: Setting<u64>,
    pub on_event: Setting<Option<String>>,
    /// The no-progress breaker's N (0: off).
    pub stall_turns: Setting<u32>,
    /// When a silent busy turn is hung (zero: never).
    pub turn_timeout: Setting<Duration>,
    /// The longest wait the agent may ask for.
    pub max_wait: Setting<Duration>,
    /// The plan quota's share at which goalie waits for its reset.
    pub max_quota: Setting<Option<u8>>,
    /// The files read, or looked for: (what, path, whether it was there).
    pub files: Vec<(&'static str, PathBuf, bool)>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            agent: default(None),
            max_turns: default(None),
            max_time: default(None),
            budget_tokens: default(None),
            user_quiet: default(Duration::from_secs(3)),
            wrap_up_grace: default(Duration::from_secs(10 * 60)),
            rotate_at: default(None),
            dialogs: BTreeMap::new(),
            status_line: default(false),
            record: default(true),
            record_cap_mb: default(crate::agent::recording::DEFAULT_CAP / (1024 * 1024)),
            on_event: default(None),
            stall_turns: default(crate::core::config::DEFAULT_STALL_TURNS),
            turn_timeout: default(Duration::from_millis(
                crate::core::config::DEFAULT_TURN_TIMEOUT_MS,
            )),
            max_wait: default(Duration::from_millis(
                crate::goal::wait::DEFAULT_MAX_WAIT_MS,
            )),
            max_quota: default(None),
            files: Vec::new(),
        }
    }
}

impl Settings {
    /// Lays `layer` over what is set, each value with `origin(key)`.
    pub fn apply(&mut self, layer: Partial, origin: &dyn Fn(&str) -> Origin) {
        fn set<T>(slot: &mut Setting<T>, value: Option<T>, origin: Origin) {
            if let Some(value) = value {
                *slot = Setting { value, origin };
            }
        }
        set(&mut self.agent, layer.agent.map(Some), origin("agent"));
        set(
            &mut self.max_turns,
            layer.max_turns.map(Some),
            origin("max_turns"),
        );
        set(
            &mut self.max_time,
            layer.max_time.map(Some),
            origin("max_time"),
        );
        set(
            &mut self.budget_tokens,
            layer.budget_tokens.map(Some),
            origin("budget_tokens"),
        );
        set(&mut self.user_quiet, layer.user_quiet, origin("user_quiet"));
        set(
            &mut self.wrap_up_grace,
            layer.wrap_up_grace,
            origin("wrap_up_grace"),
        );
        set(
            &mut self.rotate_at,
            layer.rotate_at.map(Some),
            origin("rotate_at"),
        );
        for (name, policy) in layer.dialogs {
            let at = origin(&format!("dialogs.{name}"));
            self.dialogs.insert(
                name,
                Setting {
                    value: policy,
                    origin: at,
                },
            );
        }
        set(
            &mut self.status_line,
            layer.status_line,
            origin("status_line"),
        );
        set(&mut self.record, layer.record, origin("record"));
        set(
            &mut self.record_cap_mb,
            layer.record_cap_mb,
            origin("record_cap_mb"),
        );
        set(
            &mut self.on_event,
            layer.on_event.map(Some),
            origin("on_event"),
        );
        set(
            &mut self.stall_turns,
            layer.stall_turns,
            origin("stall_turns"),
        );
        set(
            &mut self.turn_timeout,
            layer.turn_timeout,
            origin("turn_timeout"),
        );
        set(&mut self.max_wait, layer.max_wait, origin("max_wait"));
        set(
            &mut self.max_quota,
            layer.max_quota.map(Some),
            origin("max_quota"),
        );
    }

    /// The hung-turn timeout in milliseconds; 0: none.
    pub fn turn_timeout_ms(&self) -> u64 {
        u64::try_from(self.turn_timeout.value.as_millis()).unwrap_or(u64::MAX)
    }

    /// The dialog policies, in name order.
    pub fn dialog_policies(&self) -> Vec<(String, DialogPolicy)> {
        self.dialogs
            .iter()
            .map(|(name, setting)| (name.clone(), setting.value))
            .collect()
    }

    /// The recording's cap in bytes, or `None` when nothing is recorded.
    pub fn record_cap(&self) -> Option<u64> {
        self.record
            .value
            .then(|| self.record_cap_mb.value.saturating_mul(1024 * 1024))
    }

    /// Each value as `goalie config` shows it: (key, value, origin).
    pub fn rows(&self) -> Vec<(String, String, &Origin)> {
        fn row<'a, T>(
            key: &str,
            setting: &'a Setting<T>,
            show: impl Fn(&T) -> String,
        ) -> (String, String, &'a Origin) {
            (key.to_string(), show(&setting.value), &setting.origin)
        }
        let none = || "none".to_string();
        let duration = |d: &Duration| humantime::format_duration(*d).to_string();
        let mut rows = vec![
            row("agent", &self.agent, |v| v.clone().unwrap_or_else(none)),
            row("max_turns", &self.max_turns, |v| {
                v.map_or_else(none, |n| n.to_string())
            }),
            row("max_time", &self.max_time, |v| {
                v.as_ref().map_or_else(none, duration)
            }),
            row("budget_tokens", &self.budget_tokens, |v| {
                v.map_or_else(none, |n| n.to_string())
            }),
            row("user_quiet", &self.user_quiet, duration),
            row("wrap_up_grace", &self.wrap_up_grace, duration),
            row("rotate_at", &self.rotate_at, |v| {
                v.map_or_else(none, |n| format!("{n}%"))
            }),
            row("stall_turns", &self.stall_turns, |n| match n {
                0 => "off".to_string(),
                n => n.to_string(),
            }),
            row("turn_timeout", &self.turn_timeout, |d| match d.is_zero() {
                true => "off".to_string(),
                false => duration(d),
            }),
            row("max_wait", &self.max_wait, duration),
            row("max_quota", &self.max_quota, |v| {
                v.map_or_else(none, |n| format!("{n}%"))
            }),
        ];
        if self.dialogs.is_empty() {
            rows.push(("dialogs".into(), "none".into(), &Origin::Default));
        }
        for (name, setting) in &self.dialogs {
            rows.push(row(&format!("dialogs.{name}"), setting, |p| {
                format!("{p:?}").to_lowercase()
            }));
        }
        rows.extend([
            row("status_line", &self.status_line, bool::to_string),
            row("record", &self.record, bool::to_string),
            row("record_cap_mb", &self.record_cap_mb, u64::to_string),
            row("on_event", &self.on_event, |v| {
                v.clone().unwrap_or_else(none)
            }),
        ]);
        rows
    }
}

/// The settings of a command run in `cwd`: defaults, the user's file, the
/// project's, the variables `env` gives, then `spec` (the goal spec's path
/// and values) and `flags`.
pub fn resolve(
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    spec: Option<(&Path, Partial)>,
    flags: Partial,
) -> Result<Settings, Error> {
    let mut settings = Settings::default();
    let user = config_dir().map(|dir| dir.join("config.yaml"));
    let project = project_file(cwd);
    for (what, path) in [("user", user), ("project", project)] {
        let Some(path) = path else { continue };
        let loaded = ConfigFile::load_file(&path)?;
        settings.files.push((what, path.clone(), loaded.is_some()));
        if let Some((file, text)) = loaded {
            let layer = file_layer(&path, &text, file)?;
            settings.apply(layer, &|key| Origin::File {
                path: path.clone(),
                line: line_of(&text, key),
            });
        }
    }
    settings.apply(env_layer(env)?, &|key| {
        let name = key.split('.').next().unwrap_or(key);
        Origin::Env(lookup(name).1)
    });
    if let Some((path, layer)) = spec {
        settings.apply(layer, &|_| Origin::Spec(path.to_path_buf()));
    }
    settings.apply(flags, &|key| {
        let name = key.split('.').next().unwrap_or(key);
        Origin::Flag(lookup(name).2)
    });
    Ok(settings)
}

/// What the flags of `run`, `demo` and `config` set.
pub fn flags(
    limits: &LimitArgs,
    agent: Option<String>,
    dialogs: &[(String, DialogPolicy)],
) -> Partial {
    Partial {
        agent,
        max_turns: limits.max_turns,
        max_time: limits.max_time,
        budget_tokens: limits.budget_tokens,
        user_quiet: limits.user_quiet,
        wrap_up_grace: limits.wrap_up_grace,
        rotate_at: limits.rotate_at,
        dialogs: dialogs.to_vec(),
        status_line: limits.status_line.then_some(true),
        record: limits.no_record.then_some(false),
        record_cap_mb: None,
        on_event: limits.on_event.clone(),
        stall_turns: limits.stall_turns,
        turn_timeout: limits.turn_timeout,
        max_wait: limits.max_wait,
        max_quota: limits.max_quota,
    }
}

/// What a goal spec sets: its agent and its `stop` (the no-progress breaker's
/// `stall_turns` and the plan's `quota` included): per goal, so over the
/// settings files and variables, and under the flags.
pub fn spec_layer(spec: &GoalSpec) -> Partial {
    Partial {
        agent: spec.agent.clone(),
        max_turns: spec.stop.turns,
        max_time: spec.stop.time_ms.map(Duration::from_millis),
        budget_tokens: spec.stop.token_limit(),
        stall_turns: spec.stop.stall_turns,
        max_quota: spec.stop.quota,
        ..Partial::default()
    }
}

/// The settings of a command run in the current directory.
pub fn here(spec: Option<(&Path, Partial)>, flags: Partial) -> Result<Settings, Error> {
    let cwd = std::env::current_dir()
        .map_err(|err| Error::io("cannot read the current directory", err))?;
    resolve(&cwd, &|name| std::env::var(name).ok(), spec, flags)
}

/// Sets the dialog policies of `settings` on `adapter`: one a flag names
/// must be the adapter's; one from a file or a variable (which holds for
/// every agent) is skipped where the adapter has no such dialog. Returns
/// those set.
pub fn apply_dialogs(
    adapter: &mut crate::agent::adapter::Adapter,
    settings: &Settings,
) -> Result<Vec<(String, DialogPolicy)>, Error> {
    let mut applied = Vec::new();
    for (name, setting) in &settings.dialogs {
        match adapter.set_dialog_policy(name, setting.value) {
            Ok(()) => applied.push((name.clone(), setting.value)),
            Err(err) if matches!(setting.origin, Origin::Flag(_)) => {
                return Err(Error::Usage(err));
            }
            Err(err) => tracing::debug!(%err, origin = %setting.origin, "a dialog setting skipped"),
        }
    }
    Ok(applied)
}

/// `goalie config [--origin]`: each value (and where it came from).
pub fn show(settings: &Settings, origin: bool) -> i32 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if origin {
        for (what, path, found) in &settings.files {
            let state = if *found { "read" } else { "not found" };
            let _ = writeln!(out, "# {what} settings: {} ({state})", path.display());
        }
    }
    let rows = settings.rows();
    let key_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let value_width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    for (key, value, from) in rows {
        if origin {
            let _ = writeln!(out, "{key:key_width$}  {value:value_width$}  {from}");
        } else {
            let _ = writeln!(out, "{key:key_width$}  {value}");
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::super::settings_layers::parse_bool;
    use super::*;

    #[test]
    fn lines_of_keys_and_of_dialogs() {
        let text = "# hi\nagent: codex\ndialogs:\n  trust: accept\nmax_turns: 3\n";
        assert_eq!(line_of(text, "agent"), 2);
        assert_eq!(line_of(text, "dialogs.trust"), 4);
        assert_eq!(line_of(text, "max_turns"), 5);
        assert_eq!(line_of(text, "record"), 1);
    }

    #[test]
    fn later_layers_win_and_keep_their_origin() {
        let mut settings = Settings::default();
        let file = Partial {
            max_turns: Some(5),
            status_line: Some(true),
            dialogs: vec![("trust".into(), DialogPolicy::Accept)],
            ..Partial::default()
        };
        settings.apply(file, &|key| Origin::File {
            path: "/c.yaml".into(),
            line: line_of("max_turns: 5\nstatus_line: true\n", key),
        });
        let env = env_layer(&|name| (name == "GOALIE_MAX_TURNS").then(|| "7".to_string())).unwrap();
        settings.apply(env, &|key| Origin::Env(lookup(key).1));
        assert_eq!(settings.max_turns.value, Some(7));
        assert_eq!(settings.max_turns.origin, Origin::Env("GOALIE_MAX_TURNS"));
        assert_eq!(settings.status_line.origin.to_string(), "/c.yaml:2");
        assert_eq!(settings.dialogs["trust"].value, DialogPolicy::Accept);
        assert_eq!(settings.record_cap(), Some(50 * 1024 * 1024));
        assert!(env_layer(&|_| Some("x".into())).is_err());
        assert_eq!(parse_bool("Off"), Ok(false));
    }
}
