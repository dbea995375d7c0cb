//! What the agent's session log says: tokens, compactions, the context, its
//! reply, the commands it ran, turn ends and API errors.

use crate::core::compaction::Source;
use crate::core::log_event::LogEvent;
use crate::core::row::{ErrorShown, Row, ShownIn};
use crate::goal::claim::turn_nonce;

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;
use super::state::agent_log::excerpt;
use super::turn_error::TurnError;

impl Supervisor {
    pub(super) fn on_session_log(
        &mut self,
        now_ms: u64,
        event: LogEvent,
        actions: &mut Vec<Action>,
    ) {
        self.context.log_active();
        match event {
            LogEvent::Tokens { total } => self.tokens.log(total),
            LogEvent::Compacted { before } => {
                let at = self.moment(now_ms);
                self.context.report(at, Source::SessionLog, before);
            }
            LogEvent::Context { tokens, window } => {
                // Without a window (the log's or the adapter's) the screen's
                // gauge gives the share.
                if let Some(window) = window.or(self.config.context_window).filter(|w| *w > 0) {
                    let at = self.moment(now_ms);
                    self.context.log_gauge(at, tokens, window);
                }
            }
            LogEvent::Reply { text } => {
                if matches!(self.phase, Phase::Working { .. }) {
                    self.reply = Some(text);
                }
            }
            LogEvent::CommandRun { command } => self.commands.push(command),
            LogEvent::Prompt { text } => self.prompt_logged(&text),
            LogEvent::Quota { windows } => self.quota_reported(windows),
            LogEvent::TurnComplete => {
                self.signal_turn(now_ms, "session_log");
            }
            LogEvent::ApiError { status, message } => {
                self.log_api_error(status, message, actions);
            }
        }
    }

    /// The log holds a prompt: when it is the one goalie typed for the turn
    /// under way (it holds the turn's claim nonce, which changes every turn),
    /// the log has reached this turn, so its next turn end is this turn's.
    fn prompt_logged(&mut self, text: &str) {
        if matches!(self.phase, Phase::Working { .. } | Phase::Injecting { .. })
            && text.contains(&turn_nonce(&self.config.claim_code, self.turns + 1))
        {
            self.signals.log_reached_turn();
        }
    }

    /// The session log reports an API error (a 429 is a usage limit): a row
    /// unless the screen showed it in this turn already.
    fn log_api_error(&mut self, status: Option<u16>, message: String, actions: &mut Vec<Action>) {
        let kind = match status {
            Some(429) => TurnError::UsageLimit,
            _ => TurnError::ApiError,
        };
        let during_turn = matches!(self.phase, Phase::Working { .. });
        if let Phase::Working { errors, .. } = &mut self.phase
            && !errors.note(kind)
        {
            // The screen showed it already.
            return;
        }
        let shown = ErrorShown {
            seen: ShownIn::SessionLog {
                status,
                message: excerpt(&message),
            },
            turn: self.turns + 1,
            during_turn,
        };
        actions.push(Action::Record(Row::error_shown(kind, shown)));
    }

    /// Tokens the session log reports after the run stopped (its last lines
    /// are often written as the agent ends): counted, and the goal's counters updated.
    pub(super) fn late_tokens(&mut self, total: u64, actions: &mut Vec<Action>) {
        let Some(used) = self.tokens.late(total) else {
            return;
        };
        actions.push(Action::Record(Row::Tokens {
            used,
            source: "session_log".into(),
            after_stop: true,
        }));
        actions.push(self.progress(self.stopped_at_ms));
    }
}
