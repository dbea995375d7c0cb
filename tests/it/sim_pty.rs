//! End-to-end tests: the sim binary in a real PTY, read through a vt100 emulator.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const ROWS: u16 = 24;
const COLS: u16 = 80;
/// Screen rows (0-based indexes) of the status line, input box and footer.
const STATUS: usize = ROWS as usize - 4;
const INPUT: usize = ROWS as usize - 3;
const FOOTER: usize = ROWS as usize - 2;
const WAIT: Duration = Duration::from_secs(10);
const SPINNER: &str = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

/// Output the sim wrote, as the emulator sees it plus a log of when bytes came.
struct Output {
    vt: vt100::Parser,
    chunks: Vec<(Instant, Vec<u8>)>,
    /// The PTY reached end of file: every byte the sim wrote has been read.
    closed: bool,
}

/// A running sim on a PTY.
struct Sim {
    output: Arc<Mutex<Output>>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
}

fn size(rows: u16, cols: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

/// How to start the sim on a scenario file (in goalie: its `sim` subcommand).
fn sim_command(scenario: &Path) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_goalie"));
    cmd.arg("sim");
    cmd.arg("--scenario");
    cmd.arg(scenario);
    cmd.env("TERM", "xterm-256color");
    cmd
}

/// Replies to a cursor position query like a terminal would.
fn answer(writer: &Mutex<Box<dyn Write + Send>>) {
    if let Ok(mut w) = writer.lock() {
        let _ = w.write_all(b"\x1b[5;1R");
        let _ = w.flush();
    }
}

