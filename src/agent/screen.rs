//! The terminal model: every byte the agent writes goes through a vt100
//! emulator, so detection reads what a person would see, not escape codes.
//!
//! It also answers the queries TUIs send at start (cursor position, device
//! attributes, colours) when no real terminal is there to answer them, and
//! keeps the rows that scroll off the top so that nothing is missed between looks.

use std::num::NonZeroU16;
use std::panic::{AssertUnwindSafe, catch_unwind};

use vt100::capture::{BasicFormattedCaptureState, basic_formatted_to_plain};

/// The smallest screen the model accepts (vt100 misbehaves below 2×2).
const MIN_SIZE: u16 = 2;

/// The most rows kept between two looks at the screen (a look comes every
/// 20 ms, so only a flood scrolls more): the newest are kept, and the older
/// ones of a flood are counted, not stored. With at most 1,000 columns a row,
/// the model holds at most ~4 MB of scrolled text however much the agent writes.
pub const MAX_SCROLLED_ROWS: usize = 4096;

/// The most answers to terminal queries held between two takes (each chunk
/// of output): a chunk of 32 KiB asks at most ~8,000 questions.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Rows scrolled off since the last look past which the runtime looks
/// before it takes in more output, so that a flood holds a bounded number
/// of rows between looks (about a screenful of 200-column rows per 40 KB).
pub const SCROLLED_LOOK_ROWS: usize = 1000;

#[derive(Default)]
struct Hooks {
    answer_queries: bool,
    replies: Vec<u8>,
    scrolled: std::collections::VecDeque<String>,
    /// Rows that scrolled away and were not kept (see [`MAX_SCROLLED_ROWS`]).
    scrolled_dropped: u64,
    /// The formatted text of the row scrolling off, reused.
    formatted: String,
    /// Kitty keyboard modes pushed (`CSI > flags u`) minus those popped.
    keyboard_pushes: u32,
}

impl vt100::Callbacks for Hooks {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        match (i1, c) {
            (Some(b'>'), 'u') => self.keyboard_pushes += 1,
            (Some(b'<'), 'u') => {
                let pops = params.first().and_then(|p| p.first()).copied().unwrap_or(1);
                self.keyboard_pushes = self.keyboard_pushes.saturating_sub(u32::from(pops.max(1)));
            }
            _ => {}
        }
        if !self.answer_queries || self.replies.len() >= MAX_REPLY_BYTES {
            return;
        }
        let first = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        match (i1, c, first) {
            // Device status report: cursor position, and "terminal OK".
            (None, 'n', 6) => {
                let (row, col) = screen.cursor_position();
                self.replies
                    .extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            (None, 'n', 5) => self.replies.extend_from_slice(b"\x1b[0n"),
            // Primary and secondary device attributes: a plain VT220-ish terminal.
            (None, 'c', 0) => self.replies.extend_from_slice(b"\x1b[?62;22c"),
            (Some(b'>'), 'c', 0) => self.replies.extend_from_slice(b"\x1b[>1;10;0c"),
            _ => {}
        }
    }

    fn unhandled_osc(&mut self, _: &mut vt100::Screen, params: &[&[u8]]) {
        if !self.answer_queries || self.replies.len() >= MAX_REPLY_BYTES {
            return;
        }
        // Colour queries: OSC 10 (foreground) and 11 (background) with `?`.
        match params {
            [b"10", b"?"] => self
                .replies
                .extend_from_slice(b"\x1b]10;rgb:ffff/ffff/ffff\x1b\\"),
            [b"11", b"?"] => self
                .replies
                .extend_from_slice(b"\x1b]11;rgb:0000/0000/0000\x1b\\"),
            _ => {}
        }
    }

