//! After goalie, the person's terminal is as it was found, checked by what
//! comes next in that terminal: a shell runs goalie in a real PTY and, once it
//! has exited, prints lines of its own and `stty size`. With `--status-line`
//! goalie kept the bottom row under a scroll region (the agent's PTY one row
//! shorter): if that region were left, the shell's lines would pile up on one
//! row (or scroll above a dead bottom row) instead of scrolling the whole
//! screen, and a size other than the terminal's would show in `stty size`.

use std::time::Duration;

use crate::interactive::{Term, as_strs, run_args};
use crate::support::{Sandbox, eventually, scenario};

/// The shell around goalie: goalie with the script's arguments, then 40
/// numbered lines and a last one with the terminal's size and goalie's exit
/// code.
const AFTER: &str = "\"$GOALIE_BIN\" \"$@\"; code=$?\n\
    i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo \"after $i\"; done\n\
    echo \"size $(stty size) code $code\"\n";

fn start_in_shell(sandbox: &Sandbox, goalie_args: &[String]) -> Term {
    let mut args = vec!["-c", AFTER, "sh"];
    args.extend(as_strs(goalie_args));
    Term::start_program(sandbox, "sh", &args, &[])
}

/// The terminal after the shell: its last line on the second-to-last row,
/// the 40 lines right above it, the bottom row empty with the cursor on it:
/// the whole screen scrolled, rows and columns the terminal's own.
fn assert_the_whole_screen_scrolls(term: &Term, code: u32) {
    let parser = term.parser.lock().unwrap();
    let screen = parser.screen();
    let rows: Vec<String> = screen.rows(0, 100).collect();
    let all = rows.join("\n");
    assert_eq!(rows.len(), 30, "{all}");
    assert_eq!(
        rows[28].trim_end(),
        format!("size 30 100 code {code}"),
        "the shell's last line is not on row 29 of 30:\n{all}"
    );
    for back in 1..=27 {
        assert_eq!(
            rows[28 - back].trim_end(),
            format!("after {}", 41 - back),
            "row {} of 30:\n{all}",
            29 - back
        );
    }
    assert_eq!(rows[29].trim_end(), "", "{all}");
    assert_eq!(screen.cursor_position(), (29, 0), "{all}");
}

fn status_line_args(sandbox: &Sandbox, claim: Option<u32>, work_ms: u64) -> Vec<String> {
    let scenario = sandbox.file("s.yaml", &scenario(claim, "proper", work_ms));
    let mut args = run_args(&scenario);
    args.insert(1, "--status-line".into());
    args
}

/// goalie's process: the shell's only child.
fn goalie_pid(term: &Term) -> i32 {
    let shell = term.process_id();
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("the shell's children");
    let pids: Vec<i32> = children
        .split_whitespace()
        .map(|pid| pid.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 1, "{children}");
    pids[0]
}

#[test]
fn after_a_run_with_the_status_line_the_scroll_region_and_the_size_are_the_terminals() {
    let sandbox = Sandbox::new();
    let args = status_line_args(&sandbox, Some(2), 300);
    let mut term = start_in_shell(&sandbox, &args);
    let row_shown = eventually(Duration::from_secs(30), || {
        term.screen().contains("│ turn ")
    });
    assert!(row_shown, "{}", term.screen());
    assert_eq!(term.wait(), 0, "{}", term.screen());
    term.assert_restored();
    assert_the_whole_screen_scrolls(&term, 0);
}

#[test]
fn after_sigterm_with_the_status_line_the_scroll_region_and_the_size_are_the_terminals() {
    let sandbox = Sandbox::new();
    let args = status_line_args(&sandbox, None, 600_000);
    let mut term = start_in_shell(&sandbox, &args);
    term.wait_for("esc to interrupt");
    assert!(term.screen().contains("│ turn "), "{}", term.screen());
    let goalie = goalie_pid(&term);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(goalie),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(term.wait(), 0, "{}", term.screen());
    term.assert_restored();
    assert_the_whole_screen_scrolls(&term, 143);
}

/// A goal whose recording, replayed at `--speed 0.1`, enters the alternate
/// screen, turns bracketed paste on and hides the cursor, shows `playing`,
/// then waits 20 s before each next word: a replay that ends before its last
/// word (` never played`) was stopped. Returns the goal's id.
fn goal_with_a_slow_recording(sandbox: &Sandbox) -> String {
    let out = sandbox.run(
        &["demo", "--headless", "--max-turns", "1"],
        Duration::from_secs(90),
    );
    assert_eq!(out.code, 3, "{out:?}");
    let path = sandbox.entries_of("recording")[0].data["path"]
        .as_str()
        .unwrap()
        .to_string();
    let header = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let mut cast = vec![header];
    let first = "\x1b[?1049h\x1b[?2004h\x1b[?25l\x1b[Hplaying";
    cast.push(serde_json::json!([0.0, "o", first]).to_string());
    for (i, word) in [" one", " two", " three", " never played"]
        .iter()
        .enumerate()
    {
        cast.push(serde_json::json!([2.0 * (i + 1) as f64, "o", word]).to_string());
    }
    std::fs::write(&path, cast.join("\n") + "\n").unwrap();
    sandbox.goal().id
}

/// Starts `goalie replay` of the slow recording; returns once it shows
/// `playing` with the recording's modes on.
fn replaying(sandbox: &Sandbox) -> Term {
    let id = goal_with_a_slow_recording(sandbox);
    let term = Term::start(sandbox, &["replay", &id, "--speed", "0.1"], &[]);
    let playing = eventually(Duration::from_secs(30), || {
        let parser = term.parser.lock().unwrap();
        let screen = parser.screen();
        screen.contents().contains("playing")
            && screen.alternate_screen()
            && screen.bracketed_paste()
            && screen.hide_cursor()
    });
    assert!(playing, "{}", term.screen());
    term
}

fn assert_stopped_early(term: &Term) {
    let raw = String::from_utf8_lossy(&term.raw.lock().unwrap()).into_owned();
    assert!(
        !raw.contains("never played"),
        "it played to its end: {raw:?}"
    );
}

#[test]
fn ctrl_c_stops_a_replay_with_the_terminal_put_back_and_exit_130() {
    let sandbox = Sandbox::new();
    let mut term = replaying(&sandbox);
    // Keys typed while it plays are not echoed over the recording (raw mode).
    term.type_keys(b"abc");
    std::thread::sleep(Duration::from_millis(300));
    term.type_keys(b"\x03");
    assert_eq!(term.wait(), 130, "{}", term.screen());
    term.assert_restored();
    assert_stopped_early(&term);
    let raw = String::from_utf8_lossy(&term.raw.lock().unwrap()).into_owned();
    assert!(!raw.contains("abc"), "the keys were echoed: {raw:?}");
}

#[test]
fn sigterm_stops_a_replay_with_the_terminal_put_back_and_exit_143() {
    let sandbox = Sandbox::new();
    let mut term = replaying(&sandbox);
    term.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(term.wait(), 143, "{}", term.screen());
    term.assert_restored();
    assert_stopped_early(&term);
}
