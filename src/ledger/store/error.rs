//! The ledger's errors: what went wrong with the database, in words that say
//! what to do, whichever backend holds it.

use std::path::PathBuf;

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
    #[error("database error: {0}")]
    Postgres(String),
    #[error(
        "the database {url} could not be reached ({detail}): goalie stopped before writing more; when it can be reached again, `goalie resume` the goal"
    )]
    Lost { url: String, detail: String },
    #[error("the database holds what goalie cannot read: {0}")]
    Stored(String),
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
