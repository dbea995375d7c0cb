//! Floods: an agent that writes tens of megabytes full of terminal queries,
//! invalid UTF-8 and a 10 MB line, without reading its input, through a real
//! PTY into the screen model, handled the way the event loop handles output
//! (`Shell::take_output`). What goalie holds is counted, not timed: its
//! input queue, the answers queued, and what the screen model keeps between
//! looks stay under their caps, and once the agent reads again it gets only
//! the few stale answers those caps allow.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::agent::process::{AgentProcess, Launch, MAX_QUEUED_FOR_REPLIES, MAX_QUEUED_REPLIES};
use crate::agent::screen::{MAX_REPLY_BYTES, MAX_SCROLLED_ROWS, Screen};

/// What Linux's PTY may hold of input the agent has not read, beyond goalie:
/// the line discipline's 4 KiB and the tty's 64 KiB of flip buffers.
const KERNEL_INPUT_BUFFER: usize = 68 * 1024;

/// The most stale answers the agent may get once it reads again: goalie's
/// 4 KiB of answers and the kernel's buffer (measured: ~24 KB in all; with a
/// 64 KiB answer queue, ~85 KB; before any cap, megabytes).
const STALE_BOUND: usize = 4 * 1024 + KERNEL_INPUT_BUFFER;

/// Megabytes of query-laden output (`GOALIE_FLOOD_MB` for the 1 GB run).
fn flood_mb() -> usize {
    std::env::var("GOALIE_FLOOD_MB")
        .ok()
        .and_then(|mb| mb.parse().ok())
        .unwrap_or(24)
}

#[test]
fn a_flood_of_queries_without_reading_keeps_goalie_flat_and_types_no_stale_answers() {
    let dir = tempfile::tempdir().unwrap();
    // One MiB of lines, each with text, a cursor-position query and invalid UTF-8.
    let mut chunk = Vec::new();
    while chunk.len() < 1024 * 1024 {
        chunk.extend_from_slice(&[b'x'; 96]);
        chunk.extend_from_slice(b"\x1b[6n\xff\xfe\xc3\r\n");
    }
    std::fs::write(dir.path().join("chunk.bin"), &chunk).unwrap();
    // A 10 MB line (no newline), queries in it too.
    let mut long = Vec::new();
    while long.len() < 10 * 1024 * 1024 {
        long.extend_from_slice(&[b'y'; 1000]);
        long.extend_from_slice(b"\x1b[6n");
    }
    std::fs::write(dir.path().join("long.bin"), &long).unwrap();
    let script = format!(
        "stty raw -echo; i=0; while [ $i -lt {mb} ]; do cat chunk.bin; i=$((i+1)); done; \
         cat long.bin; printf '\\r\\nFLOOD-DONE\\r\\n'; \
         timeout --foreground 2 cat > got.bin; printf 'READ-DONE\\r\\n'; sleep 30",
        mb = flood_mb()
    );
    let launch = Launch {
        program: PathBuf::from("/bin/sh"),
        args: vec!["-c".into(), script],
        env: BTreeMap::new(),
        env_remove: Vec::new(),
        workdir: dir.path().to_path_buf(),
        rows: 24,
        cols: 80,
    };
    let (mut agent, mut output, exit) = AgentProcess::spawn(&launch).expect("spawn sh");
    let mut screen = Screen::new(24, 80, true);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut most_queued, mut most_replies, mut most_held) = (0, 0, 0);
    let (mut seen, mut chunks, mut answered, mut dropped) = (0usize, 0u64, 0usize, 0usize);
    let mut tail = String::new();
    runtime.block_on(async {
        let limit = Duration::from_secs(1200);
        while let Ok(Some(bytes)) = tokio::time::timeout(limit, output.recv()).await {
            seen += bytes.len();
            chunks += 1;
            screen.process(&bytes);
            most_held = most_held.max(screen.held_bytes());
            let replies = screen.take_replies();
            if !replies.is_empty() {
                if agent.answer(replies) {
                    answered += 1;
                } else {
                    dropped += 1;
                }
            }
            most_queued = most_queued.max(agent.queued());
            most_replies = most_replies.max(agent.queued_replies());
            // A look now and then takes the rows that scrolled away.
            if chunks.is_multiple_of(64) {
                assert!(screen.take_scrolled().len() <= MAX_SCROLLED_ROWS);
            }
            tail.push_str(&String::from_utf8_lossy(&bytes));
            let keep = tail.len().saturating_sub(64);
            tail.drain(..tail.floor_char_boundary(keep));
            if tail.contains("READ-DONE") {
                break;
            }
        }
    });
    assert!(
        tail.contains("READ-DONE"),
        "the agent did not finish: {tail:?}"
    );
    let flood = flood_mb() * 1024 * 1024 + long.len();
    assert!(seen >= flood, "{seen} of {flood} bytes seen");
    assert!(
        answered > 0 && dropped > 0,
        "{answered} answered, {dropped} dropped"
    );
    // Goalie's structures stayed under their caps all along.
    assert!(most_queued <= MAX_QUEUED_FOR_REPLIES, "{most_queued}");
    assert!(most_replies <= MAX_QUEUED_REPLIES, "{most_replies}");
    assert!(
        most_held <= MAX_REPLY_BYTES + MAX_SCROLLED_ROWS * 80 * 4,
        "{most_held}"
    );
    // Once the agent read again, it got only the stale answers the kernel and
    // goalie's small answer queue could hold, not one per query of the flood.
    let stale = std::fs::read(dir.path().join("got.bin")).unwrap();
    assert!(
        stale.len() <= STALE_BOUND,
        "{} bytes of stale answers typed",
        stale.len()
    );
    eprintln!(
        "flood of {seen} bytes in {chunks} chunks: most queued {most_queued}, answers queued \
         {most_replies}, screen held {most_held}; {} bytes of stale answers",
        stale.len()
    );
    let mut exit = exit;
    runtime.block_on(agent.terminate(Some(&mut exit), Duration::from_secs(5)));
}
