//! Carrying out the core's actions: typing prompts, ledger rows, transitions,
//! audits, restarts.

use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use crate::core::prompt::Digest;
use crate::core::prompt::{PromptKind, PromptVars};
use crate::core::row::Row;
use crate::core::supervisor::Action;
use crate::error::Error;
use crate::goal::claim::Claim;
use crate::goal::lifecycle::GoalState;

use super::shell::Shell;

pub(super) fn describe(kind: PromptKind) -> &'static str {
    match kind {
        PromptKind::Start => "objective",
        PromptKind::Continuation => "continuation",
        PromptKind::BudgetLimit => "wrap-up",
        PromptKind::ClaimRejected => "claim-rejected",
        PromptKind::ObjectiveUpdated => "objective-updated",
        PromptKind::AfterCompaction => "after-compaction",
        PromptKind::Handoff => "handoff",
        PromptKind::AfterRotation => "after-rotation",
        PromptKind::AfterWait => "after-wait",
        PromptKind::NoProgress => "no-progress",
        PromptKind::AfterHang => "after-hang",
    }
}

/// Removes control characters (escape above all) from text to be typed, so that
/// nothing in an objective can end a bracketed paste or drive the agent's TUI.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

impl Shell<'_> {
    /// Carries out one action; `Some` when the run is over.
    pub(super) fn perform(
        &mut self,
        action: Action,
        done_tx: &mpsc::UnboundedSender<()>,
    ) -> Result<Option<(i32, String)>, Error> {
        match action {
            Action::Inject { kind, vars, why } => self.inject(kind, vars, why, done_tx)?,
            Action::PromptGiven { kind, why } => self.prompt_given(kind, why, done_tx)?,
            Action::Record(row) => self.record(row)?,
            Action::Submit => self.release_enter(),
            Action::Transition {
                from,
                to,
                actor,
                reason,
            } => {
                self.ledger.set_state(&self.goal_id, to)?;
                self.ledger.append(
                    &self.goal_id,
                    &Row::Transition {
                        from,
                        to,
                        actor,
                        reason: reason.clone(),
                    },
                )?;
                if !self.interactive {
                    self.say(&format!("goal {from} -> {to}: {reason}"));
                }
            }
            Action::Keys { keys } => self.agent.write(keys.into_bytes()),
            Action::Progress {
                turns,
                tokens_used,
                time_used_ms,
            } => {
                self.ledger
                    .set_progress(&self.goal_id, turns, tokens_used, time_used_ms)?;
            }
            Action::RunAudit {
                turn,
                channel,
                claim,
                commands,
            } => {
                let checklist = match claim {
                    Claim::Complete { checklist } => checklist,
                    Claim::Blocked { .. } | Claim::Waiting { .. } => Vec::new(),
                };
                self.ledger
                    .append(&self.goal_id, &Row::AuditStarted { turn, channel })?;
                if !self.interactive {
                    self.say(&format!("auditing the completion claim of turn {turn}"));
                }
                self.auditor.start(checklist, commands);
            }
            Action::RunWaitCheck { run, timeout_ms } => {
                self.wait_checker
                    .start(run, Duration::from_millis(timeout_ms));
            }
            Action::Stop { exit_code, reason } => return Ok(Some((exit_code, reason))),
            Action::RestartAgent {
                reason,
                handoff_file,
            } => self.restart = Some((reason, handoff_file)),
            Action::ResumeAgent { reason } => {
                self.watch.resume = true;
                self.restart = Some((reason, None));
            }
            Action::MeasureProgress { .. } => self.measure_workspace(),
            Action::SetObjective { objective } => {
                self.ledger.set_objective(&self.goal_id, &objective)?;
            }
            Action::SetLimits { limits } => self.ledger.set_limits(&self.goal_id, &limits)?,
            Action::GoalUpdated => {
                let goal = self.snapshot();
                if goal.state == GoalState::Cleared {
                    self.notifier.send("goal/cleared", json!({ "goal": goal }));
                } else {
                    self.notifier.send("goal/updated", json!({ "goal": goal }));
                }
            }
            // Answered where the command came in.
            Action::Reply(_) => {}
        }
        Ok(None)
    }

    /// Renders the prompt of `kind`, records it and types it.
    fn inject(
        &mut self,
        kind: PromptKind,
        mut vars: Box<PromptVars>,
        why: String,
        done_tx: &mpsc::UnboundedSender<()>,
    ) -> Result<(), Error> {
        if matches!(
            kind,
            PromptKind::AfterCompaction | PromptKind::AfterRotation
        ) {
            vars.digest = Some(Digest::from_entries(&self.ledger.entries(&self.goal_id)?));
        }
        let text = self
            .spec
            .prompts
            .render(kind, &vars)
            .map_err(Error::Usage)?;
        let text = sanitize(&text);
        self.observer.typed(&text, &vars.nonce);
        self.ledger.append(
            &self.goal_id,
            &Row::Injection {
                turn: vars.turn,
                prompt: kind,
                why: why.clone(),
                text: text.clone(),
            },
        )?;
        if !self.interactive {
            self.say(&format!(
                "turn {}: typing the {} prompt ({why})",
                vars.turn,
                describe(kind)
            ));
        }
        self.type_text(text, done_tx.clone());
        Ok(())
    }

    /// Records a row the core made, with what only the shell sees added.
    fn record(&mut self, mut row: Row) -> Result<(), Error> {
        if self.panic_for_test && matches!(row, Row::TurnEnded { .. }) {
            panic!("GOALIE_TEST_PANIC: a panic at the end of a turn");
        }
        match &mut row {
            // What the person will want to see when goalie gave up on a screen.
            Row::DialogEscalated { screen, .. } | Row::UnknownScreen { screen, .. } => {
                *screen = Some(self.redacted_text());
            }
            // Without a session log, the agent's reply is what its screen shows last.
            Row::TurnEnded { reply, .. } if reply.is_none() => {
                *reply = self.screen_reply();
            }
            _ => {}
        }
        // Stored first: nothing is printed that the ledger does not hold.
        self.ledger.append(&self.goal_id, &row)?;
        if !self.interactive {
            self.narrate(&row);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_carries_no_control_sequences() {
        assert_eq!(
            sanitize("a\x1b[201~b\r\nc\td\u{9b}e\u{7}"),
            "a[201~b\nc\tde"
        );
    }
}
