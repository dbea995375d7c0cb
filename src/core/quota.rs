//! The plan's quota as the agent's session log reports it: each rate-limit
//! window (Codex: `primary`, the 5-hour window, and `secondary`, the weekly
//! one), how much of it is used, and when it resets. Codex writes them into
//! each `token_count` event of its rollout (`rate_limits`), from the
//! `x-codex-primary-*` / `x-codex-secondary-*` headers of the model's answers.
//!
//! `--max-quota 80%` (or `stop.quota` in a goal spec): once a window's use
//! reaches the threshold, goalie types nothing until that window resets.

use serde::{Deserialize, Serialize};

/// One rate-limit window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaWindow {
    /// `primary`, `secondary` (prefixed by the limit's id when it is not `codex`).
    pub name: String,
    /// The share used, in tenths of a percent (`425` is 42.5%).
    pub used_tenths: u16,
    /// The window's length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_minutes: Option<u64>,
    /// When it resets, in Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resets_at_ms: Option<i64>,
}

impl QuotaWindow {
    /// The share used, as shown: `42.5%`.
    pub fn used_text(&self) -> String {
        format!("{}.{}%", self.used_tenths / 10, self.used_tenths % 10)
    }

    /// Whether the window's use has reached `max_pct` percent.
    pub fn over(&self, max_pct: u8) -> bool {
        self.used_tenths >= u16::from(max_pct) * 10
    }

    /// In words: `primary 42.5% of 5h`.
    pub fn describe(&self) -> String {
        let window = match self.window_minutes {
            Some(m) if m % (24 * 60) == 0 => format!(" of {}d", m / (24 * 60)),
            Some(m) if m % 60 == 0 => format!(" of {}h", m / 60),
            Some(m) => format!(" of {m}m"),
            None => String::new(),
        };
        format!("{} {}{window}", self.name, self.used_text())
    }
}

/// A share in percent as tenths, clamped to 0–100%.
pub fn tenths(percent: f64) -> u16 {
    if !percent.is_finite() {
        return 0;
    }
    (percent.clamp(0.0, 100.0) * 10.0).round() as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_say_their_use_and_length() {
        let window = QuotaWindow {
            name: "primary".into(),
            used_tenths: tenths(42.54),
            window_minutes: Some(300),
            resets_at_ms: None,
        };
        assert_eq!(window.describe(), "primary 42.5% of 5h");
        assert!(!window.over(43) && window.over(42));
        let weekly = QuotaWindow {
            name: "secondary".into(),
            used_tenths: tenths(180.0),
            window_minutes: Some(10_080),
            resets_at_ms: None,
        };
        assert_eq!(weekly.describe(), "secondary 100.0% of 7d");
        assert_eq!(tenths(f64::NAN), 0);
    }
}
