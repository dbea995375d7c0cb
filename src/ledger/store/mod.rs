//! The ledger: goals and an append-only log of everything that happened to them,
//! in SQLite (WAL), with numbered migrations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use serde::Serialize;

use crate::goal::lifecycle::GoalState;
use crate::goal::limits::Limits;

const MIGRATIONS: &[&str] = &[
    // 1: goals and their events.
    "CREATE TABLE goals (
        id TEXT PRIMARY KEY,
        objective TEXT NOT NULL,
        agent TEXT NOT NULL,
        workdir TEXT NOT NULL,
        state TEXT NOT NULL,
        claim_code TEXT NOT NULL,
        max_turns INTEGER,
        max_time_ms INTEGER,
        budget_tokens INTEGER,
        turns INTEGER NOT NULL DEFAULT 0,
        tokens_used INTEGER NOT NULL DEFAULT 0,
        time_used_ms INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        started_at TEXT,
        ended_at TEXT,
        end_reason TEXT,
        supervisor_pid INTEGER,
        agent_pid INTEGER
    );
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        goal_id TEXT NOT NULL REFERENCES goals(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX events_by_goal ON events(goal_id, seq);
    CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;",
    // 2: the goal spec (JSON of `goal_spec::GoalSpec`), when the goal was started from one.
    "ALTER TABLE goals ADD COLUMN spec TEXT;",
    // 3: where a running goal's supervisor listens (its control socket).
    "ALTER TABLE goals ADD COLUMN control_socket TEXT;",
];

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
    Sql(#[from] rusqlite::Error),
    #[error("no goal matches `{0}` (see `goalie ls`)")]
    NotFound(String),
    #[error("`{prefix}` matches several goals: {matches}; give more of the id")]
    Ambiguous { prefix: String, matches: String },
    #[error("there are no goals yet in {0}")]
    Empty(PathBuf),
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
    pub agent_pid: Option<u32>,
    /// The running supervisor's control socket.
    pub control_socket: Option<String>,
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

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Entry {
    pub seq: i64,
    pub goal_id: String,
    pub at: String,
    pub kind: String,
    pub data: serde_json::Value,
}

/// Told of every row appended through a [`Ledger`].
type Observer = Box<dyn Fn(&Entry)>;

/// The open database.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    /// Told of every row appended through this handle.
    observer: Option<Observer>,
}

