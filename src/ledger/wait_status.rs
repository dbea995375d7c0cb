//! What `goalie status` says about waits and the plan's quota, read off the
//! goal's ledger rows: the wait under way (a `wait_started` row with no
//! `wait_ended`, `turn_started` or `stopped` after it), and the quota windows
//! the last `quota` row recorded. Pure: rows in, the view out.

use serde::Serialize;

use crate::core::quota::QuotaWindow;
use crate::core::row::{Row, RowKind};
use crate::ledger::Entry;

/// The wait and the quota as `status` shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WaitStatus {
    /// The wait under way, if the last run is in one.
    pub waiting: Option<WaitShown>,
    /// The plan's quota windows, as the last turn that reported them left them.
    pub quota: Option<QuotaShown>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitShown {
    /// What for, in words.
    pub what: String,
    /// Since when (the row's time) and until when (RFC 3339).
    pub since: String,
    pub until: String,
    /// The wait's command, if it has one, and how many times it ran.
    pub command: Option<String>,
    pub checks: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaShown {
    pub turn: u32,
    pub windows: Vec<QuotaWindow>,
}

impl WaitStatus {
    pub fn from_entries(entries: &[Entry]) -> WaitStatus {
        let quota = entries.iter().rev().find_map(|e| match e.row() {
            Row::Quota { turn, windows } => Some(QuotaShown { turn, windows }),
            _ => None,
        });
        let last = entries.iter().rev().find(|e| {
            e.is(RowKind::WaitStarted)
                || e.is(RowKind::WaitEnded)
                || e.is(RowKind::TurnStarted)
                || e.is(RowKind::Stopped)
        });
        let waiting = last.and_then(|entry| match entry.row() {
            Row::WaitStarted { cause, until, .. } => Some(WaitShown {
                what: cause.describe(),
                since: entry.at.clone(),
                until,
                command: cause.check().map(|(run, _)| run.to_string()),
                checks: entries
                    .iter()
                    .filter(|e| e.seq > entry.seq && e.is(RowKind::WaitChecked))
                    .count() as u32,
            }),
            _ => None,
        });
        WaitStatus { waiting, quota }
    }

    /// The lines for people: `waiting …` and `quota …`, as (label, text).
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        if let Some(wait) = &self.waiting {
            let checks = match (&wait.command, wait.checks) {
                (Some(_), 1) => " (checked once)".to_string(),
                (Some(_), n) => format!(" (checked {n} times)"),
                (None, _) => String::new(),
            };
            lines.push((
                "waiting",
                format!("until {}{checks}: {}", wait.until, wait.what),
            ));
        }
        if let Some(quota) = &self.quota {
            let windows: Vec<String> = quota
                .windows
                .iter()
                .map(|w| {
                    let reset = w
                        .resets_at_ms
                        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                        .map(|at| format!(", resets {at}"))
                        .unwrap_or_default();
                    format!("{}{reset}", w.describe())
                })
                .collect();
            lines.push((
                "quota",
                format!("{} (turn {})", windows.join(" · "), quota.turn),
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::prompt::PromptKind;
    use crate::core::wait::WaitCause;
    use crate::goal::claim::Channel;
    use crate::goal::wait::{WaitEnd, WaitFor};

    fn entry(seq: i64, row: Row) -> Entry {
        Entry {
            seq,
            goal_id: "g".into(),
            at: format!("2026-12-01T12:00:{seq:02}Z"),
            kind: row.kind().into(),
            data: row.data(),
        }
    }

    fn started() -> Row {
        Row::WaitStarted {
            turn: 1,
            cause: WaitCause::Agent {
                channel: Channel::Mcp,
                wait: WaitFor::Command {
                    run: "test -f ready.flag".into(),
                    every_ms: 2000,
                    timeout_ms: None,
                },
            },
            wait_ms: 7_200_000,
            until_ms: 0,
            until: "2026-12-01T14:00:01Z".into(),
        }
    }

    #[test]
    fn a_wait_under_way_and_the_last_quota_are_shown() {
        let checked = Row::WaitChecked {
            run: "test -f ready.flag".into(),
            passed: false,
            exit_code: Some(1),
        };
        let quota = Row::Quota {
            turn: 1,
            windows: vec![QuotaWindow {
                name: "primary".into(),
                used_tenths: 425,
                window_minutes: Some(300),
                resets_at_ms: Some(1_796_130_000_000),
            }],
        };
        let entries = vec![
            entry(1, quota),
            entry(2, started()),
            entry(3, checked.clone()),
            entry(4, checked),
        ];
        let status = WaitStatus::from_entries(&entries);
        let wait = status.waiting.clone().expect("waiting");
        assert_eq!(
            (wait.checks, wait.since.as_str()),
            (2, "2026-12-01T12:00:02Z")
        );
        let lines = status.lines();
        assert_eq!(lines[0].0, "waiting");
        assert_eq!(
            lines[0].1,
            "until 2026-12-01T14:00:01Z (checked 2 times): the agent asked to wait until \
             `test -f ready.flag` exits 0 (checked every 2s)"
        );
        assert_eq!(
            lines[1].1,
            "primary 42.5% of 5h, resets 2026-12-01T13:00:00Z (turn 1)"
        );
        // Once it ended, or a turn started, or the run stopped: not waiting.
        for after in [
            Row::WaitEnded {
                turn: 1,
                end: WaitEnd::ConditionMet,
                waited_ms: 1,
                checks: 2,
                output: None,
                wakes: None,
            },
            Row::TurnStarted {
                turn: 2,
                prompt: PromptKind::AfterWait,
            },
        ] {
            let mut entries = entries.clone();
            entries.push(entry(5, after));
            assert_eq!(WaitStatus::from_entries(&entries).waiting, None);
        }
        assert_eq!(WaitStatus::from_entries(&[]), WaitStatus::default());
    }
}
