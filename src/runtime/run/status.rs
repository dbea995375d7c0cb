//! goalie's title and status row on the person's terminal
//! ([`StatusDisplay`]): what they show, drawn after the core has heard each
//! event, when it changed.

use std::io::Write;

use crate::control::protocol::state_text;
use crate::core::supervisor::Activity;
use crate::terminal::status::{StatusDisplay, StatusView, has_title_stack};

use super::shell::Shell;

/// The display for a run: with a status row when asked and interactive.
pub(super) fn display(status_line: bool, interactive: bool, size: (u16, u16)) -> StatusDisplay {
    let term = std::env::var("TERM").ok();
    let vte = std::env::var_os("VTE_VERSION").is_some();
    StatusDisplay::new(
        status_line && interactive,
        has_title_stack(term.as_deref(), vte),
        size,
    )
}

impl Shell<'_> {
    /// What the status shows now.
    pub(super) fn status_view(&self) -> StatusView {
        let now_ms = self.now_ms();
        let used = self.core.used(now_ms);
        let limits = self.core.limits();
        let activity = self.core.activity(now_ms);
        let phase = match activity {
            Activity::BackingOff { until_ms } | Activity::Waiting { until_ms } => {
                let wait = i64::try_from(until_ms.saturating_sub(now_ms)).unwrap_or(i64::MAX);
                let at = jiff::Zoned::now()
                    .checked_add(jiff::SignedDuration::from_millis(wait))
                    .map(|at| at.strftime("%H:%M").to_string())
                    .unwrap_or_default();
                format!("{} until {at}", activity.label())
            }
            other => other.label().to_string(),
        };
        StatusView {
            goal_id: self.goal_id.clone(),
            state: state_text(self.core.state(), self.core.takeover()),
            turn: used.turns,
            max_turns: limits.max_turns,
            tokens: used.tokens_used,
            budget_tokens: limits.budget_tokens,
            elapsed_ms: used.time_used_ms,
            phase,
        }
    }

    /// Draws the title and the status row where they changed.
    pub(super) fn show_status(&mut self) {
        if !self.interactive {
            return;
        }
        let view = self.status_view();
        let screen = &self.screen;
        let bytes = self.status.update(&view, || screen.cursor_sequence());
        write_out(&bytes);
    }

    /// The title and the row begin (title saved, scroll region set).
    pub(super) fn begin_status(&mut self) {
        if self.interactive {
            write_out(&self.status.begin());
            self.show_status();
        }
    }

    /// The title and the row end: the region reset, the title put back.
    pub(super) fn end_status(&mut self) {
        if self.interactive {
            let plain = self.spec.workdir.display().to_string();
            write_out(&self.status.end(&plain));
        }
    }
}

fn write_out(bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes);
    let _ = out.flush();
}
