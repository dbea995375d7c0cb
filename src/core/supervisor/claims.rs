//! Claims of completion or of a blocker, from the screen or through MCP: the
//! last of a turn is acted on when the turn ends (a completion is audited, a
//! blocker reported in enough turns in a row ends the goal unmet).

use crate::core::compaction::Source;
use crate::core::row::Row;
use crate::goal::claim::{Channel, Claim};
use crate::goal::exit_code;
use crate::goal::lifecycle::{Actor, GoalState};

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;
use super::state::blockers::BLOCKED_TURNS;

impl Supervisor {
    /// A claim through a channel; the last one of a turn is acted on when the turn ends.
    pub(super) fn take_claim(&mut self, channel: Channel, claim: Claim, actions: &mut Vec<Action>) {
        let turn = self.turns + 1;
        if self.phase == Phase::Waiting {
            // The waiting turn's own block, read again while goalie waits.
            actions.push(Action::Record(Row::ClaimIgnored {
                channel,
                turn,
                claim,
                why: "no claim is taken while goalie waits (no turn is under way)".into(),
            }));
            return;
        }
        if self.phase == Phase::Auditing || self.state != GoalState::Pursuing {
            actions.push(Action::Record(Row::ClaimIgnored {
                channel,
                turn,
                claim,
                why: format!(
                    "no claim is taken while an audit runs or while the goal is {}",
                    self.state
                ),
            }));
            return;
        }
        if self.claim.as_ref().map(|(_, c)| c) == Some(&claim) {
            return;
        }
        self.bad_wait = None;
        actions.push(Action::Record(Row::ClaimSeen {
            channel,
            turn,
            status: claim.status().to_string(),
        }));
        self.claim = Some((channel, claim));
    }

    /// The turn that ended made `claim` (its last), or none: whether that
    /// decided what comes next (an audit, or the goal ended unmet).
    pub(super) fn turn_claimed(
        &mut self,
        now_ms: u64,
        claim: Option<(Channel, Claim)>,
        actions: &mut Vec<Action>,
    ) -> bool {
        match claim {
            Some((channel, claim)) if self.state != GoalState::Pursuing => {
                actions.push(Action::Record(Row::ClaimIgnored {
                    channel,
                    turn: self.turns,
                    claim,
                    why: format!("the goal was {} when the turn ended", self.state),
                }));
                false
            }
            Some((channel, claim @ Claim::Complete { .. })) => {
                self.blockers.clear();
                self.backoff.clear();
                actions.push(Action::Record(Row::Claim {
                    channel,
                    turn: self.turns,
                    claim: claim.clone(),
                    consecutive: None,
                }));
                self.phase = Phase::Auditing;
                actions.push(Action::RunAudit {
                    turn: self.turns,
                    channel,
                    claim,
                    commands: self
                        .config
                        .compaction_sources
                        .contains(&Source::SessionLog)
                        .then(|| self.commands.to_vec()),
                });
                true
            }
            Some((channel, Claim::Blocked { reason })) => {
                self.blocker_reported(now_ms, channel, reason, actions)
            }
            Some((channel, Claim::Waiting { wait })) => {
                if let Some(why) = self.wait_is_past(now_ms, &wait) {
                    self.refuse_wait(channel, why, actions);
                    return false;
                }
                self.agent_waits(now_ms, channel, wait, actions);
                true
            }
            None => {
                self.blockers.clear();
                false
            }
        }
    }

    /// The turn reported a blocker: the goal ends unmet when the same one
    /// was reported in [`BLOCKED_TURNS`] turns in a row (then `true`);
    /// otherwise the next prompt says so.
    fn blocker_reported(
        &mut self,
        now_ms: u64,
        channel: Channel,
        reason: String,
        actions: &mut Vec<Action>,
    ) -> bool {
        let count = self.blockers.report(&reason);
        actions.push(Action::Record(Row::Claim {
            channel,
            turn: self.turns,
            claim: Claim::Blocked {
                reason: reason.clone(),
            },
            consecutive: Some(count),
        }));
        if count >= BLOCKED_TURNS {
            let why = format!(
                "the agent reported the same blocker in {count} consecutive turns: {reason}"
            );
            self.transition(GoalState::Unmet, Actor::Agent, why.clone(), actions);
            self.stop(now_ms, exit_code::UNMET, why, actions);
            return true;
        }
        self.notice = Some(format!(
            "goalie noted the blocker you reported ({count} of {BLOCKED_TURNS} consecutive reports \
             needed to end the goal unmet). If you can work around it, do."
        ));
        false
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
            actions.push(Action::Record(Row::ClaimAccepted {
                turn: self.turns,
                why: "every audit step passed".into(),
            }));
            let reason = format!(
                "the agent claimed completion in turn {} and goalie's audit passed",
                self.turns
            );
            self.transition(GoalState::Achieved, Actor::Agent, reason.clone(), actions);
            self.stop(now_ms, exit_code::ACHIEVED, reason, actions);
            return;
        }
        if passed {
            actions.push(Action::Record(Row::ClaimNotAccepted {
                turn: self.turns,
                why: format!(
                    "the audit passed, but the goal is {} now; the agent may claim again after resume",
                    self.state
                ),
            }));
        } else {
            actions.push(Action::Record(Row::ClaimRejected {
                turn: self.turns,
                reasons: reasons.clone(),
            }));
            self.rejection_reasons = reasons;
        }
        self.next_turn(
            now_ms,
            format!("the claim of turn {} was audited", self.turns),
            actions,
        );
    }
}
