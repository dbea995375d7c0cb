//! The supervisor's core: a pure function from (state, event) to actions.
//!
//! No I/O, no clock reads, no threads. The shell turns the world into [`Event`]s
//! (each carrying the time it happened, in milliseconds since the run began) and
//! carries out the [`Action`]s. Every decision the program makes about the goal
//! is made here, and tested with plain event sequences.
//!
//! This file is the face: the [`Supervisor`] and [`Supervisor::handle`], which
//! hands each event to the file of its concern. The supervisor's state is the
//! goal's (its state, turns, the pending claim, notes for the next prompt) and
//! the sub-states in `state/`: small structs with their own rules and tests,
//! which know nothing of the supervisor.
//!
//! | file | decides |
//! |---|---|
//! | `event.rs`, `action.rs` | what comes in, what goes out |
//! | `activity.rs`, `doing.rs` | what the run is doing now, for the person's status |
//! | `phase.rs` | where the turn cycle is (starting, typing, working, waiting, auditing) |
//! | `turns.rs` | which prompt comes next, typing it |
//! | `launch.rs` | the first prompt on the agent's command line instead of typed |
//! | `mcp_tools.rs` | a first prompt's Enter held until `goalie mcp`'s tools are listed |
//! | `advance.rs` | when the agent is ready, a turn has ended, a wait is over |
//! | `turn_end.rs` | a turn's row, the wrap-up, then its claim or error |
//! | `screen.rs`, `session_log.rs`, `signals.rs` | what the screen, the session log and the hooks say |
//! | `turn_error.rs`, `backoff.rs` | turns that end with an API error or a usage limit |
//! | `dialogs.rs` | answering the agent's dialogs |
//! | `rotation.rs` | a new agent process, after a handoff note |
//! | `claims.rs` | claims and their audit |
//! | `wait.rs` | waits the agent asks for, and for the plan's quota to reset |
//! | `rest.rs` | when no tick can change anything (paused at an idle prompt): the clock may stop |
//! | `commands.rs` | the user's commands and the takeover chord |
//! | `goal_state.rs`, `stop.rs` | transitions, time and budgets, ending the run |
//! | `progress.rs` | each turn's progress, the no-progress breaker, hung turns |
//! | `state/` | tokens, the screen's stillness, turn signals, compactions, error backoff, idle time, dialogs, processes, blockers, the agent's commands, the breaker's memory, the hang watch |

mod action;
mod activity;
mod advance;
mod backoff;
mod claims;
mod commands;
mod dialogs;
mod doing;
mod event;
mod goal_state;
mod launch;
mod mcp_tools;
mod phase;
mod progress;
mod rest;
mod rotation;
mod screen;
mod session_log;
mod signals;
mod state;
mod stop;
mod turn_end;
mod turn_error;
mod turns;
mod wait;

pub use action::Action;
pub use activity::Activity;
pub use event::Event;
pub use state::agent_log::excerpt;
pub use state::blockers::BLOCKED_TURNS;
pub use state::error_backoff::{ERROR_TURNS, MAX_RESET_WAIT_MS, RESET_MARGIN_MS, error_backoff_ms};
pub use state::processes::handoff_file;
pub use state::wait::QUOTA_RESET_MARGIN_MS;
pub use turn_error::TurnError;

pub use crate::core::config::{Config, DialogRule, Rotation};

use crate::core::log_event::LogEvent;
use crate::goal::claim::{Channel, Claim};
use crate::goal::lifecycle::GoalState;
use crate::goal::limits::{Limits, Progress};

use phase::Phase;
use state::{
    AgentCommands, Blockers, CompactionWatch, DialogWatch, ErrorBackoff, HangWatch, IdleTime,
    McpTools, Processes, QuotaWatch, ScreenWatch, StallWatch, Tokens, TurnSignals, Waiting,
};

/// Why a first prompt given on the agent's command line went there (its
/// `injection` row's `why`; `launch.rs`).
pub const ON_LAUNCH: &str = "given on the agent's command line as it started";

