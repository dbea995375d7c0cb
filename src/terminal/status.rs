//! goalie's own marks on the person's terminal while it shows the agent's
//! screen: the window title (OSC 2), e.g. `goalie 7jpe · turn 3/40 ·
//! 48k/200k tok · pursuing`, and with `--status-line` the bottom row, e.g.
//! `goalie 7jpe │ pursuing │ turn 3/40 │ 48k/200k tok │ 12m 5s │ working`.
//!
//! Both are drawn only when their text changes, and only between the agent's
//! escape sequences ([`OutputFilter::at_ground`]); neither goes to the
//! agent's PTY or to the recording. The title is pushed on the terminal's
//! title stack at the start (`CSI 22;0t`) and popped at the end (`CSI 23;0t`)
//! where the terminal is xterm-like; elsewhere a plain title is set at the end.
//! The status row lives below a scroll region (DECSTBM) of the agent's rows
//! (see [`super::region`]), which the end resets.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::goal::units::format_duration;

use super::region::OutputFilter;

/// Whether goalie's title is on the terminal's title stack, to be popped
/// (by [`super::restore`] too, on a panic).
pub static TITLE_PUSHED: AtomicBool = AtomicBool::new(false);

/// The terminal's title back, if goalie pushed it (once).
pub fn pop_title() -> &'static [u8] {
    if TITLE_PUSHED.swap(false, Ordering::SeqCst) {
        b"\x1b[23;0t"
    } else {
        b""
    }
}

/// What the status shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusView {
    pub goal_id: String,
    /// The goal's state as people read it (`pursuing`, `paused (takeover)`).
    pub state: String,
    pub turn: u32,
    pub max_turns: Option<u32>,
    pub tokens: u64,
    pub budget_tokens: Option<u64>,
    pub elapsed_ms: u64,
    /// What goalie or the agent is doing (`working`, `backing off until 14:05`).
    pub phase: String,
}

impl StatusView {
    fn turns(&self) -> String {
        match self.max_turns {
            Some(max) => format!("turn {}/{max}", self.turn),
            None => format!("turn {}", self.turn),
        }
    }

    fn tokens(&self) -> String {
        match self.budget_tokens {
            Some(budget) => format!("{}/{} tok", short(self.tokens), short(budget)),
            None => format!("{} tok", short(self.tokens)),
        }
    }

    /// The window title.
    pub fn title(&self) -> String {
        format!(
            "goalie {} · {} · {} · {}",
            self.goal_id,
            self.turns(),
            self.tokens(),
            self.state
        )
    }

    /// The status row's text (before it is fitted to the terminal's width).
    pub fn row(&self) -> String {
        // Whole seconds: the row changes at most once a second.
        let elapsed = format_duration(self.elapsed_ms / 1000 * 1000);
        format!(
            " goalie {} │ {} │ {} │ {} │ {elapsed} │ {}",
            self.goal_id,
            self.state,
            self.turns(),
            self.tokens(),
            self.phase
        )
    }
}

/// `48213` → `48k`, `1500000` → `1.5M`, `950` → `950`.
fn short(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{}k", n / 1000),
        _ => {
            let tenths = n / 100_000;
            if tenths.is_multiple_of(10) {
                format!("{}M", tenths / 10)
            } else {
                format!("{}.{}M", tenths / 10, tenths % 10)
            }
        }
    }
}

/// Whether the terminal keeps a stack of titles (`CSI 22;0t` / `CSI 23;0t`),
/// as xterm and the terminals that follow it do.
pub fn has_title_stack(term: Option<&str>, vte: bool) -> bool {
    const LIKE_XTERM: &[&str] = &[
        "xterm",
        "screen",
        "tmux",
        "alacritty",
        "foot",
        "kitty",
        "wezterm",
        "rxvt",
        "contour",
        "ghostty",
    ];
    vte || term.is_some_and(|term| LIKE_XTERM.iter().any(|name| term.starts_with(name)))
}

/// The title and the status row, drawn on the person's terminal.
#[derive(Debug)]
pub struct StatusDisplay {
    title_stack: bool,
    /// The terminal's (rows, cols), when a status row is kept.
    line: Option<(u16, u16)>,
    /// What the agent's output looks like on its way (ground, regions).
    pub filter: OutputFilter,
    shown_title: Option<String>,
    shown_row: Option<String>,
    /// How often the row was drawn, and the title set (for tests).
    pub row_draws: u32,
    pub title_sets: u32,
}