    fn on_scroll(&mut self, contents: vt100::capture::RowContents<'_>, _alternate: bool) {
        // One buffer for every row's formatted text: a flood scrolls rows
        // by the million, and this is most of what goalie does per byte.
        let formatted = &mut self.formatted;
        formatted.clear();
        let mut state = BasicFormattedCaptureState::new();
        if contents
            .write_formatted_basic(formatted, &mut state)
            .is_ok()
        {
            if self.scrolled.len() >= MAX_SCROLLED_ROWS {
                self.scrolled.pop_front();
                self.scrolled_dropped += 1;
            }
            let mut plain = String::with_capacity(formatted.len());
            plain.extend(basic_formatted_to_plain(formatted));
            self.scrolled.push_back(plain);
        }
    }
}

/// The agent's screen as goalie sees it.
pub struct Screen {
    parser: vt100::Parser<Hooks>,
    answer_queries: bool,
    resets: u32,
}

impl Screen {
    /// A screen of `rows` × `cols`. With `answer_queries`, the model itself
    /// answers terminal queries (headless runs, where no real terminal does).
    pub fn new(rows: u16, cols: u16, answer_queries: bool) -> Screen {
        Screen {
            parser: new_parser(rows, cols, answer_queries),
            answer_queries,
            resets: 0,
        }
    }

    /// Feeds agent output. A panic inside the emulator (hostile or garbled
    /// output) never takes goalie down: the model starts over, blank.
    pub fn process(&mut self, bytes: &[u8]) {
        let parser = &mut self.parser;
        if catch_unwind(AssertUnwindSafe(|| parser.process(bytes))).is_err() {
            let (rows, cols) = self.size();
            self.parser = new_parser(rows, cols, self.answer_queries);
            self.resets += 1;
            tracing::warn!("the terminal model panicked on agent output; it was reset");
        }
    }

    /// How often the model had to be reset after a panic.
    pub fn resets(&self) -> u32 {
        self.resets
    }

    pub fn size(&self) -> (u16, u16) {
        let (rows, cols) = self.parser.screen().size();
        (rows.get(), cols.get())
    }

    pub fn resize(&mut self, rows: u16, cols: u16) {
        let parser = &mut self.parser;
        let resized = catch_unwind(AssertUnwindSafe(|| {
            parser.set_size(clamp(rows), clamp(cols))
        }));
        if resized.is_err() {
            self.parser = new_parser(rows, cols, self.answer_queries);
            self.resets += 1;
        }
    }

    /// The visible rows as plain text.
    pub fn rows(&self) -> Vec<String> {
        let (_, cols) = self.size();
        self.parser.screen().rows(0, cols).collect()
    }

    /// What the model holds beyond its screen, in bytes: answers not yet
    /// taken and rows scrolled away not yet taken (both bounded: see
    /// [`MAX_REPLY_BYTES`] and [`MAX_SCROLLED_ROWS`]).
    pub fn held_bytes(&mut self) -> usize {
        let hooks = self.parser.callbacks_mut();
        hooks.replies.len() + hooks.scrolled.iter().map(String::len).sum::<usize>()
    }

    /// Rows that scrolled away between two looks beyond [`MAX_SCROLLED_ROWS`],
    /// counted and not kept, since the start.
    pub fn scrolled_dropped(&mut self) -> u64 {
        self.parser.callbacks_mut().scrolled_dropped
    }

    /// Rows that scrolled off the top since the last call.
    pub fn take_scrolled(&mut self) -> Vec<String> {
        std::mem::take(&mut self.parser.callbacks_mut().scrolled).into()
    }

    /// Enough rows scrolled off since the last look ([`SCROLLED_LOOK_ROWS`])
    /// that it is time to look before taking in more output.
    pub fn scrolled_full(&self) -> bool {
        self.parser.callbacks().scrolled.len() >= SCROLLED_LOOK_ROWS
    }

