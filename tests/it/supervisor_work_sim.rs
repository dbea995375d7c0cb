//! goalie's own work while the simulated agent works, counted in the
//! `stopped` row's `supervisor_work` (not timed): the agent's process tree is
//! walked for its CPU only while a turn is quiet, the goal's counters are
//! written every 10 s, not every second, and while output streams in the clock
//! ticks and the screen is looked at a few times a second, not at every chunk.

use std::time::Duration;

use serde_json::Value;

use crate::support::Sandbox;

const LIMIT: Duration = Duration::from_secs(120);

fn work(sandbox: &Sandbox) -> Value {
    let stopped = sandbox.entries_of("stopped");
    assert_eq!(stopped.len(), 1, "{stopped:?}");
    stopped[0].data["supervisor_work"].clone()
}

fn count(work: &Value, name: &str) -> u64 {
    work[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no {name} in {work}"))
}

fn one_turn(turn: &str) -> String {
    format!(
        "name: work\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\nclaim_after_turns: 1\nturns:\n{turn}"
    )
}

#[test]
fn a_turn_whose_screen_changes_has_its_tree_walked_rarely_and_its_counters_written_every_10_s() {
    let sandbox = Sandbox::new();
    // A reply that streams for 20 s: a new line on the screen every second.
    let scenario = one_turn(
        "  - work_ms: 20000\n    stream: true\n    tokens: 10\n    reply: \"Streamed it.\"\n",
    );
    let out = sandbox.run_sim(&scenario, &[], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let ended = sandbox.entries_of("turn_ended");
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert!(ended[0].data["duration_ms"].as_u64().unwrap() >= 20_000);
    let work = work(&sandbox);
    let (ticks, walks, reads) = (
        count(&work, "ticks"),
        count(&work, "tree_walks"),
        count(&work, "cpu_reads"),
    );
    // The CPU is read every 20 ticks (2 s) as before; each reading walked
    // the tree (some forty opens for Codex) before.
    assert!(reads >= 8, "{work}");
    assert!(walks >= 1, "{work}");
    assert!(
        walks * 2 <= reads,
        "the tree was walked at most readings: {work}"
    );
    // The counters: every 10 s, not every second. (They were counted in
    // ticks, every 100 of them; ticks no longer come at a fixed rate.)
    let run_s = ended[0].data["duration_ms"].as_u64().unwrap() / 1000 + 5;
    assert!(ticks >= run_s, "{work}");
    assert!(
        count(&work, "progress_writes") * 10 <= run_s + 10,
        "the goal's counters were written too often: {work}"
    );
}

#[test]
fn a_quiet_turn_with_cpu_in_its_tree_has_its_tree_walked_at_every_reading() {
    let sandbox = Sandbox::new();
    // A long build: the screen quiet but for the spinner, the tree busy.
    let scenario =
        one_turn("  - work_ms: 14000\n    cpu: true\n    tokens: 10\n    reply: \"Built it.\"\n");
    let out = sandbox.run_sim(&scenario, &["--turn-timeout", "6s"], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(sandbox.entries_of("turn_hung").is_empty());
    let work = work(&sandbox);
    let (walks, reads) = (count(&work, "tree_walks"), count(&work, "cpu_reads"));
    // All readings in the turn walked it (those before and after the turn,
    // at the start screen and the end, every 10 s).
    assert!(reads >= 6, "{work}");
    assert!(
        walks + 3 >= reads,
        "a quiet turn's tree was not walked: {work}"
    );
}

#[test]
fn a_turn_whose_output_streams_has_few_ticks_and_looks_a_second() {
    let sandbox = Sandbox::new();
    // A turn of 20 s whose screen is redrawn every 20 ms (its spinner) and
    // that streams a line a second: output all the time, as a fast reply.
    let scenario = format!(
        "spinner_ms: 20\n{}",
        one_turn(
            "  - work_ms: 20000\n    stream: true\n    tokens: 10\n    reply: \"Streamed it.\"\n"
        )
    );
    let out = sandbox.run_sim(&scenario, &[], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let ended = sandbox.entries_of("turn_ended");
    assert_eq!(ended.len(), 1, "{ended:?}");
    let streamed_s = ended[0].data["duration_ms"].as_u64().unwrap() / 1000;
    assert!(streamed_s >= 20, "{ended:?}");
    let work = work(&sandbox);
    let (ticks, looks) = (count(&work, "ticks"), count(&work, "looks"));
    // The clock ticked every 100 ms and the screen was looked at for every
    // chunk (up to 50 a second) before; now in the turn the clock waits for
    // the output to pause, at most 500 ms, and only its ticks look. The run
    // around the turn (the start, the turn's end, the audit) has a few
    // seconds of ticks every 100 ms.
    assert!(looks >= streamed_s, "the screen was looked at: {work}");
    assert!(
        ticks <= 3 * streamed_s + 60,
        "the clock ticked too often while the output streamed: {work}"
    );
    assert!(
        looks <= ticks + 20,
        "the screen was looked at more often than the clock ticked: {work}"
    );
    // Headless, the output in the turn waits 50 ms after the output before
    // was taken in: two or three redraws a wake-up, where each of the 50 a
    // second was one before.
    assert!(
        count(&work, "output_wakes") <= 30 * streamed_s,
        "the loop woke for nearly every redraw: {work}"
    );
}

#[test]
fn a_turn_that_redraws_every_few_milliseconds_is_taken_in_a_batch_at_a_time() {
    let sandbox = Sandbox::new();
    // A turn of 10 s whose spinner is redrawn every 4 ms: small chunks close
    // together, as a reply streamed a few words at a time.
    let scenario = format!(
        "spinner_ms: 4\n{}",
        one_turn("  - work_ms: 10000\n    tokens: 10\n    reply: \"Spun.\"\n")
    );
    let out = sandbox.run_sim(&scenario, &[], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let ended = sandbox.entries_of("turn_ended");
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert!(ended[0].data["duration_ms"].as_u64().unwrap() >= 10_000);
    let work = work(&sandbox);
    let (wakes, chunks) = (count(&work, "output_wakes"), count(&work, "chunks"));
    // Some 2,500 redraws of about 70 bytes each. The loop kept up with each
    // before (a wake-up per chunk), and now in the turn takes in what came
    // during 16 ms at once. The PTY is read in the loop, and what came
    // meanwhile is one read: a thread read each redraw and handed it over
    // before (2,403 chunks).
    const REDRAWS: u64 = 10_000 / 4;
    assert!(
        count(&work, "output_bytes") >= 1000 * 32,
        "the spinner was read: {work}"
    );
    assert!(
        wakes * 2 <= REDRAWS,
        "the loop woke for nearly every redraw of the turn: {work}"
    );
    assert!(
        chunks * 2 <= REDRAWS,
        "the PTY was read for nearly every redraw of the turn: {work}"
    );
    // The turn still ended as the screen showed: one turn, one reply read.
    assert_eq!(sandbox.entries_of("turn_started").len(), 1);
    // The recording gathers 100 ms of output into an event: it wrote one
    // per chunk before (each redacted and written as a JSON line).
    let events = count(&work, "record_events");
    assert!(events >= 10, "the output was recorded: {work}");
    assert!(
        events * 10 <= REDRAWS,
        "the recording wrote an event for nearly every chunk: {work}"
    );
}
