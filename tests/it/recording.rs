//! Recordings: every agent process of `goalie demo` is recorded as an
//! asciicast v2 file whose markers follow the ledger, and `goalie replay`
//! plays it.

use std::time::Duration;

use crate::support::{Sandbox, path_str};

const LIMIT: Duration = Duration::from_secs(120);

/// (time, code, data) of each event line after the header.
fn events(text: &str) -> Vec<(f64, String, String)> {
    text.lines()
        .skip(1)
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
        .collect()
}

#[test]
fn the_demo_is_recorded_with_a_marker_for_each_turn_and_replays() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["demo", "--headless"], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");

    let rows = sandbox.entries_of("recording");
    assert_eq!(rows.len(), 1, "one agent process, one recording");
    assert_eq!(rows[0].data["process"], 1);
    let path = std::path::PathBuf::from(rows[0].data["path"].as_str().unwrap());
    let goal = sandbox.goal();
    assert_eq!(
        path,
        sandbox
            .state_dir()
            .join("goalie/recordings")
            .join(format!("{}-1.cast", goal.id))
    );
    let text = std::fs::read_to_string(&path).unwrap();

    // The header is asciicast v2's.
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    assert_eq!(header["width"], 160);
    assert_eq!(header["height"], 50);
    assert!(header["timestamp"].as_u64().unwrap() > 1_600_000_000);
    assert!(header["env"]["TERM"].is_string());

    // Events: times never go back; the output is the sim's screen.
    let events = events(&text);
    assert!(events.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(
        events
            .iter()
            .all(|e| ["o", "m", "r"].contains(&e.1.as_str()))
    );
    let output: String = events
        .iter()
        .filter(|e| e.1 == "o")
        .map(|e| e.2.as_str())
        .collect();
    assert!(output.contains("Sim Agent"), "{output}");

    // One marker per prompt typed and per turn's end, as the ledger has them.
    let markers: Vec<&str> = events
        .iter()
        .filter(|e| e.1 == "m")
        .map(|e| e.2.as_str())
        .collect();
    let typed: Vec<String> = sandbox
        .entries_of("injection")
        .iter()
        .map(|e| format!("turn {}:", e.data["turn"]))
        .collect();
    let marked: Vec<String> = markers
        .iter()
        .filter(|m| m.contains(": ") && m.contains(" prompt"))
        .map(|m| m.split_once(' ').unwrap().1.split_once(':').unwrap().0)
        .map(|n| format!("turn {n}:"))
        .collect();
    assert_eq!(marked, typed, "{markers:?}");
    let ended: Vec<String> = sandbox
        .entries_of("turn_ended")
        .iter()
        .map(|e| format!("turn {} ended", e.data["turn"]))
        .collect();
    let marked_ends: Vec<String> = markers
        .iter()
        .filter(|m| m.ends_with(" ended"))
        .map(|m| m.to_string())
        .collect();
    assert_eq!(marked_ends, ended);
    assert!(goal.turns >= 3 && ended.len() as u32 == goal.turns);
    // The claim and its audit's result are marked too.
    let claim_turn = sandbox.entries_of("claim")[0].data["turn"].clone();
    assert!(
        markers.contains(&format!("claim: complete (turn {claim_turn})").as_str()),
        "{markers:?}"
    );
    assert!(
        markers.contains(&format!("audit: the claim of turn {claim_turn} accepted").as_str()),
        "{markers:?}"
    );

    // `goalie replay` plays it to a pipe: the screen's output, and none of the markers.
    let played = sandbox.run(&["replay", &goal.id, "--speed", "1000"], LIMIT);
    assert_eq!(played.code, 0, "{played:?}");
    assert_eq!(played.stdout, output);
    // From turn 2: what came before is drawn at once, then the rest plays.
    let from_two = sandbox.run(&["replay", "--turn", "2", "--speed", "1000"], LIMIT);
    assert_eq!(from_two.code, 0, "{from_two:?}");
    assert_eq!(from_two.stdout, output);
    let missing = sandbox.run(&["replay", "--turn", "99"], LIMIT);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(missing.stderr.contains("has turn 99"), "{missing:?}");
    let process = sandbox.run(&["replay", "--process", "2"], LIMIT);
    assert_eq!(process.code, 2, "{process:?}");
}

#[test]
fn no_record_records_nothing() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(
        &["demo", "--headless", "--max-turns", "1", "--no-record"],
        LIMIT,
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert!(sandbox.entries_of("recording").is_empty());
    let dir = sandbox.state_dir().join("goalie/recordings");
    let files = std::fs::read_dir(&dir).map_or(0, |d| d.count());
    assert_eq!(files, 0, "{}", path_str(&dir));
    let replay = sandbox.run(&["replay"], LIMIT);
    assert_eq!(replay.code, 2, "{replay:?}");
    assert!(replay.stderr.contains("no recording"), "{replay:?}");
}
