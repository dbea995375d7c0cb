//! The ledger: goals and an append-only log of everything that happened to them,
//! in SQLite (WAL; the embedded default) or PostgreSQL (a shared ledger,
//! `--db postgres://…`), with numbered migrations.
//!
//! This file opens the database and holds its types; `backend.rs` is the one
//! storage interface and its two backends (`pg.rs` PostgreSQL's connection),
//! `schema.rs` has the migrations, `goals.rs` the goals' rows, `events.rs`
//! the log of events.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite_migration::{M, Migrations};
use serde::Serialize;

use crate::core::redact::Redactor;
use crate::core::row::{Row, RowKind};
use crate::goal::lifecycle::GoalState;

pub(crate) mod backend;
mod error;
mod events;
mod goals;
mod guard;
pub mod import;
pub(crate) mod pg;
mod pg_tls;
mod private;
mod schema;
#[cfg(test)]
pub(crate) mod test_db;
pub(crate) mod value;

use backend::Conn;
pub use error::LedgerError;
use schema::{MIGRATIONS, PG_MIGRATIONS};

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
    conn: Conn,
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
    ///
    /// A `postgres://` URL opens a PostgreSQL ledger instead (see
    /// `pg::is_url`): brought up to date the same way, it has no file to check.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        if pg::is_url(path) {
            return Ledger::open_postgres(path, PgOpening::Writing);
        }
        Ledger::open_for_writing(path, true)
    }

    /// Opens once more, for writing, an existing database that this process
    /// has opened (and so checked) with [`Ledger::open`]: a connection of its
    /// own for another thread, without checking the whole file again.
    pub fn reopen(path: &Path) -> Result<Ledger, LedgerError> {
        if pg::is_url(path) {
            return Ledger::open_postgres(path, PgOpening::Existing);
        }
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
        let mut conn = rusqlite::Connection::open(path).map_err(|err| fail(Box::new(err)))?;
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
        // A supervising goalie holds two connections for as long as it runs,
        // and writes a row or two a turn: SQLite's default page cache (2 MB
        // each) filled over hundreds of turns, and was most of what goalie's
        // memory grew by in a night. The reads of a run (a goal's newest
        // rows, by index) need a few pages.
        conn.pragma_update(None, "cache_size", -512)
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
            conn: Conn::Sqlite(conn),
            path: path.to_path_buf(),
            observer: None,
            redactor: environment_redactor(),
        })
    }

    /// Opens an existing database for reading commands; a missing file is "no goals yet".
    pub fn open_existing(path: &Path) -> Result<Ledger, LedgerError> {
        if pg::is_url(path) {
            return Ledger::open_postgres(path, PgOpening::Existing);
        }
        if !path.exists() {
            return Err(LedgerError::Empty(path.to_path_buf()));
        }
        Ledger::open(path)
    }

    /// Opens an existing database read-only, for the commands that only
    /// read (`ls`, `status`, `report`): they work on a file goalie may not
    /// write. A missing file is "no goals yet".
    pub fn open_read_only(path: &Path) -> Result<Ledger, LedgerError> {
        if pg::is_url(path) {
            return Ledger::open_postgres(path, PgOpening::ReadOnly);
        }
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
            conn: Conn::Sqlite(conn),
            path: path.to_path_buf(),
            observer: None,
            // Read-only: nothing is appended, but a ledger always redacts.
            redactor: environment_redactor(),
        })
    }

    /// Opens the PostgreSQL ledger at `url`. A database goalie never set up
    /// is "no goals yet" to the commands that only read or change goals that
    /// exist; the others create the schema. A read-only opening is read-only
    /// to PostgreSQL too (its transactions are `READ ONLY`).
    fn open_postgres(url: &Path, opening: PgOpening) -> Result<Ledger, LedgerError> {
        guard::arrive_together_for_test();
        let pg = pg::PgConn::connect(&url.to_string_lossy())?;
        let shown = PathBuf::from(pg.shown());
        let conn = Conn::Postgres(pg);
        let version = schema::pg_schema_version(&conn)?;
        if version.is_none() && opening != PgOpening::Writing {
            return Err(LedgerError::Empty(shown));
        }
        if version.is_none_or(|version| version < PG_MIGRATIONS.len()) {
            schema::pg_migrate(&conn, PG_MIGRATIONS)?;
        }
        if opening == PgOpening::ReadOnly {
            conn.batch("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")?;
        }
        conn.wait_for_locks(Duration::from_secs(10))?;
        let mut redactor = environment_redactor();
        // The URL's password is hidden in every row, like a secret variable's value.
        if let Some(password) = pg::url_password(&url.to_string_lossy()) {
            redactor.add_vars([("GOALIE_DB_PASSWORD", password)]);
        }
        Ok(Ledger {
            conn,
            path: shown,
            observer: None,
            redactor,
        })
    }

    /// The database's file, or its URL with the password hidden.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// How a PostgreSQL ledger is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PgOpening {
    /// For writing; the schema is created if the database has none.
    Writing,
    /// For writing, a ledger that has goalie's schema.
    Existing,
    /// For reading only, a ledger that has goalie's schema.
    ReadOnly,
}

/// Whether `--db` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres(db: &Path) -> bool {
    pg::is_url(db)
}

/// The database as goalie shows it: a file's path, or a URL with its
/// password hidden.
pub fn shown_db(db: &Path) -> PathBuf {
    match pg::is_url(db) {
        true => PathBuf::from(pg::hide_password(&db.to_string_lossy())),
        false => db.to_path_buf(),
    }
}

/// The database as the commands hand it on: a file's absolute path (the
/// agent's MCP server and hooks run elsewhere), a URL as it is.
pub fn absolute_db(db: &Path) -> PathBuf {
    if pg::is_url(db) {
        return db.to_path_buf();
    }
    std::path::absolute(db).unwrap_or_else(|_| db.to_path_buf())
}

/// The database as the agent's MCP server and hooks get it on their command
/// lines ([`absolute_db`]), and the password to give them in `PGPASSWORD`: a
/// URL's password is not put on a command line (others on the machine can
/// read those), and the ledger takes it from `PGPASSWORD` when its URL has
/// none.
pub fn handed_on_db(db: &Path) -> (PathBuf, Option<String>) {
    let db = absolute_db(db);
    if !pg::is_url(&db) {
        return (db, None);
    }
    let url = db.to_string_lossy();
    let password = pg::url_password(&url).map(|password| pg_tls::percent_decoded(&password));
    (PathBuf::from(pg::without_password(&url)), password)
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
mod tests;
