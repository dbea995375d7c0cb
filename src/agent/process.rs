//! The agent CLI in a pseudo-terminal (portable-pty): spawn, read, write,
//! resize, and end its whole process tree.
//!
//! The output is read in the event loop itself (`process_output.rs`); the
//! blocking `wait` runs on a thread of its own and feeds a channel; one
//! writer thread owns the PTY's write side, so bytes from the person and
//! from goalie never interleave mid-sequence.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use nix::sys::signal::Signal;
use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use tokio::sync::oneshot;

use crate::agent::process_output;
pub use crate::agent::process_output::Output;
use crate::agent::process_tree;

/// Answers to terminal queries are dropped while this much input already waits for
/// the agent to read it: an agent that keeps asking without reading would otherwise
/// grow goalie's queue without end (about 15 KB per MB of its output).
pub const MAX_QUEUED_FOR_REPLIES: usize = 64 * 1024;

/// And while this much of what waits is answers: an agent that asks without
/// reading gets at most this much stale answers from goalie once it reads
/// again (the kernel's PTY buffer holds what was written before it filled).
pub const MAX_QUEUED_REPLIES: usize = 4 * 1024;

/// The running agent's leader pid, for the panic hook (0: none).
static LEADER: AtomicU32 = AtomicU32::new(0);

/// What to start.
#[derive(Debug, Clone)]
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Variables of goalie's environment the agent must not see.
    pub env_remove: Vec<String>,
    pub workdir: PathBuf,
    pub rows: u16,
    pub cols: u16,
}

/// A problem starting the agent.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("cannot find the agent program `{program}` on PATH (is it installed?)")]
    NotFound { program: String },
    #[error("cannot start the agent `{program}`: {message}")]
    Failed { program: String, message: String },
}

/// The running agent.
pub struct AgentProcess {
    pid: u32,
    master: Box<dyn MasterPty + Send>,
    writer: Input,
    /// Every process that belonged to the agent the last time we looked.
    known: BTreeSet<(u32, u64)>,
}

/// Queues bytes for the agent's input (a handle for other tasks too), counting
/// the bytes not yet written.
#[derive(Clone)]
pub struct Input {
    tx: std::sync::mpsc::Sender<Typed>,
    queued: Arc<AtomicUsize>,
    /// Of those, the bytes of answers to terminal queries.
    replies: Arc<AtomicUsize>,
}

/// Bytes for the writer thread, and whether they answer a terminal query.
type Typed = (Vec<u8>, bool);

impl Input {
    pub fn send(&self, bytes: Vec<u8>) -> Result<(), std::sync::mpsc::SendError<Vec<u8>>> {
        self.queued.fetch_add(bytes.len(), Ordering::SeqCst);
        self.tx
            .send((bytes, false))
            .map_err(|err| std::sync::mpsc::SendError(err.0.0))
    }

    fn send_reply(&self, bytes: Vec<u8>) {
        self.queued.fetch_add(bytes.len(), Ordering::SeqCst);
        self.replies.fetch_add(bytes.len(), Ordering::SeqCst);
        let _ = self.tx.send((bytes, true));
    }
}

/// How the agent's process ended, once it has.
pub type Exit = oneshot::Receiver<String>;

