//! Waiting without spending tokens: the agent claimed `waiting` (for a span,
//! until a clock time, or until a command passes), or the plan's quota passed
//! `--max-quota`. goalie types nothing until the wait is over: its deadline
//! (the wait's own end, cut at `--max-wait` and at the goal's time limit),
//! its command exiting 0, or the user resuming the goal; then, once the
//! screen is settled, the next prompt (after an agent's wait, the after-wait
//! prompt saying what ended it). A wait is not a turn.

use crate::core::prompt::WaitNote;
use crate::core::quota::QuotaWindow;
use crate::core::row::Row;
use crate::core::wait::WaitCause;
use crate::goal::claim::Channel;
use crate::goal::units::format_duration;
use crate::goal::wait::{WaitEnd, WaitFor};

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;
use super::state::error_backoff::MAX_RESET_WAIT_MS;
use super::state::wait::QUOTA_RESET_MARGIN_MS;
use super::state::{WaitStep, Waiting};

impl Supervisor {
    /// The wall clock at `now_ms`, in Unix milliseconds.
    fn unix_ms(&self, now_ms: u64) -> i64 {
        self.config
            .waits
            .clock_origin_ms
            .saturating_add(i64::try_from(now_ms).unwrap_or(i64::MAX))
    }

    /// When the wait under way next needs the clock (its deadline, or its
    /// command's next start), on the core's clock: the shell wakes then, and
    /// not before unless something else comes. None when there is no wait,
    /// or it is over (then the screen is watched as usual).
    pub fn wait_alarm_ms(&self) -> Option<u64> {
        self.waiting().and_then(Waiting::next_wake_ms)
    }

    /// The goal's time limit changed: a wait under way that would outlast
    /// it now ends when it comes.
    pub(super) fn wait_cut_at_time_limit(&mut self, now_ms: u64) {
        let Some(deadline_ms) = self
            .waiting()
            .filter(|w| w.over.is_none())
            .map(|w| w.deadline_ms)
        else {
            return;
        };
        let left = deadline_ms.saturating_sub(now_ms);
        let cut = now_ms + self.within_time_limit(now_ms, left);
        if cut < deadline_ms
            && let Some(wait) = self.wait.as_mut()
        {
            wait.deadline_ms = cut;
            wait.at_deadline = WaitEnd::TimeLimit;
        }
    }

    /// An event (the clock, output, the session log…) came while goalie waits.
    pub(super) fn wait_woken(&mut self) {
        if let Some(wait) = self.wait.as_mut().filter(|w| w.over.is_none())
            && self.phase == Phase::Waiting
        {
            wait.wakes += 1;
        }
    }

    /// The wait under way, if goalie is waiting.
    pub fn waiting(&self) -> Option<&Waiting> {
        self.wait.as_ref().filter(|_| self.phase == Phase::Waiting)
    }

    /// The turn that ended claimed `waiting` through `channel`.
    pub(super) fn agent_waits(
        &mut self,
        now_ms: u64,
        channel: Channel,
        wait: WaitFor,
        actions: &mut Vec<Action>,
    ) {
        self.backoff.clear();
        actions.push(Action::Record(Row::Claim {
            channel,
            turn: self.turns,
            claim: crate::goal::claim::Claim::Waiting { wait: wait.clone() },
            consecutive: None,
        }));
        self.begin_wait(now_ms, WaitCause::Agent { channel, wait }, actions);
    }

    /// The turn's last claim block asked for a wait goalie cannot do: it
    /// cancels the turn's claim, and the turn's end says why.
    pub(super) fn bad_wait_seen(&mut self, channel: Channel, why: String) {
        if self.phase == Phase::Waiting || self.phase == Phase::Auditing {
            return;
        }
        self.claim = None;
        self.bad_wait = Some((channel, why));
    }

    /// Why a wait `until` a time already past is not waited, if it is.
    pub(super) fn wait_is_past(&self, now_ms: u64, wait: &WaitFor) -> Option<String> {
        let WaitFor::Until { unix_ms, shown } = wait else {
            return None;
        };
        let now = self.unix_ms(now_ms);
        (*unix_ms <= now).then(|| {
            let now = jiff::Timestamp::from_millisecond(now)
                .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
                .unwrap_or_else(|_| now.to_string());
            format!("`until: {shown}` is already past (goalie's clock says {now})")
        })
    }