impl StatusDisplay {
    /// A display on a terminal of `size` (rows, cols), with a status row or not.
    pub fn new(status_line: bool, title_stack: bool, (rows, cols): (u16, u16)) -> StatusDisplay {
        // A terminal too small for the agent and a row has no status row.
        let line = (status_line && rows >= 4).then_some((rows, cols));
        StatusDisplay {
            title_stack,
            line,
            filter: OutputFilter::new(line.map(|(rows, _)| rows - 1)),
            shown_title: None,
            shown_row: None,
            row_draws: 0,
            title_sets: 0,
        }
    }

    /// The agent's PTY size on a terminal of `rows` × `cols`.
    pub fn agent_size(&self, (rows, cols): (u16, u16)) -> (u16, u16) {
        match self.line {
            Some(_) => (rows.saturating_sub(1).max(1), cols),
            None => (rows, cols),
        }
    }

    /// What to write at the start: the title saved, the scroll region set.
    pub fn begin(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.title_stack {
            out.extend_from_slice(b"\x1b[22;0t");
            TITLE_PUSHED.store(true, Ordering::SeqCst);
        }
        if let Some((rows, _)) = self.line {
            // The agent's rows scroll; the cursor goes home (DECSTBM moves it).
            out.extend_from_slice(format!("\x1b[1;{}r\x1b[H", rows - 1).as_bytes());
        }
        out
    }

    /// The terminal is now `rows` × `cols`: the region and the row follow.
    pub fn resized(&mut self, (rows, cols): (u16, u16)) {
        if self.line.is_some() && rows >= 4 {
            self.line = Some((rows, cols));
            self.filter.set_agent_rows(Some(rows - 1));
            self.shown_row = None;
        }
    }

    /// The screen was cleared: the row is drawn again at the next update.
    pub fn invalidate(&mut self) {
        self.shown_row = None;
    }

