//! Moving on when the clock or the screen allows it: the agent is ready, a
//! turn has ended, a wait is over, or something is wrong enough to stop.

use crate::core::compaction::Source;
use crate::core::prompt::PromptKind;
use crate::core::row::Row;
use crate::goal::exit_code;
use crate::goal::lifecycle::{Actor, GoalState};
use crate::goal::units::format_duration;

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;
use super::turn_error::TurnError;

/// How still the screen must be after the agent said its turn is complete,
/// in a turn that showed no sign it ran.
const SIGNALLED_QUIET_MS: u64 = 500;
/// After the agent said its turn is complete, how long a screen that already
/// showed the input box must stay unchanged; a look drawn after the signal
/// that shows it ends the turn at once. What it guards against is a redraw
/// the agent had under way when its word came (the word may come a moment
/// before the TUI's last frame, which could still show a busy sign): over
/// a local PTY such a frame comes within milliseconds. The shell's clock
/// looks again when it is over (`Supervisor::signal_settles_ms`).
const SIGNALLED_SETTLE_MS: u64 = 50;
/// How far apart the first and the last of the looks in a row that show a
/// starting agent ready for input must be (see [`ScreenWatch::ready_by_looks`](super::state::screen_watch::ScreenWatch::ready_by_looks)).
const START_READY_SPAN_MS: u64 = 100;

impl Supervisor {
    /// Moves on when the clock or the screen allows it.
    pub(super) fn advance(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        let at = self.moment(now_ms);
        self.context.settle(at);
        for row in self.context.close_due(now_ms) {
            actions.push(Action::Record(Row::Compacted(row)));
        }
        if matches!(self.phase, Phase::Starting { .. } | Phase::Working { .. })
            && self.screen_blocks(now_ms, actions)
        {
            return;
        }
        // A known dialog that shows while goalie waits (Codex's offer of a
        // cheaper model near the quota) is answered as in a turn.
        if self.phase == Phase::Waiting && self.dialog.shown().is_some() {
            self.on_dialog(now_ms, actions);
            return;
        }
        if self.hang_check(now_ms, actions) {
            return;
        }
        let quiet_ms = self.config.timing.quiet_ms;
        match self.phase {
            Phase::Stopped | Phase::Injecting { .. } | Phase::Auditing | Phase::Restarting => {}
            Phase::Backoff {
                until_ms,
                wait_ms,
                error,
            } => {
                if now_ms >= until_ms && self.screen_settled(now_ms, quiet_ms) {
                    let why = format!(
                        "goalie waited {} after {} ended turn {}",
                        format_duration(wait_ms),
                        error.describe(),
                        self.turns
                    );
                    self.next_turn(now_ms, why, actions);
                }
            }
            Phase::Idle => {
                if self.state == GoalState::Pursuing && self.screen_settled(now_ms, quiet_ms) {
                    self.next_turn(now_ms, "the goal was resumed".into(), actions);
                }
            }
            Phase::Waiting => {
                self.wait_woken();
                self.advance_wait(now_ms, actions);
            }
            Phase::Starting { since_ms } => self.advance_start(now_ms, since_ms, actions),
            Phase::Working { .. } => self.advance_turn(now_ms, actions),
        }
    }

    /// A dialog, or a screen showing neither work nor the input box for too
    /// long: whether it holds everything else up.
    fn screen_blocks(&mut self, now_ms: u64, actions: &mut Vec<Action>) -> bool {
        if self.dialog.shown().is_some() {
            self.on_dialog(now_ms, actions);
            return true;
        }
        let stuck_ms = self.config.timing.stuck_ms;
        if !self.screen.neither_busy_nor_idle() || self.screen.still_ms(now_ms) < stuck_ms {
            return false;
        }
        let reason = format!(
            "the agent's screen shows neither work nor its input box and has not changed for {}s (an unknown dialog?); goalie typed nothing",
            stuck_ms / 1000
        );
        actions.push(Action::Record(Row::UnknownScreen {
            still_ms: self.screen.still_ms(now_ms),
            screen: None,
        }));
        self.escalate(now_ms, reason, actions);
        true
    }

    /// The agent (started at `since_ms`) shows its input box: the first
    /// prompt, or the wait for a usage limit's reset an earlier run began.
    /// Too long without it pauses the goal.
    /// Ready is shown by evidence when the adapter knows its start screen
    /// (looks in a row that show the input box, no busy sign, no dialog and
    /// no start screen still being drawn), or else, and on a screen that
    /// showed it only once, by the quiet window's stillness.
    fn advance_start(&mut self, now_ms: u64, since_ms: u64, actions: &mut Vec<Action>) {
        if self.at_launch && self.took_launch_prompt() {
            actions.push(Action::Record(Row::AgentReady {
                process: self.processes.number(),
            }));
            self.next_turn(now_ms, super::ON_LAUNCH.into(), actions);
            return;
        }
        let user_quiet_ms = self.config.user_quiet_ms;
        let ready_by_looks = self.config.start_on_evidence
            && self
                .screen
                .ready_by_looks(now_ms, START_READY_SPAN_MS, user_quiet_ms);
        // With its first prompt in, only the evidence that it took it starts the turn.
        let ready = !self.at_launch
            && (ready_by_looks || self.screen_settled(now_ms, self.config.timing.quiet_ms));
        if ready {
            actions.push(Action::Record(Row::AgentReady {
                process: self.processes.number(),
            }));
            if let Some((wait_ms, shown)) = self.config.reset_wait.take() {
                let wait_ms = self.within_time_limit(now_ms, wait_ms);
                actions.push(Action::Record(Row::ErrorBackoff {
                    turn: self.turns,
                    error: TurnError::UsageLimit,
                    consecutive: self.backoff.consecutive(),
                    wait_ms,
                    until_reset: Some(shown),
                    after_restart: true,
                }));
                self.phase = Phase::Backoff {
                    until_ms: now_ms + wait_ms,
                    wait_ms,
                    error: TurnError::UsageLimit,
                };
                return;
            }
            self.next_turn(now_ms, "the agent is ready".into(), actions);
        } else if now_ms.saturating_sub(since_ms) >= self.config.timing.startup_timeout_ms {
            let reason = format!(
                "the agent did not show its input box within {}s",
                self.config.timing.startup_timeout_ms / 1000
            );
            self.transition(GoalState::Paused, Actor::Runtime, reason.clone(), actions);
            self.stop(now_ms, exit_code::PAUSED, reason, actions);
        }
    }

