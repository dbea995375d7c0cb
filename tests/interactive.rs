//! goalie with a terminal: the test is the user's terminal. goalie runs inside a
//! real PTY whose output feeds a vt100 model; the test answers the terminal
//! queries a real terminal would answer, types keys, and checks that the
//! terminal is left as it was found.

mod support;

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use support::{Sandbox, leftover_processes, path_str, scenario};

fn local_modes(fd: i32) -> libc::tcflag_t {
    // SAFETY: tcgetattr writes a termios into valid memory we own.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0);
    t.c_lflag
}

#[test]
fn interactive_run_mirrors_the_agent_defers_to_the_user_and_restores_the_terminal() {
    let sandbox = Sandbox::new();
    let scenario = sandbox.file("s.yaml", &scenario(Some(2), "proper", 300));
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let fd = pair.master.as_raw_fd().unwrap();
    let modes_before = local_modes(fd);
    assert_ne!(modes_before & libc::ICANON, 0);
    assert_ne!(modes_before & libc::ECHO, 0);

    let mut cmd = CommandBuilder::new(support::GOALIE);
    cmd.args([
        "run",
        "--agent",
        "sim",
        "Make the tests pass",
        "--",
        "--scenario",
        &path_str(&scenario),
    ]);
    cmd.env("GOALIE_DB", sandbox.db());
    cmd.env("GOALIE_CONFIG_DIR", sandbox.dir.path().join("config"));
    cmd.env("TERM", "xterm-256color");
    cmd.cwd(sandbox.workdir());
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);

    let parser = Arc::new(Mutex::new(vt100::Parser::new(
        NonZeroU16::new(30).unwrap(),
        NonZeroU16::new(100).unwrap(),
        0,
    )));
    let writer = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
    let mut reader = pair.master.try_clone_reader().unwrap();
    let (p, w) = (parser.clone(), writer.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut parser = p.lock().unwrap();
            parser.process(&buf[..n]);
            // Be the terminal: answer cursor position queries.
            if buf[..n].windows(4).any(|win| win == b"\x1b[6n") {
                let (row, col) = parser.screen().cursor_position();
                let _ = w
                    .lock()
                    .unwrap()
                    .write_all(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
        }
    });
    let screen = || parser.lock().unwrap().screen().contents();

    // The agent's own screen reaches the user's terminal.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !screen().contains("Ask the sim to do anything") {
        assert!(
            Instant::now() < deadline,
            "the agent's screen never showed:\n{}",
            screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The user types for a while: goalie must not type over them.
    let mut last_key = SystemTime::now();
    for _ in 0..5 {
        writer.lock().unwrap().write_all(b"x").unwrap();
        last_key = SystemTime::now();
        std::thread::sleep(Duration::from_millis(400));
    }

    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("goalie did not finish:\n{}", screen());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(status.exit_code(), 0, "{}", screen());

    // The terminal is back as it was: modes, paste mode, cursor.
    let modes_after = local_modes(fd);
    assert_eq!(
        modes_after & (libc::ICANON | libc::ECHO | libc::ISIG),
        modes_before & (libc::ICANON | libc::ECHO | libc::ISIG)
    );
    {
        let parser = parser.lock().unwrap();
        assert!(!parser.screen().bracketed_paste());
        assert!(!parser.screen().hide_cursor());
        assert!(!parser.screen().alternate_screen());
    }
    let text = screen();
    assert!(
        text.contains("achieved: the agent claimed completion in turn 2"),
        "{text}"
    );
    // The agent showed the user's keys, and goalie's first prompt came only
    // after the keys had been still for the user-quiet window (3 s).
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
