//! Turns that end with an API error or a usage limit: a longer wait after
//! each in a row (or until the usage limit resets), then a pause.

use crate::core::row::Row;

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;
use super::state::AfterError;
use super::turn_error::TurnError;

impl Supervisor {
    /// The turn ended with an API error or a usage limit: wait longer after
    /// each such turn in a row before the next prompt, and after
    /// [`ERROR_TURNS`](super::ERROR_TURNS) of them pause the goal, so that an agent that cannot
    /// reach its model does not spend the turn budget in seconds.
    pub(super) fn after_error(&mut self, now_ms: u64, error: TurnError, actions: &mut Vec<Action>) {
        let (count, wait_ms, until_reset) = match self.backoff.after_error(now_ms, error) {
            AfterError::Pause { consecutive: count } => {
                actions.push(Action::Record(Row::ErrorTurnsPaused {
                    turn: self.turns,
                    error,
                    consecutive: count,
                }));
                let reason = format!(
                    "the agent's last {count} turns each ended with an API error or a usage limit \
                     (the last: {}); goalie typed nothing more (`goalie resume` continues the goal)",
                    error.describe()
                );
                self.escalate(now_ms, reason, actions);
                return;
            }
            AfterError::Wait {
                consecutive,
                wait_ms,
                until_reset,
            } => (consecutive, wait_ms, until_reset),
        };
        let wait_ms = self.within_time_limit(now_ms, wait_ms);
        actions.push(Action::Record(Row::ErrorBackoff {
            turn: self.turns,
            error,
            consecutive: count,
            wait_ms,
            until_reset,
            after_restart: false,
        }));
        self.phase = Phase::Backoff {
            until_ms: now_ms + wait_ms,
            wait_ms,
            error,
        };
    }
}
