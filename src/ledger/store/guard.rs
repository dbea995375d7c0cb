//! What keeps the ledger trustworthy when the machine is not: one goalie at a
//! time creates and migrates a database (an exclusive lock on `DB.lock`
//! beside it), a writer checks the file for damage before it adds a row
//! (`PRAGMA quick_check`), the read commands open it read-only (so they work
//! on a file goalie may not write), and SQLite's "disk is full" and
//! "read-only" become errors that say so.

use std::fs::File;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use rusqlite::{Connection, ErrorCode, OpenFlags};

/// Holds `DB.lock` exclusively while a database is opened and migrated.
pub(super) struct OpenLock(#[allow(dead_code)] Option<Flock<File>>);

/// Waits for the exclusive lock on the database's lock file. Where the
/// lock file cannot be made (a folder goalie may not write), there is no
/// lock: the open that follows fails on its own, with its own words.
pub(super) fn lock(path: &Path) -> OpenLock {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(PathBuf::from(name));
    OpenLock(
        file.ok()
            .and_then(|file| Flock::lock(file, FlockArg::LockExclusive).ok()),
    )
}

/// Test hook for the start-up race (defect 6): with
/// `GOALIE_TEST_OPEN_TOGETHER=DIR:N`, an open waits (up to 10 s) until `N`
/// goalies have arrived in `DIR`, each leaving a file named after its pid,
/// so that they go on to create and migrate a new database at the same
/// moment rather than milliseconds apart as processes start. It waits before
/// the lock, so goalies that take turns under it still all arrive.
pub(super) fn arrive_together_for_test() {
    let Some(value) = std::env::var_os("GOALIE_TEST_OPEN_TOGETHER") else {
        return;
    };
    let value = value.to_string_lossy();
    let Some((dir, count)) = value.rsplit_once(':') else {
        return;
    };
    let (dir, count) = (Path::new(dir), count.parse::<usize>().unwrap_or(1));
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(dir.join(std::process::id().to_string()), b"");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::read_dir(dir).map_or(0, |entries| entries.count()) < count
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}

/// Checks the database for damage (`PRAGMA quick_check`: every page and
/// index, in time linear in its size): what is wrong, if anything.
pub(super) fn damage(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let mut stmt = conn.prepare("PRAGMA quick_check")?;
    let findings: Vec<String> = match stmt
        .query_map([], |row| row.get::<_, String>(0))
        .and_then(|rows| rows.collect())
    {
        Ok(findings) => findings,
        // So damaged that the check itself cannot read it.
        Err(err) if is_corrupt(&err) => vec![err.to_string()],
        Err(err) => return Err(err),
    };
    if findings.len() == 1 && findings[0] == "ok" {
        return Ok(None);
    }
    Ok(Some(
        findings
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("; "),
    ))
}

/// Opens an existing database read-only. A database in WAL mode whose
/// `-shm` file cannot be made here (a folder goalie may not write, a
/// read-only file system) is opened as immutable: nobody can write it then.
pub(super) fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    // The schema is not looked for here: a file its first writer has made
    // but not yet migrated is read once that writer is done (the caller
    // sees its version and opens it as a writer, which waits on `DB.lock`).
    let first = Connection::open_with_flags(path, flags).and_then(|conn| {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .map(|()| conn)
    });
    match first {
        Ok(conn) => Ok(conn),
        Err(err)
            if matches!(
                err.sqlite_error_code(),
                Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly)
            ) =>
        {
            let uri = format!(
                "file:{}?immutable=1",
                path.to_string_lossy()
                    .replace('%', "%25")
                    .replace('?', "%3f")
                    .replace('#', "%23")
            );
            Ok(Connection::open_with_flags(
                uri,
                flags | OpenFlags::SQLITE_OPEN_URI,
            )?)
        }
        Err(err) => Err(err),
    }
}

/// Whether SQLite says the file is damaged.
pub(super) fn is_corrupt(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}
