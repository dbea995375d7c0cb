//! PostgreSQL databases for the integration tests that run goalie against a
//! shared ledger: one database of its own for each test, created on the
//! server `GOALIE_TEST_PG` names (`scripts/test` starts one with
//! `scripts/pg`) and dropped when the test ends. Those tests are #[ignore]d
//! and named `pg_…`; run without a server, they fail and say why.

use postgres::{Client, NoTls};

/// A database of the test's own.
pub struct PgDb {
    /// The server's URL up to the database's name, and what follows it.
    base: String,
    query: String,
    pub name: String,
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl PgDb {
    /// A new, empty database on the test run's server.
    pub fn new() -> PgDb {
        let url = std::env::var("GOALIE_TEST_PG").unwrap_or_default();
        assert!(
            !url.is_empty(),
            "this test runs goalie against PostgreSQL: set GOALIE_TEST_PG to a server's URL \
             (`scripts/pg start` prints one; scripts/test starts it)"
        );
        let (before, query) = match url.split_once('?') {
            Some((before, query)) => (before.to_string(), format!("?{query}")),
            None => (url.clone(), String::new()),
        };
        let authority = before.find("://").map_or(0, |at| at + 3);
        let base = match before[authority..].find('/') {
            Some(slash) => before[..authority + slash].to_string(),
            None => before.clone(),
        };
        let name = format!(
            "goalie_it_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let db = PgDb { base, query, name };
        db.as_admin(&format!("CREATE DATABASE {}", db.name))
            .expect("create the test's database");
        db
    }

    /// The database's URL, as `--db` takes it.
    pub fn url(&self) -> String {
        format!("{}/{}{}", self.base, self.name, self.query)
    }

    /// A connection to the test's database, to look behind goalie's back
    /// (not on a thread of a tokio runtime).
    pub fn client(&self) -> Client {
        Client::connect(&self.url(), NoTls).expect("connect to the test's database")
    }

    /// Runs `sql` in the server's own database, on a thread of its own: the
    /// blocking client may not run on a thread of a tokio runtime, and some
    /// tests are async.
    fn as_admin(&self, sql: &str) -> Result<(), postgres::Error> {
        let (url, sql) = (
            format!("{}/postgres{}", self.base, self.query),
            sql.to_string(),
        );
        std::thread::spawn(move || Client::connect(&url, NoTls)?.batch_execute(&sql))
            .join()
            .expect("the admin thread")
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = self.as_admin(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}
