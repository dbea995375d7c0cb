//! Secrets cut in two: by a wrap at the right edge of a screen (a long key
//! drawn on two rows), and by the end of a chunk of output (the PTY read
//! that ends in the middle of `sk-…`). Pure, as the redactor is.

use std::ops::Range;

use super::{BEGINNINGS, PATTERNS, Redactor};

/// Output held back at most, in bytes, while it may be the start of a secret.
pub const MAX_HELD: usize = 16 * 1024;

/// A row within this many columns of the right edge reaches it (agents'
/// screens keep a column or two free).
const EDGE_SLACK: usize = 2;

/// The characters the credential shapes are made of.
pub(super) fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl Redactor {
    /// Where the secrets of `text` are, in order, with their markers (ones
    /// that overlap are taken together).
    pub fn spans(&self, text: &str) -> Vec<(Range<usize>, String)> {
        let mut found = Vec::new();
        for (value, marker) in &self.values {
            for (at, _) in text.match_indices(value.as_str()) {
                found.push((at..at + value.len(), marker.clone()));
            }
        }
        for (pattern, label) in PATTERNS.iter() {
            for hit in pattern.find_iter(text) {
                found.push((hit.range(), format!("[redacted:{label}]")));
            }
        }
        found.sort_by(|a, b| a.0.start.cmp(&b.0.start).then(b.0.end.cmp(&a.0.end)));
        let mut spans: Vec<(Range<usize>, String)> = Vec::new();
        for (range, marker) in found {
            match spans.last_mut() {
                Some((last, _)) if range.start < last.end => last.end = last.end.max(range.end),
                _ => spans.push((range, marker)),
            }
        }
        spans
    }

    /// The rows of a screen `cols` wide, redacted as the text they show:
    /// a secret over several rows (a private key block) is hidden whole, and
    /// so is one that a wrap cut in two. A row that reaches the right edge
    /// goes on at the next row, after its indent, as a terminal or an agent's
    /// own layout wraps a word longer than a row; other rows are lines. The
    /// marker stands where the secret begins, its rest is taken out of the
    /// rows after.
    pub fn redact_rows(&self, rows: &[String], cols: usize) -> Vec<String> {
        // The rows as one text: where each row's text begins there, its
        // indent (left out where it continues the row above) and its length.
        let mut joined = String::new();
        let mut pieces = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let wraps = i > 0 && reaches_edge(&rows[i - 1], cols) && !row.trim().is_empty();
            if i > 0 && !wraps {
                joined.push('\n');
            }
            let indent = if wraps {
                row.len() - row.trim_start().len()
            } else {
                0
            };
            let body = row[indent..].trim_end();
            pieces.push((joined.len(), indent, body.len()));
            joined.push_str(body);
        }
        let mut edits: Vec<Vec<(Range<usize>, String)>> = vec![Vec::new(); rows.len()];
        for (span, marker) in self.spans(&joined) {
            let mut first = true;
            for (k, &(base, indent, len)) in pieces.iter().enumerate() {
                if base >= span.end || base + len <= span.start {
                    continue;
                }
                let from = span.start.max(base) - base + indent;
                let to = span.end.min(base + len) - base + indent;
                let text = if first { marker.clone() } else { String::new() };
                edits[k].push((from..to, text));
                first = false;
            }
        }
        let mut out = rows.to_vec();
        for (row, edits) in out.iter_mut().zip(edits) {
            for (range, text) in edits.into_iter().rev() {
                row.replace_range(range, &text);
            }
        }
        out
    }

    /// Where the part of `text` that may be the beginning of a secret
    /// starts (`text.len()` when none may be): output up to there can be
    /// written, the rest waits for what comes next. That is a last run of
    /// key characters that begins as a credential does, the beginning of a
    /// secret variable's value, or a private key block not yet ended; never
    /// more than [`MAX_HELD`] bytes.
    pub fn hold_from(&self, text: &str) -> usize {
        let mut from = text.len();
        // A word may go on after a cursor move (a TUI drawing a long key
        // over two rows): the moves and spaces at the end are looked past.
        let visible = trim_drawn_gap(text);
        let run = visible.trim_end_matches(is_key_char).len();
        let tail = &visible[run..];
        if !tail.is_empty()
            && BEGINNINGS
                .iter()
                .any(|begin| tail.starts_with(begin) || begin.starts_with(tail))
        {
            from = run;
        }
        for (value, _) in &self.values {
            let longest = value
                .char_indices()
                .skip(1)
                .map(|(at, _)| at)
                .filter(|&at| text.ends_with(&value[..at]))
                .max();
            if let Some(len) = longest {
                from = from.min(text.len() - len);
            }
        }
        if let Some(begin) = text.rfind("-----BEGIN ")
            && text[begin..].contains("PRIVATE KEY")
            && !text[begin..].contains("-----END ")
        {
            from = from.min(begin);
        }
        let mut bound = text.len().saturating_sub(MAX_HELD);
        while !text.is_char_boundary(bound) {
            bound += 1;
        }
        from.max(bound)
    }
}

