//! The plan's quota in Codex's rollout: each `token_count` event carries
//! `rate_limits`, the account's rate-limit windows as the model's answer
//! headers gave them (`x-codex-primary-used-percent`,
//! `x-codex-primary-window-minutes`, `x-codex-primary-reset-at`, and the
//! same for `secondary`; codex-rs `codex-api/src/rate_limits.rs`). Two shapes:
//!
//! - current: `{"limit_id": "codex", "primary": {"used_percent": 42.0,
//!   "window_minutes": 300, "resets_at": 1796180400}, "secondary": {…}}`
//!   (`resets_at` in Unix seconds);
//! - older: `{"primary_used_percent": 42.0, "primary_window_minutes": 300,
//!   "primary_resets_in_seconds": 1200, …}` (the reset relative to the line's
//!   own `timestamp`).
//!
//! Claude Code does not write its plan's quota to its transcript or hand it
//! to its hooks; only its status-line command gets it (`rate_limits.five_hour`
//! and `seven_day`, each `used_percentage` and `resets_at`, for Claude.ai
//! subscribers after the first answer; 2.1.197), and goalie installs no
//! status line. So only an adapter whose session log is a Codex rollout
//! reports the quota.

use serde_json::Value;

use crate::core::quota::{QuotaWindow, tenths};

/// The windows of a rollout `token_count` record (`record` is the whole line).
pub fn codex_windows(record: &Value) -> Vec<QuotaWindow> {
    let limits = &record["payload"]["rate_limits"];
    if !limits.is_object() {
        return Vec::new();
    }
    let prefix = match limits["limit_id"].as_str() {
        None | Some("codex") => String::new(),
        Some(id) => format!("{id} "),
    };
    let line_ms = record["timestamp"]
        .as_str()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_millisecond());
    let mut windows = Vec::new();
    for name in ["primary", "secondary"] {
        let window = &limits[name];
        let (used, minutes, resets_at_ms) = if window.is_object() {
            (
                window["used_percent"].as_f64(),
                window["window_minutes"].as_u64(),
                window["resets_at"].as_i64().map(|s| s.saturating_mul(1000)),
            )
        } else {
            let relative = limits[format!("{name}_resets_in_seconds")]
                .as_i64()
                .or_else(|| limits[format!("{name}_reset_after_seconds")].as_i64());
            (
                limits[format!("{name}_used_percent")].as_f64(),
                limits[format!("{name}_window_minutes")].as_u64(),
                relative.zip(line_ms).map(|(s, at)| at + s * 1000),
            )
        };
        if let Some(used) = used {
            windows.push(QuotaWindow {
                name: format!("{prefix}{name}"),
                used_tenths: tenths(used),
                window_minutes: minutes,
                resets_at_ms,
            });
        }
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_shapes_of_codex_rate_limits_are_read() {
        let current = json!({"timestamp": "2026-12-01T12:00:00.000Z", "type": "event_msg",
            "payload": {"type": "token_count", "info": null, "rate_limits": {
                "limit_id": "codex", "limit_name": null,
                "primary": {"used_percent": 85.5, "window_minutes": 300, "resets_at": 1_796_180_400},
                "secondary": {"used_percent": 12.0, "window_minutes": 10080, "resets_at": null},
                "credits": null, "plan_type": null}}});
        assert_eq!(
            codex_windows(&current),
            vec![
                QuotaWindow {
                    name: "primary".into(),
                    used_tenths: 855,
                    window_minutes: Some(300),
                    resets_at_ms: Some(1_796_180_400_000),
                },
                QuotaWindow {
                    name: "secondary".into(),
                    used_tenths: 120,
                    window_minutes: Some(10080),
                    resets_at_ms: None,
                },
            ]
        );
        let older = json!({"timestamp": "2026-12-01T12:00:00.000Z", "type": "event_msg",
            "payload": {"type": "token_count", "rate_limits": {
                "primary_used_percent": 50.0, "primary_window_minutes": 300,
                "primary_resets_in_seconds": 600}}});
        let windows = codex_windows(&older);
        assert_eq!(windows.len(), 1);
        let noon: jiff::Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
        assert_eq!(
            windows[0].resets_at_ms,
            Some(noon.as_millisecond() + 600_000)
        );
        let other = json!({"payload": {"rate_limits": {"limit_id": "codex_other",
            "primary": {"used_percent": 1.0}}}});
        assert_eq!(codex_windows(&other)[0].name, "codex_other primary");
        assert!(codex_windows(&json!({"payload": {"rate_limits": null}})).is_empty());
    }
}
