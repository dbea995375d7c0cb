//! A new agent process: for every turn (`--fresh`), or once the context is
//! full enough (`--rotate-at`), after asking the old one for a handoff note.

use crate::core::prompt::PromptKind;
use crate::core::row::Row;

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;
use super::state::RotationStep;
use super::state::processes::handoff_file;

impl Supervisor {
    /// Rotates the agent's process if it is time: whether it did (or asked
    /// for the handoff note first).
    pub(super) fn rotate(&mut self, now_ms: u64, actions: &mut Vec<Action>) -> bool {
        let gauge_pct = self.context.gauge_pct();
        match self.processes.step(self.config.rotation, gauge_pct) {
            None => false,
            Some(RotationStep::Restart { handoff: false }) => {
                let reason = "fresh context: a new agent process for every turn".to_string();
                self.restart(now_ms, reason, false, actions);
                true
            }
            Some(RotationStep::Restart { handoff: true }) => {
                let reason = "context rotation: the agent wrote its handoff note".to_string();
                self.restart(now_ms, reason, true, actions);
                true
            }
            Some(RotationStep::AskHandoff {
                used_pct,
                threshold,
            }) => {
                let why = format!("the context is {used_pct}% full (rotation at {threshold}%)");
                actions.push(Action::Record(Row::RotationStarted {
                    process: self.processes.number(),
                    context_used_pct: gauge_pct,
                    threshold_pct: threshold,
                }));
                self.inject(now_ms, PromptKind::Handoff, why, actions);
                true
            }
        }
    }

    /// Ends this agent process; the shell starts the next one.
    fn restart(&mut self, now_ms: u64, reason: String, handoff: bool, actions: &mut Vec<Action>) {
        for row in self.context.close_all() {
            actions.push(Action::Record(Row::Compacted(row)));
        }
        self.idle.end(now_ms);
        let process = self.processes.number();
        actions.push(Action::RestartAgent {
            reason,
            handoff_file: handoff.then(|| handoff_file(&self.config.goal_id, process)),
        });
        self.phase = Phase::Restarting;
    }

    /// A new agent process runs: it starts from nothing but its first prompt.
    pub(super) fn on_restarted(
        &mut self,
        now_ms: u64,
        handoff: Option<String>,
        actions: &mut Vec<Action>,
    ) {
        if self.phase != Phase::Restarting {
            return;
        }
        let noted = handoff.is_some();
        self.processes.restarted(handoff);
        self.tools_reset(true);
        actions.push(Action::Record(Row::Rotated {
            process: self.processes.number(),
            handoff: noted,
        }));
        self.phase = Phase::Starting { since_ms: now_ms };
        self.screen.new_process(now_ms);
        self.dialog.clear();
        self.context.new_process();
        self.reply = None;
        self.tokens.new_process();
        self.watch_new_process();
    }
}