    /// Answers owed to the agent for the queries it sent.
    pub fn take_replies(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.parser.callbacks_mut().replies)
    }

    /// Whether the agent turned bracketed paste on.
    pub fn bracketed_paste(&self) -> bool {
        self.parser.screen().bracketed_paste()
    }

    /// The bytes that undo the terminal modes the agent left on (alternate
    /// screen, bracketed paste, mouse reporting, hidden cursor, keyboard
    /// protocol), for the user's terminal when goalie ends.
    pub fn restore_sequence(&self) -> Vec<u8> {
        let screen = self.parser.screen();
        let mut out = Vec::new();
        for _ in 0..self.parser.callbacks().keyboard_pushes {
            out.extend_from_slice(b"\x1b[<u");
        }
        if screen.mouse_protocol_mode() != vt100::MouseProtocolMode::None {
            out.extend_from_slice(b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l");
        }
        if screen.bracketed_paste() {
            out.extend_from_slice(b"\x1b[?2004l");
        }
        if screen.application_cursor() {
            out.extend_from_slice(b"\x1b[?1l");
        }
        if screen.application_keypad() {
            out.extend_from_slice(b"\x1b>");
        }
        if screen.alternate_screen() {
            out.extend_from_slice(b"\x1b[?1049l");
        }
        if screen.hide_cursor() {
            out.extend_from_slice(b"\x1b[?25h");
        }
        out.extend_from_slice(b"\x1b[0m\r\n");
        out
    }

    /// The bytes that put the cursor where the agent left it, with its
    /// drawing attributes (after goalie drew elsewhere on the terminal).
    pub fn cursor_sequence(&self) -> Vec<u8> {
        let screen = self.parser.screen();
        let mut out = screen.cursor_state_formatted().into_bytes();
        out.extend_from_slice(screen.attributes_formatted().as_bytes());
        out
    }

    /// The whole screen as text, one line per row (for messages and tests).
    pub fn text(&self) -> String {
        self.parser.screen().contents()
    }
}

fn new_parser(rows: u16, cols: u16, answer_queries: bool) -> vt100::Parser<Hooks> {
    vt100::Parser::new_with_callbacks(
        clamp(rows),
        clamp(cols),
        0,
        Hooks {
            answer_queries,
            ..Hooks::default()
        },
    )
}

