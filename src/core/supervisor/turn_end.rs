//! What happens when a turn ends: its ledger row, the counters, the wrap-up,
//! then the turn's claim or error, or the next prompt.

use crate::core::prompt::PromptKind;
use crate::core::row::Row;
use crate::goal::claim::{Channel, Claim};
use crate::goal::exit_code;
use crate::goal::lifecycle::GoalState;

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;
use super::state::agent_log::excerpt;
use super::state::stall::StallStep;

impl Supervisor {
    pub(super) fn end_turn(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        let Phase::Working {
            kind,
            submitted_ms,
            saw_busy,
            saw_done,
            signalled_by,
            errors,
            ..
        } = self.phase
        else {
            return;
        };
        if self.measure_first(actions) {
            return;
        }
        // A usage limit is the turn's error when both showed.
        let error = errors.the_error();
        let reply = self.reply.clone();
        let mut claim = self.claim.take();
        let bad_wait = self.bad_wait.take();
        self.turns += 1;
        self.processes.turn_ended();
        self.signals.turn_ended(now_ms);
        actions.push(Action::Record(Row::TurnEnded {
            turn: self.turns,
            prompt: kind,
            duration_ms: now_ms.saturating_sub(submitted_ms),
            busy_seen: saw_busy,
            done_seen: saw_done,
            signalled: signalled_by.is_some(),
            signalled_by: signalled_by.map(String::from),
            error,
            tokens_used: self.tokens.used(),
            context_used_pct: self.context.gauge_pct(),
            // The agent's reply (the shell fills it from the screen when the log has none).
            reply: self.reply.take().map(|text| excerpt(&text)),
        }));
        if let Some((used, source)) = self.tokens.unrecorded() {
            let source = source.to_string();
            actions.push(Action::Record(Row::Tokens {
                used,
                source,
                after_stop: false,
            }));
        }
        self.record_quota(actions);
        actions.push(self.progress(now_ms));
        let stall = self.judge_turn(reply.as_deref(), error, actions);
        if kind == PromptKind::BudgetLimit && self.wrap_up_ended(now_ms, &mut claim, actions) {
            return;
        }
        if self.turn_claimed(now_ms, claim, actions) {
            return;
        }
        if let Some((channel, why)) = bad_wait {
            self.refuse_wait(channel, why, actions);
        }
        if let Some(error) = error {
            self.after_error(now_ms, error, actions);
            return;
        }
        self.backoff.clear();
        if let StallStep::Pause { turns } = stall {
            self.stall_pause(now_ms, turns, actions);
            return;
        }
        self.next_turn(now_ms, format!("turn {} ended", self.turns), actions);
    }

    /// The wrap-up turn after a limit ended: the run stops (then `true`),
    /// unless the goal was resumed meanwhile.
    fn wrap_up_ended(
        &mut self,
        now_ms: u64,
        claim: &mut Option<(Channel, Claim)>,
        actions: &mut Vec<Action>,
    ) -> bool {
        actions.push(Action::Record(Row::WrapUpEnded { turn: self.turns }));
        if self.state != GoalState::BudgetLimited {
            return false;
        }
        if let Some((channel, claim)) = claim.take() {
            actions.push(Action::Record(Row::ClaimIgnored {
                channel,
                turn: self.turns,
                claim,
                why: "the goal was already budget-limited".into(),
            }));
        }
        let reason = "the agent wrapped up after a limit was reached".to_string();
        self.stop(now_ms, exit_code::BUDGET_LIMITED, reason, actions);
        true
    }
}
