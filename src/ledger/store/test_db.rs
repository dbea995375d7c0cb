//! The databases the ledger's tests run against: a SQLite file always, and a
//! PostgreSQL database when `GOALIE_TEST_PG` names a server (a URL such as
//! `scripts/pg start` prints; `scripts/test` starts one). Each PostgreSQL
//! database is created for the test that asks for it and dropped when the
//! test ends, so tests run in parallel. With `GOALIE_E2E_REQUIRED` set and no
//! `GOALIE_TEST_PG`, the tests fail rather than run on SQLite alone.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::backend::Conn;
use super::pg::PgConn;

/// One backend's databases for one test.
pub(crate) enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres {
        /// The server's URL, up to (not including) the database's name.
        base: String,
        /// What follows the database's name (`?…`), if anything.
        query: String,
        /// The databases made so far, by the name the test gave.
        made: RefCell<Vec<(String, String)>>,
    },
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    /// SQLite, then PostgreSQL where the test run has one.
    pub(crate) fn all() -> Vec<TestDb> {
        let mut all = vec![TestDb::sqlite()];
        match std::env::var("GOALIE_TEST_PG") {
            Ok(url) if !url.is_empty() => all.push(TestDb::postgres(&url)),
            _ => assert!(
                std::env::var_os("GOALIE_E2E_REQUIRED").is_none(),
                "GOALIE_E2E_REQUIRED is set but GOALIE_TEST_PG is not: the ledger's tests must \
                 run against PostgreSQL too (scripts/test starts one with scripts/pg)"
            ),
        }
        all
    }

    pub(crate) fn sqlite() -> TestDb {
        TestDb::Sqlite(tempfile::tempdir().unwrap())
    }

    fn postgres(url: &str) -> TestDb {
        let (before, query) = match url.split_once('?') {
            Some((before, query)) => (before, format!("?{query}")),
            None => (url, String::new()),
        };
        let authority_start = before.find("://").map_or(0, |at| at + 3);
        let base = match before[authority_start..].find('/') {
            Some(slash) => before[..authority_start + slash].to_string(),
            None => before.to_string(),
        };
        TestDb::Postgres {
            base,
            query,
            made: RefCell::new(Vec::new()),
        }
    }

    /// Which backend, for the messages of a failing test.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            TestDb::Sqlite(_) => "sqlite",
            TestDb::Postgres { .. } => "postgres",
        }
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }

    /// The database called `name` in this test: a file in the test's
    /// folder, or a PostgreSQL database of its own (created now, empty).
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        match self {
            TestDb::Sqlite(dir) => dir.path().join(name),
            TestDb::Postgres { base, query, made } => {
                if let Some((_, db)) = made.borrow().iter().find(|(given, _)| given == name) {
                    return PathBuf::from(format!("{base}/{db}{query}"));
                }
                let db = format!(
                    "goalie_test_{}_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed),
                    super::new_claim_code().to_ascii_lowercase()
                );
                self.admin()
                    .batch(&format!("CREATE DATABASE {db}"))
                    .unwrap();
                made.borrow_mut().push((name.to_string(), db.clone()));
                PathBuf::from(format!("{base}/{db}{query}"))
            }
        }
    }

    /// A connection to the server's own database, to make and drop others.
    fn admin(&self) -> Conn {
        let TestDb::Postgres { base, query, .. } = self else {
            unreachable!("only PostgreSQL has an administrator's connection")
        };
        Conn::Postgres(PgConn::connect(&format!("{base}/postgres{query}")).unwrap())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { made, .. } = self {
            let made = std::mem::take(&mut *made.borrow_mut());
            if made.is_empty() {
                return;
            }
            let admin = self.admin();
            for (_, db) in made {
                let _ = admin.batch(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            }
        }
    }
}
