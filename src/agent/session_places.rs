//! Where this run's session log can be, and nowhere else: the few folders an
//! agent started now, in this working directory, writes its session to. What
//! the agent logged before (months of sessions of every project) is never
//! walked, so the cost of finding the session does not grow with history.
//!
//! - Codex (`sessions/YYYY/MM/DD/`, named by the local date): the day folders
//!   of the day before, of and after the start, by local and by UTC date
//!   (midnight and time zones), and any later day folder made during the run.
//! - Claude Code (`projects/<dir>/`): this working directory's folder.
//! - gemini-cli 0.61.0 (`tmp/<project>/chats/`): the project folder its
//!   registry (`projects.json`, beside `tmp`) names for this working
//!   directory, and the older SHA-256-named folder.
//! - opencode: the folder of its database.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::agent::session_log::{LogFormat, claude_project_dir, gemini_hash_of};

/// What a folder is to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirKind {
    /// Session files of this run may be created in it.
    Sessions,
    /// A folder that may hold one of those, now or later.
    Ancestor,
    /// Nothing to do with this run.
    Other,
}

/// The places of one run's session log.
#[derive(Debug, Clone)]
pub struct Places {
    format: LogFormat,
    root: PathBuf,
    workdir: String,
    /// Codex: the earliest day whose folder may hold this run's session.
    first_day: Option<Date>,
    /// Session folders wanted by name, whether they exist yet or not.
    targets: Vec<PathBuf>,
    /// gemini-cli: this project's folder is known from the registry.
    registered: bool,
}

impl Places {
    pub fn new(format: LogFormat, root: &Path, workdir: &str, started: SystemTime) -> Places {
        let mut places = Places {
            format,
            root: root.to_path_buf(),
            workdir: workdir.to_string(),
            first_day: None,
            targets: Vec::new(),
            registered: false,
        };
        match format {
            LogFormat::CodexRollout => {
                let days = start_days(started);
                places.first_day = days.first().copied();
                places.targets = days.iter().map(|day| day_folder(root, *day)).collect();
            }
            LogFormat::ClaudeTranscript => {
                places.targets = vec![root.join(claude_project_dir(workdir))];
            }
            LogFormat::GeminiChat => {
                places.targets = vec![root.join(gemini_hash_of(workdir)).join("chats")];
            }
            LogFormat::OpencodeDb => places.targets = vec![root.to_path_buf()],
        }
        places
    }

    pub fn format(&self) -> LogFormat {
        self.format
    }

    /// The agent's log folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folders that may hold this run's session files (existing or not).
    pub fn targets(&self) -> &[PathBuf] {
        &self.targets
    }

    /// Codex: the existing folders whose new sub-folders may be later days
    /// (the log folder, and the year and month folders of the start days).
    pub fn growing(&self) -> Vec<PathBuf> {
        if self.format != LogFormat::CodexRollout {
            return Vec::new();
        }
        let mut dirs = vec![self.root.clone()];
        for target in &self.targets {
            for dir in [target.parent(), target.parent().and_then(Path::parent)]
                .into_iter()
                .flatten()
            {
                if !dirs.iter().any(|d| d == dir) {
                    dirs.push(dir.to_path_buf());
                }
            }
        }
        dirs
    }

    /// What the folder at `path` is to this run.
    pub fn kind_of_dir(&self, path: &Path) -> DirKind {
        if self.targets.iter().any(|t| t == path) {
            return DirKind::Sessions;
        }
        if self.targets.iter().any(|t| t.starts_with(path)) {
            return DirKind::Ancestor;
        }
        let Some(first) = self.first_day else {
            return DirKind::Other;
        };
        // Codex: a later day, or the year or month folder of one.
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return DirKind::Other;
        };
        let parts: Vec<i32> = rel
            .components()
            .map(|c| match c {
                Component::Normal(name) => name.to_str().and_then(|s| s.parse().ok()),
                _ => None,
            })
            .collect::<Option<_>>()
            .unwrap_or_default();
        match parts[..] {
            [year] if year >= i32::from(first.year()) => DirKind::Ancestor,
            [year, month] if (year, month) >= (first.year().into(), first.month().into()) => {
                DirKind::Ancestor
            }
            [year, month, day] => {
                let later = i16::try_from(year).ok().and_then(|y| {
                    let date = Date::new(y, i8::try_from(month).ok()?, i8::try_from(day).ok()?);
                    date.ok()
                });
                if later.is_some_and(|date| date >= first) {
                    DirKind::Sessions
                } else {
                    DirKind::Other
                }
            }
            _ => DirKind::Other,
        }
    }

    /// A later Codex day folder made during the run is wanted too.
    pub fn want(&mut self, dir: &Path) {
        if !self.targets.iter().any(|t| t == dir) {
            self.targets.push(dir.to_path_buf());
        }
    }

    /// Whether a file of that name in a session folder can be a session log.
    pub fn is_session_file(&self, name: &OsStr) -> bool {
        let name = name.to_string_lossy();
        match self.format {
            LogFormat::CodexRollout => name.starts_with("rollout-") && name.ends_with(".jsonl"),
            LogFormat::GeminiChat => name.starts_with("session-") && name.ends_with(".jsonl"),
            LogFormat::ClaudeTranscript => name.ends_with(".jsonl"),
            LogFormat::OpencodeDb => name == "opencode.db" || name == "opencode.db-wal",
        }
    }

    /// gemini-cli: the folder of its project registry, watched until the
    /// registry names this project.
    pub fn registry_dir(&self) -> Option<&Path> {
        (self.format == LogFormat::GeminiChat && !self.registered)
            .then(|| self.root.parent())
            .flatten()
    }

    /// gemini-cli: reads its project registry; true when it named this
    /// project's folder just now. `opened` counts the file opened.
    pub fn read_registry(&mut self, opened: &mut u64) -> bool {
        if self.registered || self.format != LogFormat::GeminiChat {
            return false;
        }
        let Some(path) = self.root.parent().map(|dir| dir.join("projects.json")) else {
            return false;
        };
        *opened += 1;
        let Ok(text) = std::fs::read_to_string(&path) else {
            return false;
        };
        let Ok(registry) = serde_json::from_str::<serde_json::Value>(&text) else {
            return false;
        };
        let Some(slug) = registry["projects"][&self.workdir].as_str() else {
            return false;
        };
        if slug.is_empty() || slug.contains('/') || slug.starts_with('.') {
            return false;
        }
        self.targets.insert(0, self.root.join(slug).join("chats"));
        self.registered = true;
        true
    }
}

