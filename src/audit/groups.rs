//! The verify commands' process groups while they run: told to whoever
//! records them (the runtime writes a `group_started` row, so that a later
//! goalie can end what a killed one left), and ended at once, all of them,
//! when the run stops (a signal, the end of the goal), never waited for.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Told the process group id of each verify command as it starts.
pub type OnStart = Arc<dyn Fn(u32) + Send + Sync>;

/// The running verify commands' process groups, shared by the audits of a
/// run and the run itself.
#[derive(Clone, Default)]
pub struct VerifyGroups {
    state: Arc<Mutex<State>>,
    on_start: Option<OnStart>,
    /// Variables set for every command (the run's mark, which a command's
    /// descendants inherit wherever they move).
    env: Arc<Vec<(String, String)>>,
}

#[derive(Default)]
struct State {
    running: BTreeSet<u32>,
    stopped: bool,
}

impl VerifyGroups {
    /// Groups that tell `on_start` of each group that starts.
    pub fn new(on_start: OnStart) -> VerifyGroups {
        VerifyGroups {
            state: Arc::default(),
            on_start: Some(on_start),
            env: Arc::default(),
        }
    }

    /// These groups, their commands started with `env` set.
    pub fn with_env(mut self, env: Vec<(String, String)>) -> VerifyGroups {
        self.env = Arc::new(env);
        self
    }

    /// What is set in each command's environment.
    pub(super) fn env(&self) -> &[(String, String)] {
        &self.env
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A verify command's group started; false when the run is stopping (the
    /// caller ends it at once).
    pub(super) fn started(&self, pgid: u32) -> bool {
        {
            let mut state = self.state();
            if state.stopped {
                return false;
            }
            state.running.insert(pgid);
        }
        if let Some(on_start) = &self.on_start {
            on_start(pgid);
        }
        true
    }

    /// The group's command ended (its group was killed if it ran too long).
    pub(super) fn ended(&self, pgid: u32) {
        self.state().running.remove(&pgid);
    }

    /// Whether the run is stopping: no further verify command starts.
    pub fn is_stopped(&self) -> bool {
        self.state().stopped
    }

    /// Ends every running verify group now (SIGKILL to the whole group) and
    /// lets no other start; returns how many there were.
    pub fn stop_all(&self) -> usize {
        let mut state = self.state();
        state.stopped = true;
        for &pgid in &state.running {
            kill_group(pgid);
        }
        state.running.len()
    }
}

/// SIGKILL to the process group `pgid`.
pub(super) fn kill_group(pgid: u32) {
    if let Ok(pgid) = i32::try_from(pgid)
        && pgid > 1
    {
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
}
