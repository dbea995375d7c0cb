//! The ledger: goals and an append-only log of everything that happened to them,
//! in SQLite (WAL), with numbered migrations.
//!
//! This file opens the database and holds its types; `schema.rs` has the
//! migrations, `goals.rs` the goals' rows, `events.rs` the log of events.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};
use serde::Serialize;

use crate::core::redact::Redactor;
use crate::core::row::{Row, RowKind};
use crate::goal::lifecycle::GoalState;

mod events;
mod goals;
mod guard;
pub mod import;
mod private;
mod schema;

use schema::MIGRATIONS;

/// A problem with the database.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("database error: {0}")]
    Sql(rusqlite::Error),
    #[error(
        "the database {path} is read-only to goalie: the commands that change a goal (run, resume, pause, clear, edit, budget) must write it; give one goalie can write with --db or GOALIE_DB, or make it writable"
    )]
    ReadOnly { path: PathBuf },
    #[error("the database became read-only while goalie wrote to it")]
    ReadOnlyNow,
    #[error(
        "the database {path} is damaged ({detail}): goalie adds nothing to a damaged ledger. Recover what it holds into a new file with `sqlite3 {path} .recover | sqlite3 {path}.recovered`, check it (`goalie --db {path}.recovered ls`), and move it in place of the damaged one, keeping the damaged file"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "the database was found damaged while goalie used it ({detail}): goalie adds nothing more to it; `sqlite3 DB .recover` recovers what it holds into a new file"
    )]
    DamagedNow { detail: String },
    #[error(
        "the disk that holds the database is full (database or disk is full): goalie stopped before writing more; free some space, then `goalie resume` the goal"
    )]
    Full,
    #[error("no goal matches `{0}` (see `goalie ls`)")]
    NotFound(String),
    #[error("`{prefix}` matches several goals: {matches}; give more of the id")]
    Ambiguous { prefix: String, matches: String },
    #[error("there are no goals yet in {0}")]
    Empty(PathBuf),
}

/// SQLite's error as the ledger's: a full disk, a read-only or a damaged
/// file have errors of their own.
impl From<rusqlite::Error> for LedgerError {
    fn from(err: rusqlite::Error) -> LedgerError {
        use rusqlite::ErrorCode;
        match err.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => LedgerError::Full,
            Some(ErrorCode::ReadOnly) => LedgerError::ReadOnlyNow,
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => LedgerError::DamagedNow {
                detail: err.to_string(),
            },
            _ => LedgerError::Sql(err),
        }
    }
}

/// The error for a database this process may not write.
fn read_only(path: &Path) -> LedgerError {
    LedgerError::ReadOnly {
        path: path.to_path_buf(),
    }
}

/// A goal as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Goal {
    pub id: String,
    pub objective: String,
    pub agent: String,
    pub workdir: String,
    pub state: GoalState,
    #[serde(skip)]
    pub claim_code: String,
    pub max_turns: Option<u32>,
    pub max_time_ms: Option<u64>,
    pub budget_tokens: Option<u64>,
    pub turns: u32,
    pub tokens_used: u64,
    pub time_used_ms: u64,
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub end_reason: Option<String>,
    pub supervisor_pid: Option<u32>,
    /// The supervisor's start time in clock ticks since boot (`/proc/PID/stat`
    /// field 22), recorded with its pid.
    #[serde(skip)]
    pub supervisor_start: Option<u64>,
    pub agent_pid: Option<u32>,
    /// The running supervisor's control socket.
    pub control_socket: Option<String>,
    /// The host the goal's supervisor runs, or last ran, on (`GOALIE_HOST` or
    /// the system's host name).
    pub host: Option<String>,
    /// When the supervisor last renewed its heartbeat (UTC, milliseconds).
    pub heartbeat_at: Option<String>,
}

