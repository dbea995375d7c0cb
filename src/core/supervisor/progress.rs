//! Progress and hangs: each turn's end waits for the workspace to be measured
//! and records what changed (`progress`); turns in a row without progress
//! bring `no_progress.md`, then a pause; a turn busy past `--turn-timeout`
//! with no sign of work is interrupted, then restarted, then paused.

use crate::core::log_event::LogEvent;
use crate::core::progress::Workspace;
use crate::core::prompt::{PromptKind, StallNote};
use crate::core::row::{Row, TurnError};
use crate::goal::exit_code;
use crate::goal::lifecycle::{Actor, GoalState};
use crate::goal::units::format_duration;

use super::Supervisor;
use super::action::Action;
use super::event::Event;
use super::phase::Phase;
use super::state::hang::HangStep;
use super::state::stall::StallStep;

impl Supervisor {
    /// Whether hung turns are watched for (the shell then reads the agent's CPU time).
    pub fn watches_hangs(&self) -> bool {
        self.config.watchdog.turn_timeout_ms.is_some()
    }

    /// How long the turn under way has shown no sign of work (on the screen,
    /// in the session log, in the agent's CPU), or `None` outside a turn: the
    /// shell walks the agent's tree for its CPU only when that matters.
    pub fn turn_silent_ms(&self, now_ms: u64) -> Option<u64> {
        matches!(self.phase, Phase::Working { .. }).then(|| self.hang.silent_ms(now_ms))
    }

    /// What every event tells the breaker and the hang watch: commands run,
    /// and signs of work during a turn.
    pub(super) fn watch(&mut self, event: &Event) {
        let working = matches!(self.phase, Phase::Working { .. });
        match event {
            Event::Screen { now_ms, seen } if working && seen.text_changed => {
                self.hang.sign(*now_ms);
            }
            Event::SessionLog { now_ms, event } => {
                if let LogEvent::CommandRun { command } = event {
                    self.stall.command(command);
                }
                if working {
                    self.hang.sign(*now_ms);
                }
            }
            Event::AgentCpu { now_ms, cpu_ms } => self.hang.cpu(*now_ms, *cpu_ms),
            Event::InjectionDone { now_ms } if matches!(self.phase, Phase::Injecting { .. }) => {
                self.hang.turn_started(*now_ms);
            }
            _ => {}
        }
    }

    /// Before a turn's end is carried out: whether it must wait for the
    /// workspace to be measured (asked for now, or asked already).
    pub(super) fn measure_first(&mut self, actions: &mut Vec<Action>) -> bool {
        if !self.config.watchdog.measure_progress || self.stall.measured() {
            return false;
        }
        if !self.stall.awaiting() {
            self.stall.asked();
            actions.push(Action::MeasureProgress {
                turn: self.turns + 1,
            });
        }
        true
    }

    /// The shell measured the workspace: the turn's end goes on.
    pub(super) fn on_workspace(
        &mut self,
        now_ms: u64,
        workspace: Workspace,
        screen_reply: Option<String>,
        actions: &mut Vec<Action>,
    ) {
        if !self.stall.awaiting() {
            return;
        }
        self.stall.take_measurement(workspace, screen_reply);
        if matches!(self.phase, Phase::Working { .. }) {
            self.end_turn(now_ms, actions);
        }
    }

    /// The turn (now counted) ended with `reply` and `error`: its `progress`
    /// row, and what the breaker asks for.
    pub(super) fn judge_turn(
        &mut self,
        reply: Option<&str>,
        error: Option<TurnError>,
        actions: &mut Vec<Action>,
    ) -> StallStep {
        self.hang.turn_ended();
        if !self.config.watchdog.measure_progress {
            self.stall.drop_measurement(); // the turn's commands are not kept
            return StallStep::Go;
        }
        let change = self.stall.change();
        let (verdict, step) = self
            .stall
            .turn_ended(reply, error, self.config.watchdog.stall_turns);
        actions.push(Action::Record(Row::Progress {
            turn: self.turns,
            progress: verdict.progress,
            what: verdict.what,
            change,
            without: self.stall.without(),
        }));
        step
    }

