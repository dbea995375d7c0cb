//! Secrets cut in two: by a wrap at the right edge of a screen (a long key
//! drawn on two rows), and by the end of a chunk of output (the PTY read
//! that ends in the middle of `sk-…`). Pure, as the redactor is.

use std::ops::Range;

use super::{PATTERNS, Redactor};

/// Output held back at most, in bytes, while it may be the start of a secret.
pub const MAX_HELD: usize = 16 * 1024;

/// How credentials of a known shape begin: a run of output that ends a chunk
/// and begins so (or is the beginning of one of these) may be cut short.
const BEGINNINGS: &[&str] = &[
    "sk-",
    "AKIA",
    "ASIA",
    "github_pat_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxo-",
    "xoxs-",
    "xoxr-",
    "-----BEGIN",
];

/// A row within this many columns of the right edge reaches it (agents'
/// screens keep a column or two free).
const EDGE_SLACK: usize = 2;

/// The characters the credential shapes are made of.
fn is_key_char(c: char) -> bool {
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
        let run = text.trim_end_matches(is_key_char).len();
        let tail = &text[run..];
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

/// Whether `row` reaches the right edge of a screen `cols` wide.
fn reaches_edge(row: &str, cols: usize) -> bool {
    cols > 0 && row.trim_end().chars().count() + EDGE_SLACK >= cols
}
