//! The input box: the text being typed and when Enter submits it.

use std::time::{Duration, Instant};

/// Text typed or pasted but not yet submitted.
#[derive(Debug)]
pub(crate) struct InputBox {
    text: String,
    last_text_at: Option<Instant>,
    drop_fast_enter: Duration,
}

impl InputBox {
    /// `drop_fast_enter`: an Enter closer than this to the previous text is ignored.
    pub(crate) fn new(drop_fast_enter: Duration) -> Self {
        InputBox {
            text: String::new(),
            last_text_at: None,
            drop_fast_enter,
        }
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Typed or pasted text arrived at `now`.
    pub(crate) fn insert(&mut self, s: &str, now: Instant) {
        self.text.extend(
            s.chars()
                .filter(|&c| c == '\n' || !c.is_control() || c == '\t'),
        );
        self.last_text_at = Some(now);
    }

    /// How long ago the last text came (`None`: none since the last submit).
    pub(crate) fn since_text(&self, now: Instant) -> Option<Duration> {
        self.last_text_at
            .map(|at| now.saturating_duration_since(at))
    }

    pub(crate) fn backspace(&mut self) {
        self.text.pop();
    }

    /// Enter pressed at `now`: returns the prompt to submit, or `None` when
    /// the input is blank or the Enter came too soon after the text.
    pub(crate) fn enter(&mut self, now: Instant) -> Option<String> {
        if self.text.trim().is_empty() {
            return None;
        }
        let too_fast = self
            .last_text_at
            .is_some_and(|at| now.saturating_duration_since(at) < self.drop_fast_enter);
        if too_fast {
            return None;
        }
        self.last_text_at = None;
        Some(std::mem::take(&mut self.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn typing_and_backspace() {
        let now = Instant::now();
        let mut input = InputBox::new(Duration::ZERO);
        input.insert("helloo", now);
        input.backspace();
        assert_eq!(input.text(), "hello");
        input.insert("日", now);
        input.backspace();
        assert_eq!(input.text(), "hello");
        let mut empty = InputBox::new(Duration::ZERO);
        empty.backspace();
        assert!(empty.is_empty());
    }

    #[test]
    fn enter_submits_and_clears() {
        let now = Instant::now();
        let mut input = InputBox::new(Duration::ZERO);
        assert_eq!(input.enter(now), None);
        input.insert("  ", now);
        assert_eq!(input.enter(now), None, "blank input does not submit");
        input.insert("do it", now);
        assert_eq!(input.enter(now).as_deref(), Some("  do it"));
        assert!(input.is_empty());
    }

    #[test]
    fn paste_keeps_newlines() {
        let now = Instant::now();
        let mut input = InputBox::new(Duration::ZERO);
        input.insert("one\ntwo\x1b", now);
        assert_eq!(input.enter(now).as_deref(), Some("one\ntwo"));
    }

    #[test]
    fn fast_enter_is_dropped() {
        let start = Instant::now();
        let mut input = InputBox::new(200 * MS);
        input.insert("pasted", start);
        assert_eq!(input.enter(start), None);
        assert_eq!(input.enter(start + 199 * MS), None);
        assert_eq!(input.text(), "pasted");
        assert_eq!(input.enter(start + 200 * MS).as_deref(), Some("pasted"));
    }

    #[test]
    fn fast_enter_off_by_default() {
        let now = Instant::now();
        let mut input = InputBox::new(Duration::ZERO);
        input.insert("x", now);
        assert_eq!(input.enter(now).as_deref(), Some("x"));
    }
}
