//! Runs a wait's command (`update_goal` `waiting` with `wait.command`) the way
//! a verify command runs: `sh -c` in the workspace, in its own process group,
//! its output collected, the group killed at its timeout. Off the event
//! loop, on a blocking thread; its report comes back on a channel that the
//! run loop turns into [`Event::WaitChecked`].
//!
//! [`Event::WaitChecked`]: crate::core::supervisor::Event::WaitChecked

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::command::{collect, last_lines, start, wait_or_kill};
use super::groups::{VerifyGroups, kill_group};

/// Lines of the command's output kept for the agent.
const OUTPUT_LINES: usize = 20;

/// What one run of a wait's command gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitCheck {
    /// It exited 0.
    pub passed: bool,
    pub exit_code: Option<i32>,
    /// The end of its output (or why it did not finish), shortened.
    pub output: String,
}

/// Runs one goal's wait commands.
pub struct WaitChecker {
    workdir: PathBuf,
    /// The goal's command groups (the verify commands'): a wait's command is
    /// recorded as it starts and ended with them when the run stops.
    groups: VerifyGroups,
    tx: mpsc::UnboundedSender<WaitCheck>,
    rx: mpsc::UnboundedReceiver<WaitCheck>,
}

impl WaitChecker {
    pub fn new(workdir: PathBuf, groups: VerifyGroups) -> WaitChecker {
        let (tx, rx) = mpsc::unbounded_channel();
        WaitChecker {
            workdir,
            groups,
            tx,
            rx,
        }
    }

    /// Runs `run` on a blocking thread, killed after `timeout` (needs a tokio runtime).
    pub fn start(&self, run: String, timeout: Duration) {
        let workdir = self.workdir.clone();
        let tx = self.tx.clone();
        let groups = self.groups.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(check_in(&workdir, &run, timeout, &groups));
        });
    }

    /// The next report.
    pub async fn next(&mut self) -> Option<WaitCheck> {
        self.rx.recv().await
    }
}

/// Runs `run` in `workdir` once, killed after `timeout`.
pub fn check(workdir: &std::path::Path, run: &str, timeout: Duration) -> WaitCheck {
    check_in(workdir, run, timeout, &VerifyGroups::default())
}

/// [`check`], its process group told to `groups` while it runs.
fn check_in(
    workdir: &std::path::Path,
    run: &str,
    timeout: Duration,
    groups: &VerifyGroups,
) -> WaitCheck {
    let (mut child, reader) = match start(workdir, run, groups.env()) {
        Ok(started) => started,
        Err(err) => {
            return WaitCheck {
                passed: false,
                exit_code: None,
                output: format!("`{run}` could not start: {err}"),
            };
        }
    };
    let (output, done) = collect(reader);
    if !groups.started(child.id()) {
        // The run is stopping: the command does not run.
        kill_group(child.id());
    }
    let status = wait_or_kill(&mut child, Instant::now() + timeout);
    groups.ended(child.id());
    // The pipe closes once the group is gone; a grandchild holding it is not waited for long.
    let _ = done.recv_timeout(Duration::from_millis(500));
    let bytes = output.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let text = String::from_utf8_lossy(&bytes);
    let mut tail = last_lines(&text, OUTPUT_LINES);
    if status.is_none() {
        let note = format!(
            "(`{run}` did not finish within {}; it was stopped)",
            crate::goal::units::format_duration(u64::try_from(timeout.as_millis()).unwrap_or(0))
        );
        tail = if tail.is_empty() {
            note
        } else {
            format!("{tail}\n{note}")
        };
    }
    WaitCheck {
        passed: status.is_some_and(|s| s.success()),
        exit_code: status.and_then(|s| s.code()),
        output: tail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_passes_fails_or_is_stopped_at_its_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let long = Duration::from_secs(20);
        let absent = check(dir.path(), "test -f ready.flag", long);
        assert_eq!((absent.passed, absent.exit_code), (false, Some(1)));
        std::fs::write(dir.path().join("ready.flag"), "").unwrap();
        let present = check(dir.path(), "test -f ready.flag && echo ready", long);
        assert_eq!(
            present,
            WaitCheck {
                passed: true,
                exit_code: Some(0),
                output: "ready".into()
            }
        );
        let slow = check(dir.path(), "echo started; sleep 30", Duration::from_secs(3));
        assert!(!slow.passed && slow.exit_code.is_none());
        assert!(slow.output.starts_with("started\n"), "{}", slow.output);
        assert!(slow.output.contains("did not finish"), "{}", slow.output);
    }
}
