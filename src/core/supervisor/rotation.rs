//! A new agent process: for every turn (`--fresh`) or once the context is full enough (`--rotate-at`), after a handoff note.

use super::*;

/// The file the agent writes its handoff note to, relative to its working directory.
pub fn handoff_file(goal_id: &str, process: u32) -> String {
    format!(".goalie/handoff-{goal_id}-{process}.md")
}

impl Supervisor {
    /// Ends this agent process; the shell starts the next one.
    pub(super) fn restart(
        &mut self,
        now_ms: u64,
        reason: String,
        handoff: bool,
        actions: &mut Vec<Action>,
    ) {
        for row in self.compactions.close_all() {
            actions.push(record("compacted", row));
        }
        if let Some(since) = self.idle_since.take() {
            self.idle_total_ms += now_ms.saturating_sub(since);
        }
        actions.push(Action::RestartAgent {
            reason,
            handoff_file: handoff.then(|| handoff_file(&self.config.goal_id, self.process)),
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
        self.process += 1;
        actions.push(record(
            "rotated",
            json!({ "process": self.process, "handoff": handoff.is_some() }),
        ));
        self.phase = Phase::Starting { since_ms: now_ms };
        self.seen = Observation::default();
        self.last_change_ms = now_ms;
        self.dialog = None;
        self.banners = 0;
        self.compaction_candidate = None;
        // The new process knows nothing of the old one's compactions.
        self.compaction_pending = false;
        self.compactions.new_process();
        self.gauge_from_log = false;
        self.gauge_pct = None;
        self.reply = None;
        self.token_base = self.tokens_used;
        self.process_turns = 0;
        self.handoff_asked = false;
        self.rotated = Some(handoff);
    }
}
