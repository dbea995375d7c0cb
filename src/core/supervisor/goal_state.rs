//! The goal's state and budgets as the supervisor keeps them: transitions
//! by the lifecycle's rules, time spent, limits reached, progress rows.

use crate::core::row::Row;
use crate::goal::change as goal_change;
use crate::goal::lifecycle::{self, Actor, GoalState};
use crate::goal::limits::LimitReason;

use crate::core::compaction::Moment;

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;

impl Supervisor {
    /// The goal moves to `to`, when the lifecycle allows it (else a row says why not).
    pub(super) fn transition(
        &mut self,
        to: GoalState,
        actor: Actor,
        reason: String,
        actions: &mut Vec<Action>,
    ) {
        let from = self.state;
        match lifecycle::check(from, to, actor) {
            Ok(()) => {
                if to == GoalState::Pursuing && from != to {
                    self.watch_resumed();
                }
                self.state = to;
                self.updated = true;
                actions.push(Action::Transition {
                    from,
                    to,
                    actor,
                    reason,
                });
            }
            Err(err) => actions.push(Action::Record(Row::TransitionRefused {
                error: err.to_string(),
                reason,
            })),
        }
    }

    /// A wait of `wait_ms` from now, cut at the time limit: once that is
    /// reached the goal stops anyway.
    pub(super) fn within_time_limit(&self, now_ms: u64, wait_ms: u64) -> u64 {
        match self.config.limits.max_time_ms {
            Some(max) => wait_ms.min(max.saturating_sub(self.time_used(now_ms))),
            None => wait_ms,
        }
    }

    pub(super) fn limit_reached(&self, now_ms: u64) -> Option<LimitReason> {
        goal_change::reached(&self.config.limits, &self.used(now_ms))
    }

    /// Time spent on the goal: earlier runs, and this one except while goalie
    /// waited, idle, for the user (paused, taken over).
    pub(super) fn time_used(&self, now_ms: u64) -> u64 {
        let idle = self.idle.total_ms(now_ms);
        self.config.prior.time_used_ms + now_ms.saturating_sub(idle)
    }

    /// The goal's counters, for the database.
    pub(super) fn progress(&self, now_ms: u64) -> Action {
        Action::Progress {
            turns: self.turns,
            tokens_used: self.tokens.used(),
            time_used_ms: self.time_used(now_ms),
        }
    }

    /// When and in which turn something about the context happened.
    pub(super) fn moment(&self, now_ms: u64) -> Moment {
        Moment {
            now_ms,
            turn: self.turns + 1,
            mid_turn: matches!(self.phase, Phase::Working { .. } | Phase::Injecting { .. }),
        }
    }
}
