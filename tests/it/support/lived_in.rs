//! Lived-in agent homes: the session logs of months of earlier use, as a real
//! user's `~/.codex`, `~/.claude`, `~/.gemini` or opencode database holds them,
//! for goalie to start in. Each home has sessions of other projects, sessions
//! of this working directory on earlier days, files whose times are in the
//! future or the past, and one session of this working directory that another
//! agent process started just before the run and keeps writing during it
//! ([`Concurrent`]). Contents follow the real formats of the pinned CLIs (the
//! fixtures in `tests/fixtures/session-logs/`), with made-up ids and figures.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use goalie::agent::session_log::{claude_project_dir, gemini_hash_of};
use jiff::{Timestamp, ToSpan, Zoned, tz::TimeZone};
use serde_json::json;

/// What a generated home holds.
pub struct Home {
    /// Earlier sessions written (files, or opencode sessions).
    pub sessions: usize,
    /// Of them, this working directory's.
    pub this_project: usize,
    /// The session of this working directory another agent process writes.
    pub concurrent: Concurrent,
}

/// A session of the run's working directory, started by another agent
/// process just before the run, that goes on growing while goalie runs: each
/// [`Concurrent::append_turn`] adds one reply's usage.
pub struct Concurrent {
    target: Target,
    turns: u64,
}

enum Target {
    Codex(PathBuf),
    Claude(PathBuf, String),
    Gemini(PathBuf),
    Opencode(PathBuf, String),
}

impl Concurrent {
    /// Where it is written (the database, for opencode).
    pub fn path(&self) -> &Path {
        match &self.target {
            Target::Codex(path)
            | Target::Claude(path, _)
            | Target::Gemini(path)
            | Target::Opencode(path, _) => path,
        }
    }

    /// Adds one more reply (7,777 tokens, whatever the format) to it.
    pub fn append_turn(&mut self) {
        self.turns += 1;
        let n = self.turns;
        let line = match &self.target {
            Target::Codex(_) => codex_tokens(7777 * n),
            Target::Claude(_, session) => {
                claude_reply(session, &format!("msg_other_{n}"), 7000, 777)
            }
            Target::Gemini(_) => gemini_reply(&format!("other-{n}"), 7777),
            Target::Opencode(db, session) => {
                let db = rusqlite::Connection::open(db).expect("opencode db");
                db.busy_timeout(Duration::from_secs(5))
                    .expect("busy timeout");
                let now = now_ms();
                add_opencode_reply(&db, session, &format!("msg_other_{n}"), now, 7777, true);
                return;
            }
        };
        let mut file = OpenOptions::new()
            .append(true)
            .open(self.path())
            .expect("concurrent session");
        writeln!(file, "{line}").expect("append");
    }

    /// Appends a reply every `every` on a thread of its own, until the
    /// returned guard is dropped.
    pub fn keep_writing(mut self, every: Duration) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                self.append_turn();
            }
        });
        Writer {
            stop,
            thread: Some(thread),
        }
    }
}

/// Stops the [`Concurrent`] writer when dropped.
pub struct Writer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A small deterministic generator of ids and figures.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
}

/// Which project an earlier session `i` belongs to: every 20th is this
/// working directory's, the rest spread over 40 other projects.
fn project_of(i: usize, workdir: &Path) -> String {
    if i.is_multiple_of(20) {
        workdir.display().to_string()
    } else {
        format!("/home/user/src/project-{:02}", i % 40)
    }
}

/// When earlier session `i` was written: spread over the last 200 days.
fn time_of(i: usize, now: &Zoned) -> Zoned {
    let days = 1 + (i % 200) as i64;
    let minutes = ((i * 37) % (24 * 60)) as i64;
    now.checked_sub(days.days())
        .and_then(|t| t.checked_sub(minutes.minutes()))
        .expect("a time in the past")
}

/// The mtimes the odd files get: a day and a year ahead, a long time ago.
fn odd_mtime(k: usize) -> SystemTime {
    let now = SystemTime::now();
    match k % 3 {
        0 => now + Duration::from_secs(86_400),
        1 => now + Duration::from_secs(365 * 86_400),
        _ => SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000),
    }
}

fn set_mtime(path: &Path, when: SystemTime) {
    File::options()
        .write(true)
        .open(path)
        .and_then(|file| file.set_modified(when))
        .expect("set mtime");
}

fn write_lines(path: &Path, lines: &[String], mtime: SystemTime) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("session folder");
    std::fs::write(path, lines.join("\n") + "\n").expect("session file");
    set_mtime(path, mtime);
}

fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// Filler of about `bytes` characters, as agents' first lines carry their
/// instructions.
fn filler(bytes: usize) -> String {
    "You are a coding agent. Be precise, safe and helpful. "
        .chars()
        .cycle()
        .take(bytes)
        .collect()
}

// ---- Codex: $CODEX_HOME/sessions/YYYY/MM/DD/rollout-<local time>-<id>.jsonl

pub fn codex_meta(id: &str, at: &Zoned, cwd: &str, first_line_bytes: usize) -> String {
    json!({
        "timestamp": at.timestamp().to_string(),
        "type": "session_meta",
        "payload": {
            "session_id": id, "id": id, "timestamp": at.timestamp().to_string(), "cwd": cwd,
            "originator": "codex-tui", "cli_version": "0.169.0", "source": "cli",
            "model_provider": "openai",
            "base_instructions": { "text": filler(first_line_bytes) },
        }
    })
    .to_string()
}

pub fn codex_tokens(total: u64) -> String {
    json!({"type": "event_msg", "payload": {"type": "token_count", "info": {
        "total_token_usage": {"input_tokens": total - total / 20, "output_tokens": total / 20,
                              "total_tokens": total},
        "last_token_usage": {"input_tokens": total / 2, "output_tokens": total / 40},
        "model_context_window": 258_400}}})
    .to_string()
}

fn codex_session(id: &str, at: &Zoned, cwd: &str, first_line_bytes: usize) -> Vec<String> {
    vec![
        codex_meta(id, at, cwd, first_line_bytes),
        json!({"type": "response_item", "payload": {"type": "message", "role": "user",
               "content": [{"type": "input_text", "text": "Fix the failing test."}]}})
        .to_string(),
        codex_tokens(12_345),
        json!({"type": "event_msg", "payload": {"type": "task_complete",
               "last_agent_message": "Fixed it."}})
        .to_string(),
    ]
}

pub fn codex_path(sessions: &Path, at: &Zoned, id: &str) -> PathBuf {
    sessions
        .join(format!("{:04}", at.year()))
        .join(format!("{:02}", at.month()))
        .join(format!("{:02}", at.day()))
        .join(format!(
            "rollout-{}-{id}.jsonl",
            at.strftime("%Y-%m-%dT%H-%M-%S")
        ))
}

/// A Codex `sessions` folder with `count` earlier sessions (first lines of
/// about `first_line_bytes`, as Codex writes its instructions there).
pub fn codex(sessions: &Path, workdir: &Path, count: usize, first_line_bytes: usize) -> Home {
    let mut rng = Rng(1);
    let now = Zoned::now();
    let mut this_project = 0;
    for i in 0..count {
        let cwd = project_of(i, workdir);
        this_project += usize::from(cwd == workdir.display().to_string());
        // One in ten is from earlier today.
        let at = if i % 10 == 3 {
            now.checked_sub(((i % 600) as i64 + 5).minutes())
                .expect("today")
        } else {
            time_of(i, &now)
        };
        let id = rng.uuid();
        let path = codex_path(sessions, &at, &id);
        let mtime = if i.is_multiple_of(97) {
            odd_mtime(i / 97)
        } else {
            SystemTime::from(at.timestamp())
        };
        write_lines(
            &path,
            &codex_session(&id, &at, &cwd, first_line_bytes),
            mtime,
        );
    }
    // A folder of tomorrow (a clock that ran ahead) with a session of this project.
    let tomorrow = now.checked_add(1.day()).expect("tomorrow");
    let id = rng.uuid();
    let cwd = workdir.display().to_string();
    write_lines(
        &codex_path(sessions, &tomorrow, &id),
        &codex_session(&id, &tomorrow, &cwd, first_line_bytes),
        SystemTime::from(tomorrow.timestamp()),
    );
    let id = rng.uuid();
    let started = now.checked_sub(1.minute()).expect("a minute ago");
    let path = codex_path(sessions, &started, &id);
    write_lines(
        &path,
        &codex_session(&id, &started, &cwd, first_line_bytes),
        SystemTime::now(),
    );
    Home {
        sessions: count + 1,
        this_project: this_project + 1,
        concurrent: Concurrent {
            target: Target::Codex(path),
            turns: 0,
        },
    }
}

// ---- Claude Code: $CLAUDE_CONFIG_DIR/projects/<dir>/<session>.jsonl

pub fn claude_reply(session: &str, message_id: &str, input: u64, output: u64) -> String {
    json!({"parentUuid": null, "isSidechain": false, "type": "assistant",
           "message": {"id": message_id, "type": "message", "role": "assistant",
                       "model": "claude-sonnet-4-5",
                       "content": [{"type": "text", "text": "Done."}],
                       "usage": {"input_tokens": input, "output_tokens": output,
                                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}},
           "sessionId": session, "version": "2.1.197"})
    .to_string()
}

