//! Follows an agent's session log as it grows: finds the file that belongs to
//! this run (written after the agent started, for this working directory),
//! reads the lines appended since the last look, and hands them to the pure
//! [`LogParser`]. A `notify` watcher wakes it when files change; it also looks
//! on every tick, so a missed notification only costs a moment.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::agent::session_log::{
    LogFormat, LogParser, claude_project_dir, codex_session_cwd, first_line, gemini_hash_of,
    gemini_project_hash, session_id,
};
use crate::core::log_event::LogEvent;

/// How deep below the log root session files may be (Codex: sessions/Y/M/D/f).
const MAX_DEPTH: usize = 5;
/// Files older than the agent's start by more than this are another run's.
const CLOCK_SLACK: Duration = Duration::from_secs(2);

/// The log of one run.
pub struct SessionTail {
    format: LogFormat,
    root: PathBuf,
    workdir: String,
    started: SystemTime,
    /// The session this run resumes: its file holds earlier runs' lines, which
    /// set the baseline but are not reported again.
    resumed_session: Option<String>,
    /// When this run resumes a conversation: the session files already there
    /// and their sizes, whose lines are earlier runs' (a baseline only).
    resumed_sizes: std::collections::HashMap<PathBuf, u64>,
    current: Option<Followed>,
    /// Tokens counted in files this run followed before the current one.
    earlier_files_total: u64,
    last_total: u64,
    /// Files of earlier agent processes of the goal: never this process's.
    excluded: Vec<PathBuf>,
    /// Every file this tail followed.
    followed: Vec<PathBuf>,
    /// opencode: the replies already seen complete (their turn ends were reported).
    finished_replies: std::collections::HashSet<String>,
}

