//! What the simulated agent does beside its screen for the watchdog's tests:
//! a "long build" that burns CPU in a child process for the whole turn
//! (`cpu: true`), and a log of every turn it starts and ends and of any input
//! that arrives while it works (`input_log: FILE`), so a test can count turns
//! and see that nothing was typed while the agent was busy.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The side effects of one sim session.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    log: Option<std::fs::File>,
    build: Option<Child>,
}

impl Effects {
    /// Appends to `input_log`, when the scenario names one.
    pub(crate) fn new(input_log: Option<&PathBuf>) -> Effects {
        let log = input_log.and_then(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
        });
        Effects { log, build: None }
    }

    fn line(&mut self, text: &str) {
        if let Some(log) = self.log.as_mut() {
            let _ = writeln!(log, "{text}");
            let _ = log.flush();
        }
    }

    /// Turn `number` starts; with `cpu`, its build starts too.
    pub(crate) fn turn_started(&mut self, number: u32, cpu: bool) {
        self.line(&format!("started {number}"));
        if cpu {
            self.build = Command::new("sh")
                .arg("-c")
                .arg("while :; do :; done")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok();
        }
    }

    /// Turn `number` ended (`how`: `finished` or `interrupted`); its build stops.
    pub(crate) fn turn_ended(&mut self, number: u32, how: &str) {
        if let Some(mut build) = self.build.take() {
            let _ = build.kill();
            let _ = build.wait();
        }
        self.line(&format!("{how} {number}"));
    }

    /// An Enter came too soon after the text, and was ignored.
    pub(crate) fn enter_dropped(&mut self) {
        self.line("enter dropped");
    }

    /// Input (`what`) arrived while turn `number` was under way.
    pub(crate) fn input_while_working(&mut self, number: u32, what: &str) {
        self.line(&format!("input while working {number}: {what}"));
    }
}

impl Drop for Effects {
    fn drop(&mut self) {
        if let Some(mut build) = self.build.take() {
            let _ = build.kill();
            let _ = build.wait();
        }
    }
}
