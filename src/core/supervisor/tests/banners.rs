//! Compaction rows: a banner that holds is recorded once, and the log's and the
//! banner's sign of one compaction make one row.

use super::*;

#[test]
fn each_new_compaction_banner_is_recorded_once_it_holds() {
    let mut run = Run::new(config());
    run.start();
    let t = run.now;
    run.screen(
        t + 100,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    run.screen(
        t + 200,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    assert!(run.records("compacted").is_empty(), "not settled yet");
    run.tick(t + 400);
    // A redraw shows the banner twice for a moment: not a second compaction.
    run.screen(
        t + 450,
        Observation {
            compactions: 2,
            ..busy()
        },
    );
    run.screen(
        t + 470,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    run.tick(t + 1000);
    run.screen(
        t + 1100,
        Observation {
            compactions: 3,
            ..busy()
        },
    );
    run.tick(t + 1500);
    let numbers: Vec<u64> = run
        .records("compacted")
        .iter()
        .map(|r| r["compaction"].as_u64().unwrap())
        .collect();
    // One row per compaction: the jump from 1 to 3 banners is two of them.
    assert_eq!(numbers, vec![1, 2, 3]);
}

#[test]
fn the_log_and_the_banner_of_one_compaction_make_one_row() {
    let mut cfg = config();
    cfg.compaction_sources = vec![Source::SessionLog, Source::Screen];
    let mut run = Run::new(cfg);
    run.start();
    let t = run.now;
    run.screen(
        t + 100,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    run.ticks(t + 1000);
    assert!(
        run.records("compacted").is_empty(),
        "the log may still report it"
    );
    run.at(t + 1100, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::Compacted {
            before: Some(170_006),
        },
    });
    let compacted = run.records("compacted");
    assert_eq!(compacted.len(), 1);
    assert_eq!(compacted[0]["source"], "session_log");
    assert_eq!(
        compacted[0]["sources"],
        serde_json::json!(["session_log", "screen"])
    );
    assert_eq!(compacted[0]["context_before"], 170_006);
}
