//! What each screen row shows (the screen contract goalie's adapter relies on).

use crate::sim::text;
use crate::sim::turn::Activity;

pub(crate) const HEADER: &str = "  >_ Sim Agent (v1.0)";
pub(crate) const INPUT_PREFIX: &str = "› ";
pub(crate) const PLACEHOLDER: &str = "Ask the sim to do anything";
pub(crate) const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/// Wrapped transcript rows continue under the text after `• ` or `› `.
const HANGING_INDENT: usize = 2;
pub(crate) const MIN_ROWS: u16 = 10;
pub(crate) const MIN_COLS: u16 = 20;

/// Terminal size in cells, never below the minimum the layout needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Size {
    pub(crate) rows: u16,
    pub(crate) cols: u16,
}

impl Size {
    pub(crate) fn clamped(rows: u16, cols: u16) -> Self {
        Size {
            rows: rows.max(MIN_ROWS),
            cols: cols.max(MIN_COLS),
        }
    }
}

/// The status line's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Idle,
    Busy {
        activity: Activity,
        /// Spinner frame counter (any value; it wraps).
        frame: u64,
        /// Seconds since the turn started.
        secs: u64,
    },
}

/// Everything the screen shows.
#[derive(Debug)]
pub(crate) struct View<'a> {
    pub(crate) transcript: &'a [String],
    pub(crate) status: Status,
    pub(crate) input: &'a str,
    pub(crate) tokens: u64,
    pub(crate) context_left_pct: u64,
}

/// The rows to show (index 0 is row 1) and where the cursor goes (1-based row, column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) rows: Vec<String>,
    pub(crate) cursor: (u16, u16),
}

/// Lays the view out on a screen of `size`.
pub(crate) fn frame(view: &View, size: Size) -> Frame {
    let rows = usize::from(size.rows);
    let cols = usize::from(size.cols);
    let mut out = vec![String::new(); rows];
    out[0] = HEADER.to_string();
    let transcript_rows = rows - 6;
    for (slot, line) in
        out[2..rows - 4]
            .iter_mut()
            .zip(transcript_tail(view.transcript, cols, transcript_rows))
    {
        *slot = line;
    }
    out[rows - 4] = status_line(view.status);
    let (input, cursor_col) = input_line(view.input, cols);
    out[rows - 3] = input;
    out[rows - 2] = footer(view.tokens, view.context_left_pct);
    for row in &mut out {
        *row = text::clip(row, cols);
    }
    let cursor_col = u16::try_from(cursor_col)
        .unwrap_or(size.cols)
        .min(size.cols);
    Frame {
        rows: out,
        cursor: (size.rows - 2, cursor_col),
    }
}

/// The last `count` rows of the wrapped transcript, top-aligned.
fn transcript_tail(lines: &[String], cols: usize, count: usize) -> Vec<String> {
    let mut rows = Vec::new();
    for line in lines.iter().rev() {
        let wrapped = text::wrap(line, cols, HANGING_INDENT);
        rows.extend(wrapped.into_iter().rev());
        if rows.len() >= count {
            break;
        }
    }
    rows.truncate(count);
    rows.reverse();
    rows
}

/// The status line text (blank when idle).
pub(crate) fn status_line(status: Status) -> String {
    match status {
        Status::Idle => String::new(),
        Status::Busy {
            activity: Activity::Working,
            frame,
            secs,
        } => {
            let spin = SPINNER[usize::try_from(frame % 10).unwrap_or(0)];
            format!("{spin} Working ({secs}s • esc to interrupt)")
        }
        Status::Busy {
            activity: Activity::Compacting,
            secs,
            ..
        } => format!("◦ Compacting context ({secs}s • esc to interrupt)"),
    }
}

