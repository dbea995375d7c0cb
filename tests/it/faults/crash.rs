//! The crash consistency suite: goalie is killed with SIGKILL at seeded
//! random moments of a simulated run (while it types a prompt, mid-turn,
//! during a compaction, during an audit's verify command, while it waits out
//! a usage limit's backoff, at a random time), and after each kill:
//!
//! - `PRAGMA integrity_check` says ok;
//! - every row read from the ledger before the kill is still there, as read;
//! - `goalie resume` continues the goal to its end, counting each turn once
//!   (the `turn_ended` rows are 1, 2, 3… and the goal's turns their count)
//!   and each token once (the goal's tokens are what the earlier runs left
//!   plus what the resumed run used);
//! - no process of any group the runs started is left.
//!
//! `crash_moments_quick` runs 6 moments, one of each kind, with every
//! `cargo test` (about 25 s);
//! `suite_crash_consistency_50_moments` runs all 50 (about 4 minutes on a
//! shared 2-core machine), `#[ignore]`d, and `scripts/test` runs it with
//! the ignored tests (its name begins with `suite_`).

use std::time::{Duration, Instant};

use super::{LIMIT, signal};
use crate::support::{Sandbox, eventually, leftover_processes, quick_sim_adapter, scenario};
use goalie::ledger::{Entry, Ledger};

/// The first run: three quick turns, a compaction in the second, a claim in
/// the third, audited with a verify command that takes a moment.
const FIRST: &str = "name: crash\nstartup_ms: 50\ncursor_query_timeout_ms: 60000\nclaim_after_turns: 3\nevidence: \"ran the verify command\"\nturns:\n  - work_ms: 300\n    tokens: 1000\n    reply: One.\n  - work_ms: 600\n    compact: true\n    compact_ms: 400\n    tokens: 1000\n    reply: Two.\n  - work_ms: 300\n    tokens: 1000\n    reply: Three.\n";
/// For the backoff: the first turn's reply is a usage limit (the sim
/// adapter's screen rule), so goalie waits a minute before its next prompt.
const LIMITED: &str = "name: crash\nstartup_ms: 50\ncursor_query_timeout_ms: 60000\nclaim_after_turns: null\nturns:\n  - work_ms: 300\n    tokens: 1000\n    reply: You've hit your usage limit.\n";
const SPEC: &str =
    "objective: Make the tests pass\nverify:\n  - run: sleep 0.8\nstop:\n  turns: 12\n";

/// A small seeded generator (SplitMix64).
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// When to kill goalie.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// A prompt is being typed (its injection row is written, its turn not started).
    Typing,
    /// A turn is under way, `ms` after it started.
    MidTurn { turn: u32, ms: u64 },
    /// Turn 2's compaction shows.
    Compaction { ms: u64 },
    /// The audit's verify command runs.
    Audit,
    /// goalie waits out a usage limit's backoff, `ms` after it began.
    Backoff { ms: u64 },
    /// `ms` after goalie started.
    Random { ms: u64 },
}

/// A moment of kind `kind` (0 to 5, in the order of [`Moment`]), its times seeded.
fn moment(kind: usize, rng: &mut Seeded) -> Moment {
    match kind % 6 {
        0 => Moment::Typing,
        1 => Moment::MidTurn {
            turn: 1 + rng.below(3) as u32,
            ms: rng.below(250),
        },
        2 => Moment::Compaction {
            ms: 300 + rng.below(350),
        },
        3 => Moment::Audit,
        4 => Moment::Backoff {
            ms: rng.below(1500),
        },
        _ => Moment::Random {
            ms: 100 + rng.below(5000),
        },
    }
}

fn rows(db: &std::path::Path) -> Vec<Entry> {
    let Ok(ledger) = Ledger::open_read_only(db) else {
        return Vec::new();
    };
    let Some(goal) = ledger.goals().ok().and_then(|g| g.into_iter().next()) else {
        return Vec::new();
    };
    ledger.entries(&goal.id).unwrap_or_default()
}

