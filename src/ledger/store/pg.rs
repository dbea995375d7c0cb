//! The PostgreSQL backend: a shared ledger at `--db postgres://…`.
//!
//! The `postgres` crate's client runs a small tokio runtime of its own and
//! blocks on it, which panics on a thread that is already inside goalie's
//! runtime (the supervisor's event loop calls the ledger). So each
//! connection lives on a thread of its own, and the ledger's calls are sent
//! to it and waited for: to the caller it is a blocking call like SQLite's.
//!
//! The schema's version is kept in the table `goalie_schema`; migrations run
//! in one transaction under an advisory lock, so goalies that open a new
//! database at once take turns and all find it ready.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use bytes::BytesMut;
use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Statement};

use super::error::LedgerError;
use super::pg_tls;
use super::value::{Row, Value};

/// Whether `--db` names a PostgreSQL database (`postgres://…` or
/// `postgresql://…`) rather than a SQLite file.
pub fn is_url(db: &Path) -> bool {
    db.to_str().is_some_and(|db| {
        let lower = db.to_ascii_lowercase();
        lower.starts_with("postgres://") || lower.starts_with("postgresql://")
    })
}

/// The URL as goalie shows it: its password, in the user part or as a
/// `password=` parameter, is `***`.
pub fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.rfind('@') {
        // The user part ends at the last `@` before the path.
        Some(at) => match before_query[at..].find('/') {
            Some(slash) => before_query.split_at(at + slash),
            None => (before_query, ""),
        },
        None => match before_query.find('/') {
            Some(slash) => before_query.split_at(slash),
            None => (before_query, ""),
        },
    };
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let query = query.map(|query| {
        query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    match query {
        Some(query) => format!("{scheme}://{authority}{path}?{query}"),
        None => format!("{scheme}://{authority}{path}"),
    }
}

/// The password the URL holds, as it is written there (in the user part or
/// as a `password=` parameter), for the redactor (a URL may reach a stored
/// row, say a command line of goalie's own), and to hand on in `PGPASSWORD`.
pub fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, query),
        None => (rest, ""),
    };
    let in_query = query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.eq_ignore_ascii_case("password")
            .then(|| value.to_string())
    });
    let user = match before_query.rfind('@') {
        Some(at) if !before_query[at..].contains('/') || before_query[..at].contains(':') => {
            &before_query[..at]
        }
        _ => "",
    };
    let in_user = user
        .split_once(':')
        .map(|(_, password)| password.to_string());
    in_user.or(in_query).filter(|password| !password.is_empty())
}