    /// The breaker's pause: `turns` in a row made no progress.
    pub(super) fn stall_pause(&mut self, now_ms: u64, turns: u32, actions: &mut Vec<Action>) {
        let reason = format!("no progress in {turns} turns");
        self.transition(GoalState::Paused, Actor::Runtime, reason.clone(), actions);
        self.stop(now_ms, exit_code::PAUSED, reason, actions);
    }

    /// The prompt the breaker or the hang watch asks for, if any.
    pub(super) fn watchdog_prompt(&self) -> Option<PromptKind> {
        if self.hang.after_hang_due() {
            Some(PromptKind::AfterHang)
        } else if self.stall.nudge_due() {
            Some(PromptKind::NoProgress)
        } else {
            None
        }
    }

    /// A prompt of `kind` is typed: what goalie saw, for it.
    pub(super) fn stall_note(&mut self, kind: PromptKind) -> Option<StallNote> {
        match kind {
            PromptKind::NoProgress => Some(StallNote {
                turns: self.stall.without(),
                unchanged: self.stall.take_nudge(),
                silent_for: None,
                restarted: false,
            }),
            PromptKind::AfterHang => {
                let silent_for = self.config.watchdog.turn_timeout_ms.map(format_duration);
                let restarted = self.hang.take_after_hang();
                Some(StallNote {
                    turns: self.stall.without(),
                    unchanged: Vec::new(),
                    silent_for,
                    restarted,
                })
            }
            _ => None,
        }
    }

    /// The turn under way may be hung: whether the hang watch acted (then
    /// nothing else moves on in this event).
    pub(super) fn hang_check(&mut self, now_ms: u64, actions: &mut Vec<Action>) -> bool {
        let Some(timeout_ms) = self.config.watchdog.turn_timeout_ms else {
            return false;
        };
        if !matches!(self.phase, Phase::Working { .. }) || !self.screen.seen().busy {
            return false;
        }
        let silent_ms = self.hang.silent_ms(now_ms);
        let Some(mut step) = self.hang.check(now_ms, timeout_ms) else {
            return false;
        };
        if step == HangStep::Interrupt && self.config.watchdog.interrupt.is_empty() {
            // No keys to interrupt it with: the restart comes at once.
            step = HangStep::Restart;
        }
        actions.push(Action::Record(Row::TurnHung {
            turn: self.turns + 1,
            silent_ms,
            in_row: self.hang.in_row(),
            step: step.as_str().to_string(),
        }));
        match step {
            HangStep::Interrupt => {
                actions.push(Action::Keys {
                    keys: self.config.watchdog.interrupt.clone(),
                });
                false
            }
            HangStep::Restart => {
                for row in self.context.close_all() {
                    actions.push(Action::Record(Row::Compacted(row)));
                }
                // The hung turn is not counted; its measurement, if asked, is void.
                self.stall.drop_measurement();
                self.claim = None;
                self.reply = None;
                actions.push(Action::ResumeAgent {
                    reason: format!(
                        "turn {} hung again: no sign of work for {}",
                        self.turns + 1,
                        format_duration(silent_ms)
                    ),
                });
                self.phase = Phase::Restarting;
                true
            }
            HangStep::Pause { in_row } => {
                let reason = format!("the agent hung in {in_row} turns in a row");
                self.transition(GoalState::Paused, Actor::Runtime, reason.clone(), actions);
                self.stop(now_ms, exit_code::PAUSED, reason, actions);
                true
            }
        }
    }

    /// A new agent process runs: its CPU time counts from its start.
    pub(super) fn watch_new_process(&mut self) {
        self.hang.new_process();
    }

    /// `goalie resume` (in this run): the breaker counts afresh.
    pub(super) fn watch_resumed(&mut self) {
        self.stall.fresh_count();
    }
}
