//! A wait under way: goalie types nothing and spends no tokens until its
//! deadline passes or its command exits 0. A wait is not a turn.
//!
//! The clock is the core's (`now_ms` of the events): the wait's end is a
//! deadline, and a command is started once per `every` (the next start is
//! due `every` after the last one started; a check never overlaps another,
//! and each is stopped by the shell at the time left to the next one).

use crate::core::config::Config;
use crate::core::prompt::{PromptKind, WaitNote};
use crate::core::wait::WaitCause;
use crate::goal::units::format_duration;
use crate::goal::wait::WaitEnd;

/// A quota wait ends this long after the window's reset, so that it has reset.
pub const QUOTA_RESET_MARGIN_MS: u64 = 1_000;

/// A check is given at least this long before the shell stops it.
const MIN_CHECK_MS: u64 = 1_000;

/// The wait goalie is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub cause: WaitCause,
    pub since_ms: u64,
    /// When the wait ends, whatever its command says.
    pub deadline_ms: u64,
    /// What the deadline means: `Elapsed` or `QuotaReset` when it is the
    /// wait's own end, `TimedOut` or `TimeLimit` when it cuts the wait short.
    pub at_deadline: WaitEnd,
    /// The command's next start is due then (none: no command, or one runs).
    next_check_ms: Option<u64>,
    /// A check runs (started then).
    running_since: Option<u64>,
    /// Checks that finished.
    pub checks: u32,
    /// The last check's output, shortened (untrusted).
    pub last_output: Option<String>,
    /// What ended the wait, once it is over (goalie then waits for the screen).
    pub over: Option<WaitEnd>,
    /// Ticks heard while the wait was under way.
    pub wakes: u32,
}

/// The note for the first prompt of a resumed run whose earlier run was in
/// a wait the agent asked for (none when the agent starts afresh).
pub fn interrupted_note(config: &Config) -> Option<WaitNote> {
    match &config.waits.interrupted {
        Some((WaitCause::Agent { wait, .. }, waited_ms))
            if config.first_prompt != PromptKind::Start =>
        {
            Some(WaitNote {
                asked: wait.describe(),
                ended: "goalie stopped during the wait, and `goalie resume` ended it".into(),
                waited: format_duration(*waited_ms),
                output: None,
            })
        }
        _ => None,
    }
}

/// What the wait asks for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitStep {
    /// Nothing yet.
    Wait,
    /// Run the wait's command, stopped after `timeout_ms`.
    Check { run: String, timeout_ms: u64 },
    /// The wait just ended, so.
    Over(WaitEnd),
}

impl Waiting {
    /// A wait from `now_ms` to `deadline_ms`; a command wait checks at once.
    pub fn new(cause: WaitCause, now_ms: u64, deadline_ms: u64, at_deadline: WaitEnd) -> Waiting {
        let next_check_ms = cause.check().map(|_| now_ms);
        Waiting {
            cause,
            since_ms: now_ms,
            deadline_ms,
            at_deadline,
            next_check_ms,
            running_since: None,
            checks: 0,
            last_output: None,
            over: None,
            wakes: 0,
        }
    }

    /// When the wait next needs the clock: its deadline, or its command's
    /// next start if that comes first; none once it is over.
    pub fn next_wake_ms(&self) -> Option<u64> {
        if self.over.is_some() {
            return None;
        }
        Some(
            self.next_check_ms
                .map_or(self.deadline_ms, |due| due.min(self.deadline_ms)),
        )
    }

    /// Time passed: the wait may be over, or its command due.
    pub fn tick(&mut self, now_ms: u64) -> WaitStep {
        if self.over.is_some() {
            return WaitStep::Wait;
        }
        if now_ms >= self.deadline_ms {
            return self.end(self.at_deadline);
        }
        match (self.cause.check(), self.next_check_ms) {
            (Some((run, every_ms)), Some(due)) if now_ms >= due => {
                let timeout_ms = every_ms.min(self.deadline_ms - now_ms).max(MIN_CHECK_MS);
                let run = run.to_string();
                self.next_check_ms = None;
                self.running_since = Some(now_ms);
                WaitStep::Check { run, timeout_ms }
            }
            _ => WaitStep::Wait,
        }
    }

