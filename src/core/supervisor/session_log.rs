//! What the agent's session log says: tokens, compactions, the context, its reply, commands, turn ends and API errors.

use super::*;

/// At most this many characters of a reply are kept.
pub(super) const REPLY_CHARS: usize = 600;

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

/// How many of the agent's commands are kept for the audit.
pub(super) const COMMANDS_KEPT: usize = 2000;

impl Supervisor {
    pub(super) fn on_session_log(
        &mut self,
        now_ms: u64,
        event: LogEvent,
        actions: &mut Vec<Action>,
    ) {
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
    /// Tokens the session log reports after the run stopped (its last lines
    /// are often written as the agent ends): counted, and the goal's counters updated.
    pub(super) fn late_tokens(&mut self, total: u64, actions: &mut Vec<Action>) {
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
}
