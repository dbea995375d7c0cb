//! Follows an agent's session log as it grows: finds the file that belongs to
//! this run, reads the lines appended since the last look, and hands them to
//! the pure [`LogParser`].
//!
//! It looks only where this run's session can be ([`crate::agent::session_places`]):
//! a few folders, watched one by one with inotify ([`crate::agent::log_watch`]) for
//! entries created or renamed into them, and the followed file for what is
//! written to it. A file that was in those folders before the agent started
//! is another run's (or the one this run resumes); a new one is this run's
//! once its first line says so ([`crate::agent::session_discovery`]).
//! When the agent's own turn-complete hook names its session (Claude Code's
//! `transcript_path`, Codex's `thread-id`), exactly that file is followed.
//! Nothing is read while nothing changes; [`TailStats`] counts the work.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::agent::log_watch::Roles;
use crate::agent::session_db::OpencodeDb;
use crate::agent::session_discovery::{CLOCK_SLACK, Discovery};
use crate::agent::session_log::{LogFormat, LogParser};
pub use crate::agent::tail_stats::TailStats;
use crate::core::log_event::LogEvent;

/// The log of one run.
pub struct SessionTail {
    format: LogFormat,
    root: PathBuf,
    workdir: String,
    /// Where the session files are, and the work counts.
    discovery: Discovery,
    /// The file the agent's own hook named.
    pinned: Option<PathBuf>,
    current: Option<Followed>,
    /// Tokens counted in files this run followed before the current one.
    earlier_files_total: u64,
    last_total: u64,
    opencode: Option<OpencodeDb>,
}

struct Followed {
    path: PathBuf,
    file: File,
    offset: u64,
    partial: Vec<u8>,
    /// Throwing away the rest of a line longer than [`MAX_LOG_LINE`].
    skipping: bool,
    parser: LogParser,
    /// The session's token total when this run attached to it (non-zero on resume).
    baseline: u64,
    /// The highest total seen: agents replay or repeat figures, so only growth counts.
    highest: u64,
}

impl SessionTail {
    pub fn new(
        format: LogFormat,
        root: PathBuf,
        workdir: &Path,
        started: SystemTime,
    ) -> SessionTail {
        SessionTail::start(
            format,
            root,
            workdir.display().to_string(),
            started,
            TailStats::default(),
        )
    }

    fn start(
        format: LogFormat,
        root: PathBuf,
        workdir: String,
        started: SystemTime,
        stats: TailStats,
    ) -> SessionTail {
        let mut stats = stats;
        let opencode = (format == LogFormat::OpencodeDb).then(|| {
            let since = started.checked_sub(CLOCK_SLACK).unwrap_or(started);
            let (db, opened) = OpencodeDb::new(&root, &workdir, since);
            stats.files_opened += u64::from(opened);
            db
        });
        let discovery = Discovery::start(format, &root, &workdir, started, stats);
        SessionTail {
            format,
            root,
            workdir,
            discovery,
            pinned: None,
            current: None,
            earlier_files_total: 0,
            last_total: 0,
            opencode,
        }
    }

    /// The tail of the next agent process of the same run, started at
    /// `started`: what this one followed is there before it starts, so never
    /// its own. The work counts go on.
    pub fn successor(&self, started: SystemTime) -> SessionTail {
        SessionTail::start(
            self.format,
            self.root.clone(),
            self.workdir.clone(),
            started,
            self.discovery.stats,
        )
    }

    /// This run resumes `session`: its log's earlier lines are a baseline only.
    pub fn resuming(mut self, session: Option<String>) -> SessionTail {
        self.discovery.resumed_id = session;
        if let Some(id) = self.discovery.resumed_id.clone()
            && let Some(path) = self.discovery.find_by_id(&id)
        {
            self.resume_file(path);
        }
        self
    }

    /// The resumed session's file is at `path` (from the ledger): a Codex
    /// session of an earlier day is in a folder the tail does not look in.
    pub fn resumed_at(mut self, path: Option<PathBuf>) -> SessionTail {
        if let Some(path) = path.filter(|path| path.is_file())
            && !self.discovery.candidates.contains(&path)
        {
            self.discovery.preexisting.insert(path.clone());
            self.resume_file(path);
        }
        self
    }