    /// A wait the agent asked for is not done: recorded, and the next
    /// prompt says why and how to ask. No wait, and no claim.
    pub(super) fn refuse_wait(&mut self, channel: Channel, why: String, actions: &mut Vec<Action>) {
        actions.push(Action::Record(Row::WaitRefused {
            channel,
            turn: self.turns,
            why: why.clone(),
        }));
        self.notice = Some(format!(
            "goalie did not wait: {why}. Nothing was waited for and no claim was taken. To have \
             goalie wait, end a turn with a waiting block (or MCP update_goal with status \
             waiting) that gives exactly one of `for: 20m`, `until: 2026-12-02T03:00:00Z` (a \
             time still to come) or `command: CMD` (with `every: 1m` and `timeout: 2h` if you \
             like); otherwise go on with the goal."
        ));
    }

    /// Before the next prompt: a quota window past `--max-quota` is waited
    /// out (then `true`).
    pub(super) fn quota_waits(&mut self, now_ms: u64, actions: &mut Vec<Action>) -> bool {
        let Some(max_pct) = self.config.waits.max_quota_pct else {
            return false;
        };
        let Some(window) = self.quota.over(max_pct, self.unix_ms(now_ms)).cloned() else {
            return false;
        };
        self.begin_wait(now_ms, WaitCause::Quota { window, max_pct }, actions);
        true
    }

    /// The quota windows at the end of a turn, when they changed.
    pub(super) fn record_quota(&mut self, actions: &mut Vec<Action>) {
        if let Some(windows) = self.quota.unrecorded() {
            actions.push(Action::Record(Row::Quota {
                turn: self.turns,
                windows,
            }));
        }
    }

    /// The session log reported the plan's quota windows.
    pub(super) fn quota_reported(&mut self, windows: Vec<QuotaWindow>) {
        self.quota.reported(windows);
    }

    /// How long a wait for `cause` lasts from `now_ms`, and what its deadline means.
    fn wait_plan(&self, now_ms: u64, cause: &WaitCause) -> (u64, WaitEnd) {
        let now_unix = self.unix_ms(now_ms);
        let until = |at: i64| u64::try_from(at.saturating_sub(now_unix)).unwrap_or(0);
        let max_wait = self.config.waits.max_wait_ms;
        let (own, natural, cap) = match cause {
            WaitCause::Agent { wait, .. } => match wait {
                WaitFor::Span { ms } => (Some(*ms), WaitEnd::Elapsed, max_wait),
                WaitFor::Until { unix_ms, .. } => {
                    (Some(until(*unix_ms)), WaitEnd::Elapsed, max_wait)
                }
                WaitFor::Command { timeout_ms, .. } => (*timeout_ms, WaitEnd::TimedOut, max_wait),
            },
            WaitCause::Quota { window, .. } => (
                window
                    .resets_at_ms
                    .map(|at| until(at).saturating_add(QUOTA_RESET_MARGIN_MS)),
                WaitEnd::QuotaReset,
                MAX_RESET_WAIT_MS,
            ),
        };
        let (wait_ms, at_deadline) = match own {
            Some(ms) if ms <= cap => (ms, natural),
            _ => (cap, WaitEnd::TimedOut),
        };
        let within = self.within_time_limit(now_ms, wait_ms);
        if within < wait_ms {
            (within, WaitEnd::TimeLimit)
        } else {
            (wait_ms, at_deadline)
        }
    }

    fn begin_wait(&mut self, now_ms: u64, cause: WaitCause, actions: &mut Vec<Action>) {
        let (wait_ms, at_deadline) = self.wait_plan(now_ms, &cause);
        let until_ms = self.unix_ms(now_ms + wait_ms);
        actions.push(Action::Record(Row::WaitStarted {
            turn: self.turns,
            cause: cause.clone(),
            wait_ms,
            until_ms,
            until: jiff::Timestamp::from_millisecond(until_ms)
                .map(|at| at.to_string())
                .unwrap_or_default(),
        }));
        self.wait = Some(Waiting::new(cause, now_ms, now_ms + wait_ms, at_deadline));
        self.phase = Phase::Waiting;
        self.updated = true;
        self.advance_wait(now_ms, actions);
    }