fn clamp(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n.max(MIN_SIZE)).unwrap_or(NonZeroU16::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_cursor_and_attribute_queries_only_when_asked_to() {
        let mut screen = Screen::new(24, 80, true);
        screen.process(b"hello\x1b[6n\x1b[c\x1b[>c\x1b]11;?\x07");
        assert_eq!(
            String::from_utf8(screen.take_replies()).unwrap(),
            "\x1b[1;6R\x1b[?62;22c\x1b[>1;10;0c\x1b]11;rgb:0000/0000/0000\x1b\\"
        );
        let mut quiet = Screen::new(24, 80, false);
        quiet.process(b"\x1b[6n\x1b[c");
        assert!(quiet.take_replies().is_empty());
    }

    /// Rows scrolled off in colour, bold, inverse, wide characters, blank
    /// cells between words and rows that wrap: kept as their plain text,
    /// a row of the screen each.
    #[test]
    fn scrolled_rows_are_kept_as_the_plain_text_vt100_would_give() {
        let output = "\x1b[1mbold\x1b[0m plain \x1b[31;44mred on blue\x1b[m\r\n\
                      wide 漢字 and \x1b[7minverse\x1b[27m\x1b[5Cgap\r\n\
                      \x1b[38;5;200m256 colours\x1b[38;2;1;2;3m rgb\x1b[0m end\r\n\
                      a row much longer than the twenty columns it wraps in\r\n\
                      \x1b[2mdim\x1b[22m \x1b[3mitalic\x1b[4munderlined\x1b[m\r\n";
        let mut screen = Screen::new(2, 20, false);
        screen.process(output.as_bytes());
        screen.process(b"\r\n\r\n");
        let kept = screen.take_scrolled();
        assert_eq!(
            kept,
            [
                "bold plain red on bl",
                "ue",
                "wide 漢字 and invers",
                "e     gap",
                "256 colours rgb end",
                "a row much longer th",
                "an the twenty column",
                "s it wraps in",
                "dim italicunderlined",
                "",
            ]
        );
    }

    #[test]
    fn a_flood_between_two_looks_keeps_the_newest_rows_and_counts_the_rest() {
        let mut screen = Screen::new(4, 20, true);
        let text: String = (0..10_000).map(|i| format!("row {i}\r\n")).collect();
        screen.process(text.as_bytes());
        // A query per byte of a long stretch: the answers held are capped too.
        screen.process("\x1b[6n".repeat(20_000).as_bytes());
        assert!(screen.held_bytes() <= MAX_REPLY_BYTES + MAX_SCROLLED_ROWS * 20);
        let replies = screen.take_replies();
        assert!(replies.len() <= MAX_REPLY_BYTES + 16, "{}", replies.len());
        let scrolled = screen.take_scrolled();
        assert_eq!(scrolled.len(), MAX_SCROLLED_ROWS);
        assert_eq!(scrolled.last().map(String::as_str), Some("row 9996"));
        assert_eq!(
            screen.scrolled_dropped(),
            10_000 - 3 - MAX_SCROLLED_ROWS as u64
        );
    }

    #[test]
    fn rows_that_scroll_away_are_kept_for_the_observer() {
        let mut screen = Screen::new(3, 20, false);
        screen.process(b"one\r\ntwo\r\nthree\r\nfour\r\nfive");
        assert_eq!(screen.take_scrolled(), vec!["one", "two"]);
        assert!(screen.take_scrolled().is_empty());
        assert_eq!(screen.rows(), vec!["three", "four", "five"]);
    }

    #[test]
    fn a_flood_says_when_to_look_after_a_bounded_number_of_rows() {
        let mut screen = Screen::new(3, 20, false);
        // The rows that fit the screen, then one fewer than the bound off it.
        let lines = "row\r\n".repeat(SCROLLED_LOOK_ROWS + 1);
        screen.process(lines.as_bytes());
        assert!(!screen.scrolled_full());
        screen.process(b"row\r\n");
        assert!(screen.scrolled_full(), "time to look");
        assert_eq!(screen.take_scrolled().len(), SCROLLED_LOOK_ROWS);
        assert!(!screen.scrolled_full(), "the look took them");
    }

    #[test]
    fn the_restore_sequence_undoes_what_the_agent_turned_on() {
        let mut screen = Screen::new(24, 80, false);
        assert_eq!(screen.restore_sequence(), b"\x1b[0m\r\n");
        screen.process(b"\x1b[?1049h\x1b[?2004h\x1b[?25l\x1b[?1000h\x1b[>1u\x1b[>1u\x1b[<u");
        assert_eq!(
            String::from_utf8(screen.restore_sequence()).unwrap(),
            "\x1b[<u\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1049l\x1b[?25h\x1b[0m\r\n"
        );
    }

    #[test]
    fn tiny_and_zero_sizes_are_clamped() {
        let mut screen = Screen::new(0, 0, false);
        assert_eq!(screen.size(), (2, 2));
        screen.resize(0, 1);
        assert_eq!(screen.size(), (2, 2));
        screen.process(b"abcdefgh\x1b[99;99H\x1b[6n");
    }

    #[test]
    fn garbage_never_panics() {
        let mut screen = Screen::new(5, 10, true);
        let mut noise = Vec::new();
        let mut x: u32 = 12345;
        for _ in 0..200_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            noise.push((x >> 16) as u8);
        }
        for chunk in noise.chunks(977) {
            screen.process(chunk);
            let _ = screen.rows();
        }
        screen.process(b"\x1b[999999999;999999999H\x1b[99999999M\x1b[?1049h\x1b[?1049l");
        assert_eq!(screen.size(), (5, 10));
    }
}