/// The URL without its password (in the user part or as a `password=`
/// parameter), to hand on to the agent's MCP server and hooks on their
/// command lines: they take the password from `PGPASSWORD` instead.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let before_query = match before_query.rfind('@') {
        Some(at) if !before_query[at..].contains('/') || before_query[..at].contains(':') => {
            let (user, host) = before_query.split_at(at);
            match user.split_once(':') {
                Some((name, _)) => format!("{name}{host}"),
                None => before_query.to_string(),
            }
        }
        _ => before_query.to_string(),
    };
    let query = query.map(|query| {
        query
            .split('&')
            .filter(|pair| {
                !pair
                    .split_once('=')
                    .is_some_and(|(key, _)| key.eq_ignore_ascii_case("password"))
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    match query.filter(|query| !query.is_empty()) {
        Some(query) => format!("{scheme}://{before_query}?{query}"),
        None => format!("{scheme}://{before_query}"),
    }
}

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

/// The connection, on its own thread, and the statements it prepared.
struct Worker {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Worker {
    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(&numbered_for_postgres(sql))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

/// A connection to a PostgreSQL ledger.
pub(crate) struct PgConn {
    jobs: mpsc::Sender<Job>,
    /// The URL as shown (its password hidden).
    shown: String,
}

impl PgConn {
    /// Connects to the database at `url`. A password missing from the URL is
    /// taken from `PGPASSWORD`, so it need not be on a command line.
    pub(crate) fn connect(url: &str) -> Result<PgConn, LedgerError> {
        let shown = hide_password(url);
        let fail = |detail: String| LedgerError::Open {
            path: PathBuf::from(&shown),
            source: detail.into(),
        };
        let (url, root_cert) = pg_tls::take_root_cert(url);
        let mut config: postgres::Config = url
            .parse()
            .map_err(|err: postgres::Error| fail(format!("not a PostgreSQL URL: {err}")))?;
        if config.get_password().is_none()
            && let Some(password) = std::env::var_os("PGPASSWORD").filter(|p| !p.is_empty())
        {
            config.password(password.as_encoded_bytes());
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        // A server whose machine or network goes away is found lost in
        // about half a minute, not after TCP's hours.
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(Duration::from_secs(30));
        }
        if config.get_keepalives_interval().is_none() && !url.contains("keepalives_idle") {
            config
                .keepalives_idle(Duration::from_secs(15))
                .keepalives_interval(Duration::from_secs(5))
                .keepalives_retries(3);
        }
        if config.get_application_name().is_none() {
            config.application_name("goalie");
        }
        let tls = pg_tls::connector(config.get_ssl_mode(), root_cert.as_deref()).map_err(fail)?;
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("goalie-postgres".into())
            .spawn(move || match config.connect(tls) {
                Ok(client) => {
                    let _ = ready.send(Ok(()));
                    let mut worker = Worker {
                        client,
                        statements: HashMap::new(),
                    };
                    for job in inbox {
                        job(&mut worker);
                    }
                }
                Err(err) => {
                    let _ = ready.send(Err(describe(&err)));
                }
            })
            .map_err(|err| fail(format!("cannot start its connection's thread: {err}")))?;
        match connected.recv() {
            Ok(Ok(())) => Ok(PgConn {
                jobs,
                shown: shown.clone(),
            }),
            Ok(Err(detail)) => Err(fail(pg_tls::explained(detail))),
            Err(_) => Err(fail("its connection's thread ended".into())),
        }
    }

    /// The URL as shown (its password hidden).
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// Runs `job` on the connection's thread and waits for its answer.
    fn call<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Worker) -> Result<R, postgres::Error> + Send + 'static,
    ) -> Result<R, LedgerError> {
        let (answer, answered) = mpsc::sync_channel(1);
        let lost = || LedgerError::Lost {
            url: self.shown.clone(),
            detail: "its connection's thread ended".into(),
        };
        self.jobs
            .send(Box::new(move |worker| {
                let _ = answer.send(job(worker));
            }))
            .map_err(|_| lost())?;
        match answered.recv() {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(self.error(&err)),
            Err(_) => Err(lost()),
        }
    }

    pub(crate) fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, LedgerError> {
        let (sql, params) = (sql.to_string(), params.to_vec());
        self.call(move |worker| {
            let statement = worker.statement(&sql)?;
            worker.client.execute(&statement, &refs(&params))
        })
    }

    pub(crate) fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, LedgerError> {
        let (sql, params) = (sql.to_string(), params.to_vec());
        self.call(move |worker| {
            let statement = worker.statement(&sql)?;
            let rows = worker.client.query(&statement, &refs(&params))?;
            rows.iter()
                .map(|row| (0..row.len()).map(|i| from_pg(row, i)).collect())
                .map(|values: Result<Vec<_>, _>| values.map(Row))
                .collect()
        })
    }

    pub(crate) fn batch(&self, sql: &str) -> Result<(), LedgerError> {
        let sql = sql.to_string();
        self.call(move |worker| worker.client.batch_execute(&sql))
    }

    /// Forgets the prepared statements (after the schema changed).
    pub(crate) fn forget_statements(&self) -> Result<(), LedgerError> {
        self.call(|worker| {
            worker.statements.clear();
            Ok(())
        })
    }

    /// PostgreSQL's error as the ledger's: a full disk, a read-only
    /// database and a lost connection have errors of their own.
    fn error(&self, err: &postgres::Error) -> LedgerError {
        match err.code() {
            Some(code) if *code == SqlState::DISK_FULL => LedgerError::Full,
            Some(code) if *code == SqlState::READ_ONLY_SQL_TRANSACTION => LedgerError::ReadOnlyNow,
            // The server ended the connection (shut down, restarted, or an
            // administrator terminated it), or it was lost on the way.
            Some(code)
                if code.code().starts_with("08")
                    || [
                        SqlState::ADMIN_SHUTDOWN,
                        SqlState::CRASH_SHUTDOWN,
                        SqlState::CANNOT_CONNECT_NOW,
                    ]
                    .contains(code) =>
            {
                LedgerError::Lost {
                    url: self.shown.clone(),
                    detail: describe(err),
                }
            }
            Some(_) => LedgerError::Postgres(describe(err)),
            None if err.is_closed()
                || std::error::Error::source(err)
                    .is_some_and(|source| source.is::<std::io::Error>()) =>
            {
                LedgerError::Lost {
                    url: self.shown.clone(),
                    detail: describe(err),
                }
            }
            None => LedgerError::Postgres(describe(err)),
        }
    }
}

/// What went wrong, in PostgreSQL's own words where it said any.
fn describe(err: &postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => {
            let mut text = format!("{}: {}", db.severity(), db.message());
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" ({detail})"));
            }
            text
        }
        None => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                let cause_text = cause.to_string();
                if !text.contains(&cause_text) {
                    text.push_str(&format!(": {cause_text}"));
                }
                source = cause.source();
            }
            text
        }
    }
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