/// The supervisor's state.
#[derive(Debug, Clone)]
pub struct Supervisor {
    config: Config,
    state: GoalState,
    phase: Phase,
    /// Turns of the goal, earlier runs included.
    turns: u32,
    tokens: Tokens,
    screen: ScreenWatch,
    /// Compactions and the context gauge.
    context: CompactionWatch,
    /// The agent's reply this turn, as its session log said it.
    reply: Option<String>,
    processes: Processes,
    signals: TurnSignals,
    backoff: ErrorBackoff,
    /// A prompt has been typed in this run.
    started: bool,
    /// The start prompt went on the agent's command line and the agent has
    /// not yet shown it took it (`launch.rs`).
    at_launch: bool,
    /// The person has taken over the terminal.
    takeover: bool,
    idle: IdleTime,
    /// Something the subscribers see changed during the current event.
    updated: bool,
    dialog: DialogWatch,
    /// When the run stopped (the time late token figures are booked at).
    stopped_at_ms: u64,
    /// The claim of the turn under way (the latest, from either channel).
    claim: Option<(Channel, Claim)>,
    /// The turn under way's last claim block asked for a wait goalie cannot do: why.
    bad_wait: Option<(Channel, String)>,
    blockers: Blockers,
    /// For the next prompt: why the audit rejected a claim.
    rejection_reasons: Vec<String>,
    /// For the next prompt: a line of notice (e.g. a blocker was noted).
    notice: Option<String>,
    /// Shell commands the agent ran in this run (session log), newest last.
    commands: AgentCommands,
    /// The wait under way (or just over), when goalie waits without typing.
    wait: Option<Waiting>,
    /// For the next prompt: the agent's wait that ended.
    wait_note: Option<crate::core::prompt::WaitNote>,
    /// The plan's quota windows, as the session log reports them.
    quota: QuotaWatch,
    /// The no-progress breaker and the hung-turn watch.
    stall: StallWatch,
    hang: HangWatch,
    /// `goalie mcp`'s tools listed by this agent process, and a held Enter.
    tools: McpTools,
}

impl Supervisor {
    pub fn new(config: Config) -> Supervisor {
        Supervisor {
            state: GoalState::Pursuing,
            phase: Phase::Starting { since_ms: 0 },
            turns: config.prior.turns,
            tokens: Tokens::new(config.prior.tokens_used),
            screen: ScreenWatch::default(),
            context: CompactionWatch::new(
                config.compaction_sources.clone(),
                config.prior_compactions,
            ),
            reply: None,
            processes: Processes::starting_at(config.first_process),
            signals: TurnSignals::default(),
            backoff: ErrorBackoff::default(),
            started: false,
            at_launch: false,
            takeover: false,
            idle: IdleTime::default(),
            updated: false,
            dialog: DialogWatch::default(),
            stopped_at_ms: 0,
            claim: None,
            bad_wait: None,
            blockers: Blockers::default(),
            rejection_reasons: Vec::new(),
            notice: None,
            commands: AgentCommands::default(),
            wait: None,
            wait_note: state::wait::interrupted_note(&config),
            quota: QuotaWatch::default(),
            stall: StallWatch::default(),
            hang: HangWatch::default(),
            tools: McpTools::default(),
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
            tokens_used: self.tokens.used(),
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
        self.tokens.used()
    }

    /// Compactions of the goal so far, earlier runs included.
    pub fn compactions(&self) -> u32 {
        self.context.total()
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
        self.watch(&event);
        match event {
            Event::Screen { now_ms, seen } => {
                self.on_screen(now_ms, seen, &mut actions);
                self.advance(now_ms, &mut actions);
            }
            Event::UserInput { now_ms } => self.screen.user_typed(now_ms),
            Event::SessionLog { now_ms, event } => {
                self.on_session_log(now_ms, event, &mut actions);
                self.advance(now_ms, &mut actions);
            }
            Event::Tick { now_ms } => {
                self.tools_overdue(now_ms, &mut actions);
                self.advance(now_ms, &mut actions);
            }
            Event::InjectionDone { now_ms } => {
                self.tools_reset(false);
                self.on_injected(now_ms, &mut actions);
            }
            Event::McpToolsListed { now_ms: _ } => self.on_tools_listed(&mut actions),
            Event::AgentExited { now_ms, status } => {
                self.on_agent_exited(now_ms, status, &mut actions);
            }
            Event::Interrupted { now_ms, signal } => {
                self.on_interrupted(now_ms, signal, &mut actions);
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
            } => self.on_turn_signal(now_ms, source, data, &mut actions),
            Event::Claim {
                now_ms: _,
                channel,
                claim,
            } => self.take_claim(channel, claim, &mut actions),
            Event::Workspace {
                now_ms,
                workspace,
                screen_reply,
            } => self.on_workspace(now_ms, workspace, screen_reply, &mut actions),
            Event::AgentCpu { now_ms, .. } => self.advance(now_ms, &mut actions),
            Event::AuditFinished {
                now_ms,
                passed,
                reasons,
            } => self.audit_finished(now_ms, passed, reasons, &mut actions),
            Event::WaitChecked {
                now_ms,
                passed,
                exit_code,
                output,
            } => self.on_wait_checked(now_ms, (passed, exit_code, output), &mut actions),
        }
        if std::mem::take(&mut self.updated) {
            actions.push(Action::GoalUpdated);
        }
        actions
    }
}

#[cfg(test)]
mod tests;