fn claude_session(session: &str, cwd: &str, first_line_bytes: usize, rng: &mut Rng) -> Vec<String> {
    vec![
        json!({"type": "permission-mode", "permissionMode": "default", "sessionId": session})
            .to_string(),
        json!({"parentUuid": null, "isSidechain": false, "type": "user",
               "message": {"role": "user", "content": filler(first_line_bytes)},
               "uuid": rng.uuid(), "cwd": cwd, "sessionId": session, "version": "2.1.197"})
        .to_string(),
        claude_reply(session, &format!("msg_{}", rng.next()), 12_000, 345),
        json!({"type": "system", "subtype": "turn_duration", "durationMs": 4242,
               "sessionId": session})
        .to_string(),
    ]
}

/// A Claude Code `projects` folder with `count` earlier sessions.
pub fn claude(projects: &Path, workdir: &Path, count: usize, first_line_bytes: usize) -> Home {
    let mut rng = Rng(2);
    let now = Zoned::now();
    let mut this_project = 0;
    for i in 0..count {
        let cwd = project_of(i, workdir);
        this_project += usize::from(cwd == workdir.display().to_string());
        let session = rng.uuid();
        let folder = projects.join(claude_project_dir(&cwd));
        let path = folder.join(format!("{session}.jsonl"));
        let mtime = if i.is_multiple_of(97) {
            odd_mtime(i / 97)
        } else {
            SystemTime::from(time_of(i, &now).timestamp())
        };
        write_lines(
            &path,
            &claude_session(&session, &cwd, first_line_bytes, &mut rng),
            mtime,
        );
        // Some sessions ran subagents, whose transcripts sit in a folder of the session.
        if i.is_multiple_of(50) {
            let agent = folder.join(&session).join("subagents/agent-a1b2c3.jsonl");
            write_lines(
                &agent,
                &claude_session(&session, &cwd, 100, &mut rng),
                mtime,
            );
        }
    }
    let session = rng.uuid();
    let cwd = workdir.display().to_string();
    let path = projects
        .join(claude_project_dir(&cwd))
        .join(format!("{session}.jsonl"));
    write_lines(
        &path,
        &claude_session(&session, &cwd, first_line_bytes, &mut rng),
        SystemTime::now(),
    );
    Home {
        sessions: count + 1,
        this_project: this_project + 1,
        concurrent: Concurrent {
            target: Target::Claude(path, session),
            turns: 0,
        },
    }
}

// ---- gemini-cli: ~/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl

pub fn gemini_reply(id: &str, total: u64) -> String {
    json!({"id": id, "timestamp": Timestamp::now().to_string(), "type": "gemini",
           "content": "Done.", "thoughts": [],
           "tokens": {"input": total - 50, "output": 50, "cached": 0, "thoughts": 0, "tool": 0,
                      "total": total},
           "model": "gemini-3.8-flash"})
    .to_string()
}

/// A gemini-cli chat's lines up to its first reply.
pub fn gemini_session(id: &str, cwd: &str, at: &Zoned, first_line_bytes: usize) -> Vec<String> {
    let time = at.timestamp().to_string();
    vec![
        json!({"sessionId": id, "projectHash": gemini_hash_of(cwd), "startTime": time,
               "lastUpdated": time, "kind": "main"})
        .to_string(),
        json!({"id": format!("u-{id}"), "timestamp": time, "type": "user",
               "content": [{"text": filler(first_line_bytes)}]})
        .to_string(),
        gemini_reply(&format!("r-{id}"), 12_345),
    ]
}

pub fn gemini_path(chats: &Path, at: &Zoned, id: &str) -> PathBuf {
    chats.join(format!(
        "session-{}-{}.jsonl",
        at.with_time_zone(TimeZone::UTC).strftime("%Y-%m-%dT%H-%M"),
        &id[..8]
    ))
}