/// `text` without the escape sequences (a last one perhaps cut short),
/// spaces and line breaks at its end.
fn trim_drawn_gap(text: &str) -> &str {
    let mut rest = text;
    loop {
        let before = rest.len();
        rest = rest.trim_end_matches([' ', '\r', '\n']);
        if let Some(esc) = rest.rfind("\x1b[") {
            let tail = &rest.as_bytes()[esc + 2..];
            let params = tail
                .iter()
                .take_while(|b| (0x20..0x40).contains(*b))
                .count();
            if params == tail.len()
                || (params + 1 == tail.len() && (0x40..0x7f).contains(&tail[params]))
            {
                rest = &rest[..esc];
            }
        } else if let Some(cut) = rest.strip_suffix('\x1b') {
            rest = cut;
        }
        if rest.len() == before {
            return rest;
        }
    }
}

/// Whether `row` reaches the right edge of a screen `cols` wide.
fn reaches_edge(row: &str, cols: usize) -> bool {
    cols > 0 && row.trim_end().chars().count() + EDGE_SLACK >= cols
}

/// The gaps in `text` between two pieces of a word drawn on two rows of a
/// screen (see [`drawn_gap_end`]), in order.
///
/// A gap holds a cursor move or a line break, so an escape, a CR or a LF:
/// only those are looked for (most output has a few a row, against a key
/// character a byte), and a gap begins before the spaces ahead of one,
/// right after a key character (ASCII, so one byte).
pub(super) fn drawn_gaps(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut gaps: Vec<Range<usize>> = Vec::new();
    for first in memchr::memchr3_iter(b'\x1b', b'\r', b'\n', bytes) {
        let taken = gaps.last().map_or(0, |gap| gap.end);
        if first < taken {
            continue; // in the gap found last
        }
        let mut at = first;
        while at > taken && bytes[at - 1] == b' ' {
            at -= 1;
        }
        if at <= taken || !is_key_char(char::from(bytes[at - 1])) {
            continue;
        }
        if let Some(end) = drawn_gap_end(text, at) {
            gaps.push(at..end);
        }
    }
    gaps
}

/// Where a gap between two pieces of a word drawn on two rows of a screen
/// ends, if one begins at `at` in `text`: cursor moves, erasures and
/// spaces, with at least one move to another place (a cursor position, or
/// a line break followed by an indent), and a key character after them.
pub(super) fn drawn_gap_end(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = at;
    let mut moved = false;
    let mut line_break = false;
    loop {
        match bytes.get(i) {
            Some(b'\x1b') if bytes.get(i + 1) == Some(&b'[') => {
                let mut j = i + 2;
                while bytes.get(j).is_some_and(|b| (0x20..0x40).contains(b)) {
                    j += 1;
                }
                let last = *bytes.get(j)?;
                if !(0x40..0x7f).contains(&last) {
                    return None;
                }
                moved |= matches!(last, b'H' | b'f' | b'd' | b'E' | b'B' | b'G');
                i = j + 1;
            }
            Some(b' ') => {
                moved |= line_break;
                i += 1;
            }
            Some(b'\r' | b'\n') => {
                line_break = true;
                i += 1;
            }
            Some(_) => break,
            None => return None,
        }
    }
    let next = text[i..].chars().next()?;
    (moved && is_key_char(next)).then_some(i)
}

impl Redactor {
    /// Output as the agent wrote it to its terminal (text with escape
    /// sequences), redacted where a secret is drawn in pieces: a word that
    /// goes on after a cursor move or a line break (how a TUI draws a long
    /// key over two rows) is read joined, and a secret found so has its
    /// first piece replaced by its marker and its other pieces taken out;
    /// the moves between them are kept. Secrets in one piece are left to
    /// [`Redactor::redact`].
    pub fn redact_drawn<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        // The text without its gaps between key characters, and where each
        // piece of it is in `text`: (start in the joined text, start in
        // `text`, length).
        let gaps = drawn_gaps(text);
        if gaps.is_empty() {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut joined = String::with_capacity(text.len());
        let mut pieces: Vec<(usize, usize, usize)> = Vec::new();
        let mut piece_start = 0;
        for gap in gaps {
            pieces.push((joined.len(), piece_start, gap.start - piece_start));
            joined.push_str(&text[piece_start..gap.start]);
            piece_start = gap.end;
        }
        pieces.push((joined.len(), piece_start, text.len() - piece_start));
        joined.push_str(&text[piece_start..]);
        let mut edits: Vec<(Range<usize>, String)> = Vec::new();
        for (span, marker) in self.spans(&joined) {
            let overlapping: Vec<&(usize, usize, usize)> = pieces
                .iter()
                .filter(|(base, _, len)| *base < span.end && base + len > span.start)
                .collect();
            if overlapping.len() < 2 {
                continue; // in one piece
            }
            for (n, &&(base, orig, len)) in overlapping.iter().enumerate() {
                let from = span.start.max(base) - base + orig;
                let to = span.end.min(base + len) - base + orig;
                let text = if n == 0 {
                    marker.clone()
                } else {
                    String::new()
                };
                edits.push((from..to, text));
            }
        }
        if edits.is_empty() {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for (range, text) in edits.into_iter().rev() {
            out.replace_range(range, &text);
        }
        std::borrow::Cow::Owned(out)
    }
}
