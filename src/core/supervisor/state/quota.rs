//! The plan's quota windows as the session log last reported them, what was
//! recorded of them, and whether one has passed `--max-quota`.

use crate::core::quota::QuotaWindow;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuotaWatch {
    /// The latest report, one entry per window.
    windows: Vec<QuotaWindow>,
    /// What the last `quota` row said.
    recorded: Vec<QuotaWindow>,
}

impl QuotaWatch {
    /// The session log reported these windows (the others keep their last report).
    pub fn reported(&mut self, windows: Vec<QuotaWindow>) {
        for window in windows {
            match self.windows.iter_mut().find(|w| w.name == window.name) {
                Some(known) => *known = window,
                None => self.windows.push(window),
            }
        }
    }

    /// The windows, when they changed since the last row (then they are the last row).
    pub fn unrecorded(&mut self) -> Option<Vec<QuotaWindow>> {
        if self.windows.is_empty() || self.windows == self.recorded {
            return None;
        }
        self.recorded = self.windows.clone();
        Some(self.windows.clone())
    }

    /// The window past `max_pct` whose reset (in Unix ms) is known and comes
    /// last after `now_unix_ms` (waiting for an earlier one would not do).
    pub fn over(&self, max_pct: u8, now_unix_ms: i64) -> Option<&QuotaWindow> {
        self.windows
            .iter()
            .filter(|w| w.over(max_pct))
            .filter(|w| w.resets_at_ms.is_some_and(|at| at > now_unix_ms))
            .max_by_key(|w| w.resets_at_ms)
    }

    /// Windows that reset by `now_unix_ms` are forgotten: what they said is stale.
    pub fn forget_reset(&mut self, now_unix_ms: i64) {
        self.windows
            .retain(|w| w.resets_at_ms.is_none_or(|at| at > now_unix_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(name: &str, pct: u16, resets_at_ms: Option<i64>) -> QuotaWindow {
        QuotaWindow {
            name: name.into(),
            used_tenths: pct * 10,
            window_minutes: Some(300),
            resets_at_ms,
        }
    }

    #[test]
    fn the_window_that_resets_last_of_those_past_the_threshold_is_waited_for() {
        let mut quota = QuotaWatch::default();
        assert_eq!(quota.over(80, 0), None);
        quota.reported(vec![
            window("primary", 85, Some(5_000)),
            window("secondary", 40, Some(9_000)),
        ]);
        assert_eq!(quota.over(80, 0).unwrap().name, "primary");
        quota.reported(vec![window("secondary", 90, Some(9_000))]);
        assert_eq!(quota.over(80, 0).unwrap().name, "secondary");
        // Unknown resets and past ones are not waited for.
        assert_eq!(quota.over(80, 9_000).map(|w| &w.name), None);
        quota.reported(vec![window("primary", 95, None)]);
        quota.forget_reset(9_000);
        assert_eq!(quota.windows.len(), 1);
        assert_eq!(quota.over(80, 0), None);
    }

    #[test]
    fn a_row_is_written_when_the_windows_changed() {
        let mut quota = QuotaWatch::default();
        assert_eq!(quota.unrecorded(), None);
        quota.reported(vec![window("primary", 10, Some(1))]);
        assert_eq!(quota.unrecorded().map(|w| w.len()), Some(1));
        assert_eq!(quota.unrecorded(), None);
        quota.reported(vec![window("primary", 10, Some(1))]);
        assert_eq!(quota.unrecorded(), None);
        quota.reported(vec![window("primary", 11, Some(1))]);
        assert!(quota.unrecorded().is_some());
    }
}