/// The input row and the 1-based cursor column on it.
fn input_line(input: &str, cols: usize) -> (String, usize) {
    if input.is_empty() {
        return (format!("{INPUT_PREFIX}{PLACEHOLDER}"), 3);
    }
    let mut lines = input.split('\n');
    let first = text::sanitize(lines.next().unwrap_or_default());
    let extra = lines.count();
    let shown = if extra > 0 {
        format!("{first} [+{extra} lines]")
    } else {
        first
    };
    // Leave a column for the cursor after the text.
    let room = cols.saturating_sub(text::width(INPUT_PREFIX) + 1);
    let visible = if text::width(&shown) <= room {
        shown
    } else {
        format!("…{}", text::clip_tail(&shown, room.saturating_sub(1)))
    };
    let cursor = text::width(INPUT_PREFIX) + text::width(&visible) + 1;
    (format!("{INPUT_PREFIX}{visible}"), cursor)
}

/// The footer line.
pub(crate) fn footer(tokens: u64, context_left_pct: u64) -> String {
    format!(
        "  sim-model · {} tokens used · Context {context_left_pct}% left",
        crate::goal::units::thousands(tokens)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(transcript: &'a [String], input: &'a str, status: Status) -> View<'a> {
        View {
            transcript,
            status,
            input,
            tokens: 12_345,
            context_left_pct: 93,
        }
    }

    #[test]
    fn layout_rows() {
        let transcript = vec!["› hi".to_string(), "• hello".to_string()];
        let status = Status::Busy {
            activity: Activity::Working,
            frame: 0,
            secs: 3,
        };
        let f = frame(&view(&transcript, "", status), Size::clamped(12, 60));
        assert_eq!(f.rows.len(), 12);
        assert_eq!(f.rows[0], "  >_ Sim Agent (v1.0)");
        assert_eq!(f.rows[1], "");
        assert_eq!(f.rows[2], "› hi");
        assert_eq!(f.rows[3], "• hello");
        assert_eq!(f.rows[8], "⠋ Working (3s • esc to interrupt)");
        assert_eq!(f.rows[9], "› Ask the sim to do anything");
        assert_eq!(
            f.rows[10],
            "  sim-model · 12,345 tokens used · Context 93% left"
        );
        assert_eq!(f.rows[11], "");
        assert_eq!(f.cursor, (10, 3));
    }

    #[test]
    fn transcript_shows_the_last_lines() {
        let transcript: Vec<String> = (0..30).map(|i| format!("line {i}")).collect();
        let f = frame(&view(&transcript, "", Status::Idle), Size::clamped(10, 40));
        assert_eq!(&f.rows[2..6], ["line 26", "line 27", "line 28", "line 29"]);
        assert_eq!(f.rows[6], "");
    }

    #[test]
    fn long_lines_wrap() {
        let transcript = vec!["• aaaa bbbb cccc dddd eeee ffff".to_string()];
        let f = frame(&view(&transcript, "", Status::Idle), Size::clamped(10, 20));
        assert_eq!(&f.rows[2..4], ["• aaaa bbbb cccc", "  dddd eeee ffff"]);
    }

    #[test]
    fn status_texts() {
        let working = |frame, secs| Status::Busy {
            activity: Activity::Working,
            frame,
            secs,
        };
        assert_eq!(
            status_line(working(1, 0)),
            "⠙ Working (0s • esc to interrupt)"
        );
        assert_eq!(
            status_line(working(19, 12)),
            "⠏ Working (12s • esc to interrupt)"
        );
        let compacting = Status::Busy {
            activity: Activity::Compacting,
            frame: 3,
            secs: 2,
        };
        assert_eq!(
            status_line(compacting),
            "◦ Compacting context (2s • esc to interrupt)"
        );
        assert_eq!(status_line(Status::Idle), "");
    }

    #[test]
    fn input_row_variants() {
        assert_eq!(input_line("fix it", 40), ("› fix it".to_string(), 9));
        assert_eq!(input_line("a\nb\nc", 40).0, "› a [+2 lines]");
        let (row, cursor) = input_line(&"x".repeat(50), 20);
        assert_eq!(row, format!("› …{}", "x".repeat(16)));
        assert_eq!(cursor, 20);
    }

    #[test]
    fn tiny_terminal_is_clamped() {
        let f = frame(&view(&[], "", Status::Idle), Size::clamped(3, 5));
        assert_eq!(f.rows.len(), 10);
        assert!(f.rows.iter().all(|r| text::width(r) <= 20));
    }
}
