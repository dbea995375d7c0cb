//! What goalie holds of a session log is bounded: it reads a megabyte at a
//! time, parses a 10 MB line whole, and throws away a line past 32 MiB as it
//! reads it (counted: the bytes held, never the time taken).

use std::io::Write;

use super::{Followed, MAX_LOG_LINE, READ_CHUNK, read_new_lines};
use crate::agent::session_log::{LogFormat, LogParser};

#[test]
fn huge_lines_are_read_a_chunk_at_a_time_and_one_past_the_cap_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rollout.jsonl");
    let mut file = std::fs::File::create(&path).unwrap();
    let ten_mb = "y".repeat(10 * 1024 * 1024);
    file.write_all(b"first\n").unwrap();
    file.write_all(&vec![b'x'; 40 * 1024 * 1024]).unwrap();
    file.write_all(b"\nafter\n").unwrap();
    file.write_all(ten_mb.as_bytes()).unwrap();
    file.write_all(b"\n\xff\xfe invalid\nlast\n").unwrap();
    drop(file);
    let mut followed = Followed {
        path: path.clone(),
        file: std::fs::File::open(&path).unwrap(),
        offset: 0,
        partial: Vec::new(),
        skipping: false,
        parser: LogParser::new(LogFormat::CodexRollout),
        baseline: 0,
        highest: 0,
    };
    let (mut lines, mut most_held, mut reads) = (Vec::new(), 0, 0);
    while let Some(piece) = read_new_lines(&mut followed, u64::MAX) {
        reads += 1;
        let held = followed.partial.len() + piece.iter().map(String::len).sum::<usize>();
        most_held = most_held.max(held);
        lines.extend(piece);
    }
    assert_eq!(
        lines.len(),
        5,
        "{:?}",
        lines.iter().map(String::len).collect::<Vec<_>>()
    );
    assert_eq!(lines[0], "first");
    assert_eq!(lines[1], "after", "the 40 MiB line was skipped");
    assert_eq!(lines[2], ten_mb, "the 10 MB line was parsed whole");
    assert_eq!(lines[3], "\u{fffd}\u{fffd} invalid");
    assert_eq!(lines[4], "last");
    assert!(
        most_held <= MAX_LOG_LINE + READ_CHUNK as usize,
        "{most_held} bytes held"
    );
    assert!(reads >= 50, "{reads} reads of at most 1 MiB");
}