fn from_pg(row: &postgres::Row, i: usize) -> Result<Value, postgres::Error> {
    let int = |value: Option<i64>| value.map_or(Value::Null, Value::Int);
    Ok(match *row.columns()[i].type_() {
        Type::INT8 => int(row.try_get(i)?),
        Type::INT4 => int(row.try_get::<_, Option<i32>>(i)?.map(i64::from)),
        Type::INT2 => int(row.try_get::<_, Option<i16>>(i)?.map(i64::from)),
        Type::BOOL => int(row.try_get::<_, Option<bool>>(i)?.map(i64::from)),
        _ => row
            .try_get::<_, Option<String>>(i)?
            .map_or(Value::Null, Value::Text),
    })
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(value) => match *ty {
                Type::INT8 => value.to_sql(ty, out),
                Type::INT4 => i32::try_from(*value)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*value)?.to_sql(ty, out),
                Type::BOOL => (*value != 0).to_sql(ty, out),
                _ => value.to_string().as_str().to_sql(ty, out),
            },
            Value::Text(text) => match *ty {
                Type::INT8 => text.parse::<i64>()?.to_sql(ty, out),
                _ => text.as_str().to_sql(ty, out),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// SQLite's numbered parameters (`?1`) as PostgreSQL's (`$1`). The ledger's
/// SQL has no `?` inside its string literals.
pub(crate) fn numbered_for_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_become_postgres_ones() {
        assert_eq!(
            numbered_for_postgres("UPDATE goals SET a = ?2 WHERE id = ?1 AND b = ?10"),
            "UPDATE goals SET a = $2 WHERE id = $1 AND b = $10"
        );
        assert_eq!(numbered_for_postgres("SELECT '?' "), "SELECT '?' ");
    }

    #[test]
    fn postgres_urls_are_told_from_paths() {
        assert!(is_url(Path::new("postgres://u@h/db")));
        assert!(is_url(Path::new("postgresql://h/db")));
        assert!(is_url(Path::new("POSTGRES://h/db")));
        assert!(!is_url(Path::new("/data/postgres://x")));
        assert!(!is_url(Path::new("goalie.db")));
    }

    #[test]
    fn passwords_are_hidden_wherever_the_url_has_them() {
        assert_eq!(
            hide_password("postgres://goalie:s3cr%40t@127.0.0.1:5432/ledger"),
            "postgres://goalie:***@127.0.0.1:5432/ledger"
        );
        assert_eq!(
            hide_password("postgresql://me:p@ss@db.example/x?sslmode=disable"),
            "postgresql://me:***@db.example/x?sslmode=disable"
        );
        assert_eq!(
            hide_password("postgres://db/x?user=me&password=hunter2"),
            "postgres://db/x?user=me&password=***"
        );
        assert_eq!(hide_password("postgres://me@db/x"), "postgres://me@db/x");
        assert_eq!(hide_password("postgres://db"), "postgres://db");
    }

    #[test]
    fn the_password_is_found_as_the_url_writes_it() {
        assert_eq!(
            url_password("postgres://me:s3cr%40t@h:5432/db").as_deref(),
            Some("s3cr%40t")
        );
        assert_eq!(
            url_password("postgres://h/db?user=me&password=hunter22").as_deref(),
            Some("hunter22")
        );
        assert_eq!(url_password("postgres://me@h/db"), None);
        assert_eq!(url_password("postgres://h/db"), None);
    }

    #[test]
    fn the_password_is_taken_out_of_the_url_handed_on() {
        assert_eq!(
            without_password("postgres://me:hunter2@h:5432/db?sslmode=require"),
            "postgres://me@h:5432/db?sslmode=require"
        );
        assert_eq!(
            without_password("postgres://me:p@ss@h/db"),
            "postgres://me@h/db"
        );
        assert_eq!(
            without_password("postgresql://h/db?user=me&password=hunter2&sslmode=disable"),
            "postgresql://h/db?user=me&sslmode=disable"
        );
        assert_eq!(
            without_password("postgres://h/db?password=x"),
            "postgres://h/db"
        );
        assert_eq!(without_password("postgres://me@h/db"), "postgres://me@h/db");
        for url in [
            "postgres://me:hunter2@h:5432/db?sslmode=require",
            "postgresql://h/db?user=me&password=hunter2",
        ] {
            assert_eq!(url_password(&without_password(url)), None, "{url}");
        }
    }

    #[test]
    fn a_bad_url_and_a_refused_connection_are_errors_that_name_the_url_without_its_password() {
        let err = PgConn::connect("postgres://me:hunter2@127.0.0.1:1/x?connect_timeout=5")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("cannot open the database postgres://me:***@127.0.0.1:1/x"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        let err = PgConn::connect("postgres://me:hunter2@h/x?sslmode=bogus")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("not a PostgreSQL URL"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
