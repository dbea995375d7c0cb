//! The budgets of a goal spec (`stop`): each must be a valid amount, and at
//! least one must be enforced, so that the goal ends even if it is never
//! achieved.

use super::check::{Lint, parse_duration_ms};
use super::file::{Scalar, StopFile};
use super::model::Stop;

impl Lint<'_> {
    pub(super) fn stop(&mut self, file: StopFile) -> Stop {
        let mut stop = Stop {
            turns: file.turns,
            cost: file.cost,
            usd_per_million_tokens: file.usd_per_million_tokens,
            stall_turns: file.stall_turns,
            ..Stop::default()
        };
        if stop.turns == Some(0) {
            self.error(self.at("turns:", "`stop.turns` must be at least 1".into()));
        }
        if let Some(tokens) = file.tokens {
            let (value, shown) = match tokens {
                Scalar::Number(n) => (Some(n), n.to_string()),
                Scalar::Text(text) => (crate::goal::units::parse_token_figure(&text), text),
            };
            match value {
                Some(n) if n > 0 => stop.tokens = Some(n),
                _ => self.error(self.at(
                    "tokens:",
                    format!("`stop.tokens: {shown}` is not a token count (try 200k or 1.5M)"),
                )),
            }
        }
        if let Some(time) = file.time {
            match parse_duration_ms(&time) {
                Some(ms) => stop.time_ms = Some(ms),
                None => self.error(self.at(
                    "time:",
                    format!("`stop.time: {time}` is not a duration (try 90m, 4h or 1h30m)"),
                )),
            }
        }
        if let Some(quota) = file.quota {
            let shown = match quota {
                Scalar::Number(n) => n.to_string(),
                Scalar::Text(text) => text,
            };
            match shown.trim().trim_end_matches('%').trim().parse::<u8>() {
                Ok(pct) if (1..=100).contains(&pct) => stop.quota = Some(pct),
                _ => self.error(self.at(
                    "quota:",
                    format!("`stop.quota: {shown}` is not a percentage from 1% to 100% (e.g. 80%)"),
                )),
            }
        }
        self.cost(&stop);
        let enforced = stop.tokens.is_some()
            || stop.time_ms.is_some()
            || stop.turns.is_some()
            || stop.cost_tokens().is_some();
        if !enforced && self.no_errors() {
            let message =
                "no stop rule: give `stop` a `turns`, `time` or `tokens` limit, so that the goal \
                           ends even if it is never achieved"
                    .to_string();
            self.error(self.at_key_or_start("stop:", message));
        }
        stop
    }

    /// A cost is a positive amount with a positive price.
    fn cost(&mut self, stop: &Stop) {
        if let Some(cost) = stop.cost {
            if !(cost.is_finite() && cost > 0.0) {
                self.error(self.at("cost:", "`stop.cost` must be a positive amount".into()));
            } else if stop.usd_per_million_tokens.is_none() {
                self.error(self.at(
                    "cost:",
                    "`stop.cost` needs `stop.usd_per_million_tokens` (the price of the agent's model): \
                     goalie enforces a cost as the token budget it buys"
                        .into(),
                ));
            }
        }
        if let Some(price) = stop.usd_per_million_tokens
            && !(price.is_finite() && price > 0.0)
        {
            self.error(self.at(
                "usd_per_million_tokens:",
                "`stop.usd_per_million_tokens` must be a positive price".into(),
            ));
        }
    }
}
