//! The shell's side of the no-progress breaker and the hung-turn watch: the
//! core's watchdog config from the flags and the goal spec, the workspace
//! measured at each turn's end, the agent's CPU time, and the restart of a
//! hung agent on its own session.

use std::path::Path;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use crate::agent::process::Launch;
use crate::agent::session_tail::SessionTail;
use crate::core::config::{DEFAULT_STALL_TURNS, DEFAULT_TURN_TIMEOUT_MS, Watchdog};
use crate::core::row::{Row, RowKind};
use crate::core::supervisor::Event;
use crate::error::Error;
use crate::goal::spec::GoalSpec;

use super::shell::Shell;
use super::spec::RunSpec;
use super::work_stats::walk_due;

/// The core's watchdog: the resolved `stall_turns` (for a goal created
/// without one, `stop.stall_turns`, else 3), `turn_timeout` (else 30 minutes;
/// 0 is off) and the adapter's interrupt keys.
pub(super) fn config(spec: &RunSpec, goal_spec: &GoalSpec) -> Watchdog {
    Watchdog {
        measure_progress: true,
        stall_turns: spec
            .stall_turns
            .or(goal_spec.stop.stall_turns)
            .unwrap_or(DEFAULT_STALL_TURNS),
        turn_timeout_ms: Some(spec.turn_timeout_ms.unwrap_or(DEFAULT_TURN_TIMEOUT_MS))
            .filter(|ms| *ms > 0),
        interrupt: spec.adapter.interrupt.concat(),
    }
}

impl Shell<'_> {
    /// The core asked for the workspace: measured on tokio's blocking pool
    /// (git may take seconds, hashing reads files), heard by the loop as an
    /// event when done. One measurement at a time: the tracker's lock keeps
    /// them in the order they were asked for (the core asks once per turn).
    pub(super) fn measure_workspace(&mut self) {
        let tracker = Arc::clone(&self.watch.tracker);
        let done = self.watch.measured_tx.clone();
        let screen_reply = self.screen_reply();
        self.watch.asked += 1;
        let asked = self.watch.asked;
        tokio::task::spawn_blocking(move || {
            let workspace = tracker
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .tracker()
                .measure();
            let _ = done.send((asked, workspace, screen_reply));
        });
    }

    /// The periodic look at the agent's tree: its processes walked when that
    /// matters ([`walk_due`]), then its CPU time read, for the core.
    pub(super) fn look_at_tree(&mut self) -> Option<Event> {
        let silent = self.core.turn_silent_ms(self.now_ms());
        if walk_due(silent, self.watch.last_walk.map(|at| at.elapsed())) {
            self.agent.refresh_members();
            self.watch.last_walk = Some(Instant::now());
            self.watch.work.tree_walks += 1;
        }
        let cpu = self.agent_cpu();
        if cpu.is_some() {
            self.watch.work.cpu_reads += 1;
        }
        cpu
    }

    /// The CPU time of the agent's tree, when hung turns are watched for.
    pub(super) fn agent_cpu(&self) -> Option<Event> {
        self.core.watches_hangs().then(|| Event::AgentCpu {
            now_ms: self.now_ms(),
            cpu_ms: self.agent.cpu_ms(),
        })
    }

    /// How the next agent process starts: as the last, or (after a hang) on
    /// its own session with the adapter's resume arguments, when it has them
    /// and goalie knows the session.
    pub(super) fn launch_for_restart(&mut self) -> Result<Launch, Error> {
        let mut launch = self.launch.clone();
        if !std::mem::take(&mut self.watch.resume) {
            return Ok(launch);
        }
        let session_id = self
            .ledger
            .entries(&self.goal_id)?
            .into_iter()
            .rev()
            .find(|e| e.is(RowKind::SessionLog))
            .and_then(|e| match e.row() {
                Row::SessionLog { session_id, .. } => session_id,
                _ => None,
            });
        let exe = std::env::current_exe()
            .map_err(|err| Error::io("cannot find goalie's own path", err))?;
        if let Some(args) = self
            .spec
            .adapter
            .resume_launch_args(&exe, session_id.as_deref())
        {
            // The run's own arguments (MCP, hook, those after `--`) follow the
            // adapter's: only those are replaced.
            let resumed_id = self.spec.resume.as_ref().and_then(|r| r.session_id.clone());
            let bases = [
                Some(self.spec.adapter.launch_args(&exe)),
                self.spec
                    .adapter
                    .resume_launch_args(&exe, resumed_id.as_deref()),
            ];
            launch.args = swap_base(&launch.args, &bases, args);
            // The resumed session appends to the log it had: follow that one.
            if let Some(tail) = &self.session_tail {
                let path = tail.path().map(Path::to_path_buf);
                let root = tail.root().to_path_buf();
                self.session_tail = Some(
                    SessionTail::new(
                        tail.format(),
                        root,
                        &self.spec.workdir,
                        std::time::SystemTime::now(),
                    )
                    .resuming(session_id)
                    .resumed_at(path),
                );
            }
        }
        Ok(launch)
    }
}

/// `args` with the longest of `bases` that begins them replaced by `base`.
fn swap_base(args: &[String], bases: &[Option<Vec<String>>], base: Vec<String>) -> Vec<String> {
    let rest = bases
        .iter()
        .flatten()
        .filter(|old| args.starts_with(old))
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    base.into_iter()
        .chain(args[rest..].iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_restart_on_the_session_keeps_the_runs_own_arguments() {
        let run = words("--mcp x --hook y -- --model m");
        let fresh = Some(Vec::new());
        assert_eq!(
            swap_base(&run, &[fresh.clone(), None], words("resume id")),
            words("resume id --mcp x --hook y -- --model m")
        );
        let resumed = words("resume old --mcp x");
        assert_eq!(
            swap_base(
                &resumed,
                &[fresh, Some(words("resume old"))],
                words("resume new")
            ),
            words("resume new --mcp x"),
            "the longest base that matches"
        );
    }
}
