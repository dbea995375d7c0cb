//! A usage-limit wait carried over a restart: what an earlier run of a goal
//! was waiting out when it ended, read off the goal's ledger rows. Pure:
//! rows and a `now` in, the wait left out.

use crate::core::row::{Row, RowKind};
use crate::core::wait::WaitCause;
use crate::ledger::Entry;

/// The wait left at `now` for a usage limit's reset that an earlier run of
/// the goal was waiting out when it ended (goalie killed, the machine
/// restarted): its last `error_backoff` row that quotes a reset, when no turn
/// started after it; with what the agent said.
pub fn pending_wait(entries: &[Entry], now: jiff::Timestamp) -> Option<(u64, String)> {
    let last = entries
        .iter()
        .rev()
        .find(|e| e.is(RowKind::ErrorBackoff) || e.is(RowKind::TurnStarted))?;
    let Row::ErrorBackoff {
        until_reset: Some(shown),
        wait_ms,
        ..
    } = last.row()
    else {
        return None;
    };
    let at: jiff::Timestamp = last.at.parse().ok()?;
    let wait = jiff::SignedDuration::from_millis(i64::try_from(wait_ms).ok()?);
    let until = at.checked_add(wait).ok()?;
    let left = until.duration_since(now).as_millis();
    (left > 0).then(|| (u64::try_from(left).unwrap_or(u64::MAX), shown))
}

/// A wait the agent asked for that an earlier run of the goal was in when
/// it ended (no `wait_ended` or `turn_started` after its `wait_started`),
/// and how long it had lasted by `now`.
pub fn interrupted_wait(entries: &[Entry], now: jiff::Timestamp) -> Option<(WaitCause, u64)> {
    let last = entries.iter().rev().find(|e| {
        e.is(RowKind::WaitStarted) || e.is(RowKind::WaitEnded) || e.is(RowKind::TurnStarted)
    })?;
    let Row::WaitStarted {
        cause: cause @ WaitCause::Agent { .. },
        ..
    } = last.row()
    else {
        return None;
    };
    let at: jiff::Timestamp = last.at.parse().ok()?;
    let waited = now.duration_since(at).as_millis().max(0);
    Some((cause, u64::try_from(waited).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::prompt::PromptKind;
    use crate::core::row::TurnError;

    fn row(at: &str, row: Row) -> Entry {
        Entry {
            seq: 0,
            goal_id: "g".into(),
            at: at.into(),
            kind: row.kind().into(),
            data: row.data(),
        }
    }

    fn backoff_row(until_reset: Option<&str>) -> Row {
        Row::ErrorBackoff {
            turn: 1,
            error: TurnError::UsageLimit,
            consecutive: 1,
            wait_ms: 3_600_000,
            until_reset: until_reset.map(String::from),
            after_restart: false,
        }
    }

    #[test]
    fn a_reset_an_earlier_run_waited_for_is_still_waited_for() {
        let backoff = row(
            "2026-11-29T14:00:00Z",
            backoff_row(Some("try again at 3:00 PM")),
        );
        let now: jiff::Timestamp = "2026-11-29T14:45:00Z".parse().unwrap();
        let started = row(
            "2026-11-29T13:59:00Z",
            Row::TurnStarted {
                turn: 1,
                prompt: PromptKind::Start,
            },
        );
        assert_eq!(
            pending_wait(&[started.clone(), backoff.clone()], now),
            Some((15 * 60_000, "try again at 3:00 PM".into()))
        );
        // Past the reset, after a later turn, or a wait with no reset shown: none.
        let later: jiff::Timestamp = "2026-11-29T15:00:01Z".parse().unwrap();
        assert_eq!(pending_wait(std::slice::from_ref(&backoff), later), None);
        assert_eq!(pending_wait(&[backoff.clone(), started], now), None);
        let plain = row("2026-11-29T14:00:00Z", backoff_row(None));
        assert_eq!(pending_wait(&[plain], now), None);
        assert_eq!(pending_wait(&[], now), None);
    }

    #[test]
    fn a_wait_an_earlier_run_was_in_is_found_with_how_long_it_lasted() {
        let cause = WaitCause::Agent {
            channel: crate::goal::claim::Channel::Mcp,
            wait: crate::goal::wait::WaitFor::Span { ms: 3_600_000 },
        };
        let started = row(
            "2026-11-29T14:00:00Z",
            Row::WaitStarted {
                turn: 1,
                cause: cause.clone(),
                wait_ms: 3_600_000,
                until_ms: 0,
                until: "2026-11-29T15:00:00Z".into(),
            },
        );
        let now: jiff::Timestamp = "2026-11-29T14:10:00Z".parse().unwrap();
        assert_eq!(
            interrupted_wait(std::slice::from_ref(&started), now),
            Some((cause, 600_000))
        );
        let ended = row(
            "2026-11-29T14:05:00Z",
            Row::WaitEnded {
                turn: 1,
                end: crate::goal::wait::WaitEnd::Elapsed,
                waited_ms: 300_000,
                checks: 0,
                output: None,
                wakes: None,
            },
        );
        assert_eq!(interrupted_wait(&[started, ended], now), None);
        assert_eq!(interrupted_wait(&[], now), None);
    }
}