struct Followed {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
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
        SessionTail {
            format,
            root,
            workdir: workdir.display().to_string(),
            started,
            resumed_session: None,
            resumed_sizes: std::collections::HashMap::new(),
            current: None,
            earlier_files_total: 0,
            last_total: 0,
            excluded: Vec::new(),
            followed: Vec::new(),
            finished_replies: std::collections::HashSet::new(),
        }
    }

    /// The tail of the next agent process of the same run, started at
    /// `started`: it never follows a file this one followed (written moments
    /// ago, such a file looks like the new process's).
    pub fn successor(&self, started: SystemTime) -> SessionTail {
        let mut excluded = self.excluded.clone();
        excluded.extend(self.followed.iter().cloned());
        SessionTail {
            format: self.format,
            root: self.root.clone(),
            workdir: self.workdir.clone(),
            started,
            resumed_session: None,
            resumed_sizes: std::collections::HashMap::new(),
            current: None,
            earlier_files_total: 0,
            last_total: 0,
            excluded,
            followed: Vec::new(),
            finished_replies: std::collections::HashSet::new(),
        }
    }

    /// This run resumes `session`: its log's earlier lines are a baseline only.
    pub fn resuming(mut self, session: Option<String>) -> SessionTail {
        self.resumed_session = session;
        self
    }

    /// This run resumes a conversation it has no id for (an adapter whose
    /// `resume_args` continue the folder's latest one): what the session files
    /// of this folder hold now is earlier runs', a baseline only, whichever of
    /// them the agent continues.
    pub fn resuming_existing(mut self) -> SessionTail {
        let mut found = Vec::new();
        self.walk(&self.root, 0, None, &mut found);
        self.resumed_sizes = found
            .into_iter()
            .filter_map(|(_, path)| Some((path.clone(), std::fs::metadata(&path).ok()?.len())))
            .collect();
        self
    }

    pub fn format(&self) -> LogFormat {
        self.format
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file being followed, if one was found.
    pub fn path(&self) -> Option<&Path> {
        self.current.as_ref().map(|f| f.path.as_path())
    }

    /// Reads what was appended since the last call. `rescan` also looks for a
    /// newer session file (the agent may start a new one, e.g. after /clear).
    pub fn poll(&mut self, rescan: bool) -> Vec<LogEvent> {
        if self.format == LogFormat::OpencodeDb {
            return self.poll_opencode();
        }
        if (rescan || self.current.is_none())
            && let Some(newest) = self.find()
            && self.current.as_ref().is_none_or(|f| f.path != newest)
        {
            self.earlier_files_total += self.last_total;
            self.last_total = 0;
            self.followed.push(newest.clone());
            let mut followed = Followed {
                path: newest,
                offset: 0,
                partial: Vec::new(),
                parser: LogParser::new(self.format),
                baseline: 0,
                highest: 0,
            };
            let earlier = match self.resumed_sizes.get(&followed.path) {
                Some(&size) => Some(size),
                None => (self.resumed_session.is_some()
                    && session_id(self.format, &followed.path) == self.resumed_session)
                    .then_some(u64::MAX),
            };
            if let Some(size) = earlier {
                // Read what earlier runs wrote, silently: it is the baseline.
                for line in read_new_lines(&mut followed, size) {
                    for event in followed.parser.line(&line) {
                        if let LogEvent::Tokens { total } = event {
                            followed.baseline = followed.baseline.max(total);
                        }
                    }
                }
                followed.highest = followed.baseline;
            }
            self.current = Some(followed);
        }
        let Some(followed) = self.current.as_mut() else {
            return Vec::new();
        };
        let mut events = Vec::new();
        for line in read_new_lines(followed, u64::MAX) {
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
        events
    }

    /// The newest session file of this run, if any.
    fn find(&self) -> Option<PathBuf> {
        let mut candidates = Vec::new();
        let since = self
            .started
            .checked_sub(CLOCK_SLACK)
            .unwrap_or(self.started);
        self.walk(&self.root, 0, Some(since), &mut candidates);
        candidates.sort();
        candidates.pop().map(|(_, path)| path)
    }

    /// The session files of this working directory under `dir` (modified at
    /// or after `since`, when given).
    fn walk(
        &self,
        dir: &Path,
        depth: usize,
        since: Option<SystemTime>,
        found: &mut Vec<(SystemTime, PathBuf)>,
    ) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            let Ok(modified) = meta.modified() else {
                continue;
            };
            // Folders are walked whatever their time: appending to a session file
            // (a resumed conversation) does not touch its folder.
            if meta.is_dir() {
                if depth < MAX_DEPTH {
                    self.walk(&path, depth + 1, since, found);
                }
            } else if meta.is_file()
                && since.is_none_or(|since| modified >= since)
                && path.extension().is_some_and(|ext| ext == "jsonl")
                && !self.excluded.contains(&path)
                && self.belongs_here(&path)
            {
                found.push((modified, path));
            }
        }
    }

    fn belongs_here(&self, path: &Path) -> bool {
        match self.format {
            LogFormat::CodexRollout => first_line(path)
                .and_then(|line| codex_session_cwd(&line))
                .is_some_and(|cwd| cwd == self.workdir),
            LogFormat::ClaudeTranscript => path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|name| name.to_string_lossy() == claude_project_dir(&self.workdir)),
            LogFormat::GeminiChat => first_line(path)
                .and_then(|line| gemini_project_hash(&line))
                .is_some_and(|hash| hash == gemini_hash_of(&self.workdir)),
            LogFormat::OpencodeDb => false,
        }
    }

    /// opencode keeps its sessions in a SQLite database (`ROOT/opencode.db`):
    /// the replies of this working directory's sessions since the agent
    /// started. Their tokens add up; a reply that finished with `stop` ends a turn.
    fn poll_opencode(&mut self) -> Vec<LogEvent> {
        use rusqlite::{OpenFlags, params};
        let path = self.root.join("opencode.db");
        if !path.is_file() {
            return Vec::new();
        }
        if self.current.is_none() {
            self.current = Some(Followed {
                path: path.clone(),
                offset: 0,
                partial: Vec::new(),
                parser: LogParser::new(self.format),
                baseline: 0,
                highest: 0,
            });
        }
        let since_ms = self
            .started
            .checked_sub(CLOCK_SLACK)
            .unwrap_or(self.started)
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let replies = (|| -> rusqlite::Result<Vec<(String, String)>> {
            let db = rusqlite::Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            db.busy_timeout(Duration::from_millis(200))?;
            let mut query = db.prepare(
                "SELECT m.id, m.data FROM message m JOIN session s ON s.id = m.session_id
                 WHERE s.directory = ?1 AND m.time_created >= ?2
                 ORDER BY m.time_created, m.id",
            )?;
            query
                .query_map(params![self.workdir, since_ms], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })?
                .collect()
        })();
        let Ok(replies) = replies else {
            // Locked or mid-migration: the next look reads it.
            return Vec::new();
        };
        let mut events = Vec::new();
        let mut total = 0;
        for (id, data) in replies {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(&data) else {
                continue;
            };
            if message["role"] != "assistant" {
                continue;
            }
            total += message["tokens"]["total"].as_u64().unwrap_or(0);
            let completed = message["time"]["completed"].is_u64();
            let error = &message["error"];
            // A reply that ended in an error (its retries spent) ends the turn too.
            let finished = completed && (message["finish"] == "stop" || error.is_object());
            if finished && self.finished_replies.insert(id) {
                if error["name"] == "APIError" {
                    let data = &error["data"];
                    events.push(LogEvent::ApiError {
                        status: data["statusCode"]
                            .as_u64()
                            .and_then(|code| u16::try_from(code).ok()),
                        message: data["message"].as_str().unwrap_or("").to_string(),
                    });
                }
                events.push(LogEvent::TurnComplete);
            }
        }
        if total != self.last_total {
            self.last_total = total;
            events.insert(0, LogEvent::Tokens { total });
        }
        events
    }
}