/// gemini-cli's folder (`~/.gemini`) with `count` earlier chats: a project
/// registry (`projects.json`) naming each project's folder under `tmp/`, whose
/// `.project_root` says whose it is, and the older hash-named folders of a
/// few projects. This project's folder is `<name>-1`: another project of the
/// same name had `<name>` first.
pub fn gemini(gemini_dir: &Path, workdir: &Path, count: usize, first_line_bytes: usize) -> Home {
    let mut rng = Rng(3);
    let now = Zoned::now();
    let tmp = gemini_dir.join("tmp");
    let ours = workdir.display().to_string();
    let name = workdir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_else(|| "project".into());
    let mut registry = serde_json::Map::new();
    let namesake = format!("/home/user/old/{name}");
    let mut slug_of = |cwd: &str| -> String {
        if let Some(slug) = registry.get(cwd) {
            return slug.as_str().expect("slug").to_string();
        }
        let slug = if cwd == namesake {
            name.clone()
        } else if cwd == ours {
            format!("{name}-1")
        } else {
            cwd.rsplit('/').next().expect("name").to_string()
        };
        registry.insert(cwd.to_string(), json!(slug));
        std::fs::create_dir_all(tmp.join(&slug)).expect("project folder");
        std::fs::write(tmp.join(&slug).join(".project_root"), cwd).expect(".project_root");
        slug
    };
    slug_of(&namesake);
    let mut this_project = 0;
    for i in 0..count {
        let mut cwd = project_of(i, workdir);
        if i % 20 == 10 {
            cwd = namesake.clone();
        }
        this_project += usize::from(cwd == ours);
        let at = time_of(i, &now);
        let id = rng.uuid();
        // Every 13th of another project's from before the registry: a hash-named folder.
        let folder = if i.is_multiple_of(13) && cwd != ours {
            tmp.join(gemini_hash_of(&cwd))
        } else {
            tmp.join(slug_of(&cwd))
        };
        let path = gemini_path(&folder.join("chats"), &at, &id);
        let mtime = if i.is_multiple_of(97) {
            odd_mtime(i / 97)
        } else {
            SystemTime::from(at.timestamp())
        };
        write_lines(
            &path,
            &gemini_session(&id, &cwd, &at, first_line_bytes),
            mtime,
        );
    }
    let id = rng.uuid();
    let started = now.checked_sub(1.minute()).expect("a minute ago");
    let path = gemini_path(&tmp.join(slug_of(&ours)).join("chats"), &started, &id);
    write_lines(
        &path,
        &gemini_session(&id, &ours, &started, first_line_bytes),
        SystemTime::now(),
    );
    std::fs::write(
        gemini_dir.join("projects.json"),
        serde_json::to_string_pretty(&json!({ "projects": registry })).expect("registry"),
    )
    .expect("projects.json");
    Home {
        sessions: count + 1,
        this_project: this_project + 1,
        concurrent: Concurrent {
            target: Target::Gemini(path),
            turns: 0,
        },
    }
}

// ---- opencode: ~/.local/share/opencode/opencode.db (SQLite)

/// opencode 1.18.33's tables that hold sessions and their messages, with its
/// indexes (created only when the database does not have them yet).
const OPENCODE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS `project` (`id` text PRIMARY KEY, `worktree` text NOT NULL,
  `vcs` text, `name` text, `icon_url` text, `icon_url_override` text, `icon_color` text,
  `time_created` integer NOT NULL, `time_updated` integer NOT NULL, `time_initialized` integer,
  `sandboxes` text NOT NULL, `commands` text);
CREATE TABLE IF NOT EXISTS `session` (`id` text PRIMARY KEY, `project_id` text NOT NULL,
  `workspace_id` text, `parent_id` text, `slug` text NOT NULL, `directory` text NOT NULL,
  `path` text, `title` text NOT NULL, `version` text NOT NULL, `share_url` text,
  `summary_additions` integer, `summary_deletions` integer, `summary_files` integer,
  `summary_diffs` text, `metadata` text, `cost` real DEFAULT 0 NOT NULL,
  `tokens_input` integer DEFAULT 0 NOT NULL, `tokens_output` integer DEFAULT 0 NOT NULL,
  `tokens_reasoning` integer DEFAULT 0 NOT NULL, `tokens_cache_read` integer DEFAULT 0 NOT NULL,
  `tokens_cache_write` integer DEFAULT 0 NOT NULL, `revert` text, `permission` text,
  `agent` text, `model` text, `time_created` integer NOT NULL, `time_updated` integer NOT NULL,
  `time_compacting` integer, `time_archived` integer);
CREATE INDEX IF NOT EXISTS `session_project_idx` ON `session` (`project_id`);
CREATE INDEX IF NOT EXISTS `session_parent_idx` ON `session` (`parent_id`);
CREATE TABLE IF NOT EXISTS `message` (`id` text PRIMARY KEY, `session_id` text NOT NULL,
  `time_created` integer NOT NULL, `time_updated` integer NOT NULL, `data` text NOT NULL);
CREATE INDEX IF NOT EXISTS `message_session_time_created_id_idx`
  ON `message` (`session_id`,`time_created`,`id`);
