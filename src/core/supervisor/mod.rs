//! The supervisor's core: a pure function from (state, event) to actions.
//!
//! No I/O, no clock reads, no threads. The shell turns the world into [`Event`]s
//! (each carrying the time it happened, in milliseconds since the run began) and
//! carries out the [`Action`]s. Every decision the program makes about the goal
//! is made here, and tested with plain event sequences.

use serde_json::json;

use crate::core::compaction::{Compactions, Moment, Reading, Source};
use crate::core::config::DialogPolicy;
mod action;
mod backoff;
mod claims;
mod commands;
mod compaction_watch;
mod dialogs;
mod event;
mod phase;
mod rotation;
mod screen;
mod session_log;
mod signals;
mod turn_end;
mod turn_error;
mod turns;

pub use backoff::{ERROR_TURNS, MAX_RESET_WAIT_MS, RESET_MARGIN_MS, error_backoff_ms};
pub use claims::BLOCKED_TURNS;
use dialogs::DialogSeen;
pub use rotation::handoff_file;
pub use session_log::excerpt;

pub use action::Action;
pub use event::Event;
pub use turn_error::TurnError;

use action::record;
use phase::Phase;

pub use crate::core::config::{Config, DialogRule, Rotation};
use crate::core::log_event::LogEvent;
use crate::core::observer::Observation;
use crate::core::prompt::{PromptKind, PromptVars};
use crate::core::usage_reset::ResetTime;
use crate::goal::change::{self as goal_change, Refusal, Standing, UserCommand};
use crate::goal::claim::{Channel, Claim, turn_nonce};
use crate::goal::exit_code;
use crate::goal::lifecycle::{self, Actor, GoalState};
use crate::goal::limits::{LimitReason, Limits, Progress};
use crate::goal::units::format_duration;

/// The supervisor's state.
#[derive(Debug, Clone)]
pub struct Supervisor {
    config: Config,
    state: GoalState,
    phase: Phase,
    turns: u32,
    tokens_used: u64,
    tokens_recorded: u64,
    seen: Observation,
    last_change_ms: u64,
    last_user_ms: Option<u64>,
    compactions: Compactions,
    /// Compaction banners of this agent process counted so far.
    banners: u32,
    /// A higher banner count, and since when: it counts once it has held for
    /// [`SETTLE_MS`] (a TUI redrawing its rows can show a line twice for a moment).
    compaction_candidate: Option<(u32, u64)>,
    /// A compaction happened since the last prompt: the next one restores the goal.
    compaction_pending: bool,
    /// The session log gives the context gauge (with the window): the screen's is ignored.
    gauge_from_log: bool,
    /// The latest gauge reading, percent of the window in use.
    gauge_pct: Option<u8>,
    /// The agent's reply this turn, as its session log said it.
    reply: Option<String>,
    /// Tokens used when this agent process started (its figures count from zero).
    token_base: u64,
    /// The agent process, from 1.
    process: u32,
    /// Turns that ended in this agent process.
    process_turns: u32,
    /// This process was asked for its handoff note.
    handoff_asked: bool,
    /// The first prompt to a new process is still to come, with this note if any.
    rotated: Option<Option<String>>,
    /// Where turn-complete signals have come from in this run (`hook`, `session_log`).
    signal_sources: Vec<&'static str>,
    /// The sources that have signalled the turn under way.
    turn_signals: Vec<&'static str>,
    /// Sources that signal every turn but did not signal the last one before it
    /// ended: their next signal is that turn's, late, and must not end this one
    /// (should it be lost instead, this turn ends by the screen alone).
    owed_signals: Vec<&'static str>,
    /// Consecutive turns that ended with an API error or a usage limit.
    error_turns: u32,
    /// This turn's usage limit resets then (core time), as the screen put it.
    usage_reset: Option<(u64, String)>,
    /// A prompt has been typed in this run.
    started: bool,
    /// The person has taken over the terminal.
    takeover: bool,
    /// Since when goalie has typed nothing while idle; such time is not spent on the goal.
    idle_since: Option<u64>,
    idle_total_ms: u64,
    /// Something the subscribers see changed during the current event.
    updated: bool,
    /// The dialog on screen (by index), since when, how often answered, and when last.
    dialog: Option<DialogSeen>,
    /// Where the token figure comes from: once the session log gives one, the screen's is ignored.
    tokens_source: &'static str,
    /// When the run stopped (the time late token figures are booked at).
    stopped_at_ms: u64,
    /// The claim of the turn under way (the latest, from either channel).
    claim: Option<(Channel, Claim)>,
    /// The blocker reported in consecutive turns, and how many.
    blocked: Option<(String, u32)>,
    /// For the next prompt: why the audit rejected a claim.
    rejection_reasons: Vec<String>,
    /// For the next prompt: a line of notice (e.g. a blocker was noted).
    notice: Option<String>,
    /// Shell commands the agent ran in this run (session log), newest last.
    commands: Vec<String>,
}

