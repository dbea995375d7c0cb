//! The store's tests, each run against SQLite and, where the test run has
//! one, PostgreSQL (see `test_db.rs`).

use super::test_db::TestDb;
use super::value::params;
use super::*;

#[test]
fn claim_codes_are_fresh_and_plain() {
    let a = new_claim_code();
    let b = new_claim_code();
    assert_eq!(a.len(), 10);
    assert_ne!(a, b);
    assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
}

fn new_goal() -> NewGoal {
    NewGoal {
        objective: "ship it".into(),
        agent: "sim".into(),
        workdir: "/tmp".into(),
        claim_code: "abc".into(),
        max_turns: Some(3),
        max_time_ms: None,
        budget_tokens: Some(1000),
    }
}

#[test]
fn goals_round_trip_and_the_ledger_is_append_only() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let path = db.path("sub/goalie.db");
        let ledger = Ledger::open(&path).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        assert_eq!(goal.state, GoalState::Pursuing);
        assert_eq!(goal.max_turns, Some(3));
        ledger
            .append(
                &goal.id,
                &Row::from_parts("turn_ended", serde_json::json!({"turn": 1})),
            )
            .unwrap();
        ledger.set_progress(&goal.id, 1, 500, 1200).unwrap();
        ledger.set_state(&goal.id, GoalState::Achieved).unwrap();
        ledger.set_ended(&goal.id, "claimed").unwrap();
        drop(ledger);

        let ledger = Ledger::open_existing(&path).unwrap();
        let again = ledger.goal(&goal.id[..4]).unwrap();
        assert_eq!(again.state, GoalState::Achieved);
        assert_eq!(
            (again.turns, again.tokens_used, again.time_used_ms),
            (1, 500, 1200)
        );
        assert!(again.ended_at.is_some());
        let entries = ledger.entries(&goal.id).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].kind, "turn_ended");
        assert_eq!(entries[0].data["turn"], 1);
        let update = ledger.conn.execute("UPDATE events SET kind = 'x'", &[]);
        assert!(update.unwrap_err().to_string().contains("append-only"));
        assert!(ledger.conn.execute("DELETE FROM events", &[]).is_err());
        if db.is_postgres() {
            let truncate = ledger.conn.batch("TRUNCATE events");
            assert!(truncate.unwrap_err().to_string().contains("append-only"));
        }
        assert_eq!(ledger.entries(&goal.id).unwrap().len(), 1);
    }
}

#[test]
fn a_turn_ended_row_stores_the_goals_turns_and_tokens_with_it() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let ledger = Ledger::open(&db.path("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        ledger.set_progress(&goal.id, 1, 400, 900).unwrap();
        let row = Row::TurnEnded {
            turn: 2,
            prompt: crate::core::prompt::PromptKind::Continuation,
            duration_ms: 700,
            busy_seen: true,
            done_seen: true,
            signalled: false,
            signalled_by: None,
            error: None,
            tokens_used: 1500,
            context_used_pct: None,
            reply: None,
        };
        ledger.append(&goal.id, &row).unwrap();
        // No set_progress in between: a goalie killed here has counted turn 2.
        let goal = ledger.goal(&goal.id).unwrap();
        assert_eq!(
            (goal.turns, goal.tokens_used, goal.time_used_ms),
            (2, 1500, 900)
        );
        let entries = ledger.entries(&goal.id).unwrap();
        assert_eq!(entries.last().unwrap().kind, "turn_ended");
        assert_eq!(entries.last().unwrap().data["turn"], 2);
        // Other rows leave the counters alone.
        ledger
            .append(
                &goal.id,
                &Row::from_parts("progress", serde_json::json!({"turn": 2})),
            )
            .unwrap();
        assert_eq!(ledger.goal(&goal.id).unwrap().turns, 2);
    }
}

