//! What happens when a turn ends: its ledger row, the counters, the wrap-up,
//! then the turn's claim or error, or the next prompt.

use serde_json::json;

use crate::core::prompt::PromptKind;
use crate::goal::claim::{Channel, Claim};
use crate::goal::exit_code;
use crate::goal::lifecycle::GoalState;

use super::Supervisor;
use super::action::{Action, record};
use super::phase::Phase;
use super::state::agent_log::excerpt;
use super::turn_error::TurnError;

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
        // A usage limit is the turn's error when both showed.
        let error = errors.the_error();
        let mut claim = self.claim.take();
        self.turns += 1;
        self.processes.turn_ended();
        self.signals.turn_ended();
        actions.push(record(
            "turn_ended",
            json!({
                "turn": self.turns,
                "prompt": kind.as_str(),
                "duration_ms": now_ms.saturating_sub(submitted_ms),
                "busy_seen": saw_busy,
                "done_seen": saw_done,
                "signalled": signalled_by.is_some(),
                "signalled_by": signalled_by,
                "error": error.map(TurnError::as_str),
                "tokens_used": self.tokens.used(),
                "context_used_pct": self.context.gauge_pct(),
                // The agent's reply (the shell fills it from the screen when the log has none).
                "reply": self.reply.take().map(|text| excerpt(&text)),
            }),
        ));
        if let Some((used, source)) = self.tokens.unrecorded() {
            actions.push(record("tokens", json!({ "used": used, "source": source })));
        }
        actions.push(self.progress(now_ms));
        if kind == PromptKind::BudgetLimit && self.wrap_up_ended(now_ms, &mut claim, actions) {
            return;
        }
        if self.turn_claimed(now_ms, claim, actions) {
            return;
        }
        if let Some(error) = error {
            self.after_error(now_ms, error, actions);
            return;
        }
        self.backoff.clear();
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
        actions.push(record("wrap_up_ended", json!({ "turn": self.turns })));
        if self.state != GoalState::BudgetLimited {
            return false;
        }
        if let Some((channel, claim)) = claim.take() {
            actions.push(record(
                "claim_ignored",
                json!({ "channel": channel.as_str(), "turn": self.turns, "claim": claim,
                        "why": "the goal was already budget-limited" }),
            ));
        }
        let reason = "the agent wrapped up after a limit was reached".to_string();
        self.stop(now_ms, exit_code::BUDGET_LIMITED, reason, actions);
        true
    }
}
