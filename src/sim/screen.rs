//! Turns frames into terminal output, rewriting only the rows that changed.

use crate::sim::ui::Frame;
use std::fmt::Write as _;

/// What the terminal currently shows, as far as we drew it.
#[derive(Debug, Default)]
pub(crate) struct Screen {
    shown: Option<Frame>,
}

impl Screen {
    /// Forget what is on the terminal, so the next frame redraws every row.
    pub(crate) fn invalidate(&mut self) {
        self.shown = None;
    }

    /// The bytes that take the terminal from the last frame to `frame`
    /// (empty when nothing changed).
    pub(crate) fn update(&mut self, frame: Frame) -> String {
        let mut out = String::new();
        let previous = self.shown.as_ref();
        for (index, row) in frame.rows.iter().enumerate() {
            let unchanged = previous
                .and_then(|prev| prev.rows.get(index))
                .is_some_and(|old| old == row);
            if !unchanged {
                // Rows are 1-based; `frame.rows` is small, so this cannot overflow.
                let _ = write!(out, "\x1b[{};1H\x1b[2K{row}", index + 1);
            }
        }
        let cursor_moved = previous.is_none_or(|prev| prev.cursor != frame.cursor);
        if !out.is_empty() || cursor_moved {
            let (row, col) = frame.cursor;
            let _ = write!(out, "\x1b[{row};{col}H");
        }
        if !out.is_empty() {
            out = format!("\x1b[?25l{out}\x1b[?25h");
        }
        self.shown = Some(frame);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(rows: &[&str], cursor: (u16, u16)) -> Frame {
        Frame {
            rows: rows.iter().map(|r| r.to_string()).collect(),
            cursor,
        }
    }

    #[test]
    fn first_frame_draws_every_row() {
        let mut s = Screen::default();
        let out = s.update(frame(&["a", "", "c"], (3, 2)));
        assert_eq!(
            out,
            "\x1b[?25l\x1b[1;1H\x1b[2Ka\x1b[2;1H\x1b[2K\x1b[3;1H\x1b[2Kc\x1b[3;2H\x1b[?25h"
        );
    }

    #[test]
    fn only_changed_rows_are_redrawn() {
        let mut s = Screen::default();
        s.update(frame(&["a", "b", "c"], (3, 2)));
        assert_eq!(s.update(frame(&["a", "b", "c"], (3, 2))), "");
        assert_eq!(
            s.update(frame(&["a", "B", "c"], (3, 2))),
            "\x1b[?25l\x1b[2;1H\x1b[2KB\x1b[3;2H\x1b[?25h"
        );
        assert_eq!(
            s.update(frame(&["a", "B", "c"], (3, 3))),
            "\x1b[?25l\x1b[3;3H\x1b[?25h"
        );
    }

    #[test]
    fn invalidate_forces_a_full_redraw() {
        let mut s = Screen::default();
        s.update(frame(&["a", "b"], (2, 1)));
        s.invalidate();
        let out = s.update(frame(&["a", "b"], (2, 1)));
        assert!(out.contains("\x1b[1;1H\x1b[2Ka") && out.contains("\x1b[2;1H\x1b[2Kb"));
    }
}
