//! Defect 7: the disk that holds the ledger fills during a run (a small
//! tmpfs, filled by a file while the goal runs). goalie ends with exit 8 and
//! an error that says the disk is full, the goal is left paused with its
//! `stopped` row (in the room the run kept beside the database), and every
//! progress line it printed has its row in the ledger.

use std::io::Write;
use std::process::Command;

use super::LIMIT;
use crate::support::{Sandbox, finish};

/// A tmpfs of `size` mounted on `dir`, unmounted when dropped.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mount -t tmpfs refused (the test needs root)"
        );
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a file still open on it (a failed test's) does not keep it mounted.
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_leaves_the_goal_paused_with_every_printed_line_stored() {
    let sandbox = Sandbox::new();
    let mount = Tmpfs::mount(&sandbox.dir.path().join("small"), "8m");
    let db = mount.0.join("goalie.db");
    let scenario = "name: full\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\nclaim_after_turns: null\nturns:\n  - work_ms: 200\n    tokens: 1000\n    reply: Did one step of the work, and wrote a long account of it to show.\n";
    let child = {
        let file = crate::support::path_str(&sandbox.file("scenario.yaml", scenario));
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
            .spawn()
            .unwrap()
    };
    // Once a turn has ended, the rest of the disk is filled.
    let ended = || {
        goalie::ledger::Ledger::open_read_only(&db)
            .ok()
            .and_then(|l| {
                let goal = l.goals().ok()?.into_iter().next()?;
                Some(
                    l.entries(&goal.id)
                        .ok()?
                        .iter()
                        .any(|e| e.kind == "turn_ended"),
                )
            })
            .unwrap_or(false)
    };
    assert!(crate::support::eventually(
        std::time::Duration::from_secs(30),
        ended
    ));
    let mut filler = std::fs::File::create(mount.0.join("filler")).unwrap();
    let block = vec![0u8; 64 * 1024];
    while filler.write_all(&block).is_ok() {}
    let _ = filler.write_all(&[0u8; 512]);
    drop(filler);
    let out = finish(child, LIMIT);
    assert_eq!(out.code, 8, "{out:?}");
    assert!(
        out.stderr
            .contains("the disk that holds the database is full"),
        "{out:?}"
    );
    assert!(out.stderr.contains("is left paused"), "{out:?}");

    let ledger = goalie::ledger::Ledger::open_read_only(&db).unwrap();
    let goal = ledger.goals().unwrap().into_iter().next().unwrap();
    assert_eq!(goal.state.as_str(), "paused");
    let entries = ledger.entries(&goal.id).unwrap();
    let stopped: Vec<_> = entries.iter().filter(|e| e.kind == "stopped").collect();
    assert_eq!(stopped.len(), 1, "{entries:?}");
    assert_eq!(stopped[0].data["exit_code"], 8);
    // Every "turn N ended" line printed has its row.
    for line in out.stdout.lines() {
        let Some(rest) = line.strip_prefix("goalie: turn ") else {
            continue;
        };
        let turn: u64 = rest.split([' ', ':']).next().unwrap().parse().unwrap();
        let kind = if rest.contains(" ended after ") {
            "turn_ended"
        } else {
            "injection"
        };
        assert!(
            entries
                .iter()
                .any(|e| e.kind == kind && e.data["turn"] == turn),
            "printed `{line}` without its {kind} row"
        );
    }
    drop(ledger);
    drop(mount);
}
