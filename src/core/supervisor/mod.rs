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
mod event;
mod phase;
mod turn_error;

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

/// The file the agent writes its handoff note to, relative to its working directory.
pub fn handoff_file(goal_id: &str, process: u32) -> String {
    format!(".goalie/handoff-{goal_id}-{process}.md")
}

/// How still the screen must be after the agent said its turn is complete.
const SIGNALLED_QUIET_MS: u64 = 500;
/// How many times a dialog is answered before goalie gives up and escalates.
const MAX_ANSWERS: u32 = 3;
/// How long after an answer before the same dialog is answered again.
const ANSWER_AGAIN_MS: u64 = 3000;

/// After this many consecutive turns ending with an API error or a usage
/// limit, goalie pauses the goal instead of typing another prompt.
pub const ERROR_TURNS: u32 = 5;

/// After a usage limit whose reset the screen showed, goalie waits until
/// then and this much more (the agent's clock and the provider's may differ).
pub const RESET_MARGIN_MS: u64 = 60_000;

/// The longest wait for a usage limit's reset: a day.
pub const MAX_RESET_WAIT_MS: u64 = 24 * 3600 * 1000;

/// The wait before the next prompt after the `n`-th consecutive turn that
/// ended with an API error or a usage limit: 1 minute, doubling each time.
pub fn error_backoff_ms(n: u32) -> u64 {
    60_000u64 << n.saturating_sub(1).min(10)
}

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

/// How many of the agent's commands are kept for the audit.
const COMMANDS_KEPT: usize = 2000;

/// How many consecutive turns must report the same blocker for the goal to end unmet.
pub const BLOCKED_TURNS: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DialogSeen {
    index: usize,
    since_ms: u64,
    answers: u32,
    last_answer_ms: Option<u64>,
}

