//! opencode keeps its sessions in a SQLite database (`ROOT/opencode.db`):
//! this run's replies are the messages added since the agent started, to
//! sessions of this working directory that the agent started (or, when it
//! continues the folder's latest conversation, to any of its sessions). Their
//! tokens add up; a reply that finished with `stop` or an error ends a turn.
//!
//! The query never reads old rows: it starts after the highest message rowid
//! there was when the tail started (an index range), and one connection stays
//! open, asking SQLite first whether anyone wrote since the last look
//! (`PRAGMA data_version`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags, params};

use crate::core::log_event::LogEvent;

/// The replies of one run in opencode's database.
pub struct OpencodeDb {
    path: PathBuf,
    workdir: String,
    /// Messages at or before this rowid were there before the run.
    start_rowid: i64,
    since_ms: i64,
    /// The agent continues one of the folder's sessions: theirs count too.
    any_session: bool,
    db: Option<Connection>,
    /// The database was read since the agent started.
    read: bool,
    /// What `PRAGMA data_version` said at the last query.
    version: Option<i64>,
    /// The replies already seen complete (their turn ends were reported).
    finished_replies: HashSet<String>,
    last_total: u64,
}

impl OpencodeDb {
    /// The database at `ROOT/opencode.db`, as it is before the agent starts.
    pub fn new(root: &Path, workdir: &str, since: SystemTime) -> (OpencodeDb, bool) {
        let mut tail = OpencodeDb {
            path: root.join("opencode.db"),
            workdir: workdir.to_string(),
            start_rowid: 0,
            since_ms: since
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            any_session: false,
            db: None,
            read: false,
            version: None,
            finished_replies: HashSet::new(),
            last_total: 0,
        };
        // Before the agent starts, the database may be read whatever its mode.
        let opened = tail.open_now();
        if let Some(db) = tail.db.take() {
            // An empty table, or none yet: every message is new.
            tail.start_rowid = db
                .query_row("SELECT COALESCE(MAX(rowid), 0) FROM message", [], |row| {
                    row.get(0)
                })
                .unwrap_or(0);
        }
        (tail, opened)
    }

    /// The agent continues a conversation of this folder.
    pub fn continuing(&mut self) {
        self.any_session = true;
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the run has read the database yet (it is the run's session log then).
    pub fn is_open(&self) -> bool {
        self.read
    }

    /// Opens the database once opencode has it in WAL mode (its `-wal` file
    /// is there), where a reader never holds up its writes: while it creates
    /// and migrates the database, a reader could make it wait. True when it
    /// was opened now.
    fn open(&mut self) -> bool {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        if self.db.is_some() || !Path::new(&wal).exists() {
            return false;
        }
        self.open_now()
    }

    fn open_now(&mut self) -> bool {
        if self.db.is_some() || !self.path.is_file() {
            return false;
        }
        let db = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .and_then(|db| db.busy_timeout(Duration::from_millis(200)).map(|()| db));
        match db {
            Ok(db) => {
                self.db = Some(db);
                true
            }
            Err(err) => {
                tracing::debug!(%err, "opencode database not readable yet");
                false
            }
        }
    }

    /// The database file was made again (or appeared): the next look reopens it.
    pub fn reopen(&mut self) {
        self.db = None;
        self.version = None;
    }

    /// What the run's replies say now. `force` queries even when SQLite says
    /// nobody wrote. Returns the events and whether the database was queried
    /// (and opened: `(queried, opened)`).
    pub fn poll(&mut self, force: bool) -> (Vec<LogEvent>, bool, bool) {
        let opened = self.open();
        let Some(db) = &self.db else {
            return (Vec::new(), false, opened);
        };
        let version: Option<i64> = db
            .query_row("PRAGMA data_version", [], |row| row.get(0))
            .ok();
        if !force && version.is_some() && version == self.version {
            return (Vec::new(), false, opened);
        }
        let replies = (|| -> rusqlite::Result<Vec<(String, String)>> {
            let mut query = db.prepare_cached(
                "SELECT m.id, m.data FROM message m JOIN session s ON s.id = m.session_id
                 WHERE m.rowid > ?1 AND m.time_created >= ?2 AND s.directory = ?3
                   AND (?4 OR s.time_created >= ?2)
                 ORDER BY m.time_created, m.id",
            )?;
            query
                .query_map(
                    params![
                        self.start_rowid,
                        self.since_ms,
                        self.workdir,
                        self.any_session
                    ],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )?
                .collect()
        })();
        let replies = match replies {
            Ok(replies) => replies,
            Err(err) => {
                // Locked or mid-migration: the next look reads it, afresh.
                tracing::debug!(%err, "opencode database not readable now");
                self.reopen();
                return (Vec::new(), true, opened);
            }
        };
        self.version = version;
        self.read = true;
        (self.events(replies), true, opened)
    }

    fn events(&mut self, replies: Vec<(String, String)>) -> Vec<LogEvent> {
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