#[test]
fn specs_are_stored_and_new_rows_are_found_after_a_seq() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let ledger = Ledger::open(&db.path("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        assert_eq!(ledger.spec(&goal.id).unwrap(), None);
        ledger
            .set_spec(&goal.id, &serde_json::json!({"verify": ["true"]}))
            .unwrap();
        assert_eq!(ledger.spec(&goal.id).unwrap().unwrap()["verify"][0], "true");
        assert_eq!(ledger.last_seq(&goal.id).unwrap(), 0);
        ledger
            .append(
                &goal.id,
                &Row::from_parts("claim_submitted", serde_json::json!({"n": 1})),
            )
            .unwrap();
        ledger
            .append(&goal.id, &Row::from_parts("other", serde_json::json!({})))
            .unwrap();
        let seen = ledger.last_seq(&goal.id).unwrap();
        ledger
            .append(
                &goal.id,
                &Row::from_parts("claim_submitted", serde_json::json!({"n": 2})),
            )
            .unwrap();
        let all = ledger
            .entries_after(&goal.id, RowKind::ClaimSubmitted, 0)
            .unwrap();
        assert_eq!(all.len(), 2);
        let new = ledger
            .entries_after(&goal.id, RowKind::ClaimSubmitted, seen)
            .unwrap();
        assert_eq!(new.len(), 1);
        assert_eq!(new[0].data["n"], 2);
    }
}

/// A goal's newest rows come oldest first, and only its own, however
/// many it has: what a stop's summary reads.
#[test]
fn the_newest_rows_of_a_goal_come_oldest_first() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let ledger = Ledger::open(&db.path("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        let other = ledger.create_goal(&new_goal()).unwrap();
        for n in 0..30 {
            for id in [&goal.id, &other.id] {
                ledger
                    .append(id, &Row::from_parts("other", serde_json::json!({"n": n})))
                    .unwrap();
            }
        }
        let last = ledger.last_entries(&goal.id, 4).unwrap();
        let ns: Vec<i64> = last.iter().map(|e| e.data["n"].as_i64().unwrap()).collect();
        assert_eq!(ns, [26, 27, 28, 29]);
        assert!(last.iter().all(|e| e.goal_id == goal.id));
        assert_eq!(ledger.last_entries(&goal.id, 500).unwrap().len(), 30);
        assert!(ledger.last_entries(&goal.id, 0).unwrap().is_empty());
    }
}

fn running_since_for_test(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let tail = text.rsplit_once(')').unwrap().1;
    tail.split_whitespace().nth(19).unwrap().parse().unwrap()
}

#[test]
fn only_one_live_goalie_supervises_a_goal() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let mut ledger = Ledger::open(&db.path("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        // A dead supervisor (no such process) does not hold the goal.
        ledger
            .conn
            .execute("UPDATE goals SET supervisor_pid = 999999999", &[])
            .unwrap();
        assert_eq!(ledger.claim_supervision(&goal.id, 4242, 1).unwrap(), Ok(()));
        // A live process that is not goalie (this test binary's parent) does not either.
        let shell = std::os::unix::process::parent_id();
        ledger
            .conn
            .execute("UPDATE goals SET supervisor_pid = ?1", params![shell])
            .unwrap();
        let _ = ledger.claim_supervision(&goal.id, 4242, 1).unwrap();
        assert_eq!(ledger.goal(&goal.id).unwrap().supervisor_pid, Some(4242));
        // A live goalie (this test binary is one: target/debug/deps/goalie-…) does,
        // whether its start time was recorded (a row of an older goalie) or is its own.
        let me = std::process::id();
        let my_start = running_since_for_test(me);
        ledger
            .conn
            .execute(
                "UPDATE goals SET supervisor_pid = ?1, supervisor_start = NULL",
                params![me],
            )
            .unwrap();
        assert_eq!(
            ledger.claim_supervision(&goal.id, 4242, 1).unwrap(),
            Err(me)
        );
        ledger
            .conn
            .execute(
                "UPDATE goals SET supervisor_pid = ?1, supervisor_start = ?2",
                params![me, my_start as i64],
            )
            .unwrap();
        assert_eq!(
            ledger.claim_supervision(&goal.id, 4242, 1).unwrap(),
            Err(me)
        );
        // Recorded with another start time, the pid is another process's: dead.
        ledger
            .conn
            .execute(
                "UPDATE goals SET supervisor_start = ?1",
                params![my_start as i64 + 1],
            )
            .unwrap();
        assert_eq!(ledger.claim_supervision(&goal.id, 4242, 1).unwrap(), Ok(()));
        assert_eq!(
            ledger.claim_supervision(&goal.id, me, my_start).unwrap(),
            Ok(())
        );
    }
}