impl Ledger {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let fail = |source: Box<dyn std::error::Error + Send + Sync>| LedgerError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| fail(Box::new(err)))?;
        }
        let mut conn = Connection::open(path).map_err(|err| fail(Box::new(err)))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|err| fail(Box::new(err)))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|err| fail(Box::new(err)))?;
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
        Ok(Ledger {
            conn,
            path: path.to_path_buf(),
            observer: None,
        })
    }

    /// Opens an existing database for reading commands; a missing file is "no goals yet".
    pub fn open_existing(path: &Path) -> Result<Ledger, LedgerError> {
        if !path.exists() {
            return Err(LedgerError::Empty(path.to_path_buf()));
        }
        Ledger::open(path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores a new goal, `pursuing`, with a fresh id.
    pub fn create_goal(&self, goal: &NewGoal) -> Result<Goal, LedgerError> {
        let id = loop {
            let id = new_claim_code()[..8].to_string();
            let taken: Option<String> = self
                .conn
                .query_row("SELECT id FROM goals WHERE id = ?1", [&id], |row| {
                    row.get(0)
                })
                .optional()?;
            if taken.is_none() {
                break id;
            }
        };
        self.conn.execute(
            "INSERT INTO goals (id, objective, agent, workdir, state, claim_code,
                max_turns, max_time_ms, budget_tokens, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                id,
                goal.objective,
                goal.agent,
                goal.workdir,
                GoalState::Pursuing.as_str(),
                goal.claim_code,
                goal.max_turns,
                goal.max_time_ms.map(clamp_i64),
                goal.budget_tokens.map(clamp_i64),
                now(),
            ],
        )?;
        self.goal(&id)
    }

    /// Appends a ledger row and tells the observer.
    pub fn append(
        &self,
        goal_id: &str,
        kind: &str,
        data: &serde_json::Value,
    ) -> Result<Entry, LedgerError> {
        let at = now();
        self.conn.execute(
            "INSERT INTO events (goal_id, at, kind, data) VALUES (?1, ?2, ?3, ?4)",
            params![goal_id, at, kind, data.to_string()],
        )?;
        let entry = Entry {
            seq: self.conn.last_insert_rowid(),
            goal_id: goal_id.to_string(),
            at,
            kind: kind.to_string(),
            data: data.clone(),
        };
        if let Some(observer) = &self.observer {
            observer(&entry);
        }
        Ok(entry)
    }

    /// Calls `observer` with every row appended from now on (the control
    /// socket's `event` notifications, the `--on-event` hook).
    pub fn set_observer(&mut self, observer: impl Fn(&Entry) + 'static) {
        self.observer = Some(Box::new(observer));
    }

    /// Records where the running supervisor listens.
    pub fn set_control_socket(&self, goal_id: &str, path: &Path) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET control_socket = ?2 WHERE id = ?1",
            params![goal_id, path.to_string_lossy()],
        )?;
        Ok(())
    }

    /// Marks the start of a supervised run.
    /// Makes process `pid` the goal's supervisor, unless another goalie that
    /// is still alive already is: one atomic step, so two `goalie resume` of
    /// the same goal cannot both start its agent. Returns the other's pid.
    pub fn claim_supervision(
        &mut self,
        goal_id: &str,
        pid: u32,
    ) -> Result<Result<(), u32>, LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let holder: Option<u32> = tx.query_row(
            "SELECT supervisor_pid FROM goals WHERE id = ?1",
            [goal_id],
            |row| row.get(0),
        )?;
        if let Some(other) = holder.filter(|other| *other != pid && is_goalie(*other)) {
            return Ok(Err(other));
        }
        tx.execute(
            "UPDATE goals SET supervisor_pid = ?2 WHERE id = ?1",
            params![goal_id, pid],
        )?;
        tx.commit()?;
        Ok(Ok(()))
    }

    pub fn set_running(
        &self,
        goal_id: &str,
        supervisor_pid: u32,
        agent_pid: Option<u32>,
    ) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET started_at = COALESCE(started_at, ?2), supervisor_pid = ?3,
                agent_pid = ?4, ended_at = NULL, end_reason = NULL WHERE id = ?1",
            params![goal_id, now(), supervisor_pid, agent_pid],
        )?;
        Ok(())
    }

    pub fn set_state(&self, goal_id: &str, state: GoalState) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET state = ?2 WHERE id = ?1",
            params![goal_id, state.as_str()],
        )?;
        Ok(())
    }

    pub fn set_progress(
        &self,
        goal_id: &str,
        turns: u32,
        tokens_used: u64,
        time_used_ms: u64,
    ) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET turns = ?2, tokens_used = ?3, time_used_ms = ?4 WHERE id = ?1",
            params![
                goal_id,
                turns,
                clamp_i64(tokens_used),
                clamp_i64(time_used_ms)
            ],
        )?;
        Ok(())
    }

    pub fn set_objective(&self, goal_id: &str, objective: &str) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET objective = ?2 WHERE id = ?1",
            params![goal_id, objective],
        )?;
        Ok(())
    }

    pub fn set_limits(&self, goal_id: &str, limits: &Limits) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET max_turns = ?2, max_time_ms = ?3, budget_tokens = ?4 WHERE id = ?1",
            params![
                goal_id,
                limits.max_turns,
                limits.max_time_ms.map(clamp_i64),
                limits.budget_tokens.map(clamp_i64)
            ],
        )?;
        Ok(())
    }

    /// Marks the end of a supervised run.
    pub fn set_ended(&self, goal_id: &str, reason: &str) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET ended_at = ?2, end_reason = ?3, supervisor_pid = NULL, agent_pid = NULL,
                control_socket = NULL
             WHERE id = ?1",
            params![goal_id, now(), reason],
        )?;
        Ok(())
    }

    /// A goal by its id or a unique prefix of it.
    pub fn goal(&self, id_or_prefix: &str) -> Result<Goal, LedgerError> {
        let pattern = format!("{}%", id_or_prefix.replace(['%', '_'], ""));
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {GOAL_COLUMNS} FROM goals WHERE id = ?1 OR id LIKE ?2 ORDER BY id = ?1 DESC, id"
        ))?;
        let goals: Vec<Goal> = stmt
            .query_map(params![id_or_prefix, pattern], goal_from_row)?
            .collect::<Result<_, _>>()?;
        match goals.as_slice() {
            [] => Err(LedgerError::NotFound(id_or_prefix.to_string())),
            [first, ..] if first.id == id_or_prefix => Ok(first.clone()),
            [only] => Ok(only.clone()),
            many => Err(LedgerError::Ambiguous {
                prefix: id_or_prefix.to_string(),
                matches: many
                    .iter()
                    .map(|g| g.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Every goal, newest first.
    pub fn goals(&self) -> Result<Vec<Goal>, LedgerError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {GOAL_COLUMNS} FROM goals ORDER BY created_at DESC, rowid DESC"
        ))?;
        let goals = stmt
            .query_map([], goal_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(goals)
    }

    /// Stores the goal's spec (JSON) with the goal.
    pub fn set_spec(&self, goal_id: &str, spec: &serde_json::Value) -> Result<(), LedgerError> {
        self.conn.execute(
            "UPDATE goals SET spec = ?2 WHERE id = ?1",
            params![goal_id, spec.to_string()],
        )?;
        Ok(())
    }

    /// The goal's spec (JSON), if it was started from one.
    pub fn spec(&self, goal_id: &str) -> Result<Option<serde_json::Value>, LedgerError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT spec FROM goals WHERE id = ?1", [goal_id], |row| {
                row.get(0)
            })
            .optional()?
            .flatten();
        Ok(text.and_then(|text| serde_json::from_str(&text).ok()))
    }

    /// The goal's rows of `kind` after `after_seq`, oldest first: a cheap query
    /// the running supervisor makes on each tick (claims that `goalie mcp` wrote).
    pub fn entries_after(
        &self,
        goal_id: &str,
        kind: &str,
        after_seq: i64,
    ) -> Result<Vec<Entry>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, goal_id, at, kind, data FROM events
             WHERE goal_id = ?1 AND kind = ?2 AND seq > ?3 ORDER BY seq",
        )?;
        let entries = stmt
            .query_map(params![goal_id, kind, after_seq], entry_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(entries)
    }

    /// The newest row's sequence number for the goal (0 when it has none).
    pub fn last_seq(&self, goal_id: &str) -> Result<i64, LedgerError> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE goal_id = ?1",
            [goal_id],
            |row| row.get(0),
        )?)
    }

    /// A goal's ledger, oldest first.
    pub fn entries(&self, goal_id: &str) -> Result<Vec<Entry>, LedgerError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, goal_id, at, kind, data FROM events WHERE goal_id = ?1 ORDER BY seq",
        )?;
        let entries = stmt
            .query_map([goal_id], entry_from_row)?
            .collect::<Result<_, _>>()?;
        Ok(entries)
    }
}

fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let data: String = row.get(4)?;
    Ok(Entry {
        seq: row.get(0)?,
        goal_id: row.get(1)?,
        at: row.get(2)?,
        kind: row.get(3)?,
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data)),
    })
}

const GOAL_COLUMNS: &str = "id, objective, agent, workdir, state, claim_code, max_turns,
    max_time_ms, budget_tokens, turns, tokens_used, time_used_ms, created_at, started_at,
    ended_at, end_reason, supervisor_pid, agent_pid, control_socket";

fn goal_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Goal> {
    let state: String = row.get(4)?;
    let state = GoalState::parse(&state).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            4,
            rusqlite::types::Type::Text,
            format!("unknown goal state `{state}`").into(),
        )
    })?;
    let unsigned = |i: usize| -> rusqlite::Result<Option<u64>> {
        Ok(row.get::<_, Option<i64>>(i)?.map(|v| v.max(0) as u64))
    };
    Ok(Goal {
        id: row.get(0)?,
        objective: row.get(1)?,
        agent: row.get(2)?,
        workdir: row.get(3)?,
        state,
        claim_code: row.get(5)?,
        max_turns: row.get(6)?,
        max_time_ms: unsigned(7)?,
        budget_tokens: unsigned(8)?,
        turns: row.get(9)?,
        tokens_used: unsigned(10)?.unwrap_or(0),
        time_used_ms: unsigned(11)?.unwrap_or(0),
        created_at: row.get(12)?,
        started_at: row.get(13)?,
        ended_at: row.get(14)?,
        end_reason: row.get(15)?,
        supervisor_pid: row.get(16)?,
        agent_pid: row.get(17)?,
        control_socket: row.get(18)?,
    })
}

