//! goalie with a terminal: the test is the user's terminal. goalie runs inside a
//! real PTY whose output feeds a vt100 model; the test answers the terminal
//! queries a real terminal would answer, types keys, and checks that the
//! terminal is left as it was found on every way out.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::support;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use support::{Sandbox, eventually, leftover_processes, path_str, scenario};

const MODES: libc::tcflag_t = libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN;

/// The user's terminal, with goalie running in it (also used by
/// terminal_restore.rs).
pub(crate) struct Term {
    pub(crate) master: Box<dyn MasterPty + Send>,
    child: Box<dyn Child + Send + Sync>,
    pub(crate) parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte goalie wrote to the terminal.
    pub(crate) raw: Arc<Mutex<Vec<u8>>>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    modes_before: libc::tcflag_t,
}

impl Term {
    pub(crate) fn start(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Term {
        Term::start_program(sandbox, support::GOALIE, args, env)
    }

    /// `program` with `args` in the terminal, with goalie's environment
    /// (`GOALIE_BIN` names the binary, for a shell around it).
    pub(crate) fn start_program(
        sandbox: &Sandbox,
        program: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Term {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 100,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("GOALIE_BIN", support::GOALIE);
        cmd.env("GOALIE_DB", sandbox.db());
        cmd.env("GOALIE_CONFIG_DIR", sandbox.dir.path().join("config"));
        cmd.env("XDG_RUNTIME_DIR", sandbox.runtime_dir());
        cmd.env("XDG_STATE_HOME", sandbox.state_dir());
        cmd.env("TERM", "xterm-256color");
        for (key, value) in env {
            cmd.env(key, value);
        }
        cmd.cwd(sandbox.workdir());
        let modes_before = local_modes(&*pair.master);
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(30).unwrap(),
            NonZeroU16::new(100).unwrap(),
            0,
        )));
        let writer = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, w, r) = (parser.clone(), writer.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                r.lock().unwrap().extend_from_slice(&buf[..n]);
                let mut parser = p.lock().unwrap();
                parser.process(&buf[..n]);
                // Be the terminal: answer cursor position queries.
                if buf[..n].windows(4).any(|win| win == b"\x1b[6n") {
                    let (row, col) = parser.screen().cursor_position();
                    let reply = format!("\x1b[{};{}R", row + 1, col + 1);
                    let _ = w.lock().unwrap().write_all(reply.as_bytes());
                }
            }
        });
        Term {
            master: pair.master,
            child,
            parser,
            raw,
            writer,
            modes_before,
        }
    }

    pub(crate) fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub(crate) fn wait_for(&self, text: &str) {
        let shown = eventually(Duration::from_secs(30), || self.screen().contains(text));
        assert!(shown, "`{text}` never showed:\n{}", self.screen());
    }

    pub(crate) fn type_keys(&self, keys: &[u8]) {
        self.writer.lock().unwrap().write_all(keys).unwrap();
    }

    /// The process started in the terminal.
    pub(crate) fn process_id(&self) -> u32 {
        self.child.process_id().unwrap()
    }

    pub(crate) fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = self.child.process_id().unwrap() as i32;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal).unwrap();
    }

    /// Waits for goalie to exit; returns its exit code.
    pub(crate) fn wait(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(90);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("goalie did not finish:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // Let the last bytes reach the model.
        std::thread::sleep(Duration::from_millis(300));
        status.exit_code()
    }

    /// The terminal is as it was found: line discipline, paste mode, cursor, screen.
    pub(crate) fn assert_restored(&self) {
        assert_eq!(
            local_modes(&*self.master) & MODES,
            self.modes_before & MODES,
            "termios"
        );
        let parser = self.parser.lock().unwrap();
        assert!(
            !parser.screen().bracketed_paste(),
            "bracketed paste left on"
        );
        assert!(!parser.screen().hide_cursor(), "cursor left hidden");
        assert!(
            !parser.screen().alternate_screen(),
            "alternate screen left on"
        );
    }
}

fn local_modes(master: &dyn MasterPty) -> libc::tcflag_t {
    let fd = master.as_raw_fd().unwrap();
    // SAFETY: tcgetattr writes a termios into valid memory we own.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0);
    t.c_lflag
}

