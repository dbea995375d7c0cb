//! The ledger's schema: numbered migrations, applied in order when a
//! database is opened.

pub(super) const MIGRATIONS: &[&str] = &[
    // 1: goals and their events.
    "CREATE TABLE goals (
        id TEXT PRIMARY KEY,
        objective TEXT NOT NULL,
        agent TEXT NOT NULL,
        workdir TEXT NOT NULL,
        state TEXT NOT NULL,
        claim_code TEXT NOT NULL,
        max_turns INTEGER,
        max_time_ms INTEGER,
        budget_tokens INTEGER,
        turns INTEGER NOT NULL DEFAULT 0,
        tokens_used INTEGER NOT NULL DEFAULT 0,
        time_used_ms INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        started_at TEXT,
        ended_at TEXT,
        end_reason TEXT,
        supervisor_pid INTEGER,
        agent_pid INTEGER
    );
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        goal_id TEXT NOT NULL REFERENCES goals(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX events_by_goal ON events(goal_id, seq);
    CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;",
    // 2: the goal spec (JSON of `goal_spec::GoalSpec`), when the goal was started from one.
    "ALTER TABLE goals ADD COLUMN spec TEXT;",
    // 3: where a running goal's supervisor listens (its control socket).
    "ALTER TABLE goals ADD COLUMN control_socket TEXT;",
    // 4: the supervisor's start time (field 22 of /proc/PID/stat): with its pid,
    // a name no other process can have, so a zombie or a reused pid reads as dead.
    "ALTER TABLE goals ADD COLUMN supervisor_start INTEGER;",
    // 5: the host the goal's supervisor runs (or last ran) on, and when it last
    // said it was alive there: a supervisor on another machine has no pid here.
    // The heartbeat is a column, not an event: renewed every few seconds, it
    // would swell the append-only log with rows that say nothing new.
    "ALTER TABLE goals ADD COLUMN host TEXT;
     ALTER TABLE goals ADD COLUMN heartbeat_at TEXT;",
];