/// How long a new compaction count must hold before it is believed.
const SETTLE_MS: u64 = 300;

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

    fn on_command(
        &mut self,
        now_ms: u64,
        command: UserCommand,
        actions: &mut Vec<Action>,
    ) -> Result<Vec<String>, Refusal> {
        let id = self.config.goal_id.clone();
        let change = match command {
            UserCommand::Clear => {
                goal_change::check_clear(&id, self.state)?;
                let reason = goal_change::reason(self.state, GoalState::Cleared).to_string();
                self.takeover = false;
                self.transition(GoalState::Cleared, Actor::User, reason.clone(), actions);
                self.stop(now_ms, exit_code::PAUSED, reason, actions);
                return Ok(vec![format!("goal {id} cleared: the agent is stopped")]);
            }
            UserCommand::Change(change) => change,
        };
        let standing = Standing {
            id: &id,
            state: self.state,
            takeover: self.takeover,
            objective: &self.config.objective,
            limits: self.config.limits,
            used: self.used(now_ms),
            running: true,
        };
        let plan = goal_change::plan(&standing, &change)?;
        if let Some(objective) = plan.objective {
            let from = std::mem::replace(&mut self.config.objective, objective.clone());
            actions.push(record(
                "objective_updated",
                json!({ "from": from, "to": objective }),
            ));
            // The agent hears what changed from the objective it knew.
            if self.started || self.config.first_prompt != PromptKind::Start {
                self.config.objective_changed_from.get_or_insert(from);
            }
            actions.push(Action::SetObjective { objective });
            self.updated = true;
        }
        if let Some(limits) = plan.limits {
            actions.push(record(
                "limits_updated",
                json!({ "from": goal_change::limits_json(&self.config.limits),
                        "to": goal_change::limits_json(&limits) }),
            ));
            self.config.limits = limits;
            actions.push(Action::SetLimits { limits });
            self.updated = true;
        }
        if plan.ends_takeover {
            self.takeover = false;
            actions.push(record("takeover_ended", json!({ "by": "command" })));
        }
        for to in plan.transitions {
            let reason = goal_change::reason(self.state, to).to_string();
            self.transition(to, Actor::User, reason, actions);
        }
        Ok(plan.messages)
    }

    /// Ctrl-] t: the first press hands the agent to the person (the goal
    /// pauses), the second hands it back (the goal continues at the next idle turn).
    fn on_takeover_chord(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        self.last_user_ms = Some(now_ms);
        if self.takeover {
            self.takeover = false;
            self.updated = true;
            actions.push(record("takeover_ended", json!({ "by": "chord" })));
            if self.state == GoalState::Paused {
                let reason = "the user handed the terminal back".to_string();
                self.transition(GoalState::Pursuing, Actor::User, reason, actions);
            }
            return;
        }
        match self.state {
            GoalState::Pursuing | GoalState::Paused => {
                self.takeover = true;
                self.updated = true;
                actions.push(record("takeover_started", json!({})));
                if self.state == GoalState::Pursuing {
                    let reason = "the user took over the terminal".to_string();
                    self.transition(GoalState::Paused, Actor::User, reason, actions);
                }
            }
            state => actions.push(record(
                "takeover_refused",
                json!({ "state": state.as_str() }),
            )),
        }
    }

    /// A claim through a channel; the last one of a turn is acted on when the turn ends.
    fn take_claim(&mut self, channel: Channel, claim: Claim, actions: &mut Vec<Action>) {
        let turn = self.turns + 1;
        if self.phase == Phase::Auditing || self.state != GoalState::Pursuing {
            actions.push(record(
                "claim_ignored",
                json!({ "channel": channel.as_str(), "turn": turn, "claim": claim,
                        "why": format!("no claim is taken while an audit runs or while the goal is {}", self.state) }),
            ));
            return;
        }
        if self.claim.as_ref().map(|(_, c)| c) == Some(&claim) {
            return;
        }
        actions.push(record(
            "claim_seen",
            json!({ "channel": channel.as_str(), "turn": turn, "status": claim.status() }),
        ));
        self.claim = Some((channel, claim));
    }

    fn audit_finished(
        &mut self,
        now_ms: u64,
        passed: bool,
        reasons: Vec<String>,
        actions: &mut Vec<Action>,
    ) {
        if self.phase != Phase::Auditing {
            return;
        }
        if passed && self.state == GoalState::Pursuing {
            actions.push(record(
                "claim_accepted",
                json!({ "turn": self.turns, "why": "every audit step passed" }),
            ));
            let reason = format!(
                "the agent claimed completion in turn {} and goalie's audit passed",
                self.turns
            );
            self.transition(GoalState::Achieved, Actor::Agent, reason.clone(), actions);
            self.stop(now_ms, exit_code::ACHIEVED, reason, actions);
            return;
        }
        if passed {
            actions.push(record(
                "claim_not_accepted",
                json!({ "turn": self.turns, "why": format!("the audit passed, but the goal is {} now; the agent may claim again after resume", self.state) }),
            ));
        } else {
            actions.push(record(
                "claim_rejected",
                json!({ "turn": self.turns, "reasons": reasons }),
            ));
            self.rejection_reasons = reasons;
        }
        self.next_turn(
            now_ms,
            format!("the claim of turn {} was audited", self.turns),
            actions,
        );
    }

    fn on_screen(&mut self, now_ms: u64, seen: Observation, actions: &mut Vec<Action>) {
        if seen.changed {
            self.last_change_ms = now_ms;
        }
        if let Some(tokens) = seen.tokens
            && self.tokens_source == "screen"
        {
            // The screen shows the agent process's running total.
            self.tokens_used = self.token_base + tokens;
        }
        if let Some(used_pct) = seen.context_used_pct
            && !self.gauge_from_log
        {
            let reading = Reading {
                used_pct: Some(used_pct),
                tokens: None,
            };
            self.gauge(now_ms, reading);
        }
        // A higher banner count counts once it has held: a compaction per new
        // banner. A lower one (a TUI redrawing its transcript without scrolling
        // drops old banners from the screen) lowers the baseline at once.
        if seen.compactions < self.banners {
            self.banners = seen.compactions;
            self.compaction_candidate = None;
        } else if seen.compactions > self.banners {
            if self.compaction_candidate.map(|(count, _)| count) != Some(seen.compactions) {
                self.compaction_candidate = Some((seen.compactions, now_ms));
            }
        } else {
            self.compaction_candidate = None;
        }
        // A new message row (more of them than at the last look) is a new
        // appearance; in a turn, the first of each kind is recorded (an agent
        // that retries may print one per attempt).
        let usage_limit = seen.usage_limit > self.seen.usage_limit;
        let api_error = seen.api_error > self.seen.api_error;
        let turn_error = match self.phase {
            Phase::Working { error, .. } => Some(error),
            _ => None,
        };
        for (kind, shown, error) in [
            ("usage_limit_shown", usage_limit, TurnError::UsageLimit),
            ("api_error_shown", api_error, TurnError::ApiError),
        ] {
            let seen_this_turn = turn_error.is_some_and(|errors| errors.contains(&Some(error)));
            if shown && !seen_this_turn {
                actions.push(record(
                    kind,
                    json!({ "source": "screen", "turn": self.turns + 1,
                            "during_turn": turn_error.is_some() }),
                ));
            }
        }
        self.dialog = match (seen.dialog, self.dialog) {
            (Some(index), Some(dialog)) if dialog.index == index => Some(dialog),
            (Some(index), _) => Some(DialogSeen {
                index,
                since_ms: now_ms,
                answers: 0,
                last_answer_ms: None,
            }),
            (None, _) => None,
        };
        if let Phase::Working {
            saw_busy,
            done_before,
            saw_done,
            error,
            ..
        } = &mut self.phase
        {
            *saw_busy |= seen.busy;
            *saw_done |= seen.turns_done > *done_before;
            if usage_limit {
                error[TurnError::UsageLimit.slot()] = Some(TurnError::UsageLimit);
            }
            // The reset of this turn's usage limit (the last one on screen).
            if error[TurnError::UsageLimit.slot()].is_some()
                && self.usage_reset.is_none()
                && let Some(ResetTime::In { ms, shown }) = &seen.usage_limit_reset
            {
                self.usage_reset = Some((now_ms.saturating_add(*ms), shown.clone()));
            }
            if api_error {
                error[TurnError::ApiError.slot()] = Some(TurnError::ApiError);
            }
            if let Some(claim) = &seen.claim
                && seen.claim != self.seen.claim
            {
                self.take_claim(Channel::Screen, claim.clone(), actions);
            }
        }
        self.seen = seen;
    }

    fn on_session_log(&mut self, now_ms: u64, event: LogEvent, actions: &mut Vec<Action>) {
        self.compactions.log_active();
        match event {
            LogEvent::Tokens { total } => {
                self.tokens_source = "session_log";
                self.tokens_used = self.token_base + total;
            }
            LogEvent::Compacted { before } => {
                self.compaction_seen(now_ms, Source::SessionLog, before);
            }
            LogEvent::Context { tokens, window } => {
                // Without a window (the log's or the adapter's) the screen's
                // gauge gives the share.
                if let Some(window) = window.or(self.config.context_window).filter(|w| *w > 0) {
                    self.gauge_from_log = true;
                    let used_pct = (tokens.saturating_mul(100) / window).min(100) as u8;
                    let reading = Reading {
                        used_pct: Some(used_pct),
                        tokens: Some(tokens),
                    };
                    self.gauge(now_ms, reading);
                }
            }
            LogEvent::Reply { text } => {
                if matches!(self.phase, Phase::Working { .. }) {
                    self.reply = Some(text);
                }
            }
            LogEvent::CommandRun { command } => {
                if self.commands.len() == COMMANDS_KEPT {
                    self.commands.remove(0);
                }
                self.commands.push(command);
            }
            LogEvent::TurnComplete => {
                self.signal_turn("session_log");
            }
            LogEvent::ApiError { status, message } => {
                let kind = match status {
                    Some(429) => TurnError::UsageLimit,
                    _ => TurnError::ApiError,
                };
                let during_turn = matches!(self.phase, Phase::Working { .. });
                if let Phase::Working { error, .. } = &mut self.phase {
                    let slot = &mut error[kind.slot()];
                    if slot.is_some() {
                        // The screen showed it already.
                        return;
                    }
                    *slot = Some(kind);
                }
                let row = match kind {
                    TurnError::UsageLimit => "usage_limit_shown",
                    TurnError::ApiError => "api_error_shown",
                };
                actions.push(record(
                    row,
                    json!({ "source": "session_log", "turn": self.turns + 1,
                            "during_turn": during_turn, "status": status,
                            "message": excerpt(&message) }),
                ));
            }
        }
    }

    /// The agent says its turn is complete. Whether it counts for the turn
    /// under way: not when none is, nor when it is the previous turn's, late.
    fn signal_turn(&mut self, by: &'static str) -> bool {
        let owed = match self.owed_signals.iter().position(|source| *source == by) {
            Some(index) => {
                self.owed_signals.remove(index);
                true
            }
            None => false,
        };
        match &mut self.phase {
            Phase::Working { signalled_by, .. } => {
                if owed {
                    return false;
                }
                signalled_by.get_or_insert(by);
                if !self.turn_signals.contains(&by) {
                    self.turn_signals.push(by);
                }
                if !self.signal_sources.contains(&by) {
                    self.signal_sources.push(by);
                }
                true
            }
            _ => false,
        }
    }

    /// Moves on when the clock or the screen allows it.
    fn advance(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        if let Some((count, since)) = self.compaction_candidate
            && now_ms.saturating_sub(since) >= SETTLE_MS
        {
            for _ in self.banners..count {
                self.compaction_seen(now_ms, Source::Screen, None);
            }
            self.banners = count;
            self.compaction_candidate = None;
        }
        for row in self.compactions.close_due(now_ms) {
            actions.push(record("compacted", row));
        }
        if matches!(self.phase, Phase::Starting { .. } | Phase::Working { .. }) {
            if self.dialog.is_some() {
                self.on_dialog(now_ms, actions);
                return;
            }
            if !self.seen.busy
                && !self.seen.idle
                && now_ms.saturating_sub(self.last_change_ms) >= self.config.timing.stuck_ms
            {
                let reason = format!(
                    "the agent's screen shows neither work nor its input box and has not changed for {}s (an unknown dialog?); goalie typed nothing",
                    self.config.timing.stuck_ms / 1000
                );
                actions.push(record(
                    "unknown_screen",
                    json!({ "still_ms": now_ms.saturating_sub(self.last_change_ms) }),
                ));
                self.escalate(now_ms, reason, actions);
                return;
            }
        }
        match self.phase {
            Phase::Stopped | Phase::Injecting { .. } | Phase::Auditing | Phase::Restarting => {}
            Phase::Backoff {
                until_ms,
                wait_ms,
                error,
            } => {
                if now_ms >= until_ms && self.screen_settled(now_ms, self.config.timing.quiet_ms) {
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
                if self.state == GoalState::Pursuing
                    && self.screen_settled(now_ms, self.config.timing.quiet_ms)
                {
                    self.next_turn(now_ms, "the goal was resumed".into(), actions);
                }
            }
            Phase::Starting { since_ms } => {
                if self.screen_settled(now_ms, self.config.timing.quiet_ms) {
                    actions.push(record("agent_ready", json!({ "process": self.process })));
                    if let Some((wait_ms, shown)) = self.config.reset_wait.take() {
                        let wait_ms = self.within_time_limit(now_ms, wait_ms);
                        actions.push(record(
                            "error_backoff",
                            json!({ "turn": self.turns, "error": TurnError::UsageLimit.as_str(),
                                    "consecutive": self.error_turns, "wait_ms": wait_ms,
                                    "until_reset": shown, "after_restart": true }),
                        ));
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
            Phase::Working {
                kind,
                submitted_ms,
                saw_busy,
                saw_done,
                signalled_by,
                ..
            } => {
                let signalled = signalled_by.is_some();
                // The agent's own word that the turn is complete needs only a
                // short settle; a busy sign or a new finished-turn line shows
                // the turn ran; without any, only a much longer stillness ends it.
                let quiet = if signalled {
                    self.config.timing.quiet_ms.min(SIGNALLED_QUIET_MS)
                } else if saw_busy || saw_done {
                    self.config.timing.quiet_ms
                } else {
                    self.config.timing.no_busy_quiet_ms
                };
                let waited = now_ms.saturating_sub(submitted_ms);
                if waited >= quiet && self.screen_settled(now_ms, quiet) {
                    self.end_turn(now_ms, actions);
                } else if kind == PromptKind::BudgetLimit && waited >= self.config.wrap_up_grace_ms
                {
                    let reason = "the wrap-up turn did not end in time".to_string();
                    actions.push(record("wrap_up_timeout", json!({ "waited_ms": waited })));
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
        }
    }

    /// A known dialog is on screen: answer it by its policy once it has been
    /// still for the quiet window, or escalate.
    fn on_dialog(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        let Some(mut dialog) = self.dialog else {
            return;
        };
        let Some(rule) = self.config.dialogs.get(dialog.index).cloned() else {
            return;
        };
        let still = now_ms.saturating_sub(self.last_change_ms) >= self.config.timing.quiet_ms
            && now_ms.saturating_sub(dialog.since_ms) >= self.config.timing.quiet_ms;
        let answered_recently = dialog
            .last_answer_ms
            .is_some_and(|at| now_ms.saturating_sub(at) < ANSWER_AGAIN_MS);
        if !still || answered_recently {
            return;
        }
        let keys = match rule.policy {
            DialogPolicy::Escalate => {
                actions.push(record(
                    "dialog_escalated",
                    json!({ "dialog": rule.name, "policy": "escalate" }),
                ));
                let reason = format!(
                    "the agent shows its `{}` dialog, which the adapter says a person must answer",
                    rule.name
                );
                self.escalate(now_ms, reason, actions);
                return;
            }
            _ if dialog.answers >= MAX_ANSWERS => {
                actions.push(record(
                    "dialog_escalated",
                    json!({ "dialog": rule.name, "answers": dialog.answers }),
                ));
                let reason = format!(
                    "the agent's `{}` dialog stayed after {} answers",
                    rule.name, dialog.answers
                );
                self.escalate(now_ms, reason, actions);
                return;
            }
            DialogPolicy::Accept => rule.accept,
            DialogPolicy::Deny => rule.deny,
        };
        dialog.answers += 1;
        dialog.last_answer_ms = Some(now_ms);
        self.dialog = Some(dialog);
        actions.push(record(
            "dialog_answered",
            json!({ "dialog": rule.name, "answer": rule.policy.as_str(), "times": dialog.answers }),
        ));
        actions.push(Action::Keys { keys });
    }

    /// Types nothing more: pauses the goal for a person to look, and stops.
    fn escalate(&mut self, now_ms: u64, reason: String, actions: &mut Vec<Action>) {
        if self.state == GoalState::Pursuing {
            self.transition(GoalState::Paused, Actor::Runtime, reason.clone(), actions);
        }
        let exit_code = exit_code::for_state(self.state);
        self.stop(now_ms, exit_code, reason, actions);
    }

    /// No busy indicator, the input box shown, the screen still for `quiet_ms`,
    /// and the person not typing.
    fn screen_settled(&self, now_ms: u64, quiet_ms: u64) -> bool {
        let user_still = self
            .last_user_ms
            .is_none_or(|at| now_ms.saturating_sub(at) >= self.config.user_quiet_ms);
        !self.seen.busy
            && self.seen.idle
            && user_still
            && now_ms.saturating_sub(self.last_change_ms) >= quiet_ms
    }

    fn end_turn(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        let Phase::Working {
            kind,
            submitted_ms,
            saw_busy,
            saw_done,
            signalled_by,
            error,
            ..
        } = self.phase
        else {
            return;
        };
        // A usage limit is the turn's error when both showed.
        let error = error[0].or(error[1]);
        let claim = self.claim.take();
        self.turns += 1;
        self.process_turns += 1;
        let signalled = std::mem::take(&mut self.turn_signals);
        self.owed_signals = self
            .signal_sources
            .iter()
            .filter(|source| !signalled.contains(source))
            .copied()
            .collect();
        actions.push(record(
            "turn_ended",
            json!({
                "turn": self.turns,
                "prompt": kind.as_str(),
                "duration_ms": now_ms.saturating_sub(submitted_ms),
                "busy_seen": saw_busy,
                "done_seen": saw_done,
                "signalled": signalled_by.is_some(),
                "signalled_by": signalled_by,
                "error": error.map(TurnError::as_str),
                "tokens_used": self.tokens_used,
                "context_used_pct": self.gauge_pct,
                // The agent's reply (the shell fills it from the screen when the log has none).
                "reply": self.reply.take().map(|text| excerpt(&text)),
            }),
        ));
        if self.tokens_used != self.tokens_recorded {
            actions.push(record(
                "tokens",
                json!({ "used": self.tokens_used, "source": self.tokens_source }),
            ));
            self.tokens_recorded = self.tokens_used;
        }
        actions.push(self.progress(now_ms));
        if kind == PromptKind::BudgetLimit {
            actions.push(record("wrap_up_ended", json!({ "turn": self.turns })));
            if self.state == GoalState::BudgetLimited {
                if let Some((channel, claim)) = claim {
                    actions.push(record(
                        "claim_ignored",
                        json!({ "channel": channel.as_str(), "turn": self.turns, "claim": claim,
                                "why": "the goal was already budget-limited" }),
                    ));
                }
                let reason = "the agent wrapped up after a limit was reached".to_string();
                self.stop(now_ms, exit_code::BUDGET_LIMITED, reason, actions);
                return;
            }
        }
        match claim {
            Some((channel, claim)) if self.state != GoalState::Pursuing => {
                actions.push(record(
                    "claim_ignored",
                    json!({ "channel": channel.as_str(), "turn": self.turns, "claim": claim,
                            "why": format!("the goal was {} when the turn ended", self.state) }),
                ));
            }
            Some((channel, Claim::Complete { checklist })) => {
                self.blocked = None;
                self.error_turns = 0;
                actions.push(record(
                    "claim",
                    json!({ "channel": channel.as_str(), "turn": self.turns,
                            "status": "complete", "checklist": checklist }),
                ));
                self.phase = Phase::Auditing;
                actions.push(Action::RunAudit {
                    turn: self.turns,
                    channel,
                    claim: Claim::Complete { checklist },
                    commands: self
                        .config
                        .compaction_sources
                        .contains(&Source::SessionLog)
                        .then(|| self.commands.clone()),
                });
                return;
            }
            Some((channel, Claim::Blocked { reason })) => {
                let key = blocker_key(&reason);
                let count = match &self.blocked {
                    Some((previous, count)) if *previous == key => count + 1,
                    _ => 1,
                };
                self.blocked = Some((key, count));
                actions.push(record(
                    "claim",
                    json!({ "channel": channel.as_str(), "turn": self.turns,
                            "status": "blocked", "reason": reason, "consecutive": count }),
                ));
                if count >= BLOCKED_TURNS {
                    let why = format!(
                        "the agent reported the same blocker in {count} consecutive turns: {reason}"
                    );
                    self.transition(GoalState::Unmet, Actor::Agent, why.clone(), actions);
                    self.stop(now_ms, exit_code::UNMET, why, actions);
                    return;
                }
                self.notice = Some(format!(
                    "goalie noted the blocker you reported ({count} of {BLOCKED_TURNS} consecutive reports \
                     needed to end the goal unmet). If you can work around it, do."
                ));
            }
            None => self.blocked = None,
        }
        if let Some(error) = error {
            self.after_error(now_ms, error, actions);
            return;
        }
        self.error_turns = 0;
        self.next_turn(now_ms, format!("turn {} ended", self.turns), actions);
    }

    /// The turn ended with an API error or a usage limit: wait longer after
    /// each such turn in a row before the next prompt, and after
    /// [`ERROR_TURNS`] of them pause the goal, so that an agent that cannot
    /// reach its model does not spend the turn budget in seconds.
    fn after_error(&mut self, now_ms: u64, error: TurnError, actions: &mut Vec<Action>) {
        self.error_turns += 1;
        let count = self.error_turns;
        if count >= ERROR_TURNS {
            actions.push(record(
                "error_turns_paused",
                json!({ "turn": self.turns, "error": error.as_str(), "consecutive": count }),
            ));
            let reason = format!(
                "the agent's last {count} turns each ended with an API error or a usage limit \
                 (the last: {}); goalie typed nothing more (`goalie resume` continues the goal)",
                error.describe()
            );
            self.escalate(now_ms, reason, actions);
            return;
        }
        // A usage limit whose reset the screen showed: until then (a little
        // more); anything else: the doubling backoff.
        let reset = match (error, self.usage_reset.take()) {
            (TurnError::UsageLimit, Some((at_ms, shown))) => Some((
                (at_ms.saturating_sub(now_ms) + RESET_MARGIN_MS).min(MAX_RESET_WAIT_MS),
                shown,
            )),
            _ => None,
        };
        let wait_ms = reset
            .as_ref()
            .map_or_else(|| error_backoff_ms(count), |(wait, _)| *wait);
        let wait_ms = self.within_time_limit(now_ms, wait_ms);
        let mut row = json!({ "turn": self.turns, "error": error.as_str(), "consecutive": count,
                              "wait_ms": wait_ms });
        if let Some((_, shown)) = &reset {
            row["until_reset"] = json!(shown);
        }
        actions.push(record("error_backoff", row));
        self.phase = Phase::Backoff {
            until_ms: now_ms + wait_ms,
            wait_ms,
            error,
        };
    }

    /// A wait of `wait_ms` from now, cut at the time limit: once that is
    /// reached the goal stops anyway.
    fn within_time_limit(&self, now_ms: u64, wait_ms: u64) -> u64 {
        match self.config.limits.max_time_ms {
            Some(max) => wait_ms.min(max.saturating_sub(self.time_used(now_ms))),
            None => wait_ms,
        }
    }

    /// The agent is idle: type the next prompt, or, while the goal is paused, nothing.
    fn next_turn(&mut self, now_ms: u64, why: String, actions: &mut Vec<Action>) {
        if self.state != GoalState::Pursuing {
            if self.phase != Phase::Idle {
                self.phase = Phase::Idle;
                self.idle_since = Some(now_ms);
            }
            return;
        }
        if let Some(limit) = self.limit_reached(now_ms) {
            let reason = format!("the {} limit was reached", limit.as_str());
            self.transition(
                GoalState::BudgetLimited,
                Actor::Runtime,
                reason.clone(),
                actions,
            );
            self.inject(now_ms, PromptKind::BudgetLimit, reason, actions);
            return;
        }
        if self.process_turns > 0 {
            match self.config.rotation {
                Rotation::Never => {}
                Rotation::EveryTurn => {
                    let reason = "fresh context: a new agent process for every turn".to_string();
                    self.restart(now_ms, reason, false, actions);
                    return;
                }
                Rotation::At(_) if self.handoff_asked => {
                    let reason = "context rotation: the agent wrote its handoff note".to_string();
                    self.restart(now_ms, reason, true, actions);
                    return;
                }
                Rotation::At(threshold) => {
                    if self.gauge_pct.is_some_and(|used| used >= threshold) {
                        self.handoff_asked = true;
                        let why = format!(
                            "the context is {}% full (rotation at {threshold}%)",
                            self.gauge_pct.unwrap_or(0)
                        );
                        actions.push(record(
                            "rotation_started",
                            json!({ "process": self.process, "context_used_pct": self.gauge_pct,
                                    "threshold_pct": threshold }),
                        ));
                        self.inject(now_ms, PromptKind::Handoff, why, actions);
                        return;
                    }
                }
            }
        }
        let kind = if self.rotated.is_some() {
            PromptKind::AfterRotation
        } else if !self.started && self.config.first_prompt == PromptKind::Start {
            PromptKind::Start
        } else if self.compaction_pending {
            PromptKind::AfterCompaction
        } else if !self.rejection_reasons.is_empty() {
            PromptKind::ClaimRejected
        } else if self.config.objective_changed_from.is_some() {
            PromptKind::ObjectiveUpdated
        } else if !self.started {
            self.config.first_prompt
        } else {
            PromptKind::Continuation
        };
        self.inject(now_ms, kind, why, actions);
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

    fn inject(&mut self, now_ms: u64, kind: PromptKind, why: String, actions: &mut Vec<Action>) {
        if let Some(since) = self.idle_since.take() {
            self.idle_total_ms += now_ms.saturating_sub(since);
        }
        let previous_objective = match kind {
            PromptKind::ObjectiveUpdated
            | PromptKind::AfterCompaction
            | PromptKind::AfterRotation => self.config.objective_changed_from.take(),
            PromptKind::Start => {
                // The start prompt carries the current objective: nothing to update.
                self.config.objective_changed_from = None;
                None
            }
            _ => None,
        };
        // Every prompt carries the objective: a compaction before it is answered.
        if self.compaction_pending {
            self.compaction_pending = false;
            actions.push(record(
                "goal_restored",
                json!({ "prompt": kind.as_str(), "turn": self.turns + 1,
                        "compactions": self.compactions.total() }),
            ));
        }
        let handoff = match kind {
            PromptKind::AfterRotation => self.rotated.take().flatten(),
            _ => None,
        };
        self.rotated = None;
        self.started = true;
        let limits = self.config.limits;
        let limit_reason = (kind == PromptKind::BudgetLimit)
            .then(|| self.limit_reached(now_ms))
            .flatten()
            .map(|reason| reason.as_str().to_string());
        let vars = PromptVars {
            objective: self.config.objective.clone(),
            turn: self.turns + 1,
            max_turns: limits.max_turns,
            time_used: format_duration(self.time_used(now_ms)),
            time_limit: limits.max_time_ms.map(format_duration),
            tokens_used: self.tokens_used,
            token_budget: limits.budget_tokens,
            tokens_remaining: limits
                .budget_tokens
                .map(|max| max.saturating_sub(self.tokens_used)),
            nonce: turn_nonce(&self.config.claim_code, self.turns + 1),
            limit_reason,
            requirements: self.config.requirements.clone(),
            verify: self.config.verify.clone(),
            mcp: self.config.mcp,
            rejection_reasons: std::mem::take(&mut self.rejection_reasons),
            notice: self.notice.take(),
            previous_objective,
            compactions: self.compactions.total(),
            process: self.process,
            handoff,
            handoff_file: (kind == PromptKind::Handoff)
                .then(|| handoff_file(&self.config.goal_id, self.process)),
            digest: None,
        };
        self.phase = Phase::Injecting { kind };
        actions.push(Action::Inject {
            kind,
            vars: Box::new(vars),
            why,
        });
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

    /// A source reports a compaction: a new one is answered by the next prompt.
    fn compaction_seen(&mut self, now_ms: u64, source: Source, before: Option<u64>) {
        let at = self.moment(now_ms);
        if self.compactions.report(at, source, before) {
            self.compaction_pending = true;
        }
    }

    /// A reading of the context gauge (a sudden fall is a compaction).
    fn gauge(&mut self, now_ms: u64, reading: Reading) {
        self.gauge_pct = reading.used_pct.or(self.gauge_pct);
        let at = self.moment(now_ms);
        if self.compactions.reading(at, reading) {
            self.compaction_pending = true;
        }
    }

    fn moment(&self, now_ms: u64) -> Moment {
        Moment {
            now_ms,
            turn: self.turns + 1,
            mid_turn: matches!(self.phase, Phase::Working { .. } | Phase::Injecting { .. }),
        }
    }

    /// Ends this agent process; the shell starts the next one.
    fn restart(&mut self, now_ms: u64, reason: String, handoff: bool, actions: &mut Vec<Action>) {
        for row in self.compactions.close_all() {
            actions.push(record("compacted", row));
        }
        if let Some(since) = self.idle_since.take() {
            self.idle_total_ms += now_ms.saturating_sub(since);
        }
        actions.push(Action::RestartAgent {
            reason,
            handoff_file: handoff.then(|| handoff_file(&self.config.goal_id, self.process)),
        });
        self.phase = Phase::Restarting;
    }

    /// A new agent process runs: it starts from nothing but its first prompt.
    fn on_restarted(&mut self, now_ms: u64, handoff: Option<String>, actions: &mut Vec<Action>) {
        if self.phase != Phase::Restarting {
            return;
        }
        self.process += 1;
        actions.push(record(
            "rotated",
            json!({ "process": self.process, "handoff": handoff.is_some() }),
        ));
        self.phase = Phase::Starting { since_ms: now_ms };
        self.seen = Observation::default();
        self.last_change_ms = now_ms;
        self.dialog = None;
        self.banners = 0;
        self.compaction_candidate = None;
        // The new process knows nothing of the old one's compactions.
        self.compaction_pending = false;
        self.compactions.new_process();
        self.gauge_from_log = false;
        self.gauge_pct = None;
        self.reply = None;
        self.token_base = self.tokens_used;
        self.process_turns = 0;
        self.handoff_asked = false;
        self.rotated = Some(handoff);
    }

    /// Tokens the session log reports after the run stopped (its last lines
    /// are often written as the agent ends): counted, and the goal's counters updated.
    fn late_tokens(&mut self, total: u64, actions: &mut Vec<Action>) {
        let used = self.token_base + total;
        if used <= self.tokens_used {
            return;
        }
        self.tokens_used = used;
        self.tokens_source = "session_log";
        self.tokens_recorded = used;
        actions.push(record(
            "tokens",
            json!({ "used": used, "source": "session_log", "after_stop": true }),
        ));
        actions.push(self.progress(self.stopped_at_ms));
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

/// Blockers are the same when their words are (case, spacing and punctuation aside).
fn blocker_key(reason: &str) -> String {
    reason
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// At most this many characters of a reply are kept.
const REPLY_CHARS: usize = 600;

/// A reply shortened for the ledger and the digest: its last lines, at most
/// [`REPLY_CHARS`] characters.
pub fn excerpt(text: &str) -> String {
    let text = text.trim();
    let count = text.chars().count();
    if count <= REPLY_CHARS {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - REPLY_CHARS).collect();
    format!("…{}", tail.trim_start())
}

#[cfg(test)]
mod tests;
