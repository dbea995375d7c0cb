//! goalie under faults (issue 15): a dead supervisor whose pid is a zombie or
//! was reused, what a goalie killed with SIGKILL leaves running, signals
//! during an audit, a new database opened by several goalies at once, a full
//! disk, a closed pipe, a read-only or damaged ledger, logs while the agent's
//! screen is shown, and the ledger's accuracy across a crash; and the crash
//! consistency suite that kills goalie at seeded random moments.

mod liveness;

use std::path::Path;
use std::time::Duration;

use crate::support::{Sandbox, path_str};
use goalie::ledger::{Goal, Ledger, NewGoal};

/// How long a goalie command may take before the test fails (a guard, not a measure).
pub const LIMIT: Duration = Duration::from_secs(60);

/// A goal in the sandbox's database that no goalie runs, as `goalie run` leaves one.
pub fn stored_goal(sandbox: &Sandbox) -> Goal {
    let ledger = Ledger::open(&sandbox.db()).expect("ledger");
    ledger
        .create_goal(&NewGoal {
            objective: "Make the tests pass".into(),
            agent: "sim".into(),
            workdir: path_str(&sandbox.workdir()),
            claim_code: "ABCDEFGHJK".into(),
            max_turns: None,
            max_time_ms: None,
            budget_tokens: None,
        })
        .expect("goal")
}

/// Sets columns of the goal's row by hand (what a killed supervisor left).
pub fn set_columns(db: &Path, goal: &Goal, assignments: &str) {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.execute(
        &format!("UPDATE goals SET {assignments} WHERE id = ?1"),
        [&goal.id],
    )
    .expect("update goal");
}
