//! Turns the raw bytes read from the terminal into key events.
//!
//! The parser keeps incomplete input (a split escape sequence, a split UTF-8
//! character, an unfinished bracketed paste) until more bytes arrive. Anything
//! it does not understand is dropped; it never fails.

/// One thing the user (or the terminal) sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    /// Typed printable text.
    Text(String),
    /// A bracketed paste, newlines normalised to `\n`.
    Paste(String),
    Enter,
    Backspace,
    Esc,
    CtrlC,
    CtrlD,
    /// The terminal's answer to `ESC[6n`.
    CursorReport {
        row: u16,
        col: u16,
    },
}

const ESC: u8 = 0x1b;
const PASTE_END: &[u8] = b"\x1b[201~";
/// Longest escape sequence kept while waiting for its end; longer ones are dropped.
const MAX_SEQUENCE: usize = 4096;

/// Incremental byte-to-key parser.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    pending: Vec<u8>,
    paste: Option<Vec<u8>>,
}

/// What the start of the pending bytes turned out to be.
enum Step {
    /// Consumed this many bytes, maybe producing a key.
    Done(usize, Option<Key>),
    /// Consumed the bracketed-paste opener.
    PasteStart(usize),
    /// Need more bytes to decide.
    Incomplete,
}

impl Parser {
    /// Feeds bytes read from the terminal; returns the keys they complete.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Vec<Key> {
        self.pending.extend_from_slice(bytes);
        let mut keys = Vec::new();
        loop {
            if self.paste.is_some() {
                if !self.continue_paste(&mut keys) {
                    break;
                }
                continue;
            }
            let step = match self.pending.first() {
                None => break,
                Some(&ESC) => escape(&self.pending),
                Some(&byte) if byte < 0x20 || byte == 0x7f => Step::Done(1, control(byte)),
                Some(_) => text(&self.pending),
            };
            match step {
                Step::Incomplete => break,
                Step::Done(len, key) => {
                    self.pending.drain(..len.min(self.pending.len()));
                    if let Some(key) = key {
                        push_key(&mut keys, key);
                    }
                }
                Step::PasteStart(len) => {
                    self.pending.drain(..len.min(self.pending.len()));
                    self.paste = Some(Vec::new());
                }
            }
        }
        keys
    }

    /// Called when no byte has arrived for a little while: a lone pending ESC
    /// was the Esc key, and any other incomplete sequence will never finish.
    /// An unfinished paste is kept.
    pub(crate) fn flush(&mut self) -> Option<Key> {
        if self.paste.is_some() {
            return None;
        }
        let lone_esc = self.pending == [ESC];
        self.pending.clear();
        lone_esc.then_some(Key::Esc)
    }

    /// True while bytes wait for more input (so the caller should call
    /// [`Parser::flush`] after a short quiet time).
    pub(crate) fn has_pending(&self) -> bool {
        self.paste.is_none() && !self.pending.is_empty()
    }

    /// Moves paste content out of `pending`; returns false when it needs more bytes.
    fn continue_paste(&mut self, keys: &mut Vec<Key>) -> bool {
        let Some(paste) = self.paste.as_mut() else {
            return true;
        };
        if let Some(at) = find(&self.pending, PASTE_END) {
            paste.extend_from_slice(&self.pending[..at]);
            self.pending.drain(..at + PASTE_END.len());
            let content = normalise_newlines(&String::from_utf8_lossy(paste));
            self.paste = None;
            push_key(keys, Key::Paste(content));
            return true;
        }
        // Keep a tail that could be the start of the terminator.
        let keep = (PASTE_END.len() - 1).min(self.pending.len());
        let split = self.pending.len() - keep;
        paste.extend(self.pending.drain(..split));
        false
    }
}

/// Appends a key, merging consecutive typed text.
fn push_key(keys: &mut Vec<Key>, key: Key) {
    if let (Some(Key::Text(last)), Key::Text(more)) = (keys.last_mut(), &key) {
        last.push_str(more);
        return;
    }
    keys.push(key);
}

fn control(byte: u8) -> Option<Key> {
    match byte {
        b'\r' | b'\n' => Some(Key::Enter),
        0x7f | 0x08 => Some(Key::Backspace),
        0x03 => Some(Key::CtrlC),
        0x04 => Some(Key::CtrlD),
        _ => None,
    }
}