/// Whether `pid` is a running goalie (not a process that reused a dead goalie's pid).
fn is_goalie(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmdline| {
            let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            String::from_utf8_lossy(program).contains("goalie")
        })
        .unwrap_or(false)
}

fn clamp_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
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
            .append(&goal.id, "turn_ended", &serde_json::json!({"turn": 1}))
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
            .append(&goal.id, "claim_submitted", &serde_json::json!({"n": 1}))
            .unwrap();
        ledger
            .append(&goal.id, "other", &serde_json::json!({}))
            .unwrap();
        let seen = ledger.last_seq(&goal.id).unwrap();
        ledger
            .append(&goal.id, "claim_submitted", &serde_json::json!({"n": 2}))
            .unwrap();
        let all = ledger
            .entries_after(&goal.id, "claim_submitted", 0)
            .unwrap();
        assert_eq!(all.len(), 2);
        let new = ledger
            .entries_after(&goal.id, "claim_submitted", seen)
            .unwrap();
        assert_eq!(new.len(), 1);
        assert_eq!(new[0].data["n"], 2);
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
        assert_eq!(ledger.claim_supervision(&goal.id, 4242).unwrap(), Ok(()));
        // A live process that is not goalie (this test binary's parent) does not either.
        let shell = std::os::unix::process::parent_id();
        ledger
            .conn
            .execute("UPDATE goals SET supervisor_pid = ?1", [shell])
            .unwrap();
        let _ = ledger.claim_supervision(&goal.id, 4242).unwrap();
        assert_eq!(ledger.goal(&goal.id).unwrap().supervisor_pid, Some(4242));
        // A live goalie (this test binary is one: target/debug/deps/goalie-…) does.
        let me = std::process::id();
        ledger
            .conn
            .execute("UPDATE goals SET supervisor_pid = ?1", [me])
            .unwrap();
        assert_eq!(ledger.claim_supervision(&goal.id, 4242).unwrap(), Err(me));
        assert_eq!(ledger.claim_supervision(&goal.id, me).unwrap(), Ok(()));
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
    fn the_observer_sees_every_appended_row_and_the_socket_is_forgotten_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let sink = seen.clone();
        ledger.set_observer(move |entry| sink.borrow_mut().push(entry.clone()));
        let first = ledger
            .append(&goal.id, "a", &serde_json::json!({}))
            .unwrap();
        ledger
            .append(&goal.id, "b", &serde_json::json!({"x": 1}))
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

    #[test]
    fn a_missing_database_is_no_goals_yet() {
        let dir = tempfile::tempdir().unwrap();
        let err = Ledger::open_existing(&dir.path().join("none.db"))
            .err()
            .unwrap();
        assert!(err.to_string().starts_with("there are no goals yet in"));
    }
}