/// The days whose Codex folder may hold a session started at `started`: the
/// day before, of and after it by local date and by UTC date, earliest first.
pub fn start_days(started: SystemTime) -> Vec<Date> {
    let Ok(at) = jiff::Timestamp::try_from(started) else {
        return Vec::new();
    };
    let mut days = Vec::new();
    for zone in [TimeZone::system(), TimeZone::UTC] {
        let day = at.to_zoned(zone).date();
        for day in [day.yesterday().ok(), Some(day), day.tomorrow().ok()]
            .into_iter()
            .flatten()
        {
            if !days.contains(&day) {
                days.push(day);
            }
        }
    }
    days.sort();
    days
}

/// Codex's folder of `day`: `ROOT/YYYY/MM/DD`.
pub fn day_folder(root: &Path, day: Date) -> PathBuf {
    root.join(format!("{:04}", day.year()))
        .join(format!("{:02}", day.month()))
        .join(format!("{:02}", day.day()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_days_around_the_start_in_local_and_utc_time() {
        // 23:30 UTC on 2026-11-30 is already December 1st east of UTC.
        let at: jiff::Timestamp = "2026-11-30T23:30:00Z".parse().unwrap();
        let days = start_days(SystemTime::from(at));
        let utc: Vec<String> = days.iter().map(|d| d.to_string()).collect();
        for day in ["2026-11-29", "2026-11-30", "2026-12-01"] {
            assert!(utc.contains(&day.to_string()), "{utc:?}");
        }
        assert!(days.len() <= 4, "{utc:?}");
        let places = Places::new(
            LogFormat::CodexRollout,
            Path::new("/c/sessions"),
            "/w",
            SystemTime::from(at),
        );
        let kind = |p: &str| places.kind_of_dir(Path::new(p));
        assert_eq!(kind("/c/sessions/2026/11/30"), DirKind::Sessions);
        assert_eq!(
            kind("/c/sessions/2026/12/05"),
            DirKind::Sessions,
            "a later day"
        );
        assert_eq!(kind("/c/sessions/2027"), DirKind::Ancestor);
        assert_eq!(kind("/c/sessions/2026/12"), DirKind::Ancestor);
        assert_eq!(kind("/c/sessions/2026/10"), DirKind::Other);
        assert_eq!(kind("/c/sessions/2026/10/31"), DirKind::Other);
        assert_eq!(kind("/c/sessions/2025"), DirKind::Other);
        assert_eq!(kind("/c/sessions/2026/11/xx"), DirKind::Other);
        assert_eq!(kind("/c/sessions/2026/02/31"), DirKind::Other);
        assert_eq!(kind("/elsewhere/2026/11/30"), DirKind::Other);
        assert!(
            places
                .growing()
                .contains(&PathBuf::from("/c/sessions/2026/11"))
        );
    }

    #[test]
    fn claude_and_gemini_look_in_this_projects_folder_only() {
        let claude = Places::new(
            LogFormat::ClaudeTranscript,
            Path::new("/h/projects"),
            "/home/u/w",
            SystemTime::now(),
        );
        assert_eq!(claude.targets(), [PathBuf::from("/h/projects/-home-u-w")]);
        assert_eq!(
            claude.kind_of_dir(Path::new("/h/projects")),
            DirKind::Ancestor
        );
        assert_eq!(
            claude.kind_of_dir(Path::new("/h/projects/-home-u-x")),
            DirKind::Other
        );

        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(".gemini/tmp");
        std::fs::create_dir_all(&root).unwrap();
        let mut gemini = Places::new(LogFormat::GeminiChat, &root, "/home/u/w", SystemTime::now());
        let mut opened = 0;
        assert!(!gemini.read_registry(&mut opened), "no registry yet");
        assert_eq!(
            gemini.registry_dir(),
            Some(dir.path().join(".gemini").as_path())
        );
        std::fs::write(
            dir.path().join(".gemini/projects.json"),
            r#"{"projects": {"/home/u/other": "w", "/home/u/w": "w-1"}}"#,
        )
        .unwrap();
        assert!(gemini.read_registry(&mut opened));
        assert_eq!(opened, 2);
        assert_eq!(gemini.targets()[0], root.join("w-1/chats"));
        assert_eq!(gemini.kind_of_dir(&root.join("w-1")), DirKind::Ancestor);
        assert_eq!(gemini.kind_of_dir(&root.join("w")), DirKind::Other);
        assert_eq!(gemini.registry_dir(), None);
    }
}