    /// What to write for `view` now: nothing when it shows what is shown
    /// already, or when the agent's output is inside an escape sequence.
    /// `cursor` puts the agent's cursor and colours back after the row.
    pub fn update(&mut self, view: &StatusView, cursor: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
        let mut out = Vec::new();
        if !self.filter.at_ground() {
            return out;
        }
        let title = view.title();
        if self.shown_title.as_ref() != Some(&title) {
            out.extend_from_slice(format!("\x1b]2;{}\x07", sanitize(&title)).as_bytes());
            self.shown_title = Some(title);
            self.title_sets += 1;
        }
        let damaged = self.filter.take_damage();
        if let Some((rows, cols)) = self.line {
            let row = fit(&view.row(), usize::from(cols));
            if damaged || self.shown_row.as_ref() != Some(&row) {
                // The region again (a reset or another screen may have lost
                // it), then the row in reverse video, then the agent's cursor.
                out.extend_from_slice(
                    format!(
                        "\x1b[1;{}r\x1b[{rows};1H\x1b[0m\x1b[7m{row}\x1b[0m\x1b[K",
                        rows - 1
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(&cursor());
                self.shown_row = Some(row);
                self.row_draws += 1;
            }
        }
        out
    }

    /// What to write at the end: the row cleared, the whole screen a scroll
    /// region again, the title put back (or a plain one, `plain_title`).
    pub fn end(&mut self, plain_title: &str) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some((rows, _)) = self.line {
            out.extend_from_slice(format!("\x1b[r\x1b[{rows};1H\x1b[0m\x1b[2K").as_bytes());
            // The last row is the agent's again: what follows starts on it.
            out.extend_from_slice(format!("\x1b[{rows};1H").as_bytes());
        }
        if self.title_stack {
            out.extend_from_slice(pop_title());
        } else if self.shown_title.is_some() {
            out.extend_from_slice(format!("\x1b]2;{}\x07", sanitize(plain_title)).as_bytes());
        }
        out
    }
}

/// Control characters out (a title or row must not carry sequences).
fn sanitize(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// `text` cut or padded to one character less than `cols` (so the row
/// never wraps; `CSI K` clears the rest).
fn fit(text: &str, cols: usize) -> String {
    let width = cols.saturating_sub(1);
    let text = sanitize(text);
    let mut out: String = text.chars().take(width).collect();
    let len = out.chars().count();
    out.extend(std::iter::repeat_n(' ', width - len));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> StatusView {
        StatusView {
            goal_id: "7jpe".into(),
            state: "pursuing".into(),
            turn: 3,
            max_turns: Some(40),
            tokens: 48_213,
            budget_tokens: Some(200_000),
            elapsed_ms: 725_400,
            phase: "working".into(),
        }
    }

    #[test]
    fn the_title_and_the_row_say_where_the_goal_is() {
        assert_eq!(
            view().title(),
            "goalie 7jpe · turn 3/40 · 48k/200k tok · pursuing"
        );
        assert_eq!(
            view().row(),
            " goalie 7jpe │ pursuing │ turn 3/40 │ 48k/200k tok │ 12m 5s │ working"
        );
        assert_eq!(short(1_500_000), "1.5M");
        assert_eq!(short(2_000_000), "2M");
        assert_eq!(short(950), "950");
        assert_eq!(fit("abcdef", 4), "abc");
        assert_eq!(fit("ab", 5), "ab  ");
    }

    #[test]
    fn the_row_and_the_title_are_drawn_only_when_they_change() {
        let mut display = StatusDisplay::new(true, true, (30, 100));
        assert_eq!(display.agent_size((30, 100)), (29, 100));
        assert_eq!(display.begin(), b"\x1b[22;0t\x1b[1;29r\x1b[H");
        let mut view = view();
        let first = display.update(&view, || b"<cursor>".to_vec());
        let first = String::from_utf8(first).unwrap();
        assert!(
            first.starts_with("\x1b]2;goalie 7jpe · turn 3/40"),
            "{first:?}"
        );
        assert!(first.contains("\x1b[30;1H"), "{first:?}");
        assert!(first.ends_with("<cursor>"), "{first:?}");
        // A hundred looks at the same status draw nothing.
        for _ in 0..100 {
            assert!(display.update(&view, Vec::new).is_empty());
        }
        // Less than a second on: the row shows whole seconds, nothing to draw.
        view.elapsed_ms += 300;
        assert!(display.update(&view, Vec::new).is_empty());
        view.elapsed_ms += 1000;
        assert!(!display.update(&view, Vec::new).is_empty());
        assert_eq!((display.row_draws, display.title_sets), (2, 1));
        view.phase = "auditing".into();
        display.update(&view, Vec::new);
        assert_eq!((display.row_draws, display.title_sets), (3, 1));
        view.turn = 4;
        display.update(&view, Vec::new);
        assert_eq!((display.row_draws, display.title_sets), (4, 2));
        // The agent cleared the screen: the row is drawn again.
        display.filter.filter(b"\x1b[2J");
        display.update(&view, Vec::new);
        assert_eq!(display.row_draws, 5);
        // Inside the agent's escape sequence nothing is drawn; after it, it is.
        view.turn = 5;
        display.filter.filter(b"\x1b[38;5");
        assert!(display.update(&view, Vec::new).is_empty());
        display.filter.filter(b";1m");
        assert!(!display.update(&view, Vec::new).is_empty());
        assert_eq!(
            String::from_utf8(display.end("plain")).unwrap(),
            "\x1b[r\x1b[30;1H\x1b[0m\x1b[2K\x1b[30;1H\x1b[23;0t"
        );
    }

    #[test]
    fn without_a_title_stack_a_plain_title_is_set_at_the_end() {
        assert!(has_title_stack(Some("xterm-256color"), false));
        assert!(has_title_stack(Some("dumb"), true));
        assert!(!has_title_stack(Some("linux"), false));
        let mut display = StatusDisplay::new(false, false, (30, 100));
        assert_eq!(display.agent_size((30, 100)), (30, 100));
        assert!(display.begin().is_empty());
        let drawn = display.update(&view(), Vec::new);
        assert!(!String::from_utf8_lossy(&drawn).contains("\x1b[30;1H"));
        assert_eq!(display.end("~/work"), b"\x1b]2;~/work\x07");
    }
}
