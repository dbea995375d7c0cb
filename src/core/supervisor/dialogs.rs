//! Known dialogs on the agent's screen: answered by the adapter's policy, or escalated.

use super::*;

/// How many times a dialog is answered before goalie gives up and escalates.
pub(super) const MAX_ANSWERS: u32 = 3;

/// How long after an answer before the same dialog is answered again.
pub(super) const ANSWER_AGAIN_MS: u64 = 3000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DialogSeen {
    pub(super) index: usize,
    pub(super) since_ms: u64,
    pub(super) answers: u32,
    pub(super) last_answer_ms: Option<u64>,
}

impl Supervisor {
    /// A known dialog is on screen: answer it by its policy once it has been
    /// still for the quiet window, or escalate.
    pub(super) fn on_dialog(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        let Some(mut dialog) = self.dialog else {
            return;
        };
        let Some(rule) = self.config.dialogs.get(dialog.index).cloned() else {
            return;
        };
        let still = now_ms.saturating_sub(self.last_change_ms) >= self.config.timing.quiet_ms
            && now_ms.saturating_sub(dialog.since_ms) >= self.config.timing.quiet_ms;
        let answered_recently = dialog
            .last_answer_ms
            .is_some_and(|at| now_ms.saturating_sub(at) < ANSWER_AGAIN_MS);
        if !still || answered_recently {
            return;
        }
        let keys = match rule.policy {
            DialogPolicy::Escalate => {
                actions.push(record(
                    "dialog_escalated",
                    json!({ "dialog": rule.name, "policy": "escalate" }),
                ));
                let reason = format!(
                    "the agent shows its `{}` dialog, which the adapter says a person must answer",
                    rule.name
                );
                self.escalate(now_ms, reason, actions);
                return;
            }
            _ if dialog.answers >= MAX_ANSWERS => {
                actions.push(record(
                    "dialog_escalated",
                    json!({ "dialog": rule.name, "answers": dialog.answers }),
                ));
                let reason = format!(
                    "the agent's `{}` dialog stayed after {} answers",
                    rule.name, dialog.answers
                );
                self.escalate(now_ms, reason, actions);
                return;
            }
            DialogPolicy::Accept => rule.accept,
            DialogPolicy::Deny => rule.deny,
        };
        dialog.answers += 1;
        dialog.last_answer_ms = Some(now_ms);
        self.dialog = Some(dialog);
        actions.push(record(
            "dialog_answered",
            json!({ "dialog": rule.name, "answer": rule.policy.as_str(), "times": dialog.answers }),
        ));
        actions.push(Action::Keys { keys });
    }
}
