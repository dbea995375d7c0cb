//! The first prompt on the agent's command line: an agent that takes its
//! first prompt as an argument (the adapter's `prompt_args`) starts its
//! first turn as soon as it can, instead of goalie waiting for its input box
//! to type it. The turn is turn 1 as a typed one would be: the same prompt,
//! nonce and rows, and the same turn-end rules; only the typing is left out.
//!
//! The agent holds the prompt until it is past its start: its dialogs (a
//! folder's trust) are answered, or escalated, as before the typed prompt,
//! and the turn begins with the first look that shows the agent took it in
//! (a busy sign, or its input box with no dialog and no start screen still
//! being drawn). A goal paused on a start dialog has had no turn.

use crate::core::prompt::{PromptKind, PromptVars};
use crate::goal::lifecycle::GoalState;

use super::Supervisor;
use super::phase::Phase;

impl Supervisor {
    /// Before the run's first agent process starts: when its first prompt
    /// is the start prompt of a new goal with nothing to wait for first (no
    /// usage limit's reset, no note of an earlier run), the prompt's kind and
    /// fill for the shell to pass on the command line; the turn then begins
    /// once the agent shows it took it ([`super::Action::PromptGiven`]).
    /// Otherwise `None`, and nothing changed: the prompt is typed once the
    /// agent is ready.
    pub fn prompt_at_launch(&mut self, now_ms: u64) -> Option<(PromptKind, Box<PromptVars>)> {
        let fresh = matches!(self.phase, Phase::Starting { .. })
            && !self.started
            && !self.at_launch
            && self.state == GoalState::Pursuing
            && self.config.first_prompt == PromptKind::Start
            && self.config.reset_wait.is_none()
            && self.config.objective_changed_from.is_none()
            && self.wait.is_none()
            && self.wait_note.is_none()
            && !self.processes.rotated()
            && !self.context.pending()
            && self.rejection_reasons.is_empty()
            && self.notice.is_none()
            && self.limit_reached(now_ms).is_none();
        if !fresh {
            return None;
        }
        self.at_launch = true;
        let vars = self.prompt_vars(now_ms, PromptKind::Start);
        Some((PromptKind::Start, Box::new(vars)))
    }

    /// The screen shows the agent took in the prompt on its command line: it
    /// works, or it shows its input box past its start (no dialog, no start
    /// screen still being drawn).
    pub(super) fn took_launch_prompt(&self) -> bool {
        let seen = self.screen.seen();
        seen.dialog.is_none() && (seen.busy || (seen.idle && !seen.starting))
    }
}
