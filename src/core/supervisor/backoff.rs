//! Turns that end with an API error or a usage limit: a longer wait after each in a row, then a pause.

use super::*;

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

impl Supervisor {
    /// The turn ended with an API error or a usage limit: wait longer after
    /// each such turn in a row before the next prompt, and after
    /// [`ERROR_TURNS`] of them pause the goal, so that an agent that cannot
    /// reach its model does not spend the turn budget in seconds.
    pub(super) fn after_error(&mut self, now_ms: u64, error: TurnError, actions: &mut Vec<Action>) {
        self.error_turns += 1;
        let count = self.error_turns;
        if count >= ERROR_TURNS {
            actions.push(record(
                "error_turns_paused",
                json!({ "turn": self.turns, "error": error.as_str(), "consecutive": count }),
            ));
            let reason = format!(
                "the agent's last {count} turns each ended with an API error or a usage limit \
                 (the last: {}); goalie typed nothing more (`goalie resume` continues the goal)",
                error.describe()
            );
            self.escalate(now_ms, reason, actions);
            return;
        }
        // A usage limit whose reset the screen showed: until then (a little
        // more); anything else: the doubling backoff.
        let reset = match (error, self.usage_reset.take()) {
            (TurnError::UsageLimit, Some((at_ms, shown))) => Some((
                (at_ms.saturating_sub(now_ms) + RESET_MARGIN_MS).min(MAX_RESET_WAIT_MS),
                shown,
            )),
            _ => None,
        };
        let wait_ms = reset
            .as_ref()
            .map_or_else(|| error_backoff_ms(count), |(wait, _)| *wait);
        let wait_ms = self.within_time_limit(now_ms, wait_ms);
        let mut row = json!({ "turn": self.turns, "error": error.as_str(), "consecutive": count,
                              "wait_ms": wait_ms });
        if let Some((_, shown)) = &reset {
            row["until_reset"] = json!(shown);
        }
        actions.push(record("error_backoff", row));
        self.phase = Phase::Backoff {
            until_ms: now_ms + wait_ms,
            wait_ms,
            error,
        };
    }
}