/// The whole lines added to the followed file since the last read, reading
/// no further than byte `limit`.
fn read_new_lines(followed: &mut Followed, limit: u64) -> Vec<String> {
    let Ok(mut file) = File::open(&followed.path) else {
        return Vec::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0).min(limit);
    if len < followed.offset {
        // Truncated or replaced: start over.
        followed.offset = 0;
        followed.partial.clear();
    }
    if len == followed.offset || file.seek(SeekFrom::Start(followed.offset)).is_err() {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    if (&mut file)
        .take(len - followed.offset)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return Vec::new();
    }
    followed.offset += bytes.len() as u64;
    followed.partial.extend_from_slice(&bytes);
    // Only whole lines: the agent may be halfway through writing the last one.
    let Some(end) = followed.partial.iter().rposition(|b| *b == b'\n') else {
        return Vec::new();
    };
    let complete: Vec<u8> = followed.partial.drain(..=end).collect();
    String::from_utf8_lossy(&complete)
        .lines()
        .map(str::to_string)
        .collect()
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
mod tests {
    use super::*;
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
    fn a_conversation_resumed_without_an_id_counts_only_what_this_run_adds() {
        let dir = tempfile::tempdir().unwrap();
        let workdir = "/home/user/project";
        let chats = dir.path().join("project/chats");
        std::fs::create_dir_all(&chats).unwrap();
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
            dir.path().into(),
            Path::new(workdir),
            SystemTime::now(),
        )
        .resuming_existing();
        assert_eq!(tail.resumed_sizes.len(), 1);
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
        let day = dir.path().join("2026/11/21");
        std::fs::create_dir_all(&day).unwrap();
        let path =
            day.join("rollout-2026-11-21T12-28-28-01a1fe14-567b-7b42-8d7b-de516ddd01bd.jsonl");
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
        let mut tail = SessionTail::new(
            LogFormat::CodexRollout,
            dir.path().into(),
            Path::new("/w"),
            SystemTime::now(),
        );
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
    fn opencode_replies_of_this_directory_add_up() {
        let dir = tempfile::tempdir().unwrap();
        let db = rusqlite::Connection::open(dir.path().join("opencode.db")).unwrap();
        db.execute_batch(
            "CREATE TABLE session (id TEXT PRIMARY KEY, directory TEXT NOT NULL);
             CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL,
                                   time_created INTEGER NOT NULL, data TEXT NOT NULL);
             INSERT INTO session VALUES ('s1', '/home/user/project'), ('s2', '/elsewhere');",
        )
        .unwrap();
        let started = SystemTime::now();
        let now = started
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
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
        let mut tail = SessionTail::new(
            LogFormat::OpencodeDb,
            dir.path().into(),
            Path::new("/home/user/project"),
            started,
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