    /// The command finished: a pass ends the wait, else the next check is
    /// due `every` after this one started. A check that finishes after the
    /// wait ended (or that goalie did not start) changes nothing.
    pub fn checked(&mut self, now_ms: u64, passed: bool, output: String) -> WaitStep {
        let (Some(started), None) = (self.running_since.take(), self.over) else {
            return WaitStep::Wait;
        };
        self.checks += 1;
        self.last_output = Some(output);
        if passed {
            return self.end(WaitEnd::ConditionMet);
        }
        let every_ms = self.cause.check().map_or(0, |(_, every)| every);
        self.next_check_ms = Some((started + every_ms).max(now_ms));
        self.tick(now_ms)
    }

    /// The wait ends now, so (the user resumed the goal).
    pub fn end(&mut self, end: WaitEnd) -> WaitStep {
        if self.over.is_some() {
            return WaitStep::Wait;
        }
        self.over = Some(end);
        self.next_check_ms = None;
        WaitStep::Over(end)
    }

    /// When the next check is due, if one is.
    pub fn next_check_ms(&self) -> Option<u64> {
        self.next_check_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::quota::QuotaWindow;
    use crate::goal::claim::Channel;
    use crate::goal::wait::WaitFor;

    fn command(every_ms: u64) -> WaitCause {
        WaitCause::Agent {
            channel: Channel::Mcp,
            wait: WaitFor::Command {
                run: "test -f ready.flag".into(),
                every_ms,
                timeout_ms: None,
            },
        }
    }

    fn check(timeout_ms: u64) -> WaitStep {
        WaitStep::Check {
            run: "test -f ready.flag".into(),
            timeout_ms,
        }
    }

    #[test]
    fn a_span_ends_at_its_deadline_and_only_once() {
        let cause = WaitCause::Agent {
            channel: Channel::Screen,
            wait: WaitFor::Span { ms: 20_000 },
        };
        let mut wait = Waiting::new(cause, 1_000, 21_000, WaitEnd::Elapsed);
        for now in (1_000..21_000).step_by(100) {
            assert_eq!(wait.tick(now), WaitStep::Wait, "at {now}");
        }
        assert_eq!(wait.tick(21_000), WaitStep::Over(WaitEnd::Elapsed));
        assert_eq!(wait.tick(22_000), WaitStep::Wait);
        assert_eq!(wait.over, Some(WaitEnd::Elapsed));
        assert_eq!(wait.checks, 0);
    }

    #[test]
    fn the_wait_wakes_the_shell_only_at_its_deadline_and_its_checks() {
        // A command wait: woken at once for the first check, then (while it
        // runs) only at the deadline, then at the next check's start.
        let mut wait = Waiting::new(command(10_000), 0, 60_000, WaitEnd::TimedOut);
        assert_eq!(wait.next_wake_ms(), Some(0));
        assert_eq!(wait.tick(0), check(10_000));
        assert_eq!(wait.next_wake_ms(), Some(60_000));
        assert_eq!(wait.checked(2_000, false, "absent".into()), WaitStep::Wait);
        assert_eq!(wait.next_wake_ms(), Some(10_000));
        // Woken by the alarm alone, from check to check, it runs them all.
        let mut wakes = 0;
        while let Some(at) = wait.next_wake_ms() {
            wakes += 1;
            match wait.tick(at) {
                WaitStep::Check { .. } => {
                    assert_eq!(wait.checked(at + 500, false, String::new()), WaitStep::Wait);
                }
                WaitStep::Over(end) => assert_eq!((end, at), (WaitEnd::TimedOut, 60_000)),
                WaitStep::Wait => panic!("woken for nothing at {at}"),
            }
        }
        assert_eq!(
            wakes, 6,
            "checks at 10, 20, 30, 40 and 50 s, then the deadline"
        );
        assert_eq!(wait.checks, 6);
        // A span: only its deadline.
        let mut span = Waiting::new(
            WaitCause::Agent {
                channel: Channel::Screen,
                wait: WaitFor::Span { ms: 4_000 },
            },
            1_000,
            5_000,
            WaitEnd::Elapsed,
        );
        assert_eq!(span.next_wake_ms(), Some(5_000));
        assert_eq!(span.tick(5_000), WaitStep::Over(WaitEnd::Elapsed));
        assert_eq!(span.next_wake_ms(), None);
    }

    #[test]
    fn a_command_runs_at_once_then_once_per_interval_until_it_passes() {
        let mut wait = Waiting::new(command(60_000), 0, 7_200_000, WaitEnd::TimedOut);
        assert_eq!(wait.tick(0), check(60_000));
        // While it runs, and until the next is due, nothing more starts.
        let mut starts = 1;
        for now in (100..60_000).step_by(100) {
            if now == 2_000 {
                assert_eq!(wait.checked(now, false, "absent".into()), WaitStep::Wait);
            } else {
                assert_eq!(wait.tick(now), WaitStep::Wait, "at {now}");
            }
        }
        assert_eq!(wait.next_check_ms(), Some(60_000));
        for now in (60_000..600_000).step_by(100) {
            if let WaitStep::Check { .. } = wait.tick(now) {
                starts += 1;
                // A slow check: it finishes late, and the next is due at once.
                assert_eq!(
                    wait.checked(now + 70_000, false, String::new()),
                    check(60_000)
                );
                assert_eq!(
                    wait.checked(now + 70_500, false, String::new()),
                    WaitStep::Wait
                );
                break;
            }
        }
        assert_eq!(starts, 2);
        assert_eq!(wait.checks, 3);
        let due = wait.next_check_ms().unwrap();
        assert_eq!(wait.tick(due), check(60_000));
        assert_eq!(
            wait.checked(due + 10, true, "ok".into()),
            WaitStep::Over(WaitEnd::ConditionMet)
        );
        assert_eq!(wait.last_output.as_deref(), Some("ok"));
        // A report for no check, or after the end, changes nothing.
        assert_eq!(wait.checked(due + 20, true, "late".into()), WaitStep::Wait);
        assert_eq!(wait.checks, 4);
    }

    #[test]
    fn a_command_that_never_passes_times_out_and_its_last_check_is_cut_to_fit() {
        let mut wait = Waiting::new(command(60_000), 0, 90_000, WaitEnd::TimedOut);
        assert_eq!(wait.tick(0), check(60_000));
        assert_eq!(wait.checked(1_000, false, "no".into()), WaitStep::Wait);
        assert_eq!(wait.tick(60_000), check(30_000));
        assert_eq!(wait.tick(90_000), WaitStep::Over(WaitEnd::TimedOut));
        // The check still running reports after the end: ignored.
        assert_eq!(wait.checked(90_100, true, "yes".into()), WaitStep::Wait);
        assert_eq!(wait.over, Some(WaitEnd::TimedOut));
    }

    #[test]
    fn the_user_ends_a_wait_and_a_quota_wait_runs_no_command() {
        let cause = WaitCause::Quota {
            window: QuotaWindow {
                name: "primary".into(),
                used_tenths: 850,
                window_minutes: Some(300),
                resets_at_ms: Some(1_000_000),
            },
            max_pct: 80,
        };
        let mut wait = Waiting::new(cause, 0, 3_600_000, WaitEnd::QuotaReset);
        assert_eq!(wait.tick(1_000), WaitStep::Wait);
        assert_eq!(wait.next_check_ms(), None);
        assert_eq!(
            wait.end(WaitEnd::UserResumed),
            WaitStep::Over(WaitEnd::UserResumed)
        );
        assert_eq!(wait.end(WaitEnd::TimeLimit), WaitStep::Wait);
        assert_eq!(wait.tick(3_600_000), WaitStep::Wait);
    }
}