    /// Time passed while waiting: a check is due, the wait is over, or,
    /// once it is and the screen has settled, the next prompt.
    pub(super) fn advance_wait(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        let Some(wait) = self.wait.as_mut() else {
            return;
        };
        let step = wait.tick(now_ms);
        self.wait_step(now_ms, step, actions);
        let over = self.wait.as_ref().and_then(|w| w.over);
        if let Some(end) = over
            && self.phase == Phase::Waiting
            && self.screen_settled(now_ms, self.config.timing.quiet_ms)
        {
            self.after_wait(now_ms, end, actions);
        }
    }

    /// The wait's command finished.
    pub(super) fn on_wait_checked(
        &mut self,
        now_ms: u64,
        (passed, exit_code, output): (bool, Option<i32>, String),
        actions: &mut Vec<Action>,
    ) {
        let Some(wait) = self.wait.as_mut().filter(|w| w.over.is_none()) else {
            return;
        };
        let Some((run, _)) = wait.cause.check() else {
            return;
        };
        actions.push(Action::Record(Row::WaitChecked {
            run: run.to_string(),
            passed,
            exit_code,
        }));
        let step = wait.checked(now_ms, passed, output);
        self.wait_step(now_ms, step, actions);
        self.advance_wait(now_ms, actions);
    }

    /// The user resumed the goal while goalie waits: the wait is over (then `true`).
    pub(super) fn user_ends_wait(&mut self, now_ms: u64, actions: &mut Vec<Action>) -> bool {
        let Some(wait) = self.wait.as_mut().filter(|w| w.over.is_none()) else {
            return false;
        };
        let step = wait.end(WaitEnd::UserResumed);
        self.wait_step(now_ms, step, actions);
        true
    }

    fn wait_step(&mut self, now_ms: u64, step: WaitStep, actions: &mut Vec<Action>) {
        let Some(wait) = self.wait.as_ref() else {
            return;
        };
        match step {
            WaitStep::Wait => {}
            WaitStep::Check { run, timeout_ms } => {
                actions.push(Action::RunWaitCheck { run, timeout_ms });
            }
            WaitStep::Over(end) => {
                actions.push(Action::Record(Row::WaitEnded {
                    turn: self.turns,
                    end,
                    waited_ms: now_ms.saturating_sub(wait.since_ms),
                    checks: wait.checks,
                    output: wait.last_output.clone(),
                    wakes: Some(wait.wakes),
                }));
                self.updated = true;
            }
        }
    }

    /// The wait is over and the screen settled: the next prompt.
    fn after_wait(&mut self, now_ms: u64, end: WaitEnd, actions: &mut Vec<Action>) {
        let Some(wait) = self.wait.take() else {
            return;
        };
        let waited = format_duration(now_ms.saturating_sub(wait.since_ms));
        let why = match &wait.cause {
            WaitCause::Agent { wait: asked, .. } => {
                self.wait_note = Some(WaitNote {
                    asked: asked.describe(),
                    ended: ended_text(end, &wait),
                    waited: waited.clone(),
                    output: wait.last_output.clone().filter(|o| !o.trim().is_empty()),
                });
                format!(
                    "goalie waited {waited} as the agent asked; {}",
                    ended_text(end, &wait)
                )
            }
            WaitCause::Quota { window, .. } => {
                self.quota.forget_reset(self.unix_ms(now_ms));
                format!(
                    "goalie waited {waited} for the plan's quota window {} to reset",
                    window.name
                )
            }
        };
        self.next_turn(now_ms, why, actions);
    }
}

/// What ended the wait, in words for the agent.
fn ended_text(end: WaitEnd, wait: &Waiting) -> String {
    let checks = match wait.checks {
        1 => "after 1 check".to_string(),
        n => format!("after {n} checks"),
    };
    match end {
        WaitEnd::Elapsed => "the time you asked to wait has passed".into(),
        WaitEnd::ConditionMet => format!("the wait command exited 0 ({checks})"),
        WaitEnd::TimedOut if wait.cause.check().is_some() => {
            format!("the wait timed out: the command never exited 0 ({checks})")
        }
        WaitEnd::TimedOut => "the wait reached the longest wait goalie allows (--max-wait)".into(),
        WaitEnd::TimeLimit => "the goal's time limit came".into(),
        WaitEnd::UserResumed => "the user ended the wait (goalie resume)".into(),
        WaitEnd::QuotaReset => "the plan's quota window reset".into(),
    }
}
