//! Claims of completion or of a blocker, from the screen or through MCP, and their audit.

use super::*;

/// How many consecutive turns must report the same blocker for the goal to end unmet.
pub const BLOCKED_TURNS: u32 = 3;

/// Blockers are the same when their words are (case, spacing and punctuation aside).
pub(super) fn blocker_key(reason: &str) -> String {
    reason
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Supervisor {
    /// A claim through a channel; the last one of a turn is acted on when the turn ends.
    pub(super) fn take_claim(&mut self, channel: Channel, claim: Claim, actions: &mut Vec<Action>) {
        let turn = self.turns + 1;
        if self.phase == Phase::Auditing || self.state != GoalState::Pursuing {
            actions.push(record(
                "claim_ignored",
                json!({ "channel": channel.as_str(), "turn": turn, "claim": claim,
                        "why": format!("no claim is taken while an audit runs or while the goal is {}", self.state) }),
            ));
            return;
        }
        if self.claim.as_ref().map(|(_, c)| c) == Some(&claim) {
            return;
        }
        actions.push(record(
            "claim_seen",
            json!({ "channel": channel.as_str(), "turn": turn, "status": claim.status() }),
        ));
        self.claim = Some((channel, claim));
    }
    pub(super) fn audit_finished(
        &mut self,
        now_ms: u64,
        passed: bool,
        reasons: Vec<String>,
        actions: &mut Vec<Action>,
    ) {
        if self.phase != Phase::Auditing {
            return;
        }
        if passed && self.state == GoalState::Pursuing {
            actions.push(record(
                "claim_accepted",
                json!({ "turn": self.turns, "why": "every audit step passed" }),
            ));
            let reason = format!(
                "the agent claimed completion in turn {} and goalie's audit passed",
                self.turns
            );
            self.transition(GoalState::Achieved, Actor::Agent, reason.clone(), actions);
            self.stop(now_ms, exit_code::ACHIEVED, reason, actions);
            return;
        }
        if passed {
            actions.push(record(
                "claim_not_accepted",
                json!({ "turn": self.turns, "why": format!("the audit passed, but the goal is {} now; the agent may claim again after resume", self.state) }),
            ));
        } else {
            actions.push(record(
                "claim_rejected",
                json!({ "turn": self.turns, "reasons": reasons }),
            ));
            self.rejection_reasons = reasons;
        }
        self.next_turn(
            now_ms,
            format!("the claim of turn {} was audited", self.turns),
            actions,
        );
    }
}
