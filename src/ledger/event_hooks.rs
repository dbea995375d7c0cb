//! `--on-event CMD`: runs a command for every ledger row of a running goal,
//! with the row as JSON on its stdin.
//!
//! The supervisor never waits for a hook: rows go into a bounded queue that one
//! worker thread empties, in order, one command at a time (`sh -c CMD` in the
//! goal's directory). A full queue drops the row (with a warning in the log), and
//! a command still running after [`HOOK_TIMEOUT`] is killed.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use crate::ledger::Entry;

/// Rows that may wait for the hook before new ones are dropped.
const QUEUE: usize = 1024;
/// How long one run of the command may take.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(30);

enum Job {
    Run(Entry),
    Finish,
}

/// The hook's queue and worker.
pub struct EventHook {
    tx: SyncSender<Job>,
    done: Receiver<()>,
}

impl EventHook {
    /// Starts the worker for `command`, run in `workdir`.
    pub fn start(command: String, workdir: PathBuf) -> EventHook {
        let (tx, rx) = sync_channel(QUEUE);
        let (done_tx, done) = sync_channel(1);
        let _ = std::thread::Builder::new()
            .name("on-event".into())
            .spawn(move || {
                while let Ok(Job::Run(entry)) = rx.recv() {
                    run_once(&command, &workdir, &entry);
                }
                let _ = done_tx.send(());
            });
        EventHook { tx, done }
    }

    /// A handle that queues rows (for the ledger's observer).
    pub fn sender(&self) -> HookSender {
        HookSender {
            tx: self.tx.clone(),
        }
    }

    /// Lets the queued rows run, waiting at most `within`.
    pub fn finish(self, within: Duration) {
        let _ = self.tx.send(Job::Finish);
        let _ = self.done.recv_timeout(within);
    }
}

#[derive(Clone)]
pub struct HookSender {
    tx: SyncSender<Job>,
}

impl HookSender {
    /// Queues a row; never blocks.
    pub fn send(&self, entry: &Entry) {
        match self.tx.try_send(Job::Run(entry.clone())) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                tracing::warn!(kind = %entry.kind, "--on-event: the queue is full; row dropped");
            }
        }
    }
}

fn run_once(command: &str, workdir: &PathBuf, entry: &Entry) {
    let json = serde_json::to_string(entry).unwrap_or_default();
    let child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(workdir)
        .env("GOALIE_EVENT_KIND", &entry.kind)
        .env("GOALIE_GOAL_ID", &entry.goal_id)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) => {
            tracing::warn!(%err, "--on-event: cannot start `sh`");
            return;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is fine.
        let _ = stdin.write_all(json.as_bytes());
        let _ = stdin.write_all(b"\n");
    }
    let deadline = Instant::now() + HOOK_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                if !status.success() {
                    tracing::warn!(%status, kind = %entry.kind, "--on-event: the command failed");
                }
                return;
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                tracing::warn!(kind = %entry.kind, "--on-event: the command took too long; killed");
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, kind: &str) -> Entry {
        Entry {
            seq,
            goal_id: "g1".into(),
            at: "2025-01-01T00:00:00.000Z".into(),
            kind: kind.into(),
            data: serde_json::json!({ "n": seq }),
        }
    }

    #[test]
    fn every_row_reaches_the_command_in_order_with_its_json() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let hook = EventHook::start(
            format!(
                "cat >> {}; echo \"$GOALIE_EVENT_KIND\" >> {}",
                out.display(),
                out.display()
            ),
            dir.path().to_path_buf(),
        );
        let sender = hook.sender();
        sender.send(&entry(1, "turn_ended"));
        sender.send(&entry(2, "transition"));
        hook.finish(Duration::from_secs(10));
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        let first: Entry = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(first, entry(1, "turn_ended"));
        assert_eq!(lines[1], "turn_ended");
        assert_eq!(lines[3], "transition");
    }

    #[test]
    fn a_slow_command_never_blocks_the_sender() {
        let dir = tempfile::tempdir().unwrap();
        let hook = EventHook::start("sleep 5".into(), dir.path().to_path_buf());
        let sender = hook.sender();
        let started = Instant::now();
        for seq in 0..(QUEUE as i64 + 50) {
            sender.send(&entry(seq, "x"));
        }
        assert!(started.elapsed() < Duration::from_secs(1));
        drop(hook);
    }
}