pub(crate) fn run_args(scenario: &std::path::Path) -> Vec<String> {
    [
        "run",
        "--agent",
        "sim",
        "Make the tests pass",
        "--",
        "--scenario",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([path_str(scenario)])
    .collect()
}

pub(crate) fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn interactive_run_mirrors_the_agent_defers_to_the_user_and_restores_the_terminal() {
    let sandbox = Sandbox::new();
    let scenario = sandbox.file("s.yaml", &scenario(Some(2), "proper", 300));
    let args = run_args(&scenario);
    let mut term = Term::start(&sandbox, &as_strs(&args), &[]);
    assert_ne!(term.modes_before & libc::ICANON, 0);

    // The agent's own screen reaches the user's terminal.
    term.wait_for("Ask the sim to do anything");
    // The user types for a while: goalie must not type over them.
    let mut last_key = SystemTime::now();
    for _ in 0..5 {
        term.type_keys(b"x");
        last_key = SystemTime::now();
        std::thread::sleep(Duration::from_millis(400));
    }
    assert_eq!(term.wait(), 0, "{}", term.screen());
    term.assert_restored();
    let text = term.screen();
    assert!(
        text.contains("achieved: the agent claimed completion in turn 2"),
        "{text}"
    );

    // goalie's first prompt came only after the keys had been still for 3 s.
    let entries = sandbox.entries_of("injection");
    let first_at: jiff::Timestamp = entries[0].at.parse().expect("ledger timestamp");
    let last_key = jiff::Timestamp::try_from(last_key).unwrap();
    let waited = first_at.duration_since(last_key);
    assert!(
        waited >= jiff::SignedDuration::from_millis(2900),
        "typed {waited:?} after the last key"
    );
    assert!(leftover_processes(sandbox.agent_pid()).is_empty());
}

#[test]
fn sigterm_restores_the_terminal_and_pauses_the_goal() {
    let sandbox = Sandbox::new();
    let scenario = sandbox.file("s.yaml", &scenario(None, "proper", 600_000));
    let args = run_args(&scenario);
    let mut term = Term::start(&sandbox, &as_strs(&args), &[]);
    term.wait_for("esc to interrupt");
    term.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(term.wait(), 143);
    term.assert_restored();
    assert_eq!(sandbox.goal().state.as_str(), "paused");
    assert!(
        term.screen().contains("paused: goalie received signal 15"),
        "{}",
        term.screen()
    );
    assert_eq!(sockets_left(&sandbox), Vec::<String>::new());
    assert!(leftover_processes(sandbox.agent_pid()).is_empty());
}

#[test]
fn a_panic_restores_the_terminal_and_ends_the_agent() {
    let sandbox = Sandbox::new();
    let scenario = sandbox.file("s.yaml", &scenario(None, "proper", 300));
    let args = run_args(&scenario);
    let mut term = Term::start(
        &sandbox,
        &as_strs(&args),
        &[("GOALIE_TEST_PANIC", "1"), ("RUST_BACKTRACE", "0")],
    );
    assert_eq!(term.wait(), 101, "{}", term.screen());
    term.assert_restored();
    assert!(
        term.screen().contains("GOALIE_TEST_PANIC"),
        "{}",
        term.screen()
    );
    assert_eq!(sockets_left(&sandbox), Vec::<String>::new());
    let agent = sandbox.agent_pid();
    support::assert_no_process_left(agent);
}

#[test]
fn a_window_resize_reaches_the_agent() {
    let sandbox = Sandbox::new();
    let scenario = sandbox.file("s.yaml", &scenario(None, "proper", 600_000));
    let args = run_args(&scenario);
    let mut term = Term::start(&sandbox, &as_strs(&args), &[]);
    term.wait_for("tokens used");
    term.parser
        .lock()
        .unwrap()
        .screen_mut()
        .set_size(NonZeroU16::new(40).unwrap(), NonZeroU16::new(120).unwrap());
    term.master
        .resize(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    // The sim draws its footer on its second-to-last row: row 39 of 40 now.
    let moved = eventually(Duration::from_secs(10), || {
        let parser = term.parser.lock().unwrap();
        let rows: Vec<String> = parser.screen().rows(0, 120).collect();
        rows.get(38).is_some_and(|row| row.contains("tokens used"))
    });
    assert!(moved, "{}", term.screen());
    term.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(term.wait(), 143);
    term.assert_restored();
}

/// Control socket files still in the sandbox's runtime dir.
fn sockets_left(sandbox: &Sandbox) -> Vec<String> {
    std::fs::read_dir(sandbox.runtime_dir().join("goalie"))
        .expect("goalie made its socket directory")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().to_string())
        .collect()
}

/// `goalie status --json` from another process: the goal's `state_text`.
fn state_text(sandbox: &Sandbox) -> String {
    let out = sandbox.run(&["status", "--json"], Duration::from_secs(30));
    let status: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_default();
    status["state_text"].as_str().unwrap_or("").to_string()
}

#[test]
fn the_takeover_chord_hands_the_agent_to_the_person_and_back() {
    let sandbox = Sandbox::new();
    let scenario = sandbox.file("s.yaml", &scenario(None, "proper", 800));
    let args = run_args(&scenario);
    let mut term = Term::start(&sandbox, &as_strs(&args), &[]);
    let started = eventually(Duration::from_secs(30), || {
        sandbox.db().exists()
            && sandbox.ledger().goals().is_ok_and(|g| g.len() == 1)
            && !sandbox.entries_of("turn_started").is_empty()
    });
    assert!(started, "{}", term.screen());

    // Ctrl-] t: goalie pauses and hands the agent over.
    term.type_keys(b"\x1dt");
    let taken = eventually(Duration::from_secs(20), || {
        state_text(&sandbox) == "paused (takeover)"
    });
    assert!(taken, "{}", state_text(&sandbox));
    // The terminal's title says so.
    let titled = eventually(Duration::from_secs(10), || {
        String::from_utf8_lossy(&term.raw.lock().unwrap()).contains("· paused (takeover)\x07")
    });
    assert!(titled, "the title never showed the takeover");
    let ended = eventually(Duration::from_secs(20), || {
        !sandbox.entries_of("turn_ended").is_empty()
    });
    assert!(ended);
    // The chord's bytes never reached the agent: its input box holds only what
    // the person typed; a Ctrl-] followed by another key passes through.
    term.type_keys(b"abc");
    term.wait_for("› abc");
    term.type_keys(b"\x1dx");
    term.wait_for("› abcx");
    assert!(!term.screen().contains("› tabc"), "{}", term.screen());
    // The person's own prompt runs; goalie types nothing.
    term.type_keys(b"\r");
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(sandbox.entries_of("injection").len(), 1);

    // The same chord hands it back: goalie continues at the next idle turn.
    term.type_keys(b"\x1dt");
    let back = eventually(Duration::from_secs(20), || {
        state_text(&sandbox) == "pursuing"
    });
    assert!(back, "{}", state_text(&sandbox));
    let continued = eventually(Duration::from_secs(30), || {
        sandbox.entries_of("injection").len() >= 2
    });
    assert!(continued, "{}", term.screen());
    assert_eq!(
        sandbox.entries_of("injection")[1].data["prompt"],
        "continuation"
    );
    assert_eq!(sandbox.entries_of("takeover_started").len(), 1);
    assert_eq!(sandbox.entries_of("takeover_ended").len(), 1);
    let actors: Vec<String> = sandbox
        .entries_of("transition")
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e.data["to"].as_str().unwrap(),
                e.data["actor"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(actors, vec!["paused:user", "pursuing:user"]);

    term.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(term.wait(), 143);
    term.assert_restored();
}

/// The last place `needle` is in `haystack`.
pub(crate) fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|win| win == needle)
}

