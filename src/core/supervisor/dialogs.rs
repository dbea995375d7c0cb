//! Known dialogs on the agent's screen: answered by the adapter's policy
//! once still, again if they stay, or escalated to a person.

use crate::core::config::DialogPolicy;
use crate::core::row::Row;

use super::Supervisor;
use super::action::Action;
use super::state::DialogStep;

impl Supervisor {
    /// A known dialog is on screen: answer it by its policy once it has been
    /// still for the quiet window, or escalate.
    pub(super) fn on_dialog(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        let Some(index) = self.dialog.shown() else {
            return;
        };
        let Some(rule) = self.config.dialogs.get(index).cloned() else {
            return;
        };
        let still_ms = self.screen.still_ms(now_ms);
        let quiet_ms = self.config.timing.quiet_ms;
        let keys = match self.dialog.step(now_ms, still_ms, quiet_ms, rule.policy) {
            DialogStep::Wait => return,
            DialogStep::Escalate => {
                actions.push(Action::Record(Row::DialogEscalated {
                    dialog: rule.name.clone(),
                    policy: Some(DialogPolicy::Escalate),
                    answers: None,
                    screen: None,
                }));
                let reason = format!(
                    "the agent shows its `{}` dialog, which the adapter says a person must answer",
                    rule.name
                );
                self.escalate(now_ms, reason, actions);
                return;
            }
            DialogStep::GiveUp { answers } => {
                actions.push(Action::Record(Row::DialogEscalated {
                    dialog: rule.name.clone(),
                    policy: None,
                    answers: Some(answers),
                    screen: None,
                }));
                let reason = format!(
                    "the agent's `{}` dialog stayed after {} answers",
                    rule.name, answers
                );
                self.escalate(now_ms, reason, actions);
                return;
            }
            DialogStep::Answer { times } => {
                actions.push(Action::Record(Row::DialogAnswered {
                    dialog: rule.name.clone(),
                    answer: rule.policy,
                    times,
                }));
                match rule.policy {
                    DialogPolicy::Deny => rule.deny,
                    _ => rule.accept,
                }
            }
        };
        actions.push(Action::Keys { keys });
    }
}