impl Sim {
    /// Starts the sim on `yaml`; if `answer_cursor`, replies to `ESC[6n` like a terminal.
    fn start(name: &str, yaml: &str, answer_cursor: bool) -> Sim {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.yaml"));
        std::fs::write(&path, yaml).expect("write scenario");
        let pair = native_pty_system()
            .openpty(size(ROWS, COLS))
            .expect("open pty");
        let child = pair
            .slave
            .spawn_command(sim_command(&path))
            .expect("spawn sim");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        let rows = NonZeroU16::new(ROWS).expect("rows");
        let cols = NonZeroU16::new(COLS).expect("cols");
        let output = Arc::new(Mutex::new(Output {
            vt: vt100::Parser::new(rows, cols, 0),
            chunks: Vec::new(),
            closed: false,
        }));
        let (out, reply_to) = (Arc::clone(&output), Arc::clone(&writer));
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut tail = Vec::new();
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let chunk = &buf[..n];
                if let Ok(mut o) = out.lock() {
                    o.vt.process(chunk);
                    o.chunks.push((Instant::now(), chunk.to_vec()));
                }
                tail.extend_from_slice(chunk);
                let asked = tail.windows(4).any(|w| w == b"\x1b[6n");
                tail = tail.split_off(tail.len().saturating_sub(3));
                if asked && answer_cursor {
                    answer(&reply_to);
                }
            }
            if let Ok(mut o) = out.lock() {
                o.closed = true;
            }
        });
        Sim {
            output,
            writer,
            child,
            master: pair.master,
        }
    }

    fn send(&self, bytes: &[u8]) {
        let mut w = self.writer.lock().expect("writer lock");
        w.write_all(bytes).expect("write to pty");
        w.flush().expect("flush pty");
    }

    fn rows(&self) -> Vec<String> {
        let o = self.output.lock().expect("output lock");
        o.vt.screen().rows(0, COLS).collect()
    }

    /// Waits until `pred` holds for the screen rows; panics with the screen on timeout.
    fn wait_for(&self, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let rows = self.rows();
            if pred(&rows) {
                return rows;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{}", rows.join("\n"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Bytes the sim wrote between two instants.
    fn bytes_between(&self, from: Instant, to: Instant) -> usize {
        let o = self.output.lock().expect("output lock");
        o.chunks
            .iter()
            .filter(|(at, _)| *at >= from && *at <= to)
            .map(|(_, c)| c.len())
            .sum()
    }

    fn all_output(&self) -> Vec<u8> {
        let o = self.output.lock().expect("output lock");
        o.chunks.iter().flat_map(|(_, c)| c.clone()).collect()
    }

    fn resize(&self, rows: u16, cols: u16) {
        self.master.resize(size(rows, cols)).expect("resize pty");
        let mut o = self.output.lock().expect("output lock");
        o.vt.screen_mut().set_size(
            NonZeroU16::new(rows).expect("rows"),
            NonZeroU16::new(cols).expect("cols"),
        );
    }

    /// Waits for the exit code and for the last bytes the sim wrote.
    fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + WAIT;
        loop {
            let closed = self.output.lock().expect("output lock").closed;
            if let (Some(status), true) = (self.child.try_wait().expect("try_wait"), closed) {
                return status.exit_code();
            }
            if Instant::now() > deadline {
                panic!("sim did not exit; screen:\n{}", self.rows().join("\n"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

fn is_spinner_row(row: &str) -> bool {
    row.chars().next().is_some_and(|c| SPINNER.contains(c))
        && row.contains(" Working (")
        && row.ends_with("s • esc to interrupt)")
}

fn idle_input(rows: &[String]) -> bool {
    rows[INPUT] == "› Ask the sim to do anything"
}

#[test]
fn claims_with_the_prompt_code_then_quits() {
    let mut sim = Sim::start(
        "claim",
        "name: e2e\nstartup_ms: 50\nclaim_after_turns: 1\n\
         turns:\n  - work_ms: 1500\n    tokens: 12345\n    reply: Made the tests pass.\n",
        true,
    );
    let rows = sim.wait_for("the idle screen", idle_input);
    assert_eq!(rows[0], "  >_ Sim Agent (v1.0)");
    assert_eq!(
        rows[FOOTER],
        "  sim-model · 0 tokens used · Context 100% left"
    );
    assert!(rows.iter().all(|r| !r.contains("did not answer")));

    sim.send(b"Finish the job. claim nonce: abc123");
    sim.wait_for("the typed prompt", |r| {
        r[INPUT] == "› Finish the job. claim nonce: abc123"
    });
    sim.send(b"\r");
    let rows = sim.wait_for("the spinner", |r| is_spinner_row(&r[STATUS]));
    assert!(
        rows.iter()
            .any(|r| r == "› Finish the job. claim nonce: abc123"),
        "echo missing:\n{}",
        rows.join("\n")
    );
    assert!(idle_input(&rows));

    let rows = sim.wait_for("the claim", |r| {
        r.iter().any(|row| row.trim() == "GOALIE-END abc123")
    });
    assert!(rows.iter().any(|r| r == "• Made the tests pass."));
    let rows = sim.wait_for("the idle status", |r| r[STATUS].is_empty());
    assert!(rows.iter().any(|r| r.starts_with("  Worked for 1s")));
    assert_eq!(
        rows[FOOTER],
        "  sim-model · 12,345 tokens used · Context 93% left"
    );

    sim.send(b"/quit\r");
    assert_eq!(sim.exit_code(), 0);
    let output = sim.all_output();
    let text = String::from_utf8_lossy(&output);
    assert!(text.contains("\x1b[?2004h") && text.ends_with("\x1b[24;1H"));
    assert!(text.contains("\x1b[?2004l\x1b[?25h"));
    assert!(
        !text.contains("\x1b[?1049h"),
        "must stay on the main screen"
    );
}

#[test]
fn waits_out_an_unanswered_cursor_query() {
    let start = Instant::now();
    let mut sim = Sim::start(
        "no-cpr",
        "cursor_query_timeout_ms: 600\nstartup_ms: 0\n",
        false,
    );
    let rows = sim.wait_for("the notice", |r| {
        r.iter()
            .any(|row| row == "! terminal did not answer the cursor query")
    });
    assert!(start.elapsed() >= Duration::from_millis(600));
    assert!(idle_input(&rows));
    // A late reply is swallowed, not typed.
    sim.send(b"\x1b[3;4R");
    thread::sleep(Duration::from_millis(200));
    assert!(idle_input(&sim.rows()));
    sim.send(b"\x04");
    assert_eq!(sim.exit_code(), 0);
}

#[test]
fn writes_nothing_while_silent() {
    let sim = Sim::start(
        "silent",
        "startup_ms: 0\nspinner_ms: 50\n\
         turns:\n  - work_ms: 500\n    silent_at_ms: 300\n    silent_ms: 1200\n",
        true,
    );
    sim.wait_for("the idle screen", idle_input);
    sim.send(b"go\r");
    let submitted = Instant::now();
    sim.wait_for("the spinner", |r| is_spinner_row(&r[STATUS]));
    thread::sleep(Duration::from_millis(1300));
    let during = sim.bytes_between(
        submitted + Duration::from_millis(450),
        submitted + Duration::from_millis(1350),
    );
    assert_eq!(during, 0, "the sim wrote during its silent stretch");
    assert!(
        is_spinner_row(&sim.rows()[STATUS]),
        "the spinner stays on screen"
    );
    sim.wait_for("the reply", |r| {
        r[STATUS].is_empty() && r.iter().any(|l| l.starts_with("• "))
    });
}

#[test]
fn fast_enter_is_dropped_esc_interrupts_and_crash_exits_1() {
    let mut sim = Sim::start(
        "interrupt",
        "startup_ms: 0\ndrop_fast_enter_ms: 300\nexit_after_turns: 1\n\
         turns:\n  - work_ms: 5000\n  - work_ms: 300\n    reply: second\n",
        true,
    );
    sim.wait_for("the idle screen", idle_input);
    sim.send(b"\x1b[200~line one\nline two\x1b[201~\r");
    thread::sleep(Duration::from_millis(500));
    let rows = sim.rows();
    assert_eq!(
        rows[INPUT], "› line one [+1 lines]",
        "fast Enter must be ignored"
    );
    assert!(rows[STATUS].is_empty());

    sim.send(b"\r");
    let rows = sim.wait_for("the spinner", |r| is_spinner_row(&r[STATUS]));
    assert!(rows.iter().any(|r| r == "› line one"));
    assert!(rows.iter().any(|r| r == "  line two"));

    sim.send(b"next");
    sim.wait_for("buffered input", |r| r[INPUT] == "› next");
    thread::sleep(Duration::from_millis(400));
    sim.send(b"\r");
    thread::sleep(Duration::from_millis(200));
    assert!(
        is_spinner_row(&sim.rows()[STATUS]),
        "Enter while working is ignored"
    );

    sim.send(b"\x1b");
    let rows = sim.wait_for("the interruption", |r| r[STATUS].is_empty());
    assert!(rows.iter().any(|r| r == "■ Conversation interrupted"));
    assert_eq!(rows[INPUT], "› next");

    sim.send(b"\r");
    sim.wait_for("the second reply", |r| r.iter().any(|l| l == "• second"));
    assert_eq!(sim.exit_code(), 1);
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut sim = Sim::start("term", "startup_ms: 0\n", true);
    sim.wait_for("the idle screen", idle_input);
    let pid = sim.child.process_id().expect("pid");
    let pid = libc::pid_t::try_from(pid).expect("pid fits");
    // SAFETY: sends SIGTERM to the child we spawned.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert_eq!(sim.exit_code(), 128 + 15);
    let output = sim.all_output();
    assert!(String::from_utf8_lossy(&output).contains("\x1b[?2004l\x1b[?25h"));
}

#[test]
fn redraws_on_resize() {
    let sim = Sim::start("resize", "startup_ms: 0\n", true);
    sim.wait_for("the idle screen", idle_input);
    sim.resize(14, 50);
    sim.wait_for("the resized layout", |r| {
        r.len() == 14 && r[11] == "› Ask the sim to do anything" && r[12].starts_with("  sim-model")
    });
}