#[test]
fn the_title_and_the_status_row_are_the_persons_and_never_the_agents() {
    let sandbox = Sandbox::new();
    let scenario = sandbox.file("s.yaml", &scenario(Some(2), "proper", 300));
    let input_log = sandbox.dir.path().join("sim-input.log");
    let mut args = run_args(&scenario);
    args.insert(1, "--status-line".into());
    args.insert(1, "--max-turns".into());
    args.insert(2, "9".into());
    let mut term = Term::start(
        &sandbox,
        &as_strs(&args),
        &[("GOALIE_SIM_INPUT_LOG", &path_str(&input_log))],
    );
    // The agent draws on the 29 rows above the status row: its footer is
    // on its second-to-last row, row 28 of the terminal's 30.
    let drawn = eventually(Duration::from_secs(30), || {
        let parser = term.parser.lock().unwrap();
        let rows: Vec<String> = parser.screen().rows(0, 100).collect();
        rows[27].contains("tokens used")
            && rows[29].contains(" goalie ")
            && rows[29].contains("│ turn ")
            && rows[29].contains("/9 │")
    });
    assert!(drawn, "{}", term.screen());
    let status_row = term
        .parser
        .lock()
        .unwrap()
        .screen()
        .rows(0, 100)
        .nth(29)
        .unwrap();
    assert_eq!(term.wait(), 0, "{}", term.screen());
    term.assert_restored();
    let goal = sandbox.goal();
    assert!(status_row.contains(&goal.id), "{status_row}");

    let raw = term.raw.lock().unwrap().clone();
    // The title was saved first, set to the goal's, and put back last.
    let pushed = rfind(&raw, b"\x1b[22;0t").expect("title pushed");
    let title = format!("\x1b]2;goalie {} · turn ", goal.id);
    let set = rfind(&raw, title.as_bytes()).expect("title set");
    let popped = rfind(&raw, b"\x1b[23;0t").expect("title popped");
    assert!(pushed < set && set < popped);
    assert_eq!(raw.windows(7).filter(|w| w == b"\x1b[23;0t").count(), 1);
    assert!(
        String::from_utf8_lossy(&raw).contains("/9 · "),
        "the title shows the turn limit"
    );
    // The scroll region kept the agent's rows; at the end it is the whole screen again.
    let region = rfind(&raw, b"\x1b[1;29r").expect("scroll region set");
    let reset = rfind(&raw, b"\x1b[r").expect("scroll region reset");
    assert!(region < reset);
    // After the run, no status row is left on the screen.
    assert!(!term.screen().contains("│ turn "), "{}", term.screen());

    // What reached the agent: the person's terminal's answers and goalie's
    // prompts, never the title or the status row.
    let received = std::fs::read(&input_log).expect("the sim logged its input");
    let received = String::from_utf8_lossy(&received);
    assert!(received.contains("Make the tests pass"), "{received}");
    for mark in ["\x1b]2;", "22;0t", "23;0t", "│", "tok ·", "\x1b[1;29r"] {
        assert!(
            !received.contains(mark),
            "{mark:?} reached the agent: {received:?}"
        );
    }
    // Nor the recording.
    let recording = sandbox.entries_of("recording")[0].data["path"]
        .as_str()
        .unwrap()
        .to_string();
    let recording = std::fs::read_to_string(recording).unwrap();
    assert!(recording.contains("tokens used"));
    for mark in ["\\u001b]2;", "│ turn", "\\u001b[1;29r"] {
        assert!(!recording.contains(mark), "{mark:?} was recorded");
    }
    let header: serde_json::Value =
        serde_json::from_str(recording.lines().next().unwrap()).unwrap();
    assert_eq!(
        (header["height"].as_u64(), header["width"].as_u64()),
        (Some(29), Some(100))
    );
}

