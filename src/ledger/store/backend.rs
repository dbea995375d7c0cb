//! The one storage interface the ledger's SQL is written against, and its
//! two backends: SQLite (the embedded default, a file) and PostgreSQL (a
//! shared ledger, `--db postgres://…`).
//!
//! The SQL of goals.rs, events.rs and import.rs is written once, with
//! SQLite's numbered parameters (`?1`); PostgreSQL gets them as `$1`. Values
//! cross the interface as [`Value`]s (integers, text, null), which is all
//! the ledger stores. Where the two dialects differ, the backend says so
//! ([`Conn::is_postgres`]) and the caller picks its text: a locking read
//! (`FOR UPDATE`), the order goals were added in (`rowid`, which the
//! PostgreSQL schema keeps as a column of that name).

use std::time::Duration;

use super::error::LedgerError;
use super::pg::PgConn;
use super::value::{Row, Value};

/// An open connection to the ledger's database.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(PgConn),
}

impl Conn {
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Conn::Postgres(_))
    }

    /// Runs a statement that returns no rows; how many rows it changed.
    pub(crate) fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, LedgerError> {
        match self {
            Conn::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(params.iter().map(to_sqlite)))? as u64)
            }
            Conn::Postgres(conn) => conn.execute(sql, params),
        }
    }

    /// Runs a query; its rows.
    pub(crate) fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, LedgerError> {
        match self {
            Conn::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                let width = stmt.column_count();
                let rows = stmt
                    .query_map(
                        rusqlite::params_from_iter(params.iter().map(to_sqlite)),
                        |row| {
                            (0..width)
                                .map(|i| row.get_ref(i).map(from_sqlite))
                                .collect::<rusqlite::Result<Vec<_>>>()
                                .map(Row)
                        },
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            }
            Conn::Postgres(conn) => conn.query(sql, params),
        }
    }

    /// The query's first row, if it has one.
    pub(crate) fn query_opt(
        &self,
        sql: &str,
        params: &[Value],
    ) -> Result<Option<Row>, LedgerError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The query's first row, which it must have.
    pub(crate) fn query_one(&self, sql: &str, params: &[Value]) -> Result<Row, LedgerError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| LedgerError::Stored("a query of the ledger found no row".into()))
    }

    /// Runs statements without parameters, one after another.
    pub(crate) fn batch(&self, sql: &str) -> Result<(), LedgerError> {
        match self {
            Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Conn::Postgres(conn) => conn.batch(sql),
        }
    }

    /// Runs `work` in one transaction: committed when it returns `Ok`, rolled
    /// back when it fails. `for_writing` takes SQLite's write lock at once
    /// (`BEGIN IMMEDIATE`), so a read in it decides what the transaction
    /// writes; on PostgreSQL, such reads lock their rows with `FOR UPDATE`.
    pub(crate) fn transaction<T, E: From<LedgerError>>(
        &self,
        for_writing: bool,
        work: impl FnOnce(&Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        let begin = match (self, for_writing) {
            (Conn::Sqlite(_), true) => "BEGIN IMMEDIATE",
            _ => "BEGIN",
        };
        self.batch(begin)?;
        match work(self) {
            Ok(value) => {
                if let Err(err) = self.batch("COMMIT") {
                    let _ = self.batch("ROLLBACK");
                    return Err(err.into());
                }
                Ok(value)
            }
            Err(err) => {
                let _ = self.batch("ROLLBACK");
                Err(err)
            }
        }
    }

    /// `FOR UPDATE` where a read in a transaction must lock what it read
    /// (PostgreSQL); nothing on SQLite, whose transaction holds the lock.
    pub(crate) fn for_update(&self) -> &'static str {
        if self.is_postgres() {
            " FOR UPDATE"
        } else {
            ""
        }
    }

    /// How long a statement waits for another writer's lock.
    pub(crate) fn wait_for_locks(&self, wait: Duration) -> Result<(), LedgerError> {
        match self {
            Conn::Sqlite(conn) => Ok(conn.busy_timeout(wait)?),
            Conn::Postgres(conn) => conn.batch(&format!(
                "SET lock_timeout = {}",
                u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)
            )),
        }
    }
}

fn to_sqlite(value: &Value) -> rusqlite::types::Value {
    match value {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(value) => rusqlite::types::Value::Integer(*value),
        Value::Text(text) => rusqlite::types::Value::Text(text.clone()),
    }
}

fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(value) => Value::Int(value),
        ValueRef::Real(value) => Value::Text(value.to_string()),
        ValueRef::Text(text) | ValueRef::Blob(text) => {
            Value::Text(String::from_utf8_lossy(text).into_owned())
        }
    }
}