/// What `create_goal` needs.
#[derive(Debug, Clone)]
pub struct NewGoal {
    pub objective: String,
    pub agent: String,
    pub workdir: String,
    pub claim_code: String,
    pub max_turns: Option<u32>,
    pub max_time_ms: Option<u64>,
    pub budget_tokens: Option<u64>,
}

/// One ledger row as stored, and as the JSON that hooks and `goalie watch`
/// show: `kind` and `data` are a [`Row`]'s (see [`crate::core::row`]), which
/// [`Entry::row`] reads.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Entry {
    pub seq: i64,
    pub goal_id: String,
    pub at: String,
    pub kind: String,
    pub data: serde_json::Value,
}

impl Entry {
    /// The row, typed ([`Row::Other`] when this goalie cannot read it).
    pub fn row(&self) -> Row {
        Row::from_parts(&self.kind, self.data.clone())
    }

    /// Whether the row is of `kind`, whatever its data.
    pub fn is(&self, kind: RowKind) -> bool {
        self.kind == kind.as_str()
    }
}

/// Told of every row appended through a [`Ledger`].
type Observer = Box<dyn Fn(&Entry)>;

/// The open database.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    /// Told of every row appended through this handle.
    observer: Option<Observer>,
    /// Hides secrets in every row before it is stored (see `events.rs`).
    redactor: Redactor,
}

