//! A new agent process for the same goal (a context rotation), and the handoff
//! note it is given.

use std::io::Write;

use crate::agent::process::{self as agent_process, AgentProcess};
use crate::agent::screen::Screen;
use crate::core::observer::Observer;
use crate::core::row::{HandoffSource, Row, RowKind};
use crate::core::supervisor::Event;
use crate::error::Error;
use crate::terminal;

use super::session::new_session_tail;
use super::shell::{STOP_GRACE, Shell};

/// At most this many characters of a handoff note go to the next process.
pub(super) const HANDOFF_CHARS: usize = 8000;

impl Shell<'_> {
    /// Ends the agent's process and starts a new one for the same goal (a
    /// context rotation); the handoff note the old one wrote goes to the new one.
    pub(super) async fn restart_agent(
        &mut self,
        output: &mut agent_process::Output,
        reason: String,
        handoff_file: Option<String>,
    ) -> Result<Event, Error> {
        let handoff = match &handoff_file {
            Some(file) => self.take_handoff(file)?,
            None => None,
        };
        let status = self.agent.terminate(self.exit.as_mut(), STOP_GRACE).await;
        self.exit = None;
        self.ledger.append(
            &self.goal_id,
            &Row::AgentEnded {
                process: self.process,
                status,
                reason: reason.clone(),
            },
        )?;
        if self.interactive {
            // The new agent draws on a clean screen.
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(b"\x1b[H\x1b[2J");
            let _ = out.flush();
            if let Some(size) = terminal::size() {
                self.status.resized(size);
                (self.launch.rows, self.launch.cols) = self.status.agent_size(size);
            }
            // The clean screen took the status row with it.
            self.status.invalidate();
        }
        self.screen = Screen::new(self.launch.rows, self.launch.cols, !self.interactive);
        self.observer = Observer::for_adapter(&self.spec.adapter);
        // The new process writes a new log; the old one's, written moments ago, is not it.
        self.session_tail = match &self.session_tail {
            Some(tail) => Some(tail.successor(std::time::SystemTime::now())),
            None => new_session_tail(self.spec, &self.launch.env),
        };
        let launch = self.launch_for_restart()?;
        let (agent, new_output, exit) = match AgentProcess::spawn(&launch) {
            Ok(spawned) => spawned,
            Err(err) => {
                self.ledger.append(
                    &self.goal_id,
                    &Row::AgentFailedToStart {
                        error: err.to_string(),
                        process: Some(self.process + 1),
                    },
                )?;
                return Ok(Event::AgentExited {
                    now_ms: self.now_ms(),
                    status: format!("a new agent process could not start: {err}"),
                });
            }
        };
        self.agent = agent;
        *output = new_output;
        self.exit = Some(exit);
        self.process += 1;
        self.ledger.set_running(
            &self.goal_id,
            super::supervise::supervisor_key(),
            Some(self.agent.pid()),
        )?;
        crate::runtime::leftovers::record_group(
            &self.ledger,
            &self.goal_id,
            crate::core::row::GroupRole::Agent,
            self.agent.pid(),
            launch
                .env
                .get(crate::runtime::leftovers::MARK_VAR)
                .map(String::as_str),
        )?;
        self.ledger.append(
            &self.goal_id,
            &Row::AgentStarted {
                pid: self.agent.pid(),
                program: launch.program.display().to_string(),
                args: launch.args.clone(),
                rows: self.launch.rows,
                cols: self.launch.cols,
                process: self.process,
                reason: Some(reason.clone()),
            },
        )?;
        self.start_recording()?;
        if !self.interactive {
            self.say(&format!(
                "agent process {} started (pid {}): {reason}",
                self.process,
                self.agent.pid()
            ));
        }
        Ok(Event::AgentRestarted {
            now_ms: self.now_ms(),
            handoff,
        })
    }

    /// The handoff note the agent wrote to `file` (then removed), else its last
    /// reply; recorded in the ledger either way.
    pub(super) fn take_handoff(&mut self, file: &str) -> Result<Option<String>, Error> {
        let path = self.spec.workdir.join(file);
        let written = std::fs::read_to_string(&path)
            .ok()
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty());
        if written.is_some() {
            let _ = std::fs::remove_file(&path);
            if let Some(dir) = path.parent() {
                // Only when empty: the folder may hold the user's own files.
                let _ = std::fs::remove_dir(dir);
            }
        }
        let (source, text) = match written {
            Some(text) => (HandoffSource::File, Some(text)),
            None => {
                let reply = self
                    .ledger
                    .entries(&self.goal_id)?
                    .into_iter()
                    .rev()
                    .find(|e| e.is(RowKind::TurnEnded))
                    .and_then(|e| match e.row() {
                        Row::TurnEnded { reply, .. } => reply,
                        _ => None,
                    })
                    .filter(|text| !text.trim().is_empty());
                let source = if reply.is_some() {
                    HandoffSource::Reply
                } else {
                    HandoffSource::None
                };
                (source, reply)
            }
        };
        let text = text.map(|text| {
            if text.chars().count() > HANDOFF_CHARS {
                let kept: String = text.chars().take(HANDOFF_CHARS).collect();
                format!("{kept}\n[… the rest of the note was cut]")
            } else {
                text
            }
        });
        self.ledger.append(
            &self.goal_id,
            &Row::Handoff {
                process: self.process,
                file: file.to_string(),
                source,
                text: text.clone(),
            },
        )?;
        Ok(text)
    }
}