impl Supervisor {
    pub fn new(config: Config) -> Supervisor {
        Supervisor {
            state: GoalState::Pursuing,
            phase: Phase::Starting { since_ms: 0 },
            turns: config.prior.turns,
            tokens_used: config.prior.tokens_used,
            tokens_recorded: config.prior.tokens_used,
            seen: Observation::default(),
            last_change_ms: 0,
            last_user_ms: None,
            compactions: Compactions::new(
                config.compaction_sources.clone(),
                config.prior_compactions,
            ),
            banners: 0,
            compaction_candidate: None,
            compaction_pending: false,
            gauge_from_log: false,
            gauge_pct: None,
            reply: None,
            token_base: config.prior.tokens_used,
            process: 1,
            process_turns: 0,
            handoff_asked: false,
            rotated: None,
            signal_sources: Vec::new(),
            turn_signals: Vec::new(),
            owed_signals: Vec::new(),
            error_turns: 0,
            usage_reset: None,
            started: false,
            takeover: false,
            idle_since: None,
            idle_total_ms: 0,
            updated: false,
            dialog: None,
            tokens_source: "screen",
            stopped_at_ms: 0,
            claim: None,
            blocked: None,
            rejection_reasons: Vec::new(),
            notice: None,
            commands: Vec::new(),
            config,
        }
    }

    pub fn objective(&self) -> &str {
        &self.config.objective
    }

    pub fn limits(&self) -> Limits {
        self.config.limits
    }

    /// Whether the person has taken over the terminal.
    pub fn takeover(&self) -> bool {
        self.takeover
    }

    /// Turns, tokens and time used so far, earlier runs included.
    pub fn used(&self, now_ms: u64) -> Progress {
        Progress {
            turns: self.turns,
            tokens_used: self.tokens_used,
            time_used_ms: self.time_used(now_ms),
        }
    }

    pub fn state(&self) -> GoalState {
        self.state
    }

    pub fn turns(&self) -> u32 {
        self.turns
    }

    pub fn tokens_used(&self) -> u64 {
        self.tokens_used
    }

    /// Compactions of the goal so far, earlier runs included.
    pub fn compactions(&self) -> u32 {
        self.compactions.total()
    }

    /// Whether the run has ended.
    pub fn is_stopped(&self) -> bool {
        self.phase == Phase::Stopped
    }

