//! The user's settings file, `$GOALIE_CONFIG_DIR/config.yaml` (default
//! `~/.config/goalie/config.yaml`). Optional; every key is optional.
//!
//! ```yaml
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
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ConfigFile::default());
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        if text.trim().is_empty() {
            return Ok(ConfigFile::default());
        }
        serde_yaml_ng::from_str::<Option<ConfigFile>>(&text)
            .map(Option::unwrap_or_default)
            .map_err(|err| ConfigError::Invalid(Located::from_yaml(&path, &err)))
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