/// A run of printable bytes, decoded as UTF-8 (invalid bytes are dropped).
fn text(bytes: &[u8]) -> Step {
    let end = bytes
        .iter()
        .position(|&b| b < 0x20 || b == 0x7f)
        .unwrap_or(bytes.len());
    let run = &bytes[..end];
    match std::str::from_utf8(run) {
        Ok(s) => Step::Done(end, Some(Key::Text(s.to_string()))),
        Err(err) => {
            let valid = err.valid_up_to();
            match err.error_len() {
                // A character split across reads: wait for the rest, unless
                // something other than its continuation already follows.
                None if end == bytes.len() && valid == 0 => Step::Incomplete,
                None if end == bytes.len() => {
                    Step::Done(valid, Some(Key::Text(decode_valid(&run[..valid]))))
                }
                None => Step::Done(end, non_empty_text(&run[..valid])),
                Some(bad) if valid == 0 => Step::Done(bad, None),
                Some(_) => Step::Done(valid, non_empty_text(&run[..valid])),
            }
        }
    }
}

fn decode_valid(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn non_empty_text(bytes: &[u8]) -> Option<Key> {
    (!bytes.is_empty()).then(|| Key::Text(decode_valid(bytes)))
}

/// An escape sequence at the start of `bytes` (which starts with ESC).
fn escape(bytes: &[u8]) -> Step {
    let Some(&kind) = bytes.get(1) else {
        return Step::Incomplete;
    };
    match kind {
        b'[' => csi(bytes),
        b'O' => {
            if bytes.len() < 3 {
                Step::Incomplete
            } else {
                Step::Done(3, None)
            }
        }
        b']' | b'P' | b'_' | b'^' | b'X' => string_sequence(bytes),
        // ESC ESC: the first one was the Esc key.
        ESC => Step::Done(1, Some(Key::Esc)),
        // Alt+key and anything else: ignored.
        _ => Step::Done(2, None),
    }
}

/// `ESC [ params intermediates final`.
fn csi(bytes: &[u8]) -> Step {
    let body = &bytes[2..];
    for (i, &b) in body.iter().enumerate() {
        match b {
            0x20..=0x3f => continue,
            0x40..=0x7e => {
                let len = 2 + i + 1;
                return interpret_csi(&body[..i], b, len);
            }
            // Malformed: drop what we have and re-read this byte on its own.
            _ => return Step::Done(2 + i, None),
        }
    }
    if bytes.len() > MAX_SEQUENCE {
        Step::Done(bytes.len(), None)
    } else {
        Step::Incomplete
    }
}

fn interpret_csi(params: &[u8], final_byte: u8, len: usize) -> Step {
    match final_byte {
        b'~' if params == b"200" => Step::PasteStart(len),
        b'R' => Step::Done(len, cursor_report(params)),
        _ => Step::Done(len, None),
    }
}

fn cursor_report(params: &[u8]) -> Option<Key> {
    let text = std::str::from_utf8(params).ok()?;
    let text = text.strip_prefix('?').unwrap_or(text);
    let mut fields = text.split(';');
    let row = fields.next()?.parse().ok()?;
    let col = fields.next()?.parse().ok()?;
    Some(Key::CursorReport { row, col })
}

/// OSC, DCS, APC, PM and SOS strings, ended by BEL or `ESC \`.
fn string_sequence(bytes: &[u8]) -> Step {
    let body = &bytes[2..];
    for (i, &b) in body.iter().enumerate() {
        if b == 0x07 {
            return Step::Done(2 + i + 1, None);
        }
        if b == ESC && body.get(i + 1) == Some(&b'\\') {
            return Step::Done(2 + i + 2, None);
        }
    }
    if bytes.len() > MAX_SEQUENCE {
        Step::Done(bytes.len(), None)
    } else {
        Step::Incomplete
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn normalise_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(bytes: &[u8]) -> Vec<Key> {
        Parser::default().feed(bytes)
    }

    fn text(s: &str) -> Key {
        Key::Text(s.to_string())
    }

    #[test]
    fn typed_text_and_enter() {
        assert_eq!(keys(b"hello\r"), vec![text("hello"), Key::Enter]);
        assert_eq!(keys(b"a\nb"), vec![text("a"), Key::Enter, text("b")]);
        assert_eq!(keys("héllo ⏎ 日本".as_bytes()), vec![text("héllo ⏎ 日本")]);
    }

    #[test]
    fn control_keys() {
        assert_eq!(
            keys(b"ab\x7f\x08\x03\x04\t"),
            vec![
                text("ab"),
                Key::Backspace,
                Key::Backspace,
                Key::CtrlC,
                Key::CtrlD
            ]
        );
    }

    #[test]
    fn utf8_split_across_reads() {
        let bytes = "é日".as_bytes();
        let mut p = Parser::default();
        let mut got = Vec::new();
        for b in bytes {
            got.extend(p.feed(&[*b]));
        }
        assert_eq!(got, vec![text("é"), text("日")]);
        assert!(!p.has_pending());
    }

    #[test]
    fn bracketed_paste_keeps_newlines() {
        assert_eq!(
            keys(b"x\x1b[200~line one\r\nline two\rthree\n\x1b[201~\r"),
            vec![
                text("x"),
                Key::Paste("line one\nline two\nthree\n".to_string()),
                Key::Enter
            ]
        );
    }

    #[test]
    fn paste_split_across_reads() {
        let mut p = Parser::default();
        let input = b"\x1b[200~abc\ndef\x1b[201~";
        let mut got = Vec::new();
        for chunk in input.chunks(2) {
            got.extend(p.feed(chunk));
        }
        assert_eq!(got, vec![Key::Paste("abc\ndef".to_string())]);
        // An unfinished paste survives a flush.
        assert!(p.feed(b"\x1b[200~partial").is_empty());
        assert_eq!(p.flush(), None);
        assert_eq!(
            p.feed(b"\x1b[201~"),
            vec![Key::Paste("partial".to_string())]
        );
    }

    #[test]
    fn paste_may_contain_escape_bytes() {
        assert_eq!(
            keys(b"\x1b[200~a\x1b[31mb\x1b[201~"),
            vec![Key::Paste("a\x1b[31mb".to_string())]
        );
    }

    #[test]
    fn cursor_report_is_swallowed() {
        assert_eq!(
            keys(b"\x1b[12;40Rhi"),
            vec![Key::CursorReport { row: 12, col: 40 }, text("hi")]
        );
        let mut p = Parser::default();
        assert!(p.feed(b"\x1b[3").is_empty());
        assert!(p.feed(b";7").is_empty());
        assert_eq!(p.feed(b"R"), vec![Key::CursorReport { row: 3, col: 7 }]);
    }

    #[test]
    fn lone_escape_needs_flush() {
        let mut p = Parser::default();
        assert!(p.feed(b"\x1b").is_empty());
        assert!(p.has_pending());
        assert_eq!(p.flush(), Some(Key::Esc));
        assert!(!p.has_pending());
        assert_eq!(keys(b"\x1b\x1b[A"), vec![Key::Esc]);
    }

    #[test]
    fn unknown_sequences_are_ignored() {
        assert_eq!(
            keys(b"a\x1b[A\x1bOP\x1b]0;title\x07\x1bP1$r\x1b\\\x1b[?1;2c\x1bxb\x1b[3~c"),
            vec![text("abc")]
        );
    }

    #[test]
    fn incomplete_sequence_is_dropped_on_flush() {
        let mut p = Parser::default();
        assert!(p.feed(b"\x1b[12;").is_empty());
        assert_eq!(p.flush(), None);
        assert_eq!(p.feed(b"ok"), vec![text("ok")]);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed: u32 = 0x1234_5678;
        let mut p = Parser::default();
        for _ in 0..2000 {
            let mut chunk = Vec::new();
            for _ in 0..(seed % 17) {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let byte = (seed >> 24) as u8;
                // Bias towards interesting bytes.
                chunk.push(match byte % 8 {
                    0 => ESC,
                    1 => b'[',
                    2 => 0xe2,
                    _ => byte,
                });
            }
            let _ = p.feed(&chunk);
            if seed.is_multiple_of(5) {
                let _ = p.flush();
            }
        }
        let _ = p.feed(PASTE_END);
        let _ = p.flush();
        assert_eq!(p.feed(b"\x1b[201~z").last(), Some(&text("z")));
    }

    #[test]
    fn invalid_utf8_is_dropped() {
        assert_eq!(keys(b"a\xffb\xc3("), vec![text("ab(")]);
    }

    #[test]
    fn overlong_sequence_is_dropped() {
        let mut bytes = b"\x1b[".to_vec();
        bytes.extend(std::iter::repeat_n(b'1', MAX_SEQUENCE + 10));
        let mut p = Parser::default();
        assert!(p.feed(&bytes).is_empty());
        assert_eq!(p.feed(b"x"), vec![text("x")]);
    }
}