    /// Follows the resumed conversation's file from now on: what it holds
    /// before the agent starts is earlier runs'.
    fn resume_file(&mut self, path: PathBuf) {
        if let Ok(meta) = std::fs::metadata(&path) {
            self.discovery
                .resumed_sizes
                .insert(path.clone(), meta.len());
        }
        self.discovery.candidates.retain(|c| *c != path);
        self.discovery.candidates.insert(0, path);
        self.choose();
    }

    /// This run resumes a conversation it has no id for (an adapter whose
    /// `resume_args` continue the folder's latest one): what this project's
    /// session files hold now is earlier runs', a baseline only, whichever of
    /// them the agent continues.
    pub fn resuming_existing(mut self) -> SessionTail {
        if let Some(db) = self.opencode.as_mut() {
            db.continuing();
            return self;
        }
        self.discovery.continue_any = true;
        let files: Vec<PathBuf> = self.discovery.preexisting.iter().cloned().collect();
        for path in files {
            if self.discovery.belongs(&path) == Some(true)
                && let Ok(meta) = std::fs::metadata(&path)
            {
                self.discovery.resumed_sizes.insert(path, meta.len());
            }
        }
        // Appending to one of them is the agent continuing it.
        for dir in self.discovery.session_dirs().clone() {
            self.discovery.watch.add(&dir, Roles::WRITES);
        }
        self
    }

