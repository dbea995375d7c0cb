//! What the screen shows: its changes, token figures, gauge, banners, errors, dialogs and claims.

use super::*;

impl Supervisor {
    pub(super) fn on_screen(&mut self, now_ms: u64, seen: Observation, actions: &mut Vec<Action>) {
        if seen.changed {
            self.last_change_ms = now_ms;
        }
        if let Some(tokens) = seen.tokens
            && self.tokens_source == "screen"
        {
            // The screen shows the agent process's running total.
            self.tokens_used = self.token_base + tokens;
        }
        if let Some(used_pct) = seen.context_used_pct
            && !self.gauge_from_log
        {
            let reading = Reading {
                used_pct: Some(used_pct),
                tokens: None,
            };
            self.gauge(now_ms, reading);
        }
        // A higher banner count counts once it has held: a compaction per new
        // banner. A lower one (a TUI redrawing its transcript without scrolling
        // drops old banners from the screen) lowers the baseline at once.
        if seen.compactions < self.banners {
            self.banners = seen.compactions;
            self.compaction_candidate = None;
        } else if seen.compactions > self.banners {
            if self.compaction_candidate.map(|(count, _)| count) != Some(seen.compactions) {
                self.compaction_candidate = Some((seen.compactions, now_ms));
            }
        } else {
            self.compaction_candidate = None;
        }
        // A new message row (more of them than at the last look) is a new
        // appearance; in a turn, the first of each kind is recorded (an agent
        // that retries may print one per attempt).
        let usage_limit = seen.usage_limit > self.seen.usage_limit;
        let api_error = seen.api_error > self.seen.api_error;
        let turn_error = match self.phase {
            Phase::Working { error, .. } => Some(error),
            _ => None,
        };
        for (kind, shown, error) in [
            ("usage_limit_shown", usage_limit, TurnError::UsageLimit),
            ("api_error_shown", api_error, TurnError::ApiError),
        ] {
            let seen_this_turn = turn_error.is_some_and(|errors| errors.contains(&Some(error)));
            if shown && !seen_this_turn {
                actions.push(record(
                    kind,
                    json!({ "source": "screen", "turn": self.turns + 1,
                            "during_turn": turn_error.is_some() }),
                ));
            }
        }
        self.dialog = match (seen.dialog, self.dialog) {
            (Some(index), Some(dialog)) if dialog.index == index => Some(dialog),
            (Some(index), _) => Some(DialogSeen {
                index,
                since_ms: now_ms,
                answers: 0,
                last_answer_ms: None,
            }),
            (None, _) => None,
        };
        if let Phase::Working {
            saw_busy,
            done_before,
            saw_done,
            error,
            ..
        } = &mut self.phase
        {
            *saw_busy |= seen.busy;
            *saw_done |= seen.turns_done > *done_before;
            if usage_limit {
                error[TurnError::UsageLimit.slot()] = Some(TurnError::UsageLimit);
            }
            // The reset of this turn's usage limit (the last one on screen).
            if error[TurnError::UsageLimit.slot()].is_some()
                && self.usage_reset.is_none()
                && let Some(ResetTime::In { ms, shown }) = &seen.usage_limit_reset
            {
                self.usage_reset = Some((now_ms.saturating_add(*ms), shown.clone()));
            }
            if api_error {
                error[TurnError::ApiError.slot()] = Some(TurnError::ApiError);
            }
            if let Some(claim) = &seen.claim
                && seen.claim != self.seen.claim
            {
                self.take_claim(Channel::Screen, claim.clone(), actions);
            }
        }
        self.seen = seen;
    }
}