#[test]
fn the_status_row_follows_a_window_resize() {
    let sandbox = Sandbox::new();
    let scenario = sandbox.file("s.yaml", &scenario(None, "proper", 600_000));
    let mut args = run_args(&scenario);
    args.insert(1, "--status-line".into());
    let mut term = Term::start(&sandbox, &as_strs(&args), &[]);
    let rows_show = |term: &Term, footer: usize, status: usize, cols: u16| {
        let parser = term.parser.lock().unwrap();
        let rows: Vec<String> = parser.screen().rows(0, cols).collect();
        rows[footer].contains("tokens used") && rows[status].contains("│ turn ")
    };
    let drawn = eventually(Duration::from_secs(30), || rows_show(&term, 27, 29, 100));
    assert!(drawn, "{}", term.screen());
    term.parser
        .lock()
        .unwrap()
        .screen_mut()
        .set_size(NonZeroU16::new(40).unwrap(), NonZeroU16::new(120).unwrap());
    term.master
        .resize(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    // The agent has 39 rows now, its footer on row 38; the status row is row 40.
    let moved = eventually(Duration::from_secs(10), || rows_show(&term, 37, 39, 120));
    assert!(moved, "{}", term.screen());
    term.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(term.wait(), 143);
    term.assert_restored();
    let raw = term.raw.lock().unwrap().clone();
    let region = rfind(&raw, b"\x1b[1;39r").expect("the region follows the size");
    assert!(region < rfind(&raw, b"\x1b[r").expect("the region reset"));
    assert!(!term.screen().contains("│ turn "), "{}", term.screen());
}

/// Issue 15, defect 11: with `-v` on the first interactive run in a fresh
/// data folder, the logs go to the log file there, never to the agent's screen.
#[test]
fn logs_of_a_first_run_in_a_fresh_data_folder_never_reach_the_screen() {
    let sandbox = Sandbox::new();
    let scenario = sandbox.file("s.yaml", &scenario(Some(1), "proper", 300));
    let fresh = sandbox.dir.path().join("fresh/data/goalie");
    let db = fresh.join("goalie.db");
    let mut args = vec!["-v".to_string()];
    args.extend(run_args(&scenario));
    let mut term = Term::start(&sandbox, &as_strs(&args), &[("GOALIE_DB", &path_str(&db))]);
    assert_eq!(term.wait(), 0, "{}", term.screen());
    let text = term.screen();
    assert!(
        text.contains("achieved: the agent claimed completion in turn 1"),
        "{text}"
    );
    assert!(!text.contains("starting the agent"), "{text}");
    assert!(!text.contains(" INFO "), "{text}");
    let log = std::fs::read_to_string(fresh.join("goalie.log")).expect("the log file");
    assert!(log.contains("starting the agent"), "{log}");
}
