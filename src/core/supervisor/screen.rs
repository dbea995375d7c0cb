//! What the agent's screen shows, looked at after new output: token figures,
//! the gauge, banners, errors, dialogs and claims (its stillness and the
//! person's keys: [`ScreenWatch`](super::state::ScreenWatch)).

use crate::core::observer::Observation;
use crate::core::row::{ErrorShown, Row, ShownIn};
use crate::goal::claim::Channel;

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;
use super::turn_error::TurnError;

impl Supervisor {
    pub(super) fn on_screen(&mut self, now_ms: u64, seen: Observation, actions: &mut Vec<Action>) {
        if let Some(tokens) = seen.tokens {
            // The screen shows the agent process's running total.
            self.tokens.screen(tokens);
        }
        if let Some(used_pct) = seen.context_used_pct {
            let at = self.moment(now_ms);
            self.context.screen_gauge(at, used_pct);
        }
        self.context.banners_shown(now_ms, seen.compactions);
        // A new message row (more of them than at the last look) is a new
        // appearance; in a turn, the first of each kind is recorded (an agent
        // that retries may print one per attempt).
        let before = self.screen.seen();
        let usage_limit = seen.usage_limit > before.usage_limit;
        let api_error = seen.api_error > before.api_error;
        let new_claim = seen.claim.is_some() && seen.claim != before.claim;
        let new_bad_wait = seen.bad_wait.is_some() && seen.bad_wait != before.bad_wait;
        let turn_errors = match self.phase {
            Phase::Working { errors, .. } => Some(errors),
            _ => None,
        };
        for (shown, error) in [
            (usage_limit, TurnError::UsageLimit),
            (api_error, TurnError::ApiError),
        ] {
            let seen_this_turn = turn_errors.is_some_and(|errors| errors.has(error));
            if shown && !seen_this_turn {
                let shown = ErrorShown {
                    seen: ShownIn::Screen,
                    turn: self.turns + 1,
                    during_turn: turn_errors.is_some(),
                };
                actions.push(Action::Record(Row::error_shown(error, shown)));
            }
        }
        self.dialog.look(now_ms, seen.dialog);
        if let Phase::Working {
            saw_busy,
            done_before,
            saw_done,
            errors,
            ..
        } = &mut self.phase
        {
            *saw_busy |= seen.busy;
            *saw_done |= seen.turns_done > *done_before;
            if usage_limit {
                errors.note(TurnError::UsageLimit);
            }
            // The reset of this turn's usage limit (the last one on screen).
            if errors.has(TurnError::UsageLimit)
                && let Some(reset) = &seen.usage_limit_reset
            {
                self.backoff.reset_shown(now_ms, reset);
            }
            if api_error {
                errors.note(TurnError::ApiError);
            }
            if new_claim && let Some(claim) = &seen.claim {
                self.take_claim(Channel::Screen, claim.clone(), actions);
            }
            if new_bad_wait && let Some(why) = &seen.bad_wait {
                self.bad_wait_seen(Channel::Screen, why.clone());
            }
        }
        self.screen.look(now_ms, seen);
    }
}
