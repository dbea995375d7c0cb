//! Running one verify command for the audit: in its own process group,
//! its output collected on a thread (and shortened for the ledger), killed
//! at its timeout, its outcome put in words.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Output kept from a verify command: this much of its start and of its end.
const KEEP_HEAD: usize = 2_000;
const KEEP_TAIL: usize = 6_000;
/// Output read from a verify command at most (the rest is drained, not kept).
const READ_MAX: usize = 4 << 20;
/// Lines of a failing command's output quoted in the reason the agent is shown.
const REASON_TAIL_LINES: usize = 12;

/// Starts `sh -c run` in `workdir` in a process group of its own, with
/// `env` set, its stdout and stderr into one pipe; returns the child and
/// the pipe's read end.
pub(super) fn start(
    workdir: &Path,
    run: &str,
    env: &[(String, String)],
) -> std::io::Result<(std::process::Child, std::io::PipeReader)> {
    let (reader, writer) = std::io::pipe()?;
    let writer_err = writer.try_clone()?;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(run)
        .current_dir(workdir)
        .envs(env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer_err)
        .process_group(0);
    let child = command.spawn()?;
    drop(command); // closes our copies of the pipe's write end
    Ok((child, reader))
}

/// Reads the pipe on a thread of its own, keeping up to `READ_MAX` bytes;
/// the receiver hears when the pipe is closed.
pub(super) fn collect(
    mut reader: std::io::PipeReader,
) -> (Arc<Mutex<Vec<u8>>>, std::sync::mpsc::Receiver<()>) {
    let output = Arc::new(Mutex::new(Vec::new()));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    {
        let output = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut out = output.lock().unwrap_or_else(|e| e.into_inner());
                        if out.len() < READ_MAX {
                            out.extend_from_slice(&buf[..n]);
                        }
                    }
                }
            }
            let _ = done_tx.send(());
        });
    }
    (output, done_rx)
}

/// The child's exit status, or none when it ran past `deadline` (then its
/// process group is killed) or could not be waited for.
pub(super) fn wait_or_kill(
    child: &mut std::process::Child,
    deadline: Instant,
) -> Option<std::process::ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(child.id() as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    }
}

/// Whether the command passed, its exit code, and the words for it (with
/// the end of its output when it failed).
pub(super) fn outcome(
    run: &str,
    status: Option<std::process::ExitStatus>,
    timeout: Duration,
    text: &str,
) -> (bool, Option<i32>, String) {
    match status {
        None => (
            false,
            None,
            format!(
                "`{run}` did not finish within {}; it was stopped",
                crate::goal::units::format_duration(
                    u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)
                )
            ),
        ),
        Some(status) if status.success() => (true, Some(0), format!("`{run}` passed")),
        Some(status) => {
            use std::os::unix::process::ExitStatusExt;
            let how = match (status.code(), status.signal()) {
                (Some(code), _) => format!("exited with status {code}"),
                (None, Some(signal)) => format!("was killed by signal {signal}"),
                (None, None) => "failed".to_string(),
            };
            let tail = last_lines(text, REASON_TAIL_LINES);
            let detail = if tail.is_empty() {
                format!("`{run}` {how} (no output)")
            } else {
                format!("`{run}` {how}; the end of its output:\n{tail}")
            };
            (false, status.code(), detail)
        }
    }
}

/// Keeps the start and the end of long output, saying how much was cut.
pub fn shorten(text: &str) -> String {
    if text.len() <= KEEP_HEAD + KEEP_TAIL {
        return text.to_string();
    }
    let head_end = floor_boundary(text, KEEP_HEAD);
    let tail_start = ceil_boundary(text, text.len() - KEEP_TAIL);
    format!(
        "{}\n… [{} bytes cut] …\n{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    )
}

pub(super) fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let tail = lines[lines.len().saturating_sub(n)..].join("\n");
    if tail.len() > 1500 {
        let start = ceil_boundary(&tail, tail.len() - 1500);
        format!("…{}", &tail[start..])
    } else {
        tail
    }
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}