/// Whether the kill moment has come, by the rows so far.
fn due(moment: Moment, rows: &[Entry], since: Instant, mark: &mut Option<Instant>) -> bool {
    let started = |turn: u32| {
        rows.iter()
            .any(|e| e.kind == "turn_started" && e.data["turn"] == turn)
    };
    let after = |ms: u64, mark: &mut Option<Instant>, reached: bool| {
        if reached && mark.is_none() {
            *mark = Some(Instant::now());
        }
        mark.is_some_and(|at| at.elapsed() >= Duration::from_millis(ms))
    };
    match moment {
        Moment::Typing => rows.last().is_some_and(|e| e.kind == "injection"),
        Moment::MidTurn { turn, ms } => after(ms, mark, started(turn)),
        Moment::Compaction { ms } => after(ms, mark, started(2)),
        Moment::Audit => rows
            .iter()
            .any(|e| e.kind == "group_started" && e.data["role"] == "verify"),
        Moment::Backoff { ms } => {
            let waiting = rows.iter().any(|e| e.kind == "error_backoff");
            after(ms, mark, waiting)
        }
        Moment::Random { ms } => since.elapsed() >= Duration::from_millis(ms),
    }
}

fn same(a: &Entry, b: &Entry) -> bool {
    (a.seq, &a.kind, &a.data, &a.at) == (b.seq, &b.kind, &b.data, &b.at)
}

/// One kill at `moment`, and every check after it.
fn kill_and_check(round: usize, moment: Moment) {
    let sandbox = Sandbox::new();
    // Each turn end and the first prompt wait out the quiet window: 300 ms
    // instead of the sim's 800 (the pause before Enter, the typing moment,
    // stays).
    sandbox.user_adapter("sim", &quick_sim_adapter(300, 200));
    let db = sandbox.db();
    let first = match moment {
        Moment::Backoff { .. } => LIMITED,
        _ => FIRST,
    };
    let mut goalie = super::start_sim(&sandbox, Some(SPEC), first);
    let since = Instant::now();
    let mut mark = None;
    let deadline = since + Duration::from_secs(30);
    let (before, reached) = loop {
        let now = rows(&db);
        if due(moment, &now, since, &mut mark) {
            break (now, true);
        }
        if Instant::now() > deadline || goalie.try_wait().unwrap().is_some() {
            break (now, false);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // Only a random time may come after the run ended by itself.
    assert!(
        reached || matches!(moment, Moment::Random { .. }),
        "round {round}: the moment {moment:?} never came: {before:?}"
    );
    signal(&goalie, libc::SIGKILL);
    let _ = goalie.wait();
    let what = format!("round {round}, {moment:?}, {} rows before", before.len());

    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok", "{what}");
    drop(conn);
    let after = rows(&db);
    assert!(after.len() >= before.len(), "{what}: rows lost");
    for (a, b) in before.iter().zip(&after) {
        assert!(same(a, b), "{what}: {a:?} became {b:?}");
    }

    let goal = sandbox.goal();
    if !goal.state.is_final() {
        // The resumed agent claims in its first turn.
        sandbox.file("scenario.yaml", &scenario(Some(1), "proper", 200));
        let out = sandbox.run(&["resume", &goal.id, "--headless"], LIMIT);
        assert_eq!(out.code, 0, "{what}: {out:?}");
    }
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "achieved", "{what}");
    let entries = sandbox.entries();
    let ended: Vec<u64> = entries
        .iter()
        .filter(|e| e.kind == "turn_ended")
        .map(|e| e.data["turn"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (1..=ended.len() as u64).collect();
    assert_eq!(ended, expected, "{what}: turns counted once, in order");
    assert_eq!(u64::from(goal.turns), ended.len() as u64, "{what}");
    if let Some(resumed) = entries.iter().rposition(|e| e.kind == "resumed") {
        let prior = entries[resumed].data["prior"]["tokens_used"]
            .as_u64()
            .unwrap();
        let turns_since = entries[resumed..]
            .iter()
            .filter(|e| e.kind == "turn_ended")
            .count() as u64;
        assert_eq!(
            goal.tokens_used,
            prior + 1000 * turns_since,
            "{what}: tokens counted once"
        );
    }
    for group in entries.iter().filter(|e| e.kind == "group_started") {
        let pgid = group.data["pgid"].as_u64().unwrap() as u32;
        assert!(
            eventually(Duration::from_secs(5), || leftover_processes(pgid)
                .is_empty()),
            "{what}: {:?} left of {group:?}",
            leftover_processes(pgid)
        );
    }
}

fn run_moments(seed: u64, count: usize) {
    let mut rng = Seeded(seed);
    for round in 0..count {
        // Each kind in turn, so that every run of the suite has all of them.
        let moment = moment(round, &mut rng);
        eprintln!("crash round {round}: kill at {moment:?}");
        kill_and_check(round, moment);
    }
}

#[test]
fn crash_moments_quick() {
    run_moments(15, 6);
}

#[test]
#[ignore = "about 4 minutes: scripts/test runs it with the ignored tests"]
fn suite_crash_consistency_50_moments() {
    run_moments(1515, 50);
}
