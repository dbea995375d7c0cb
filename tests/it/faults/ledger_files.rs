//! Defects 6, 9 and 10: the ledger's file under concurrency, without write
//! permission, and damaged. Several goalies create a new database at once;
//! the read commands work on a file goalie may not write, and the writers
//! refuse it with exit 2; a damaged file is found before anything is written
//! into it, with a message that says how to recover.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use super::LIMIT;
use crate::support::{GOALIE, Outcome, Sandbox, finish, path_str, scenario};

/// A finished goal in the sandbox's ledger (the sim claims on turn 1).
fn achieved(sandbox: &Sandbox) -> String {
    let out = sandbox.run_sim(&scenario(Some(1), "proper", 100), &["--headless"], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    sandbox.goal().id
}

/// Defect 6. The three processes are let go together just before they
/// create the database (the test hook `GOALIE_TEST_OPEN_TOGETHER`), as
/// close as processes can be; the ledger's unit test
/// `four_goalies_opening_a_new_database_at_the_same_moment_all_find_it_ready_200_times`
/// is the one that fails reliably without the lock.
#[test]
fn three_goalies_create_a_new_database_at_once_ten_times() {
    let sandbox = Sandbox::new();
    let file = path_str(&sandbox.file("scenario.yaml", &scenario(Some(1), "proper", 100)));
    for round in 0..10 {
        let db = sandbox.dir.path().join(format!("new-{round}/goalie.db"));
        let together = path_str(&sandbox.dir.path().join(format!("together-{round}")));
        let runs: Vec<_> = (0..3)
            .map(|_| {
                sandbox
                    .command(&[
                        "run",
                        "--agent",
                        "sim",
                        "--headless",
                        "Make the tests pass",
                        "--",
                        "--scenario",
                        &file,
                    ])
                    .env("GOALIE_DB", &db)
                    // All three create and migrate it at the same moment.
                    .env("GOALIE_TEST_OPEN_TOGETHER", format!("{together}:3"))
                    .spawn()
                    .expect("spawn goalie run")
            })
            .collect();
        for child in runs {
            let out = finish(child, LIMIT);
            assert_eq!(out.code, 0, "round {round}: {out:?}");
        }
        let ledger = goalie::ledger::Ledger::open_existing(&db).unwrap();
        assert_eq!(ledger.goals().unwrap().len(), 3, "round {round}");
    }
}

/// Runs goalie as `nobody` on `db` (a file only root may write).
fn as_nobody(db: &std::path::Path, open: &std::path::Path, args: &[&str]) -> Outcome {
    let child = Command::new(GOALIE)
        .args(args)
        .env("GOALIE_DB", db)
        .env("GOALIE_CONFIG_DIR", open.join("config"))
        .env("XDG_RUNTIME_DIR", open.join("run"))
        .env("HOME", open)
        .current_dir(open)
        .uid(65534)
        .gid(65534)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child, LIMIT)
}

#[test]
fn the_read_commands_work_on_a_database_goalie_may_not_write_and_the_writers_say_so() {
    let sandbox = Sandbox::new();
    let id = achieved(&sandbox);
    // The database in a folder of root's, 0755, the file 0644: nobody may read, not write.
    let closed = tempfile::tempdir().unwrap();
    std::fs::set_permissions(closed.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = closed.path().join("goalie.db");
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    conn.execute("VACUUM INTO ?1", [path_str(&db)]).unwrap();
    drop(conn);
    rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_update(None, "journal_mode", "WAL")
        .unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = tempfile::tempdir().unwrap();
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let before = std::fs::read(&db).unwrap();

    let out = as_nobody(&db, open.path(), &["ls"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains(&id), "{out:?}");
    let out = as_nobody(&db, open.path(), &["status", &id]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("achieved"), "{out:?}");
    let out = as_nobody(&db, open.path(), &["report", &id]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("accepted"), "{out:?}");

    let scenario = path_str(&sandbox.file("scenario.yaml", &scenario(Some(1), "proper", 100)));
    std::fs::set_permissions(&scenario, std::fs::Permissions::from_mode(0o644)).unwrap();
    let work = open.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = as_nobody(
        &db,
        open.path(),
        &[
            "run",
            "--agent",
            "sim",
            "--headless",
            "--workdir",
            &path_str(&work),
            "Make the tests pass",
            "--",
            "--scenario",
            &scenario,
        ],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("is read-only to goalie"), "{out:?}");
    let out = as_nobody(&db, open.path(), &["pause", &id]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("is read-only to goalie"), "{out:?}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "the file changed");
}

#[test]
fn a_damaged_ledger_is_refused_before_anything_is_written_into_it() {
    let sandbox = Sandbox::new();
    let id = achieved(&sandbox);
    let db = sandbox.db();
    let (page_size, root): (i64, i64) = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        let page_size = conn
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .unwrap();
        let root = conn
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'events'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        (page_size, root)
    };
    // Scribble over the events table's first page, past its header.
    let mut bytes = std::fs::read(&db).unwrap();
    let start = usize::try_from((root - 1) * page_size + 16).unwrap();
    let end = usize::try_from(root * page_size).unwrap().min(bytes.len());
    for (i, byte) in bytes[start..end].iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(37) ^ 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();

    let scenario = sandbox.file("scenario.yaml", &scenario(Some(1), "proper", 100));
    for args in [
        vec![
            "run",
            "--agent",
            "sim",
            "--headless",
            "Make the tests pass",
            "--",
            "--scenario",
            &path_str(&scenario),
        ],
        vec!["clear", &id],
    ] {
        let out = sandbox.run(&args, LIMIT);
        assert_eq!(out.code, 8, "{args:?}: {out:?}");
        assert!(out.stderr.contains("is damaged"), "{out:?}");
        assert!(out.stderr.contains(".recover"), "{out:?}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "goalie wrote into it");
}