impl Ledger {
    /// Opens (creating if needed) the database at `path`, brings its schema
    /// up to date and checks it for damage (`PRAGMA quick_check`, in time
    /// linear in its size: about 0.1 s for 100,000 rows), refusing a damaged file.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        Ledger::open_for_writing(path, true)
    }

    /// Opens once more, for writing, an existing database that this process
    /// has opened (and so checked) with [`Ledger::open`]: a connection of its
    /// own for another thread, without checking the whole file again.
    pub fn reopen(path: &Path) -> Result<Ledger, LedgerError> {
        if !path.exists() {
            return Err(LedgerError::Empty(path.to_path_buf()));
        }
        Ledger::open_for_writing(path, false)
    }

    fn open_for_writing(path: &Path, check: bool) -> Result<Ledger, LedgerError> {
        let fail = |source: Box<dyn std::error::Error + Send + Sync>| LedgerError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            private::create_private_dir(dir).map_err(|err| fail(Box::new(err)))?;
        }
        guard::arrive_together_for_test();
        // One goalie at a time creates, converts and migrates the database:
        // several started at once on a new one all find it ready.
        let _lock = guard::lock(path);
        private::prepare_private_file(path).map_err(|err| fail(Box::new(err)))?;
        let mut conn = Connection::open(path).map_err(|err| fail(Box::new(err)))?;
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(read_only(path));
        }
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|err| fail(Box::new(err)))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|err| match LedgerError::from(err) {
                LedgerError::ReadOnlyNow => read_only(path),
                LedgerError::Sql(err) => fail(Box::new(err)),
                other => other,
            })?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|err| fail(Box::new(err)))?;
        let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
        // The schema version is read outside the migration's transaction, so two
        // goalies opening a new database at once can both try to migrate it; the
        // one that loses finds the other's work done when it looks again.
        let mut attempts = 0;
        while let Err(err) = migrations.to_latest(&mut conn) {
            attempts += 1;
            if attempts > 3 {
                return Err(fail(Box::new(err)));
            }
            std::thread::sleep(Duration::from_millis(20 * attempts));
        }
        // Nothing is added to a damaged file.
        if let Some(detail) = check.then(|| guard::damage(&conn)).transpose()?.flatten() {
            return Err(LedgerError::Damaged {
                path: path.to_path_buf(),
                detail,
            });
        }
        private::tighten_companions(path);
        Ok(Ledger {
            conn,
            path: path.to_path_buf(),
            observer: None,
            redactor: environment_redactor(),
        })
    }

    /// Opens an existing database for reading commands; a missing file is "no goals yet".
    pub fn open_existing(path: &Path) -> Result<Ledger, LedgerError> {
        if !path.exists() {
            return Err(LedgerError::Empty(path.to_path_buf()));
        }
        Ledger::open(path)
    }

    /// Opens an existing database read-only, for the commands that only
    /// read (`ls`, `status`, `report`): they work on a file goalie may not
    /// write. A missing file is "no goals yet".
    pub fn open_read_only(path: &Path) -> Result<Ledger, LedgerError> {
        if !path.exists() {
            return Err(LedgerError::Empty(path.to_path_buf()));
        }
        let conn = guard::open_read_only(path).map_err(|err| match LedgerError::from(err) {
            LedgerError::Sql(source) => LedgerError::Open {
                path: path.to_path_buf(),
                source: Box::new(source),
            },
            other => other,
        })?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if usize::try_from(version).unwrap_or(0) < MIGRATIONS.len() {
            // An older goalie's schema: brought up to date where goalie may write.
            return Ledger::open(path);
        }
        Ok(Ledger {
            conn,
            path: path.to_path_buf(),
            observer: None,
            // Read-only: nothing is appended, but a ledger always redacts.
            redactor: environment_redactor(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The redactor for what this process stores and logs: every credential
/// shape, and the secret variables of goalie's environment (which the agent
/// inherits). One constructor for the ledger, its read-only opening and the
/// log writer; a variable that is not UTF-8 is read lossily rather than
/// stopping goalie.
pub fn environment_redactor() -> Redactor {
    Redactor::from_vars(std::env::vars_os().map(|(name, value)| {
        (
            name.to_string_lossy().into_owned(),
            value.to_string_lossy().into_owned(),
        )
    }))
}

/// A fresh secret claim code: ten characters from a 32-letter alphabet, from the OS's randomness.
pub fn new_claim_code() -> String {
    let mut bytes = [0u8; 10];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness (never seen on Linux): fall back to the clock and pid,
        // still unguessable by text the agent merely displays.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
            ^ u128::from(std::process::id());
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = (seed >> (i * 5)) as u8;
        }
    }
    crate::goal::claim::encode(&bytes)
}

/// The wall clock as the ledger writes it: UTC, milliseconds.
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Where the database lives unless `--db`/`GOALIE_DB` says otherwise.
pub fn default_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("goalie")
        .join("goalie.db")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_codes_are_fresh_and_plain() {
        let a = new_claim_code();
        let b = new_claim_code();
        assert_eq!(a.len(), 10);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    fn new_goal() -> NewGoal {
        NewGoal {
            objective: "ship it".into(),
            agent: "sim".into(),
            workdir: "/tmp".into(),
            claim_code: "abc".into(),
            max_turns: Some(3),
            max_time_ms: None,
            budget_tokens: Some(1000),
        }
    }

    #[test]
    fn goals_round_trip_and_the_ledger_is_append_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/goalie.db");
        let ledger = Ledger::open(&path).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        assert_eq!(goal.state, GoalState::Pursuing);
        assert_eq!(goal.max_turns, Some(3));
        ledger
            .append(
                &goal.id,
                &Row::from_parts("turn_ended", serde_json::json!({"turn": 1})),
            )
            .unwrap();
        ledger.set_progress(&goal.id, 1, 500, 1200).unwrap();
        ledger.set_state(&goal.id, GoalState::Achieved).unwrap();
        ledger.set_ended(&goal.id, "claimed").unwrap();
        drop(ledger);

        let ledger = Ledger::open_existing(&path).unwrap();
        let again = ledger.goal(&goal.id[..4]).unwrap();
        assert_eq!(again.state, GoalState::Achieved);
        assert_eq!(
            (again.turns, again.tokens_used, again.time_used_ms),
            (1, 500, 1200)
        );
        assert!(again.ended_at.is_some());
        let entries = ledger.entries(&goal.id).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].kind, "turn_ended");
        assert_eq!(entries[0].data["turn"], 1);
        let update = ledger.conn.execute("UPDATE events SET kind = 'x'", []);
        assert!(update.unwrap_err().to_string().contains("append-only"));
        assert!(ledger.conn.execute("DELETE FROM events", []).is_err());
    }

    #[test]
    fn a_turn_ended_row_stores_the_goals_turns_and_tokens_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        ledger.set_progress(&goal.id, 1, 400, 900).unwrap();
        let row = Row::TurnEnded {
            turn: 2,
            prompt: crate::core::prompt::PromptKind::Continuation,
            duration_ms: 700,
            busy_seen: true,
            done_seen: true,
            signalled: false,
            signalled_by: None,
            error: None,
            tokens_used: 1500,
            context_used_pct: None,
            reply: None,
        };
        ledger.append(&goal.id, &row).unwrap();
        // No set_progress in between: a goalie killed here has counted turn 2.
        let goal = ledger.goal(&goal.id).unwrap();
        assert_eq!(
            (goal.turns, goal.tokens_used, goal.time_used_ms),
            (2, 1500, 900)
        );
        let entries = ledger.entries(&goal.id).unwrap();
        assert_eq!(entries.last().unwrap().kind, "turn_ended");
        assert_eq!(entries.last().unwrap().data["turn"], 2);
        // Other rows leave the counters alone.
        ledger
            .append(
                &goal.id,
                &Row::from_parts("progress", serde_json::json!({"turn": 2})),
            )
            .unwrap();
        assert_eq!(ledger.goal(&goal.id).unwrap().turns, 2);
    }

    #[test]
    fn specs_are_stored_and_new_rows_are_found_after_a_seq() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        assert_eq!(ledger.spec(&goal.id).unwrap(), None);
        ledger
            .set_spec(&goal.id, &serde_json::json!({"verify": ["true"]}))
            .unwrap();
        assert_eq!(ledger.spec(&goal.id).unwrap().unwrap()["verify"][0], "true");
        assert_eq!(ledger.last_seq(&goal.id).unwrap(), 0);
        ledger
            .append(
                &goal.id,
                &Row::from_parts("claim_submitted", serde_json::json!({"n": 1})),
            )
            .unwrap();
        ledger
            .append(&goal.id, &Row::from_parts("other", serde_json::json!({})))
            .unwrap();
        let seen = ledger.last_seq(&goal.id).unwrap();
        ledger
            .append(
                &goal.id,
                &Row::from_parts("claim_submitted", serde_json::json!({"n": 2})),
            )
            .unwrap();
        let all = ledger
            .entries_after(&goal.id, RowKind::ClaimSubmitted, 0)
            .unwrap();
        assert_eq!(all.len(), 2);
        let new = ledger
            .entries_after(&goal.id, RowKind::ClaimSubmitted, seen)
            .unwrap();
        assert_eq!(new.len(), 1);
        assert_eq!(new[0].data["n"], 2);
    }

    fn running_since_for_test(pid: u32) -> u64 {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let tail = text.rsplit_once(')').unwrap().1;
        tail.split_whitespace().nth(19).unwrap().parse().unwrap()
    }

    #[test]
    fn only_one_live_goalie_supervises_a_goal() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        // A dead supervisor (no such process) does not hold the goal.
        ledger
            .conn
            .execute("UPDATE goals SET supervisor_pid = 999999999", [])
            .unwrap();
        assert_eq!(ledger.claim_supervision(&goal.id, 4242, 1).unwrap(), Ok(()));
        // A live process that is not goalie (this test binary's parent) does not either.
        let shell = std::os::unix::process::parent_id();
        ledger
            .conn
            .execute("UPDATE goals SET supervisor_pid = ?1", [shell])
            .unwrap();
        let _ = ledger.claim_supervision(&goal.id, 4242, 1).unwrap();
        assert_eq!(ledger.goal(&goal.id).unwrap().supervisor_pid, Some(4242));
        // A live goalie (this test binary is one: target/debug/deps/goalie-…) does,
        // whether its start time was recorded (a row of an older goalie) or is its own.
        let me = std::process::id();
        let my_start = running_since_for_test(me);
        ledger
            .conn
            .execute(
                "UPDATE goals SET supervisor_pid = ?1, supervisor_start = NULL",
                [me],
            )
            .unwrap();
        assert_eq!(
            ledger.claim_supervision(&goal.id, 4242, 1).unwrap(),
            Err(me)
        );
        ledger
            .conn
            .execute(
                "UPDATE goals SET supervisor_pid = ?1, supervisor_start = ?2",
                rusqlite::params![me, my_start as i64],
            )
            .unwrap();
        assert_eq!(
            ledger.claim_supervision(&goal.id, 4242, 1).unwrap(),
            Err(me)
        );
        // Recorded with another start time, the pid is another process's: dead.
        ledger
            .conn
            .execute(
                "UPDATE goals SET supervisor_start = ?1",
                [my_start as i64 + 1],
            )
            .unwrap();
        assert_eq!(ledger.claim_supervision(&goal.id, 4242, 1).unwrap(), Ok(()));
        assert_eq!(
            ledger.claim_supervision(&goal.id, me, my_start).unwrap(),
            Ok(())
        );
    }

    #[test]
    fn a_supervisor_on_another_host_holds_the_goal_while_its_heartbeat_is_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        assert_eq!(goal.host, Some(crate::ledger::host::this_host()));
        // Pid 1 runs here, but it is the other host's pid that is recorded.
        ledger
            .conn
            .execute(
                "UPDATE goals SET supervisor_pid = 1, host = 'elsewhere.invalid', heartbeat_at = ?1",
                [now()],
            )
            .unwrap();
        assert_eq!(ledger.claim_supervision(&goal.id, 4242, 1).unwrap(), Err(1));
        ledger
            .conn
            .execute(
                "UPDATE goals SET supervisor_pid = ?1, heartbeat_at = '2020-01-01T00:00:00.000Z'",
                [std::process::id()],
            )
            .unwrap();
        // Stale: taken over, even though the recorded pid is a live goalie here.
        assert_eq!(ledger.claim_supervision(&goal.id, 4242, 1).unwrap(), Ok(()));
        let taken = ledger.goal(&goal.id).unwrap();
        assert_eq!(taken.supervisor_pid, Some(4242));
        assert_eq!(taken.host, Some(crate::ledger::host::this_host()));
        assert!(taken.heartbeat_at.unwrap().as_str() > "2020-01-01T00:00:00.000Z");
        ledger.heartbeat(&goal.id).unwrap();
    }

    #[test]
    fn lookups_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("g.db")).unwrap();
        let a = ledger.create_goal(&new_goal()).unwrap();
        let b = ledger.create_goal(&new_goal()).unwrap();
        assert_eq!(ledger.goal(&a.id).unwrap().id, a.id);
        assert!(matches!(
            ledger.goal("zzzzzzzzz"),
            Err(LedgerError::NotFound(_))
        ));
        assert!(matches!(
            ledger.goal(""),
            Err(LedgerError::Ambiguous { .. })
        ));
        assert_eq!(ledger.goals().unwrap().len(), 2);
        let _ = b;
    }

    #[test]
    fn typed_rows_are_stored_as_kind_and_json_text_and_read_back_typed() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        let row = Row::AgentFailedToStart {
            error: "no such file".into(),
            process: Some(2),
        };
        let entry = ledger.append(&goal.id, &row).unwrap();
        assert_eq!(entry.kind, "agent_failed_to_start");
        let (kind, data): (String, String) = ledger
            .conn
            .query_row("SELECT kind, data FROM events", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(kind, "agent_failed_to_start");
        assert_eq!(data, r#"{"error":"no such file","process":2}"#);
        let stored = &ledger.entries(&goal.id).unwrap()[0];
        assert_eq!(*stored, entry);
        assert_eq!(stored.row(), row);
        assert!(stored.is(RowKind::AgentFailedToStart));
        // Rows written by hand before rows were typed read as they did.
        ledger
            .conn
            .execute(
                "INSERT INTO events (goal_id, at, kind, data) VALUES (?1, 'then', 'wrap_up_ended', '{\"turn\":4}'), (?1, 'then', 'future_kind', 'not json')",
                [&goal.id],
            )
            .unwrap();
        let entries = ledger.entries(&goal.id).unwrap();
        assert_eq!(entries[1].row(), Row::WrapUpEnded { turn: 4 });
        assert_eq!(
            entries[2].row(),
            Row::Other {
                kind: "future_kind".into(),
                data: serde_json::json!("not json")
            }
        );
    }

    #[test]
    fn the_observer_sees_every_appended_row_and_the_socket_is_forgotten_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let sink = seen.clone();
        ledger.set_observer(move |entry| sink.borrow_mut().push(entry.clone()));
        let first = ledger
            .append(&goal.id, &Row::from_parts("a", serde_json::json!({})))
            .unwrap();
        ledger
            .append(&goal.id, &Row::from_parts("b", serde_json::json!({"x": 1})))
            .unwrap();
        let seen = seen.borrow();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0], first);
        assert_eq!(seen[1].seq, first.seq + 1);
        assert_eq!(ledger.entries(&goal.id).unwrap(), *seen);

        ledger
            .set_control_socket(&goal.id, Path::new("/run/g.sock"))
            .unwrap();
        assert_eq!(
            ledger.goal(&goal.id).unwrap().control_socket.as_deref(),
            Some("/run/g.sock")
        );
        ledger.set_ended(&goal.id, "done").unwrap();
        assert_eq!(ledger.goal(&goal.id).unwrap().control_socket, None);
    }

    #[test]
    fn many_processes_may_create_the_database_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let opened: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Ledger::open(&path).map(|_| ()))
            })
            .collect();
        for handle in opened {
            handle.join().unwrap().unwrap();
        }
    }

    /// Defect 6: goalies that open a new database at the same moment (four
    /// threads let go together by a barrier, each with its own connection,
    /// as separate processes would be) all find it ready. Without the lock on
    /// `DB.lock` two of them switch the new file to WAL together and one gets
    /// "database is locked" (SQLite does not wait for a lock it would have to
    /// upgrade a read to): on this machine 6 to 10 of 800 opens failed.
    #[test]
    fn four_goalies_opening_a_new_database_at_the_same_moment_all_find_it_ready_200_times() {
        let dir = tempfile::tempdir().unwrap();
        let mut failed = Vec::new();
        for round in 0..200 {
            let path = dir.path().join(format!("new-{round}.db"));
            let together = std::sync::Arc::new(std::sync::Barrier::new(4));
            let opened: Vec<_> = (0..4)
                .map(|_| {
                    let (path, together) = (path.clone(), together.clone());
                    std::thread::spawn(move || {
                        together.wait();
                        Ledger::open(&path).map(|_| ())
                    })
                })
                .collect();
            for handle in opened {
                if let Err(err) = handle.join().unwrap() {
                    failed.push(format!("round {round}: {err}"));
                }
            }
            let ledger = Ledger::open_existing(&path).unwrap();
            assert_eq!(ledger.goals().unwrap().len(), 0, "round {round}");
        }
        assert!(failed.is_empty(), "{failed:#?}");
    }

    #[test]
    fn a_missing_database_is_no_goals_yet() {
        let dir = tempfile::tempdir().unwrap();
        let err = Ledger::open_existing(&dir.path().join("none.db"))
            .err()
            .unwrap();
        assert!(err.to_string().starts_with("there are no goals yet in"));
    }
}