    /// The core: what to do about `event`.
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.phase == Phase::Stopped {
            // The agent's log may still be catching up with its last reply.
            if let Event::SessionLog {
                event: LogEvent::Tokens { total },
                ..
            } = event
            {
                self.late_tokens(total, &mut actions);
            }
            return actions;
        }
        match event {
            Event::Screen { now_ms, seen } => {
                self.on_screen(now_ms, seen, &mut actions);
                self.advance(now_ms, &mut actions);
            }
            Event::UserInput { now_ms } => self.last_user_ms = Some(now_ms),
            Event::SessionLog { now_ms, event } => {
                self.on_session_log(now_ms, event, &mut actions);
                self.advance(now_ms, &mut actions);
            }
            Event::Tick { now_ms } => self.advance(now_ms, &mut actions),
            Event::InjectionDone { now_ms } => {
                if let Phase::Injecting { kind } = self.phase {
                    actions.push(record(
                        "turn_started",
                        json!({ "turn": self.turns + 1, "prompt": kind.as_str() }),
                    ));
                    self.usage_reset = None;
                    self.phase = Phase::Working {
                        kind,
                        submitted_ms: now_ms,
                        saw_busy: self.seen.busy,
                        done_before: self.seen.turns_done,
                        saw_done: false,
                        signalled_by: None,
                        error: [None; 2],
                    };
                    self.last_change_ms = now_ms;
                }
            }
            Event::AgentExited { now_ms, status } => {
                actions.push(record("agent_exited", json!({ "status": status })));
                if self.state == GoalState::Pursuing {
                    self.transition(
                        GoalState::Paused,
                        Actor::Runtime,
                        format!("the agent exited ({status}) before the goal ended"),
                        &mut actions,
                    );
                }
                let exit_code = exit_code::for_state(self.state);
                self.stop(
                    now_ms,
                    exit_code,
                    format!("the agent exited ({status})"),
                    &mut actions,
                );
            }
            Event::Interrupted { now_ms, signal } => {
                let reason = format!("goalie received signal {signal}");
                if self.state == GoalState::Pursuing {
                    self.transition(GoalState::Paused, Actor::User, reason.clone(), &mut actions);
                }
                self.stop(now_ms, exit_code::for_signal(signal), reason, &mut actions);
            }
            Event::Command { now_ms, command } => {
                let reply = self.on_command(now_ms, command, &mut actions);
                if self.updated {
                    actions.push(Action::GoalUpdated);
                    self.updated = false;
                }
                actions.push(Action::Reply(reply));
                return actions;
            }
            Event::TakeoverChord { now_ms } => self.on_takeover_chord(now_ms, &mut actions),
            Event::AgentRestarted { now_ms, handoff } => {
                self.on_restarted(now_ms, handoff, &mut actions);
                self.advance(now_ms, &mut actions);
            }
            Event::TurnSignal {
                now_ms,
                source,
                data,
            } => {
                let counted = self.signal_turn("hook");
                actions.push(record(
                    "turn_signal",
                    json!({ "source": source, "turn": self.turns + 1, "counted": counted,
                            "data": data }),
                ));
                self.advance(now_ms, &mut actions);
            }
            Event::Claim {
                now_ms: _,
                channel,
                claim,
            } => self.take_claim(channel, claim, &mut actions),
            Event::AuditFinished {
                now_ms,
                passed,
                reasons,
            } => self.audit_finished(now_ms, passed, reasons, &mut actions),
        }
        if std::mem::take(&mut self.updated) {
            actions.push(Action::GoalUpdated);
        }
        actions
    }

    /// Types nothing more: pauses the goal for a person to look, and stops.
    fn escalate(&mut self, now_ms: u64, reason: String, actions: &mut Vec<Action>) {
        if self.state == GoalState::Pursuing {
            self.transition(GoalState::Paused, Actor::Runtime, reason.clone(), actions);
        }
        let exit_code = exit_code::for_state(self.state);
        self.stop(now_ms, exit_code, reason, actions);
    }

    /// A wait of `wait_ms` from now, cut at the time limit: once that is
    /// reached the goal stops anyway.
    fn within_time_limit(&self, now_ms: u64, wait_ms: u64) -> u64 {
        match self.config.limits.max_time_ms {
            Some(max) => wait_ms.min(max.saturating_sub(self.time_used(now_ms))),
            None => wait_ms,
        }
    }

    fn limit_reached(&self, now_ms: u64) -> Option<LimitReason> {
        goal_change::reached(&self.config.limits, &self.used(now_ms))
    }

    /// Time spent on the goal: earlier runs, and this one except while goalie
    /// waited, idle, for the user (paused, taken over).
    fn time_used(&self, now_ms: u64) -> u64 {
        let idle = self.idle_total_ms
            + self
                .idle_since
                .map_or(0, |since| now_ms.saturating_sub(since));
        self.config.prior.time_used_ms + now_ms.saturating_sub(idle)
    }

    fn transition(
        &mut self,
        to: GoalState,
        actor: Actor,
        reason: String,
        actions: &mut Vec<Action>,
    ) {
        let from = self.state;
        match lifecycle::check(from, to, actor) {
            Ok(()) => {
                self.state = to;
                self.updated = true;
                actions.push(Action::Transition {
                    from,
                    to,
                    actor,
                    reason,
                });
            }
            Err(err) => actions.push(record(
                "transition_refused",
                json!({ "error": err.to_string(), "reason": reason }),
            )),
        }
    }

    fn progress(&self, now_ms: u64) -> Action {
        Action::Progress {
            turns: self.turns,
            tokens_used: self.tokens_used,
            time_used_ms: self.time_used(now_ms),
        }
    }

    fn stop(&mut self, now_ms: u64, exit_code: i32, reason: String, actions: &mut Vec<Action>) {
        self.stopped_at_ms = now_ms;
        for row in self.compactions.close_all() {
            actions.push(record("compacted", row));
        }
        actions.push(self.progress(now_ms));
        actions.push(Action::Stop { exit_code, reason });
        self.phase = Phase::Stopped;
    }
}

#[cfg(test)]
mod tests;