#[test]
fn a_supervisor_on_another_host_holds_the_goal_while_its_heartbeat_is_fresh() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let mut ledger = Ledger::open(&db.path("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        assert_eq!(goal.host, Some(crate::ledger::host::this_host()));
        // Pid 1 runs here, but it is the other host's pid that is recorded.
        ledger
        .conn
        .execute(
            "UPDATE goals SET supervisor_pid = 1, host = 'elsewhere.invalid', heartbeat_at = ?1",
            params![now()],
        )
        .unwrap();
        assert_eq!(ledger.claim_supervision(&goal.id, 4242, 1).unwrap(), Err(1));
        ledger
            .conn
            .execute(
                "UPDATE goals SET supervisor_pid = ?1, heartbeat_at = '2020-01-01T00:00:00.000Z'",
                params![std::process::id()],
            )
            .unwrap();
        // Stale: taken over, even though the recorded pid is a live goalie here.
        assert_eq!(ledger.claim_supervision(&goal.id, 4242, 1).unwrap(), Ok(()));
        let taken = ledger.goal(&goal.id).unwrap();
        assert_eq!(taken.supervisor_pid, Some(4242));
        assert_eq!(taken.host, Some(crate::ledger::host::this_host()));
        assert!(taken.heartbeat_at.unwrap().as_str() > "2020-01-01T00:00:00.000Z");
        ledger.heartbeat(&goal.id).unwrap();
    }
}

#[test]
fn lookups_by_prefix() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let ledger = Ledger::open(&db.path("g.db")).unwrap();
        let a = ledger.create_goal(&new_goal()).unwrap();
        let b = ledger.create_goal(&new_goal()).unwrap();
        assert_eq!(ledger.goal(&a.id).unwrap().id, a.id);
        assert!(matches!(
            ledger.goal("zzzzzzzzz"),
            Err(LedgerError::NotFound(_))
        ));
        assert!(matches!(
            ledger.goal(""),
            Err(LedgerError::Ambiguous { .. })
        ));
        assert_eq!(ledger.goals().unwrap().len(), 2);
        let _ = b;
    }
}

#[test]
fn typed_rows_are_stored_as_kind_and_json_text_and_read_back_typed() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let ledger = Ledger::open(&db.path("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        let row = Row::AgentFailedToStart {
            error: "no such file".into(),
            process: Some(2),
        };
        let entry = ledger.append(&goal.id, &row).unwrap();
        assert_eq!(entry.kind, "agent_failed_to_start");
        let stored = ledger
            .conn
            .query_one("SELECT kind, data FROM events", &[])
            .unwrap();
        let (kind, data) = (stored.text(0).unwrap(), stored.text(1).unwrap());
        assert_eq!(kind, "agent_failed_to_start");
        assert_eq!(data, r#"{"error":"no such file","process":2}"#);
        let stored = &ledger.entries(&goal.id).unwrap()[0];
        assert_eq!(*stored, entry);
        assert_eq!(stored.row(), row);
        assert!(stored.is(RowKind::AgentFailedToStart));
        // Rows written by hand before rows were typed read as they did.
        ledger
        .conn
        .execute(
            "INSERT INTO events (goal_id, at, kind, data) VALUES (?1, 'then', 'wrap_up_ended', '{\"turn\":4}'), (?1, 'then', 'future_kind', 'not json')",
            params![&goal.id],
        )
        .unwrap();
        let entries = ledger.entries(&goal.id).unwrap();
        assert_eq!(entries[1].row(), Row::WrapUpEnded { turn: 4 });
        assert_eq!(
            entries[2].row(),
            Row::Other {
                kind: "future_kind".into(),
                data: serde_json::json!("not json")
            }
        );
    }
}

#[test]
fn the_observer_sees_every_appended_row_and_the_socket_is_forgotten_at_the_end() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let mut ledger = Ledger::open(&db.path("g.db")).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let sink = seen.clone();
        ledger.set_observer(move |entry| sink.borrow_mut().push(entry.clone()));
        let first = ledger
            .append(&goal.id, &Row::from_parts("a", serde_json::json!({})))
            .unwrap();
        ledger
            .append(&goal.id, &Row::from_parts("b", serde_json::json!({"x": 1})))
            .unwrap();
        let seen = seen.borrow();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0], first);
        assert_eq!(seen[1].seq, first.seq + 1);
        assert_eq!(ledger.entries(&goal.id).unwrap(), *seen);

        ledger
            .set_control_socket(&goal.id, Path::new("/run/g.sock"))
            .unwrap();
        assert_eq!(
            ledger.goal(&goal.id).unwrap().control_socket.as_deref(),
            Some("/run/g.sock")
        );
        ledger.set_ended(&goal.id, "done").unwrap();
        assert_eq!(ledger.goal(&goal.id).unwrap().control_socket, None);
    }
}

