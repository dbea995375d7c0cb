//! Whether an agent CLI is ready for goalie (what `goalie doctor` shows): its
//! program on PATH, the version it says it is against the version goalie was
//! tested with (pinned in `scripts/agent-versions`, read here at build time so
//! the pins stay in one place), the command that installs it, and the agent's
//! own settings goalie depends on (Codex's trust of the working directory;
//! the other agents' in `agent_settings.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The pins, as `scripts/install-agents` reads them.
const AGENT_VERSIONS: &str = include_str!("../../scripts/agent-versions");

/// Which adapter each pinned package is the CLI of.
const PACKAGES: &[(&str, &str)] = &[
    ("codex", "@openai/codex"),
    ("claude", "@anthropic-ai/claude-code"),
    ("gemini", "@google/gemini-cli"),
    ("opencode", "opencode-ai"),
    ("aider", "pypi:aider-chat"),
];

/// How long `PROGRAM --version` may take (a Node CLI's first start is slow).
const VERSION_TIMEOUT: Duration = Duration::from_secs(20);

/// The version goalie was tested with, and how to install it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The package, as its registry names it (`@openai/codex`, `aider-chat`).
    pub package: String,
    pub version: String,
    /// The command that installs exactly this version.
    pub install: String,
}

/// The pin of adapter `name`'s CLI, if goalie pins one.
pub fn pin(name: &str) -> Option<Pin> {
    let (_, package) = PACKAGES.iter().find(|(adapter, _)| *adapter == name)?;
    AGENT_VERSIONS.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let (pinned, version) = (words.next()?, words.next()?);
        if pinned.starts_with('#') || pinned != *package {
            return None;
        }
        Some(match pinned.strip_prefix("pypi:") {
            Some(python) => Pin {
                package: python.to_string(),
                version: version.to_string(),
                install: format!("pipx install {python}=={version}"),
            },
            None => Pin {
                package: pinned.to_string(),
                version: version.to_string(),
                install: format!("npm install -g {pinned}@{version}"),
            },
        })
    })
}

/// `program` as the agent would be started: a path as it is, a bare name
/// looked up on `path` (a `PATH` value). `None` when no executable file is found.
pub fn find_program(program: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    if program.contains('/') {
        let path = PathBuf::from(program);
        return is_executable(&path).then_some(path);
    }
    std::env::split_paths(path?)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// What `PROGRAM --version` printed: the first version number in it
/// (`codex-cli 0.169.0` → `0.169.0`), or why there is none.
pub fn program_version(program: &Path) -> Result<String, String> {
    let mut child = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot run `{} --version`: {err}", program.display()))?;
    let deadline = Instant::now() + VERSION_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{} --version` did not answer within {}s",
                    program.display(),
                    VERSION_TIMEOUT.as_secs()
                ));
            }
            Err(err) => return Err(format!("cannot wait for `--version`: {err}")),
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|err| format!("cannot read `--version`: {err}"))?;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    version_in(&text).ok_or_else(|| {
        format!(
            "`{} --version` printed no version ({}): {}",
            program.display(),
            out.status,
            text.trim()
        )
    })
}

/// The first `N.N.N` (with any suffix) in `text`.
pub fn version_in(text: &str) -> Option<String> {
    let pattern = regex::Regex::new(r"\d+\.\d+\.\d+[0-9A-Za-z.+-]*").expect("a valid pattern");
    pattern.find(text).map(|m| m.as_str().to_string())
}

/// Whether Codex trusts `workdir`: a `[projects."DIR"]` table with
/// `trust_level = "trusted"` for it, or for a folder above it, in
/// `$CODEX_HOME/config.toml` (default `~/.codex/config.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodexTrust {
    pub config: PathBuf,
    /// The trusted folder that covers `workdir`, if any.
    pub trusted: Option<String>,
    /// Why the file could not be read, when it exists.
    pub error: Option<String>,
}

pub fn codex_trust(workdir: &Path, codex_home: Option<PathBuf>) -> Option<CodexTrust> {
    let home = codex_home.or_else(|| dirs::home_dir().map(|home| home.join(".codex")))?;
    let config = home.join("config.toml");
    let text = match std::fs::read_to_string(&config) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Some(CodexTrust {
                config,
                trusted: None,
                error: None,
            });
        }
        Err(err) => {
            return Some(CodexTrust {
                config,
                trusted: None,
                error: Some(err.to_string()),
            });
        }
    };
    let table: toml::Table = match text.parse() {
        Ok(table) => table,
        Err(err) => {
            return Some(CodexTrust {
                config,
                trusted: None,
                error: Some(err.to_string()),
            });
        }
    };
    let trusted = table
        .get("projects")
        .and_then(toml::Value::as_table)
        .and_then(|projects| {
            workdir.ancestors().find_map(|dir| {
                let key = dir.to_string_lossy();
                let level = projects.get(key.as_ref())?.get("trust_level")?.as_str()?;
                (level == "trusted").then(|| key.into_owned())
            })
        });
    Some(CodexTrust {
        config,
        trusted,
        error: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pinned_cli_has_its_version_and_install_command() {
        for (name, _) in PACKAGES {
            let pin = pin(name).unwrap_or_else(|| panic!("{name} is not pinned"));
            assert!(version_in(&pin.version).is_some(), "{pin:?}");
        }
        let codex = pin("codex").unwrap();
        assert_eq!(
            codex.install,
            format!("npm install -g @openai/codex@{}", codex.version)
        );
        let aider = pin("aider").unwrap();
        assert_eq!(
            aider.install,
            format!("pipx install aider-chat=={}", aider.version)
        );
        assert_eq!(pin("sim"), None);
    }

    #[test]
    fn versions_are_read_as_the_clis_print_them() {
        assert_eq!(
            version_in("codex-cli 0.169.0\n").as_deref(),
            Some("0.169.0")
        );
        assert_eq!(
            version_in("2.1.197 (Claude Code)").as_deref(),
            Some("2.1.197")
        );
        assert_eq!(version_in("aider 0.86.2").as_deref(), Some("0.86.2"));
        assert_eq!(version_in("1.2.3-beta.1").as_deref(), Some("1.2.3-beta.1"));
        assert_eq!(version_in("no version"), None);
    }

    #[test]
    fn codex_trust_is_read_from_its_projects_table() {
        let home = tempfile::tempdir().unwrap();
        let work = home.path().join("work/sub");
        let none = codex_trust(&work, Some(home.path().to_path_buf())).unwrap();
        assert_eq!((none.trusted, none.error), (None, None));
        std::fs::write(
            home.path().join("config.toml"),
            format!(
                "model = \"x\"\n[projects.\"{}\"]\ntrust_level = \"trusted\"\n",
                home.path().join("work").display()
            ),
        )
        .unwrap();
        let trust = codex_trust(&work, Some(home.path().to_path_buf())).unwrap();
        assert_eq!(
            trust.trusted,
            Some(home.path().join("work").display().to_string())
        );
        std::fs::write(home.path().join("config.toml"), "[projects\n").unwrap();
        let broken = codex_trust(&work, Some(home.path().to_path_buf())).unwrap();
        assert!(broken.error.is_some());
    }
}
