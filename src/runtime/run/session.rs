//! The agent's session log: where it is, and what it says fed to the core.

use std::path::Path;

use tokio::sync::mpsc;

use crate::agent::session_tail::{self, SessionTail};
use crate::core::log_event::LogEvent;
use crate::core::prompt::PromptKind;
use crate::core::row::Row;
use crate::core::supervisor::Event;
use crate::error::Error;

use super::event_loop::Stopped;
use super::shell::Shell;
use super::spec::RunSpec;

/// The session log of an agent process started now, when the adapter names one.
/// Its folder is where the agent writes: variables from `agent_env` (the
/// adapter's and the run's, such as a private home), else goalie's own.
pub(super) fn new_session_tail(
    spec: &RunSpec,
    agent_env: &std::collections::BTreeMap<String, String>,
) -> Option<SessionTail> {
    let rule = spec.adapter.session_log.as_ref()?;
    let env = |name: &str| {
        agent_env
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    };
    let root = session_tail::resolve_root(&rule.dirs, &env)?;
    // A resumed conversation appends to its old log: those lines are a baseline.
    let resumed = spec
        .resume
        .as_ref()
        .filter(|resumed| resumed.first_prompt != PromptKind::Start);
    let tail = SessionTail::new(
        rule.format,
        root,
        &spec.workdir,
        std::time::SystemTime::now(),
    );
    Some(match resumed {
        None => tail,
        Some(resumed) => match &resumed.session_id {
            Some(id) => tail
                .resuming(Some(id.clone()))
                .resumed_at(resumed.session_path.clone()),
            None => tail.resuming_existing(),
        },
    })
}

impl Shell<'_> {
    /// Feeds what the session log says to the core (after the event loop);
    /// `rescan` also looks for a newer file.
    pub(super) fn read_session_log(
        &mut self,
        rescan: bool,
        done_tx: &mpsc::UnboundedSender<()>,
    ) -> Result<Option<Stopped>, Error> {
        for event in self.poll_session_log(rescan)? {
            let now_ms = self.now_ms();
            let (stopped, _) = self.dispatch(Event::SessionLog { now_ms, event }, done_tx)?;
            if stopped.is_some() {
                return Ok(stopped);
            }
        }
        Ok(None)
    }

    /// What the session log says since the last read (`rescan`: also looks for
    /// a newer file); a `session_log` row when the file is a new one.
    pub(super) fn poll_session_log(&mut self, rescan: bool) -> Result<Vec<LogEvent>, Error> {
        let Some(tail) = self.session_tail.as_mut() else {
            return Ok(Vec::new());
        };
        let before = tail.path().map(Path::to_path_buf);
        let events = tail.poll(rescan);
        if let Some(path) = tail.path()
            && before.as_deref() != Some(path)
        {
            let session_id = crate::agent::session_log::session_id(tail.format(), path);
            let path = path.display().to_string();
            self.ledger
                .append(&self.goal_id, &Row::SessionLog { path, session_id })?;
        }
        Ok(events)
    }

    /// Takes the kernel's news about the session log without reading it yet
    /// (opencode's database, between two reads).
    pub(super) fn drain_session_log(&mut self) {
        if let Some(tail) = self.session_tail.as_mut() {
            tail.note_changes();
        }
    }
}
