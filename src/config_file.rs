//! goalie's settings files: the user's `$GOALIE_CONFIG_DIR/config.yaml`
//! (default `~/.config/goalie/config.yaml`) and a project's `.goalie.yaml`
//! (found upward from the working directory). Both are optional, every key
//! is optional, and an unknown key is an error at its line and column. How
//! they are layered with the defaults, `GOALIE_*` variables and flags:
//! `cli::settings` (and `goalie config --origin`).
//!
//! ```yaml
//! agent: codex                # --agent
//! max_turns: 40               # --max-turns
//! max_time: 4h                # --max-time
//! budget_tokens: 200k         # --budget-tokens
//! user_quiet: 3s              # --user-quiet: how long your keys must be still
//! wrap_up_grace: 10m          # --wrap-up-grace: how long the wrap-up turn may take
//! rotate_at: 80%              # --rotate-at
//! dialogs:                    # --dialog NAME=POLICY
//!   run-shell-command: accept
//! status_line: true           # --status-line
//! record: false               # --no-record
//! record_cap_mb: 50           # the goal's recordings together, at most
//! stall_turns: 3              # --stall-turns: the no-progress breaker (0: off)
//! turn_timeout: 30m           # --turn-timeout: when a silent busy turn is hung (0: off)
//! max_wait: 2h                # --max-wait: the longest wait the agent may ask for
//! max_quota: 80%              # --max-quota: wait for the plan's quota reset (Codex)
//! # Run for every ledger row of a running goal, with the row as JSON on stdin.
//! on_event: 'notify-send goalie "$GOALIE_EVENT_KIND"'
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::goal::source_location::Located;

/// Where the user's adapter and prompt overrides live: `$GOALIE_CONFIG_DIR`,
/// else `$XDG_CONFIG_HOME/goalie`.
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("GOALIE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|dir| dir.join("goalie")))
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigFile {
    /// A shell command run for each event (`--on-event` overrides it).
    pub on_event: Option<String>,
    /// The agent CLI's adapter name (`--agent`).
    pub agent: Option<String>,
    pub max_turns: Option<u32>,
    /// A duration (`90m`, `4h`).
    pub max_time: Option<String>,
    /// A token figure (`200000`, `200k`, `1.5M`).
    pub budget_tokens: Option<Figure>,
    /// How long the person's keys must be still before goalie types.
    pub user_quiet: Option<String>,
    /// How long the wrap-up turn may take once a limit is reached.
    pub wrap_up_grace: Option<String>,
    /// The context share (`80%` or `80`) that starts a new agent process.
    pub rotate_at: Option<Figure>,
    /// Dialog name → `accept`, `deny` or `escalate`.
    pub dialogs: Option<std::collections::BTreeMap<String, String>>,
    pub status_line: Option<bool>,
    pub record: Option<bool>,
    pub record_cap_mb: Option<u64>,
    /// Turns in a row without progress before the breaker speaks (0: off).
    pub stall_turns: Option<u32>,
    /// A duration, or `0` (off): how long a silent busy turn may last.
    pub turn_timeout: Option<Figure>,
    /// A duration: the longest wait the agent may ask for.
    pub max_wait: Option<String>,
    /// The plan quota's share (`80%` or `80`) at which goalie waits for its reset.
    pub max_quota: Option<Figure>,
}

/// A figure written as a number or as text (`200k`, `80%`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Figure {
    Number(u64),
    Text(String),
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Figure::Number(n) => write!(f, "{n}"),
            Figure::Text(text) => f.write_str(text),
        }
    }
}

/// The project's settings file: `.goalie.yaml` in `dir` or the nearest of
/// its ancestors that has one.
pub fn project_file(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|dir| dir.join(".goalie.yaml"))
        .find(|path| path.is_file())
}

/// A problem with the settings file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(Located),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ConfigFile {
    /// Reads `config_dir/config.yaml`; a missing file (or dir) is all defaults.
    pub fn load(config_dir: Option<&Path>) -> Result<ConfigFile, ConfigError> {
        let Some(path) = config_dir.map(|dir| dir.join("config.yaml")) else {
            return Ok(ConfigFile::default());
        };
        Ok(ConfigFile::load_file(&path)?.map_or_else(ConfigFile::default, |(file, _)| file))
    }

    /// Reads the settings file at `path`, with its text (for the lines its
    /// keys are on); `None` when there is no such file.
    pub fn load_file(path: &Path) -> Result<Option<(ConfigFile, String)>, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        if text.trim().is_empty() {
            return Ok(Some((ConfigFile::default(), text)));
        }
        let file = serde_yaml_ng::from_str::<Option<ConfigFile>>(&text)
            .map(Option::unwrap_or_default)
            .map_err(|err| ConfigError::Invalid(Located::from_yaml(path, &err)))?;
        Ok(Some((file, text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_defaults_and_a_set_key_is_read() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            ConfigFile::load(Some(dir.path())).unwrap(),
            ConfigFile::default()
        );
        std::fs::write(
            dir.path().join("config.yaml"),
            "on_event: 'cat > /dev/null'\n",
        )
        .unwrap();
        assert_eq!(
            ConfigFile::load(Some(dir.path()))
                .unwrap()
                .on_event
                .as_deref(),
            Some("cat > /dev/null")
        );
    }

    #[test]
    fn an_unknown_key_names_its_position() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.yaml"), "# hooks\non_events: x\n").unwrap();
        let err = ConfigFile::load(Some(dir.path())).unwrap_err().to_string();
        let path = dir.path().join("config.yaml");
        assert!(
            err.starts_with(&format!(
                "{}:2:1: unknown field `on_events`",
                path.display()
            )),
            "{err}"
        );
    }
}