    pub fn format(&self) -> LogFormat {
        self.format
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The work done so far (this tail's and its predecessors').
    pub fn stats(&self) -> TailStats {
        self.discovery.stats
    }

    /// Whether the kernel tells about every change (else the caller must poll).
    pub fn watching(&self) -> bool {
        self.discovery.watch.complete()
    }

    /// Waits until something may have changed; then call [`SessionTail::poll`].
    pub async fn changed(&mut self) {
        self.discovery.watch.ready().await;
    }

    /// The file being followed, if one was found.
    pub fn path(&self) -> Option<&Path> {
        match &self.opencode {
            Some(db) => db.is_open().then(|| db.path()),
            None => self.current.as_ref().map(|f| f.path.as_path()),
        }
    }

    /// Reads what was appended since the last call, after handling what the
    /// kernel reported (a new session file, a new day's folder). `rescan`
    /// also lists the session folders, for what a missed event hid.
    pub fn poll(&mut self, rescan: bool) -> Vec<LogEvent> {
        let rescan = self.discovery.take_changes() || rescan;
        if rescan {
            self.discovery.rescan();
        }
        if self.opencode.is_some() {
            return self.poll_opencode(rescan);
        }
        self.choose();
        self.read()
    }

    /// Handles what the kernel reported without reading the log (the next
    /// [`SessionTail::poll`] reads it).
    pub fn note_changes(&mut self) {
        if self.discovery.take_changes() {
            self.discovery.rescan();
        }
    }

    /// The agent's own turn-complete hook said which session it writes
    /// (Claude Code's `transcript_path` or `session_id`, Codex's `thread-id`):
    /// from now on that file is followed, whatever else appears.
    pub fn follow_reported(&mut self, data: &serde_json::Value) {
        let path = match self.format {
            LogFormat::ClaudeTranscript => data["transcript_path"]
                .as_str()
                .map(PathBuf::from)
                .or_else(|| {
                    let id = data["session_id"].as_str().filter(|id| is_plain_name(id))?;
                    let dir = self.discovery.places.targets().first()?;
                    Some(dir.join(format!("{id}.jsonl")))
                }),
            LogFormat::CodexRollout => data["thread-id"]
                .as_str()
                .filter(|id| is_plain_name(id))
                .map(str::to_string)
                .and_then(|id| self.discovery.find_by_id(&id)),
            _ => None,
        };
        let Some(path) = path
            .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl") && path.is_file())
        else {
            return;
        };
        if self.pinned.as_ref() == Some(&path) {
            return;
        }
        tracing::debug!(path = %path.display(), "the agent's hook names its session log");
        self.discovery.pending.remove(&path);
        self.discovery.rejected.remove(&path);
        if !self.discovery.candidates.contains(&path) {
            self.discovery.candidates.push(path.clone());
        }
        self.pinned = Some(path);
    }

    /// Follows the file the hook named, else the newest file of this run.
    fn choose(&mut self) {
        let Some(want) = self
            .pinned
            .clone()
            .or_else(|| self.discovery.candidates.last().cloned())
        else {
            return;
        };
        if self.current.as_ref().is_some_and(|f| f.path == want) {
            return;
        }
        self.discovery.stats.files_opened += 1;
        let Ok(file) = File::open(&want) else {
            // Gone: the next newest, if any, on the next look.
            self.discovery.candidates.retain(|c| *c != want);
            if self.pinned.as_ref() == Some(&want) {
                self.pinned = None;
            }
            return;
        };
        if let Some(old) = self.current.take() {
            self.discovery.watch.remove(&old.path, Roles::FILE);
        }
        self.discovery.watch.add(&want, Roles::FILE);
        self.discovery.following = Some(want.clone());
        self.earlier_files_total += self.last_total;
        self.last_total = 0;
        let mut followed = Followed {
            path: want,
            file,
            offset: 0,
            partial: Vec::new(),
            skipping: false,
            parser: LogParser::new(self.format),
            baseline: 0,
            highest: 0,
        };
        let earlier = match self.discovery.resumed_sizes.get(&followed.path) {
            Some(&size) => Some(size),
            // A file from before the run that the hook named (the person
            // switched conversations): only what is added now counts.
            None => self
                .discovery
                .preexisting
                .contains(&followed.path)
                .then_some(u64::MAX),
        };
        if let Some(size) = earlier {
            // Read what earlier runs wrote, silently: it is the baseline.
            while let Some(lines) = read_new_lines(&mut followed, size) {
                for line in lines {
                    for event in followed.parser.line(&line) {
                        if let LogEvent::Tokens { total } = event {
                            followed.baseline = followed.baseline.max(total);
                        }
                    }
                }
            }
            followed.highest = followed.baseline;
        }
        self.current = Some(followed);
    }

    /// The events of the lines appended to the followed file.
    fn read(&mut self) -> Vec<LogEvent> {
        let Some(followed) = self.current.as_mut() else {
            return Vec::new();
        };
        let mut events = Vec::new();
        while let Some(lines) = read_new_lines(followed, u64::MAX) {
            for line in lines {
                for event in followed.parser.line(&line) {
                    match event {
                        LogEvent::Tokens { total } => {
                            if total <= followed.highest {
                                continue;
                            }
                            followed.highest = total;
                            self.last_total = total - followed.baseline;
                            events.push(LogEvent::Tokens {
                                total: self.earlier_files_total + self.last_total,
                            });
                        }
                        event => events.push(event),
                    }
                }
            }
        }
        events
    }

    fn poll_opencode(&mut self, forced: bool) -> Vec<LogEvent> {
        if !std::mem::take(&mut self.discovery.db_dirty) && !forced {
            return Vec::new();
        }
        let Some(db) = self.opencode.as_mut() else {
            return Vec::new();
        };
        if std::mem::take(&mut self.discovery.db_created) {
            db.reopen();
        }
        let (events, queried, opened) = db.poll(forced);
        self.discovery.stats.db_queries += u64::from(queried);
        self.discovery.stats.files_opened += u64::from(opened);
        events
    }
}

/// A name without path separators or dots in front (an id from a hook).
fn is_plain_name(id: &str) -> bool {
    !id.is_empty() && !id.starts_with('.') && !id.contains('/') && id.len() <= 200
}

/// How much of a session log is read at a time.
const READ_CHUNK: u64 = 1024 * 1024;

/// The longest session-log line goalie parses: 32 MiB (a 10 MB line of tool
/// output is read whole). A longer one is thrown away as it is read, so what
/// goalie holds of a log is at most this plus one read chunk (`READ_CHUNK`, 1 MiB).
pub const MAX_LOG_LINE: usize = 32 * 1024 * 1024;

/// The whole lines of the next piece (at most [`READ_CHUNK`]) added to the
/// followed file since the last read, reading no further than byte `limit`;
/// `None` once there is nothing more to read.
fn read_new_lines(followed: &mut Followed, limit: u64) -> Option<Vec<String>> {
    let len = followed
        .file
        .metadata()
        .map(|m| m.len())
        .unwrap_or(0)
        .min(limit);
    if len < followed.offset {
        // Truncated: start over.
        followed.offset = 0;
        followed.partial.clear();
        followed.skipping = false;
    }
    if len == followed.offset
        || followed
            .file
            .seek(SeekFrom::Start(followed.offset))
            .is_err()
    {
        return None;
    }
    let mut bytes = Vec::new();
    let want = (len - followed.offset).min(READ_CHUNK);
    match (&mut followed.file).take(want).read_to_end(&mut bytes) {
        Ok(0) | Err(_) => return None,
        Ok(_) => {}
    }
    followed.offset += bytes.len() as u64;
    let mut bytes = &bytes[..];
    if followed.skipping {
        let Some(newline) = bytes.iter().position(|b| *b == b'\n') else {
            return Some(Vec::new());
        };
        bytes = &bytes[newline + 1..];
        followed.skipping = false;
    }
    followed.partial.extend_from_slice(bytes);
    // Only whole lines: the agent may be halfway through writing the last one.
    let lines = match followed.partial.iter().rposition(|b| *b == b'\n') {
        None => Vec::new(),
        Some(end) => {
            let complete: Vec<u8> = followed.partial.drain(..=end).collect();
            String::from_utf8_lossy(&complete)
                .lines()
                .map(str::to_string)
                .collect()
        }
    };
    if followed.partial.len() > MAX_LOG_LINE {
        tracing::warn!(
            path = %followed.path.display(),
            "a session-log line longer than 32 MiB is skipped"
        );
        followed.partial = Vec::new();
        followed.skipping = true;
    }
    Some(lines)
}

/// Expands a log folder template: `$VAR` from the environment (a template
/// naming an unset variable is skipped), a leading `~` as the home folder.
/// Returns the first template that expands.
pub fn resolve_root(templates: &[String], env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    templates.iter().find_map(|template| {
        let mut out = String::new();
        let mut rest = template.as_str();
        if let Some(tail) = rest.strip_prefix('~') {
            out.push_str(&env("HOME")?);
            rest = tail;
        }
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            out.push_str(&env(&after[..len]).filter(|v| !v.is_empty())?);
            rest = &after[len..];
        }
        out.push_str(rest);
        Some(PathBuf::from(out))
    })
}