CREATE TABLE IF NOT EXISTS `part` (`id` text PRIMARY KEY, `message_id` text NOT NULL,
  `session_id` text NOT NULL, `time_created` integer NOT NULL, `time_updated` integer NOT NULL,
  `data` text NOT NULL);
CREATE INDEX IF NOT EXISTS `part_message_id_id_idx` ON `part` (`message_id`,`id`);
CREATE INDEX IF NOT EXISTS `part_session_idx` ON `part` (`session_id`);
";

pub fn add_opencode_session(db: &rusqlite::Connection, id: &str, directory: &str, at: i64) {
    db.execute(
        "INSERT INTO session (id, project_id, slug, directory, title, version, time_created,
                              time_updated)
         VALUES (?1, 'global', 'misty-cactus', ?2, 'An earlier session', '1.18.33', ?3, ?3)",
        rusqlite::params![id, directory, at],
    )
    .expect("session row");
}

pub fn add_opencode_reply(
    db: &rusqlite::Connection,
    session: &str,
    id: &str,
    at: i64,
    total: u64,
    finished: bool,
) {
    let user = json!({"role": "user", "time": {"created": at}, "agent": "build",
                      "model": {"providerID": "fake", "modelID": "fake-model"}});
    let mut reply = json!({"role": "assistant", "mode": "build", "agent": "build", "cost": 0,
        "tokens": {"total": total, "input": total - 50, "output": 50, "reasoning": 0,
                   "cache": {"write": 0, "read": 0}},
        "modelID": "fake-model", "providerID": "fake", "time": {"created": at + 1}});
    if finished {
        reply["time"]["completed"] = json!(at + 2);
        reply["finish"] = json!("stop");
    }
    for (suffix, offset, data) in [("u", 0, user), ("a", 1, reply)] {
        db.execute(
            "INSERT INTO message (id, session_id, time_created, time_updated, data)
             VALUES (?1, ?2, ?3, ?3, ?4)",
            rusqlite::params![
                format!("{id}{suffix}"),
                session,
                at + offset,
                data.to_string()
            ],
        )
        .expect("message row");
        db.execute(
            "INSERT INTO part (id, message_id, session_id, time_created, time_updated, data)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
            rusqlite::params![
                format!("prt_{id}{suffix}"),
                format!("{id}{suffix}"),
                session,
                at + offset,
                json!({"type": "text", "text": "Fix the failing test."}).to_string()
            ],
        )
        .expect("part row");
    }
}

/// opencode's data folder with `count` earlier sessions in its database
/// (added to the one opencode made, if there is one; otherwise its tables are
/// created as opencode 1.18.33 has them).
pub fn opencode(data_dir: &Path, workdir: &Path, count: usize) -> Home {
    std::fs::create_dir_all(data_dir).expect("opencode data dir");
    let path = data_dir.join("opencode.db");
    let mut db = rusqlite::Connection::open(&path).expect("opencode db");
    db.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    db.pragma_update(None, "journal_mode", "wal").expect("wal");
    db.execute_batch(OPENCODE_TABLES).expect("opencode tables");
    let mut rng = Rng(4);
    let now = Zoned::now();
    let mut this_project = 0;
    let tx = db.transaction().expect("transaction");
    tx.execute(
        "INSERT OR IGNORE INTO project (id, worktree, time_created, time_updated, sandboxes)
         VALUES ('global', '/', 0, 0, '[]')",
        [],
    )
    .expect("project row");
    for i in 0..count {
        let cwd = project_of(i, workdir);
        this_project += usize::from(cwd == workdir.display().to_string());
        let at = time_of(i, &now).timestamp().as_millisecond();
        let session = format!("ses_{:016x}", rng.next());
        add_opencode_session(&tx, &session, &cwd, at);
        for turn in 0..3 {
            let id = format!("msg_{:016x}", rng.next());
            add_opencode_reply(&tx, &session, &id, at + turn * 10_000, 12_345, true);
        }
    }
    // One with times in the future (a clock that ran ahead), of this project.
    let ahead = now_ms() + 86_400_000;
    add_opencode_session(&tx, "ses_ahead", &workdir.display().to_string(), ahead);
    add_opencode_reply(&tx, "ses_ahead", "msg_ahead", ahead, 5555, true);
    let session = "ses_concurrent".to_string();
    let started = now_ms() - 60_000;
    add_opencode_session(&tx, &session, &workdir.display().to_string(), started);
    add_opencode_reply(&tx, &session, "msg_concurrent", started, 3333, true);
    tx.commit().expect("commit");
    Home {
        sessions: count + 2,
        this_project: this_project + 2,
        concurrent: Concurrent {
            target: Target::Opencode(path, session),
            turns: 0,
        },
    }
}
