//! The agent's screen: output taken in, read with the adapter's rules, a reply
//! read from it.

use std::io::Write;

use crate::core::supervisor::Event;
use crate::core::usage_reset::ResetTime;

use super::shell::Shell;

/// How many transcript rows make a reply read from the screen.
pub(super) const SCREEN_REPLY_ROWS: usize = 6;

impl Shell<'_> {
    /// The agent's last reply as its screen shows it: the last rows of its
    /// transcript above the input box.
    pub(super) fn screen_reply(&self) -> Option<String> {
        let rows = self.redacted_rows();
        let rules = &self.spec.adapter.screen;
        let input = rows.iter().rposition(|row| rules.idle.is_match(row))?;
        let lines: Vec<&str> = rows[..input]
            .iter()
            .map(|row| row.trim_end())
            .filter(|row| !row.trim().is_empty() && !rules.busy.is_match(row))
            .collect();
        let start = lines.len().saturating_sub(SCREEN_REPLY_ROWS);
        let text = lines[start..].join("\n");
        (!text.is_empty()).then(|| crate::core::supervisor::excerpt(&text))
    }

    /// The screen's rows with the secrets hidden, a secret that wraps from
    /// one row into the next too: what of the screen goes into the ledger
    /// (whose own redaction sees each row's part of such a secret alone).
    pub(super) fn redacted_rows(&self) -> Vec<String> {
        let (_, cols) = self.screen.size();
        self.ledger
            .redactor()
            .redact_rows(&self.screen.rows(), usize::from(cols))
    }

    /// The whole screen as text with its secrets hidden, one line per row.
    pub(super) fn redacted_text(&self) -> String {
        let mut text = self.redacted_rows().join("\n");
        text.truncate(text.trim_end_matches('\n').len());
        text
    }

    /// Reads the screen with the adapter's rules; `drawn_ms`: when the
    /// latest output came.
    pub(super) fn look(&mut self, drawn_ms: Option<u64>) -> Event {
        self.watch.work.looks += 1;
        let rows = self.screen.rows();
        let scrolled = self.screen.take_scrolled();
        let mut seen = self.observer.observe(&rows, &scrolled);
        self.typing_look(&rows, seen.busy);
        seen.drawn_ms = drawn_ms;
        // A reset shown as a time of day becomes a delay against this clock.
        if let Some(reset @ ResetTime::At { .. }) = seen.usage_limit_reset.take() {
            seen.usage_limit_reset = Some(reset.from(&jiff::Zoned::now()));
        }
        Event::Screen {
            now_ms: self.now_ms(),
            seen,
        }
    }

    pub(super) fn take_output(&mut self, chunk: &[u8]) {
        self.record_output(chunk);
        if self.interactive {
            let shown = self.status.filter.filter(chunk);
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&shown);
            let _ = out.flush();
        }
        self.screen.process(chunk);
        let replies = self.screen.take_replies();
        if !replies.is_empty() {
            self.agent.answer(replies);
        }
    }
}