#[cfg(test)]
mod bound_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::session_log::{claude_project_dir, gemini_hash_of};
    use std::io::Write;

    #[test]
    fn templates_expand_from_the_environment() {
        let env = |name: &str| match name {
            "HOME" => Some("/home/u".to_string()),
            "CODEX_HOME" => Some("/x/codex".to_string()),
            _ => None,
        };
        let t = |list: &[&str]| {
            resolve_root(
                &list.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                &env,
            )
        };
        assert_eq!(
            t(&["$CODEX_HOME/sessions", "~/.codex/sessions"]),
            Some("/x/codex/sessions".into())
        );
        assert_eq!(
            t(&["$CLAUDE_CONFIG_DIR/projects", "~/.claude/projects"]),
            Some("/home/u/.claude/projects".into())
        );
        assert_eq!(t(&["$NOPE/x"]), None);
    }

    #[test]
    fn a_resumed_session_counts_only_what_this_run_adds() {
        let dir = tempfile::tempdir().unwrap();
        let workdir = "/home/user/project";
        let project = dir.path().join(claude_project_dir(workdir));
        std::fs::create_dir_all(&project).unwrap();
        let id = "e98f3d61-ac2c-4c1f-87cc-15ac176ec389";
        let path = project.join(format!("{id}.jsonl"));
        let reply = |n: u32| {
            format!(
                r#"{{"type":"assistant","message":{{"id":"m{n}","usage":{{"input_tokens":100,"output_tokens":0}}}}}}"#
            )
        };
        std::fs::write(&path, format!("{}\n{}\n", reply(1), reply(2))).unwrap();
        let mut tail = SessionTail::new(
            LogFormat::ClaudeTranscript,
            dir.path().into(),
            Path::new(workdir),
            SystemTime::now(),
        )
        .resuming(Some(id.to_string()));
        assert!(
            tail.poll(true)
                .iter()
                .all(|e| !matches!(e, LogEvent::Tokens { .. })),
            "earlier runs' lines are a baseline"
        );
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        writeln!(file, "{}", reply(3)).unwrap();
        let tokens: Vec<_> = tail
            .poll(false)
            .into_iter()
            .filter(|e| matches!(e, LogEvent::Tokens { .. }))
            .collect();
        assert_eq!(tokens, vec![LogEvent::Tokens { total: 100 }]);
    }

    #[test]
    fn a_new_file_of_the_resumed_gemini_session_does_not_take_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let workdir = "/home/user/project";
        let root = dir.path().join(".gemini/tmp");
        let chats = root.join("project/chats");
        std::fs::create_dir_all(&chats).unwrap();
        std::fs::write(
            dir.path().join(".gemini/projects.json"),
            r#"{"projects": {"/home/user/project": "project"}}"#,
        )
        .unwrap();
        let id = "b7bf4036-087a-4632-877b-8f67b913f646";
        let header = format!(
            r#"{{"sessionId":"{id}","projectHash":"{}","kind":"main"}}"#,
            gemini_hash_of(workdir)
        );
        let reply =
            |n: u32| format!(r#"{{"id":"r{n}","type":"gemini","tokens":{{"total":1010}}}}"#);
        let own = chats.join("session-2026-12-01T11-52-b7bf4036.jsonl");
        std::fs::write(&own, format!("{header}\n{}\n{}\n", reply(1), reply(2))).unwrap();
        let mut tail = SessionTail::new(
            LogFormat::GeminiChat,
            root,
            Path::new(workdir),
            SystemTime::now(),
        )
        .resuming(Some(id.to_string()));
        // gemini-cli 0.61.0 may first start a file of the same session, then
        // reopen the conversation's own file and write there.
        let twin = chats.join("session-2026-12-01T11-53-b7bf4036.jsonl");
        std::fs::write(&twin, format!("{header}\n")).unwrap();
        let mut file = std::fs::OpenOptions::new().append(true).open(&own).unwrap();
        writeln!(file, "{}", reply(3)).unwrap();
        assert_eq!(tail.poll(false), vec![LogEvent::Tokens { total: 1010 }]);
        assert_eq!(tail.path(), Some(own.as_path()));
    }

    #[test]
    fn a_conversation_resumed_without_an_id_counts_only_what_this_run_adds() {
        let dir = tempfile::tempdir().unwrap();
        let workdir = "/home/user/project";
        let root = dir.path().join(".gemini/tmp");
        let chats = root.join("project/chats");
        std::fs::create_dir_all(&chats).unwrap();
        std::fs::write(
            dir.path().join(".gemini/projects.json"),
            r#"{"projects": {"/home/user/project": "project"}}"#,
        )
        .unwrap();
        let header = format!(
            r#"{{"sessionId":"s1","projectHash":"{}","kind":"main"}}"#,
            gemini_hash_of(workdir)
        );
        let reply =
            |n: u32| format!(r#"{{"id":"r{n}","type":"gemini","tokens":{{"total":1000}}}}"#);
        let path = chats.join("session-2026-11-29T16-02-be296294.jsonl");
        std::fs::write(&path, format!("{header}\n{}\n{}\n", reply(1), reply(2))).unwrap();
        // Another project's chat is no part of it.
        let other = chats.join("session-other.jsonl");
        std::fs::write(&other, "{\"projectHash\":\"x\"}\n").unwrap();
        let mut tail = SessionTail::new(
            LogFormat::GeminiChat,
            root,
            Path::new(workdir),
            SystemTime::now(),
        )
        .resuming_existing();
        assert_eq!(tail.discovery.resumed_sizes.len(), 1);
        // This run's first reply lands before the tail first looks.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        writeln!(file, "{}", reply(3)).unwrap();
        assert_eq!(tail.poll(true), vec![LogEvent::Tokens { total: 1000 }]);
        writeln!(file, "{}", reply(4)).unwrap();
        assert_eq!(tail.poll(false), vec![LogEvent::Tokens { total: 2000 }]);
    }

    #[test]
    fn totals_that_repeat_or_go_back_are_not_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut tail = SessionTail::new(
            LogFormat::CodexRollout,
            dir.path().into(),
            Path::new("/w"),
            SystemTime::now(),
        );
        let today = jiff::Zoned::now().date();
        let day = crate::agent::session_places::day_folder(dir.path(), today);
        std::fs::create_dir_all(&day).unwrap();
        let path = day.join(format!(
            "rollout-{today}T12-28-28-01a1fe14-567b-7b42-8d7b-de516ddd01bd.jsonl"
        ));
        let meta = r#"{"type":"session_meta","payload":{"cwd":"/w"}}"#;
        let count = |n: u64| {
            format!(
                r#"{{"type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"total_tokens":{n}}}}}}}}}"#
            )
        };
        let lines = [
            meta.to_string(),
            count(1050),
            count(1050),
            count(3100),
            count(2050),
        ];
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let totals: Vec<u64> = tail
            .poll(true)
            .into_iter()
            .filter_map(|event| match event {
                LogEvent::Tokens { total } => Some(total),
                _ => None,
            })
            .collect();
        assert_eq!(totals, vec![1050, 3100]);
    }

    #[test]
    fn a_later_day_folder_made_during_the_run_is_looked_in_and_an_earlier_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut tail = SessionTail::new(
            LogFormat::CodexRollout,
            dir.path().into(),
            Path::new("/w"),
            SystemTime::now(),
        );
        let today = jiff::Zoned::now().date();
        let write = |day: jiff::civil::Date, total: u64| {
            let folder = crate::agent::session_places::day_folder(dir.path(), day);
            std::fs::create_dir_all(&folder).unwrap();
            let path = folder.join(format!("rollout-{day}T00-00-01-{total}.jsonl"));
            let lines = [
                r#"{"type":"session_meta","payload":{"cwd":"/w"}}"#.to_string(),
                format!(
                    r#"{{"type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"total_tokens":{total}}}}}}}}}"#
                ),
            ];
            std::fs::write(&path, lines.join("\n") + "\n").unwrap();
            path
        };
        // Five days ago: a folder no session started now is written in.
        write(today.checked_sub(jiff::ToSpan::days(5)).unwrap(), 111);
        assert_eq!(tail.poll(false), vec![]);
        assert_eq!(tail.path(), None);
        // Three days on (a run that lasts): its new folder, seen by its events alone.
        let later = write(today.checked_add(jiff::ToSpan::days(3)).unwrap(), 222);
        assert_eq!(tail.poll(false), vec![LogEvent::Tokens { total: 222 }]);
        assert_eq!(tail.path(), Some(later.as_path()));
        let stats = tail.stats();
        assert_eq!(
            stats.files_opened, 2,
            "its first line, then to follow it: {stats:?}"
        );
        assert_eq!(stats.rescans, 0, "{stats:?}");
    }

    #[test]
    fn opencode_replies_of_this_directory_add_up() {
        let dir = tempfile::tempdir().unwrap();
        let db = rusqlite::Connection::open(dir.path().join("opencode.db")).unwrap();
        // As opencode has it: in WAL mode (goalie reads it only then).
        db.pragma_update(None, "journal_mode", "wal").unwrap();
        db.execute_batch(
            "CREATE TABLE session (id TEXT PRIMARY KEY, directory TEXT NOT NULL,
                                   time_created INTEGER NOT NULL);
             CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL,
                                   time_created INTEGER NOT NULL, data TEXT NOT NULL);",
        )
        .unwrap();
        let started = SystemTime::now();
        let now = started
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let mut tail = SessionTail::new(
            LogFormat::OpencodeDb,
            dir.path().into(),
            Path::new("/home/user/project"),
            started,
        );
        db.execute(
            "INSERT INTO session VALUES ('s1', '/home/user/project', ?1), ('s2', '/elsewhere', ?1)",
            [now],
        )
        .unwrap();
        let add = |id: &str, session: &str, at: i64, data: &str| {
            db.execute(
                "INSERT INTO message VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![id, session, at, data],
            )
            .unwrap();
        };
        add(
            "m0",
            "s1",
            now - 60_000,
            r#"{"role":"assistant","tokens":{"total":999}}"#,
        );
        add("m1", "s1", now, r#"{"role":"user"}"#);
        add(
            "m2",
            "s1",
            now + 1,
            r#"{"role":"assistant","tokens":{"total":6020},"finish":"tool-calls","time":{"completed":1}}"#,
        );
        add(
            "m3",
            "s2",
            now + 2,
            r#"{"role":"assistant","tokens":{"total":5}}"#,
        );
        assert_eq!(tail.poll(true), vec![LogEvent::Tokens { total: 6020 }]);
        add(
            "m4",
            "s1",
            now + 3,
            r#"{"role":"assistant","tokens":{"total":7050},"finish":"stop","time":{"completed":2}}"#,
        );
        assert_eq!(
            tail.poll(false),
            vec![LogEvent::Tokens { total: 13_070 }, LogEvent::TurnComplete]
        );
        assert_eq!(tail.poll(false), vec![]);
        // A reply that ended in the provider's error once its retries were spent
        // (the shape opencode 1.18.33 stores): an API error, and the turn is over.
        add(
            "m5",
            "s1",
            now + 4,
            r#"{"role":"assistant","finish":null,"error":{"name":"APIError","data":{"message":"fake model: scripted HTTP 500","statusCode":500,"isRetryable":true}},"time":{"created":1,"completed":3},"tokens":{"input":0,"output":0,"reasoning":0}}"#,
        );
        assert_eq!(
            tail.poll(false),
            vec![
                LogEvent::ApiError {
                    status: Some(500),
                    message: "fake model: scripted HTTP 500".into()
                },
                LogEvent::TurnComplete
            ]
        );
        // One the person stopped is over too, but is no API error.
        add(
            "m6",
            "s1",
            now + 5,
            r#"{"role":"assistant","error":{"name":"MessageAbortedError","data":{"message":"Aborted"}},"time":{"created":1,"completed":4}}"#,
        );
        assert_eq!(tail.poll(false), vec![LogEvent::TurnComplete]);
        assert_eq!(tail.poll(false), vec![]);
    }

    #[test]
    fn follows_the_runs_file_and_reads_whole_lines_only() {
        let dir = tempfile::tempdir().unwrap();
        let workdir = "/home/user/project";
        let project = dir.path().join(claude_project_dir(workdir));
        std::fs::create_dir_all(&project).unwrap();
        let other = dir.path().join("-somewhere-else");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("x.jsonl"), "{}\n").unwrap();
        let started = SystemTime::now();
        let mut tail = SessionTail::new(
            LogFormat::ClaudeTranscript,
            dir.path().into(),
            Path::new(workdir),
            started,
        );
        assert!(tail.poll(true).is_empty());
        assert_eq!(tail.path(), None, "another folder's file is not ours");

        let path = project.join("s.jsonl");
        let mut file = std::fs::File::create(&path).unwrap();
        let reply = r#"{"type":"assistant","message":{"id":"m1","usage":{"input_tokens":100,"output_tokens":5}}}"#;
        write!(file, "{reply}\n{}", &reply[..20]).unwrap();
        file.flush().unwrap();
        assert_eq!(
            tail.poll(true),
            vec![
                LogEvent::Tokens { total: 105 },
                LogEvent::Context {
                    tokens: 100,
                    window: None
                }
            ]
        );
        assert_eq!(tail.path(), Some(path.as_path()));
        // The rest of the half-written line, and a turn end.
        let turn_end = r#"{"type":"system","subtype":"turn_duration"}"#;
        write!(file, "{}\n{turn_end}\n", &reply[20..].replace("m1", "m2")).unwrap();
        file.flush().unwrap();
        let events = tail.poll(false);
        assert_eq!(
            events,
            vec![
                LogEvent::Tokens { total: 210 },
                LogEvent::Context {
                    tokens: 100,
                    window: None
                },
                LogEvent::TurnComplete
            ]
        );

        // The next agent process's tail never takes this file for its own.
        let mut next = tail.successor(SystemTime::now());
        assert!(next.poll(true).is_empty());
        assert_eq!(next.path(), None);
        let newer = project.join("t.jsonl");
        std::fs::write(&newer, format!("{reply}\n")).unwrap();
        assert_eq!(next.poll(true)[0], LogEvent::Tokens { total: 105 });
        assert_eq!(next.path(), Some(newer.as_path()));
    }
}