/// Finds `program` the way a shell would: a path as given, else on PATH.
pub fn resolve(program: &str, workdir: &Path) -> Result<PathBuf, SpawnError> {
    let not_found = || SpawnError::NotFound {
        program: program.to_string(),
    };
    if program.contains('/') {
        let path = workdir.join(program);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(not_found())
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|path| is_executable(path))
        .ok_or_else(not_found)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// The agent's command line, working directory and environment (a `TERM`
/// it can draw with, unless goalie's own is one).
fn command_for(launch: &Launch) -> CommandBuilder {
    let mut command = CommandBuilder::new(&launch.program);
    command.args(&launch.args);
    command.cwd(&launch.workdir);
    let term = std::env::var("TERM").unwrap_or_default();
    if term.is_empty() || term == "dumb" {
        command.env("TERM", "xterm-256color");
    }
    for key in &launch.env_remove {
        command.env_remove(key);
    }
    for (key, value) in &launch.env {
        command.env(key, value);
    }
    command
}

/// A thread that waits for the agent to exit and says how it ended.
fn wait_for_exit(mut child: Box<dyn portable_pty::Child + Send + Sync>) -> std::io::Result<Exit> {
    let (exit_tx, exit_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("agent-wait".into())
        .spawn(move || {
            let status = match child.wait() {
                Ok(status) => match status.signal() {
                    Some(signal) => format!("killed by {signal}"),
                    None => format!("exit code {}", status.exit_code()),
                },
                Err(err) => format!("unknown status: {err}"),
            };
            let _ = exit_tx.send(status);
        })?;
    Ok(exit_rx)
}

/// The PTY's single writer: a thread that types the bytes it is sent (the
/// PTY is non-blocking: it waits for room, `process_output::write_all`).
/// Also returns the count of bytes queued and not yet written.
fn write_input(mut pty_writer: File) -> std::io::Result<Input> {
    let (writer_tx, writer_rx) = std::sync::mpsc::channel::<Typed>();
    let input = Input {
        tx: writer_tx,
        queued: Arc::new(AtomicUsize::new(0)),
        replies: Arc::new(AtomicUsize::new(0)),
    };
    let (written, replied) = (input.queued.clone(), input.replies.clone());
    std::thread::Builder::new()
        .name("agent-input".into())
        .spawn(move || {
            while let Ok((bytes, reply)) = writer_rx.recv() {
                if process_output::write_all(&mut pty_writer, &bytes).is_err() {
                    break;
                }
                written.fetch_sub(bytes.len(), Ordering::SeqCst);
                if reply {
                    replied.fetch_sub(bytes.len(), Ordering::SeqCst);
                }
            }
        })?;
    Ok(input)
}

impl AgentProcess {
    /// Starts the agent in a new PTY of the given size, in its working directory.
    pub fn spawn(launch: &Launch) -> Result<(AgentProcess, Output, Exit), SpawnError> {
        let program = launch.program.display().to_string();
        let fail = |message: String| SpawnError::Failed {
            program: program.clone(),
            message,
        };
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: launch.rows.max(2),
                cols: launch.cols.max(2),
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|err| fail(format!("cannot open a pseudo-terminal: {err:#}")))?;
        let child = pair
            .slave
            .spawn_command(command_for(launch))
            .map_err(|err| fail(format!("{err:#}")))?;
        // The slave must close here, or the reader never sees the end of output.
        drop(pair.slave);
        let pid = child.process_id().unwrap_or(0);
        LEADER.store(pid, Ordering::SeqCst);

        let master_fd = pair
            .master
            .as_raw_fd()
            .ok_or_else(|| fail("the pseudo-terminal has no descriptor".into()))?;
        let dup = || process_output::dup_fd(master_fd).map_err(|err| fail(err.to_string()));
        let output_rx = Output::new(dup()?).map_err(|err| fail(err.to_string()))?;
        let pty_writer = File::from(dup()?);
        let exit_rx = wait_for_exit(child).map_err(|err| fail(err.to_string()))?;
        let writer = write_input(pty_writer).map_err(|err| fail(err.to_string()))?;

        let process = AgentProcess {
            pid,
            master: pair.master,
            writer,
            known: BTreeSet::new(),
        };
        Ok((process, output_rx, exit_rx))
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Queues bytes for the agent's input.
    pub fn write(&self, bytes: Vec<u8>) {
        let _ = self.writer.send(bytes);
    }

    /// Queues goalie's answer to a terminal query, unless more than
    /// [`MAX_QUEUED_FOR_REPLIES`] bytes, or [`MAX_QUEUED_REPLIES`] of answers,
    /// wait already (the agent is not reading);
    /// whether it was queued.
    pub fn answer(&self, bytes: Vec<u8>) -> bool {
        if self.queued() + bytes.len() > MAX_QUEUED_FOR_REPLIES
            || self.queued_replies() + bytes.len() > MAX_QUEUED_REPLIES
        {
            return false;
        }
        self.writer.send_reply(bytes);
        true
    }

    /// Answers to terminal queries queued and not yet written.
    pub fn queued_replies(&self) -> usize {
        self.writer.replies.load(Ordering::SeqCst)
    }

    /// Bytes queued for the agent's input and not yet written.
    pub fn queued(&self) -> usize {
        self.writer.queued.load(Ordering::SeqCst)
    }

    /// A handle that queues bytes for the agent's input from another task.
    pub fn writer(&self) -> Input {
        self.writer.clone()
    }

    pub fn resize(&self, rows: u16, cols: u16) {
        let _ = self.master.resize(PtySize {
            rows: rows.max(2),
            cols: cols.max(2),
            pixel_width: 0,
            pixel_height: 0,
        });
    }

    /// Notes the agent's current processes, so that descendants that later
    /// lose their parent (and so their link to the agent) are still ended.
    /// Cheap: it walks down the agent's own tree (see
    /// [`process_tree::living_descendants`]).
    /// The CPU time (user and system, with that of reaped children) the
    /// agent's processes have used so far, in ms, as of the last
    /// [`refresh_members`](Self::refresh_members).
    pub fn cpu_ms(&self) -> u64 {
        let ticks = process_tree::cpu_ticks(self.pid, &self.known);
        // SAFETY: sysconf only reads a system constant.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let per_second = u64::try_from(per_second)
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or(100);
        ticks.saturating_mul(1000) / per_second
    }

    pub fn refresh_members(&mut self) {
        self.known = process_tree::living_descendants(self.pid, &self.known)
            .unwrap_or_else(|| process_tree::living_members(self.pid, &self.known));
    }

    /// Notes every process of the agent: its session and process group too.
    fn find_all_members(&mut self) {
        self.known = process_tree::living_members(self.pid, &self.known);
    }

    /// Ends the agent: SIGHUP and SIGTERM to all its processes, up to `grace`
    /// for them to go, then SIGKILL to whatever is left. `exit` is the
    /// receiver from [`AgentProcess::spawn`], or `None` once it has fired.
    pub async fn terminate(&mut self, exit: Option<&mut Exit>, grace: Duration) -> Option<String> {
        self.find_all_members();
        let mut status = None;
        if let Some(exit) = exit {
            process_tree::signal_all(self.pid, &self.known, Signal::SIGHUP);
            process_tree::signal_all(self.pid, &self.known, Signal::SIGTERM);
            status = tokio::time::timeout(grace, &mut *exit)
                .await
                .ok()
                .and_then(Result::ok);
            if status.is_none() {
                self.find_all_members();
                process_tree::signal_all(self.pid, &self.known, Signal::SIGKILL);
                status = tokio::time::timeout(Duration::from_secs(5), exit)
                    .await
                    .ok()
                    .and_then(Result::ok);
            }
        }
        // Whatever the leader left behind: its group, its session, descendants.
        let mut leftovers = process_tree::living_members(self.pid, &self.known);
        if !leftovers.is_empty() {
            process_tree::signal_all(self.pid, &leftovers, Signal::SIGTERM);
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                leftovers = process_tree::living_members(self.pid, &leftovers);
                if leftovers.is_empty() {
                    break;
                }
            }
            process_tree::signal_all(self.pid, &leftovers, Signal::SIGKILL);
        }
        LEADER.store(0, Ordering::SeqCst);
        status
    }
}

/// For the panic hook: kill the running agent's processes, if any.
pub fn kill_running_agent() {
    let leader = LEADER.swap(0, Ordering::SeqCst);
    if leader != 0 {
        let members = process_tree::living_members(leader, &BTreeSet::new());
        process_tree::signal_all(leader, &members, Signal::SIGKILL);
    }
}

#[cfg(test)]
mod flood_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_to_an_agent_that_never_reads_stay_bounded() {
        let launch = Launch {
            program: PathBuf::from("/bin/sleep"),
            args: vec!["30".into()],
            env: BTreeMap::new(),
            env_remove: Vec::new(),
            workdir: std::env::temp_dir(),
            rows: 24,
            cols: 80,
        };
        let (mut agent, _output, exit) = AgentProcess::spawn(&launch).expect("spawn sleep");
        // 4 MB of cursor-position answers: far more than the kernel's PTY buffers hold.
        let reply = b"\x1b[12;40R".to_vec();
        let attempts = 4 * 1024 * 1024 / reply.len();
        let accepted = (0..attempts)
            .filter(|_| agent.answer(reply.clone()))
            .count();
        assert!(
            agent.queued() <= MAX_QUEUED_FOR_REPLIES,
            "{}",
            agent.queued()
        );
        assert!(accepted < attempts / 4, "{accepted} of {attempts} queued");
        // What goalie types is never dropped, however much waits.
        for _ in 0..8 {
            agent.write(vec![b'x'; 16 * 1024]);
        }
        assert!(
            agent.queued() > MAX_QUEUED_FOR_REPLIES,
            "{}",
            agent.queued()
        );
        assert!(!agent.answer(reply));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut exit = exit;
        runtime.block_on(agent.terminate(Some(&mut exit), Duration::from_secs(5)));
    }
}