#[test]
fn many_processes_may_create_the_database_at_once() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let path = db.path("new.db");
        let opened: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Ledger::open(&path).map(|_| ()))
            })
            .collect();
        for handle in opened {
            handle.join().unwrap().unwrap();
        }
    }
}

/// Defect 6: goalies that open a new database at the same moment (four
/// threads let go together by a barrier, each with its own connection,
/// as separate processes would be) all find it ready. Without the lock on
/// `DB.lock` two of them switch the new file to WAL together and one gets
/// "database is locked" (SQLite does not wait for a lock it would have to
/// upgrade a read to): on this machine 6 to 10 of 800 opens failed.
#[test]
fn four_goalies_opening_a_new_database_at_the_same_moment_all_find_it_ready_200_times() {
    let dir = tempfile::tempdir().unwrap();
    let mut failed = Vec::new();
    for round in 0..200 {
        let path = dir.path().join(format!("new-{round}.db"));
        let together = std::sync::Arc::new(std::sync::Barrier::new(4));
        let opened: Vec<_> = (0..4)
            .map(|_| {
                let (path, together) = (path.clone(), together.clone());
                std::thread::spawn(move || {
                    together.wait();
                    Ledger::open(&path).map(|_| ())
                })
            })
            .collect();
        for handle in opened {
            if let Err(err) = handle.join().unwrap() {
                failed.push(format!("round {round}: {err}"));
            }
        }
        let ledger = Ledger::open_existing(&path).unwrap();
        assert_eq!(ledger.goals().unwrap().len(), 0, "round {round}");
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn a_missing_database_is_no_goals_yet() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        // On PostgreSQL: a database goalie never set up.
        let err = Ledger::open_existing(&db.path("none.db")).err().unwrap();
        assert!(err.to_string().starts_with("there are no goals yet in"));
        let err = Ledger::open_read_only(&db.path("none.db")).err().unwrap();
        assert!(matches!(err, LedgerError::Empty(_)), "{err}");
    }
}

/// The claim is atomic: a claim made while another is under way waits for
/// it and sees the supervisor it recorded. On PostgreSQL the second waits
/// on the row's lock (`FOR UPDATE`), seen in `pg_stat_activity` before the
/// first commits; without the lock it would read the goal as free and take it.
#[test]
fn a_claim_made_while_another_is_under_way_waits_and_sees_its_supervisor() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let path = db.path("g.db");
        let ledger = Ledger::open(&path).unwrap();
        let goal = ledger.create_goal(&new_goal()).unwrap();
        let me = std::process::id();
        let my_start = running_since_for_test(me);
        // The first claim, by hand: its read of the holder, in its transaction.
        ledger
            .conn
            .batch(match db.is_postgres() {
                true => "BEGIN",
                false => "BEGIN IMMEDIATE",
            })
            .unwrap();
        let select = format!(
            "SELECT supervisor_pid FROM goals WHERE id = ?1{}",
            ledger.conn.for_update()
        );
        assert_eq!(
            ledger
                .conn
                .query_one(&select, params![&goal.id])
                .unwrap()
                .opt_int(0)
                .unwrap(),
            None
        );
        let (id, other_path) = (goal.id.clone(), path.clone());
        let second = std::thread::spawn(move || {
            let mut ledger = Ledger::open(&other_path).unwrap();
            ledger.claim_supervision(&id, 4242, 1).unwrap()
        });
        if db.is_postgres() {
            let watcher = Ledger::open(&path).unwrap();
            let waiting = || {
                watcher
                    .conn
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity
                         WHERE datname = current_database() AND wait_event_type = 'Lock'",
                        &[],
                    )
                    .unwrap()
                    .int(0)
                    .unwrap()
                    > 0
            };
            let mut looks = 0;
            while !waiting() {
                looks += 1;
                assert!(looks < 30_000, "the second claim never waited on the lock");
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        ledger
            .conn
            .execute(
                "UPDATE goals SET supervisor_pid = ?2, supervisor_start = ?3 WHERE id = ?1",
                params![&goal.id, me, my_start as i64],
            )
            .unwrap();
        ledger.conn.batch("COMMIT").unwrap();
        assert_eq!(second.join().unwrap(), Err(me));
        assert_eq!(ledger.goal(&goal.id).unwrap().supervisor_pid, Some(me));
    }
}
