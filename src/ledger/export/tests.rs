use std::io::Cursor;

use serde_json::json;

use super::*;
use crate::core::row::Row;
use crate::ledger::store::test_db::TestDb;
use crate::ledger::{ImportError, Imported, NewGoal};

fn new_goal() -> NewGoal {
    NewGoal {
        objective: "ship it".into(),
        agent: "sim".into(),
        workdir: "/nowhere/at/all".into(),
        claim_code: "secret-code".into(),
        max_turns: Some(3),
        max_time_ms: None,
        budget_tokens: Some(1000),
    }
}

/// A ledger with one ended goal of two rows and a goal with a spec and one row.
fn ledger_with_goals(db: &TestDb) -> (Ledger, Vec<Goal>) {
    let ledger = Ledger::open(&db.path("a.db")).unwrap();
    let first = ledger.create_goal(&new_goal()).unwrap();
    let second = ledger.create_goal(&new_goal()).unwrap();
    ledger
        .append(
            &first.id,
            &Row::from_parts("turn_ended", json!({"turn": 1})),
        )
        .unwrap();
    ledger
        .append(
            &second.id,
            &Row::from_parts("turn_ended", json!({"turn": 1})),
        )
        .unwrap();
    ledger
        .append(&first.id, &Row::WrapUpEnded { turn: 2 })
        .unwrap();
    ledger.set_progress(&first.id, 2, 500, 1200).unwrap();
    ledger
        .set_state(&first.id, crate::goal::lifecycle::GoalState::Achieved)
        .unwrap();
    ledger.set_ended(&first.id, "claimed").unwrap();
    ledger
        .set_spec(&second.id, &json!({"verify": ["true"]}))
        .unwrap();
    let goals = vec![
        ledger.goal(&first.id).unwrap(),
        ledger.goal(&second.id).unwrap(),
    ];
    (ledger, goals)
}

fn exported(ledger: &Ledger, goals: &[Goal]) -> String {
    let mut out = Vec::new();
    write(ledger, goals, "host-a", &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn an_export_read_back_and_imported_holds_every_row_with_its_seq_and_time() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let (ledger, goals) = ledger_with_goals(&db);
        let text = exported(&ledger, &goals);
        let lines: Vec<&str> = text.lines().collect();
        // Header, goal, its 2 rows, goal, its row, end.
        assert_eq!(lines.len(), 7, "{text}");
        assert!(
            !text.contains("secret-code"),
            "the claim code is not exported"
        );
        let read = read("a.jsonl", Cursor::new(&text)).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].goal.id, goals[0].id);
        assert_eq!(read[0].goal.rows, 2);
        assert_eq!(read[1].goal.spec, Some(json!({"verify": ["true"]})));

        let mut fresh = Ledger::open(&db.path("b.db")).unwrap();
        let outcomes = fresh.import(&read).unwrap();
        assert_eq!(outcomes, vec![Imported::Added(2), Imported::Added(1)]);
        for goal in &goals {
            let mut here = fresh.goal(&goal.id).unwrap();
            assert_ne!(here.claim_code, goal.claim_code, "a fresh claim code");
            here.claim_code = goal.claim_code.clone();
            assert_eq!(here, *goal);
            assert_eq!(
                fresh.entries(&goal.id).unwrap(),
                ledger.entries(&goal.id).unwrap()
            );
            assert_eq!(
                fresh.spec(&goal.id).unwrap(),
                ledger.spec(&goal.id).unwrap()
            );
        }
        // A second import adds nothing.
        assert_eq!(
            fresh.import(&read).unwrap(),
            vec![Imported::Same, Imported::Same]
        );
        let rows: usize = goals
            .iter()
            .map(|g| fresh.entries(&g.id).unwrap().len())
            .sum();
        assert_eq!(rows, 3);
        // Rows imported with their own numbers come before the next one appended
        // (on PostgreSQL, the identity's sequence was moved past them).
        let newest = goals
            .iter()
            .flat_map(|g| fresh.entries(&g.id).unwrap())
            .map(|entry| entry.seq)
            .max()
            .unwrap();
        let next = fresh
            .append(&goals[1].id, &Row::WrapUpEnded { turn: 3 })
            .unwrap();
        assert!(next.seq > newest, "{} after {newest}", next.seq);
    }
}

