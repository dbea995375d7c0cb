//! Turns that end with an API error or a usage limit: a longer wait after
//! each in a row (or until the usage limit resets), then a pause.

use crate::core::supervisor::turn_error::TurnError;
use crate::core::usage_reset::ResetTime;

/// After this many consecutive turns ending with an API error or a usage
/// limit, goalie pauses the goal instead of typing another prompt.
pub const ERROR_TURNS: u32 = 5;

/// After a usage limit whose reset the screen showed, goalie waits until
/// then and this much more (the agent's clock and the provider's may differ).
pub const RESET_MARGIN_MS: u64 = 60_000;

/// The longest wait for a usage limit's reset: a day.
pub const MAX_RESET_WAIT_MS: u64 = 24 * 3600 * 1000;

/// The wait before the next prompt after the `n`-th consecutive turn that
/// ended with an API error or a usage limit: 1 minute, doubling each time.
pub fn error_backoff_ms(n: u32) -> u64 {
    60_000u64 << n.saturating_sub(1).min(10)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBackoff {
    /// Consecutive turns that ended with an API error or a usage limit.
    turns: u32,
    /// This turn's usage limit resets then (core time), as the screen put it.
    reset: Option<(u64, String)>,
}

/// What to do after a turn that ended with an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterError {
    /// Type nothing more: too many such turns in a row.
    Pause { consecutive: u32 },
    /// Wait this long before the next prompt (until the usage limit's reset,
    /// as the screen showed it, when it did).
    Wait {
        consecutive: u32,
        wait_ms: u64,
        until_reset: Option<String>,
    },
}

impl ErrorBackoff {
    /// Consecutive turns that ended with an error.
    pub fn consecutive(&self) -> u32 {
        self.turns
    }

    /// A turn started: no reset of its usage limit is known yet.
    pub fn turn_started(&mut self) {
        self.reset = None;
    }

    /// The screen shows when the turn's usage limit resets (the first
    /// reading of the turn holds).
    pub fn reset_shown(&mut self, now_ms: u64, reset: &ResetTime) {
        if self.reset.is_none()
            && let ResetTime::In { ms, shown } = reset
        {
            self.reset = Some((now_ms.saturating_add(*ms), shown.clone()));
        }
    }

    /// A turn ended without an error, or with a claim of completion: the count starts again.
    pub fn clear(&mut self) {
        self.turns = 0;
    }

    /// A turn ended with `error` at `now_ms`: the wait before the next
    /// prompt doubles with each such turn in a row, and a usage limit whose
    /// reset the screen showed waits for it (a little more).
    pub fn after_error(&mut self, now_ms: u64, error: TurnError) -> AfterError {
        self.turns += 1;
        let consecutive = self.turns;
        if consecutive >= ERROR_TURNS {
            return AfterError::Pause { consecutive };
        }
        match (error, self.reset.take()) {
            (TurnError::UsageLimit, Some((at_ms, shown))) => AfterError::Wait {
                consecutive,
                wait_ms: (at_ms.saturating_sub(now_ms) + RESET_MARGIN_MS).min(MAX_RESET_WAIT_MS),
                until_reset: Some(shown),
            },
            _ => AfterError::Wait {
                consecutive,
                wait_ms: error_backoff_ms(consecutive),
                until_reset: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_minutes(minutes: u64) -> ResetTime {
        ResetTime::In {
            ms: minutes * 60_000,
            shown: format!("in {minutes} minutes"),
        }
    }

    fn wait_of(next: AfterError) -> (u32, u64, Option<String>) {
        match next {
            AfterError::Wait {
                consecutive,
                wait_ms,
                until_reset,
            } => (consecutive, wait_ms, until_reset),
            AfterError::Pause { .. } => panic!("paused: {next:?}"),
        }
    }

    #[test]
    fn the_wait_doubles_with_each_error_turn_in_a_row_then_the_goal_pauses() {
        let mut backoff = ErrorBackoff::default();
        for n in 1..ERROR_TURNS {
            let (consecutive, wait_ms, until_reset) =
                wait_of(backoff.after_error(0, TurnError::ApiError));
            assert_eq!(consecutive, n);
            assert_eq!(wait_ms, 60_000 << (n - 1));
            assert_eq!(until_reset, None);
        }
        assert_eq!(
            backoff.after_error(0, TurnError::ApiError),
            AfterError::Pause {
                consecutive: ERROR_TURNS
            }
        );
    }

    #[test]
    fn a_good_turn_starts_the_count_again() {
        let mut backoff = ErrorBackoff::default();
        backoff.after_error(0, TurnError::ApiError);
        backoff.after_error(0, TurnError::ApiError);
        assert_eq!(backoff.consecutive(), 2);
        backoff.clear();
        assert_eq!(backoff.consecutive(), 0);
        let (consecutive, wait_ms, _) = wait_of(backoff.after_error(0, TurnError::ApiError));
        assert_eq!((consecutive, wait_ms), (1, 60_000));
    }

    #[test]
    fn the_doubling_stops_growing() {
        assert_eq!(error_backoff_ms(0), 60_000);
        assert_eq!(error_backoff_ms(11), 60_000 << 10);
        assert_eq!(error_backoff_ms(40), 60_000 << 10);
    }

    #[test]
    fn a_usage_limit_waits_for_its_shown_reset_and_a_margin() {
        let mut backoff = ErrorBackoff::default();
        backoff.turn_started();
        backoff.reset_shown(1000, &in_minutes(30));
        backoff.reset_shown(2000, &in_minutes(5)); // The turn's first reading holds.
        let (_, wait_ms, until_reset) = wait_of(backoff.after_error(11_000, TurnError::UsageLimit));
        assert_eq!(wait_ms, 30 * 60_000 - 10_000 + RESET_MARGIN_MS);
        assert_eq!(until_reset.as_deref(), Some("in 30 minutes"));
        // The reset was used up: the next error turn doubles.
        let (_, wait_ms, until_reset) = wait_of(backoff.after_error(0, TurnError::UsageLimit));
        assert_eq!((wait_ms, until_reset), (error_backoff_ms(2), None));
    }

    #[test]
    fn a_reset_waits_at_most_a_day_and_only_for_a_usage_limit() {
        let mut backoff = ErrorBackoff::default();
        backoff.reset_shown(0, &in_minutes(3 * 24 * 60));
        let (_, wait_ms, _) = wait_of(backoff.after_error(0, TurnError::UsageLimit));
        assert_eq!(wait_ms, MAX_RESET_WAIT_MS);
        backoff.reset_shown(0, &in_minutes(30));
        let (_, wait_ms, until_reset) = wait_of(backoff.after_error(0, TurnError::ApiError));
        assert_eq!((wait_ms, until_reset), (error_backoff_ms(2), None));
        // An API error turn drops the reset too.
        let (_, _, until_reset) = wait_of(backoff.after_error(0, TurnError::UsageLimit));
        assert_eq!(until_reset, None);
    }

    #[test]
    fn a_new_turn_forgets_the_last_ones_reset_and_a_clock_time_is_not_a_delay() {
        let mut backoff = ErrorBackoff::default();
        backoff.reset_shown(0, &in_minutes(30));
        backoff.turn_started();
        let at = ResetTime::At {
            date: None,
            hour: 4,
            minute: 0,
            shown: "at 4am".into(),
        };
        backoff.reset_shown(0, &at); // The shell turns a clock time into a delay.
        let (_, _, until_reset) = wait_of(backoff.after_error(0, TurnError::UsageLimit));
        assert_eq!(until_reset, None);
    }
}