    /// The turn under way ends once the screen has settled; a wrap-up turn
    /// or a turn far past the time limit is cut off.
    fn advance_turn(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        let Phase::Working {
            kind,
            submitted_ms,
            saw_busy,
            saw_done,
            signalled_by,
            signalled_ms,
            ran_signal_ms,
            ..
        } = self.phase
        else {
            return;
        };
        let timing = self.config.timing;
        let ran = saw_busy || saw_done;
        // The signal that is this turn's by evidence: one that came after
        // the turn showed it ran, or any once a new finished-turn line
        // showed the TUI itself ended the turn.
        // (A signal of a source first heard after a turn of this run ended may
        // be that turn's, late: it is no evidence.)
        // The earliest such signal counts: a screen drawn after it that
        // shows the turn's end is the evidence, however late a second source
        // (Claude's session log, some 150 ms after its hook) says so too.
        let by_done = signalled_ms.filter(|_| {
            saw_done && signalled_by.is_some_and(|by| self.signals.may_be_evidence(by))
        });
        let own_signal_ms = by_done.or(ran_signal_ms);
        // What the turn leaves behind is in: the session log (when there is
        // one) has said this turn ended too, after its lines of the turn
        // (the hook comes before them: a compaction's line can follow it by
        // a few hundred ms), and no compaction banner is still settling.
        let caught_up = (!self.config.compaction_sources.contains(&Source::SessionLog)
            || self.signals.signalled_after_it_ran("session_log"))
            && !self.context.banner_unsettled();

        // The agent's own word that the turn is complete, when it is this
        // turn's by evidence (above), needs only the evidence that its TUI
        // takes input again: the input box and no busy sign drawn after the
        // word came (or a short settle, when they showed already). A word
        // that came before the turn showed it ran may be the last turn's,
        // late (a source first heard after the turn it signalled ended owes
        // nothing): then a half-second stillness. Without the word, a turn
        // that ran ends on the quiet window; any other only on a much
        // longer stillness.
        let quiet = match signalled_ms {
            Some(_) if !(own_signal_ms.is_some() && caught_up) => {
                timing.quiet_ms.min(SIGNALLED_QUIET_MS)
            }
            _ if ran => timing.quiet_ms,
            _ => timing.no_busy_quiet_ms,
        };
        let waited = now_ms.saturating_sub(submitted_ms);
        let ended = match own_signal_ms {
            Some(signal_ms) if caught_up => self.screen.settled_after_signal(
                now_ms,
                signal_ms,
                self.signal_settle_ms(),
                self.config.user_quiet_ms,
            ),
            // A compaction banner that has not held yet holds the end back
            // (at most its settle time, on a still screen): the next prompt's
            // redraw may take it off the screen before it counts (a quiet
            // window shorter than the settle time).
            _ => {
                waited >= quiet
                    && self.screen_settled(now_ms, quiet)
                    && !self.context.banner_unsettled()
            }
        };
        if ended {
            self.end_turn(now_ms, actions);
        } else if kind == PromptKind::BudgetLimit && waited >= self.config.wrap_up_grace_ms {
            let reason = "the wrap-up turn did not end in time".to_string();
            actions.push(Action::Record(Row::WrapUpTimeout { waited_ms: waited }));
            self.stop(now_ms, exit_code::BUDGET_LIMITED, reason, actions);
        } else if kind != PromptKind::BudgetLimit
            && self.state == GoalState::Pursuing
            && let Some(limit) = self.config.limits.max_time_ms
            && self.time_used(now_ms) >= limit + self.config.wrap_up_grace_ms
        {
            let reason = "the time limit passed while the agent was still busy".to_string();
            self.transition(
                GoalState::BudgetLimited,
                Actor::Runtime,
                reason.clone(),
                actions,
            );
            self.stop(now_ms, exit_code::BUDGET_LIMITED, reason, actions);
        }
    }

    /// How long a screen that showed the input box before the agent's word
    /// that the turn ended must stay unchanged after it.
    pub(super) fn signal_settle_ms(&self) -> u64 {
        self.config.timing.quiet_ms.min(SIGNALLED_SETTLE_MS)
    }

    /// No busy indicator, the input box shown, the screen still for `quiet_ms`,
    /// and the person not typing.
    pub(super) fn screen_settled(&self, now_ms: u64, quiet_ms: u64) -> bool {
        self.screen
            .settled(now_ms, quiet_ms, self.config.user_quiet_ms)
    }
}