#[test]
fn taken_sequence_numbers_are_renumbered_in_order() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let (ledger, goals) = ledger_with_goals(&db);
        let read = read("a.jsonl", Cursor::new(exported(&ledger, &goals[..1]))).unwrap();
        let mut other = Ledger::open(&db.path("b.db")).unwrap();
        let mine = other.create_goal(&new_goal()).unwrap();
        for turn in 1..=3 {
            other
                .append(
                    &mine.id,
                    &Row::from_parts("turn_ended", json!({"turn": turn})),
                )
                .unwrap();
        }
        assert_eq!(other.import(&read).unwrap(), vec![Imported::Added(2)]);
        let rows = other.entries(&goals[0].id).unwrap();
        let original = ledger.entries(&goals[0].id).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].seq > 3 && rows[1].seq > rows[0].seq, "{rows:?}");
        for (row, original) in rows.iter().zip(&original) {
            assert_eq!(
                (&row.at, &row.kind, &row.data),
                (&original.at, &original.kind, &original.data)
            );
        }
    }
}

#[test]
fn a_newer_export_adds_its_new_rows_an_older_one_nothing_and_a_different_goal_is_refused() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let (ledger, goals) = ledger_with_goals(&db);
        let second = &goals[1];
        let older = read("old", Cursor::new(exported(&ledger, &goals[1..]))).unwrap();
        ledger
            .append(
                &second.id,
                &Row::from_parts("turn_ended", json!({"turn": 2})),
            )
            .unwrap();
        let newer = read("new", Cursor::new(exported(&ledger, &goals[1..]))).unwrap();

        let mut fresh = Ledger::open(&db.path("b.db")).unwrap();
        assert_eq!(fresh.import(&older).unwrap(), vec![Imported::Added(1)]);
        assert_eq!(fresh.import(&newer).unwrap(), vec![Imported::Extended(1)]);
        assert_eq!(fresh.import(&older).unwrap(), vec![Imported::Older]);
        assert_eq!(
            fresh.entries(&second.id).unwrap(),
            ledger.entries(&second.id).unwrap()
        );

        // The same id with other rows: an error naming it, and nothing of the
        // import is stored (the first goal of the same import included).
        let mut changed = newer.clone();
        changed[0].rows[0].data = json!({"turn": 9});
        let first = read("first", Cursor::new(exported(&ledger, &goals[..1]))).unwrap();
        let both = [first, changed].concat();
        let err = fresh.import(&both).unwrap_err();
        assert!(
            matches!(&err, ImportError::Conflict { goal, .. } if *goal == second.id),
            "{err}"
        );
        assert!(err.to_string().contains(&second.id), "{err}");
        assert!(err.to_string().contains("row 1"), "{err}");
        assert!(matches!(
            fresh.goal(&goals[0].id),
            Err(LedgerError::NotFound(_))
        ));
    }
}

#[test]
fn a_garbled_or_short_file_is_an_error_with_its_line_number() {
    for db in TestDb::all() {
        eprintln!("backend: {}", db.label());
        let (ledger, goals) = ledger_with_goals(&db);
        let text = exported(&ledger, &goals);
        let lines: Vec<&str> = text.lines().collect();
        let error = |text: String| read("f.jsonl", Cursor::new(text)).unwrap_err();

        // A line cut in the middle.
        let mut cut = lines.clone();
        let half = &lines[3][..lines[3].len() / 2];
        cut[3] = half;
        let err = error(cut.join("\n"));
        assert_eq!(err.line, 4, "{err}");
        assert!(err.to_string().starts_with("f.jsonl:4: "), "{err}");

        // The file cut short at a line's end: a goal misses a row, or the end line is missing.
        let err = error(lines[..3].join("\n"));
        assert_eq!(err.line, 4, "{err}");
        assert!(err.detail.contains("cut short"), "{err}");
        let mut missing_row = lines.clone();
        missing_row.remove(3);
        let err = error(missing_row.join("\n"));
        assert_eq!(err.line, 4, "{err}");
        assert!(err.detail.contains("1 of its 2 rows"), "{err}");

        // Not an export at all, another version, rows out of order, and a counted end that lies.
        assert_eq!(error("hello\n".into()).line, 1);
        assert!(error(String::new()).detail.contains("empty"));
        let future = text.replacen("\"version\":1", "\"version\":2", 1);
        assert!(error(future).detail.contains("version 2"));
        let mut swapped = lines.clone();
        swapped.swap(2, 3);
        let err = error(swapped.join("\n"));
        assert_eq!(err.line, 4, "{err}");
        let lying = text.replace(
            "\"type\":\"end\",\"goals\":2",
            "\"type\":\"end\",\"goals\":3",
        );
        assert_eq!(error(lying).line, 7);
        let unknown = text.replacen("\"kind\":", "\"extra\":1,\"kind\":", 1);
        assert_eq!(error(unknown).line, 3);
    }
}
