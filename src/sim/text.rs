//! Plain-text helpers: display width, wrapping, clipping and number formatting.

/// Columns a character takes on a terminal (0, 1 or 2). An approximation of
/// wcwidth good enough for the sim: combining marks are 0, CJK and emoji are 2.
pub(crate) fn char_width(c: char) -> usize {
    let cp = u32::from(c);
    if cp < 0x20 || (0x7f..0xa0).contains(&cp) {
        return 0;
    }
    let zero = [
        (0x0300, 0x036f),
        (0x200b, 0x200f),
        (0x20d0, 0x20ff),
        (0xfe00, 0xfe0f),
        (0xfe20, 0xfe2f),
    ];
    if zero.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp)) {
        return 0;
    }
    let wide = [
        (0x1100, 0x115f),
        (0x2e80, 0x303e),
        (0x3041, 0x33ff),
        (0x3400, 0x4dbf),
        (0x4e00, 0x9fff),
        (0xa000, 0xa4cf),
        (0xac00, 0xd7a3),
        (0xf900, 0xfaff),
        (0xfe30, 0xfe4f),
        (0xff00, 0xff60),
        (0xffe0, 0xffe6),
        (0x1f300, 0x1f64f),
        (0x1f900, 0x1f9ff),
        (0x20000, 0x3fffd),
    ];
    if wide.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp)) {
        2
    } else {
        1
    }
}

/// Columns a string takes on a terminal.
pub(crate) fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Makes user text safe to print on one row: tabs become a space, other
/// control characters (including newlines) are dropped.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// The longest prefix of `s` that fits in `max` columns.
pub(crate) fn clip(s: &str, max: usize) -> String {
    let mut used = 0;
    let mut out = String::new();
    for c in s.chars() {
        let w = char_width(c);
        if used + w > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

/// The longest suffix of `s` that fits in `max` columns.
pub(crate) fn clip_tail(s: &str, max: usize) -> String {
    let mut used = 0;
    let mut kept = Vec::new();
    for c in s.chars().rev() {
        let w = char_width(c);
        if used + w > max {
            break;
        }
        used += w;
        kept.push(c);
    }
    kept.into_iter().rev().collect()
}

/// Wraps one line of text into rows of at most `max` columns, breaking at
/// spaces where possible and inside words that are longer than a row. Rows
/// after the first start with `indent` spaces (a hanging indent).
pub(crate) fn wrap(line: &str, max: usize, indent: usize) -> Vec<String> {
    let max = max.max(1);
    let line = sanitize(line);
    if width(&line) <= max {
        return vec![line];
    }
    let pad = " ".repeat(if indent < max { indent } else { 0 });
    let mut rows = Vec::new();
    let mut current = String::new();
    for piece in split_keeping_spaces(&line) {
        if width(&current) + width(piece) <= max {
            current.push_str(piece);
            continue;
        }
        let is_space = piece.trim().is_empty();
        let fits_fresh_row = width(&pad) + width(piece) <= max;
        if (is_space || fits_fresh_row) && !current.trim().is_empty() {
            rows.push(current.trim_end().to_string());
            current = pad.clone();
        }
        if is_space {
            // A run of spaces at a break point is dropped.
            continue;
        }
        // A word longer than a row fills this row and continues on the next.
        let mut rest = piece;
        while width(&current) + width(rest) > max {
            let mut head = clip(rest, max.saturating_sub(width(&current)));
            if head.is_empty() {
                if !current.trim().is_empty() {
                    rows.push(current.trim_end().to_string());
                    current = pad.clone();
                    continue;
                }
                if !current.is_empty() {
                    // Not even one character fits after the indent: drop it.
                    current.clear();
                    continue;
                }
                // A character wider than the whole row still has to go somewhere.
                head = rest.chars().take(1).collect();
            }
            rest = &rest[head.len()..];
            current.push_str(&head);
            rows.push(std::mem::replace(&mut current, pad.clone()));
        }
        current.push_str(rest);
    }
    if !current.trim().is_empty() || rows.is_empty() {
        rows.push(current);
    }
    rows
}

/// Splits text into alternating runs of spaces and non-spaces.
fn split_keeping_spaces(s: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in s.char_indices() {
        let space = c == ' ';
        if in_space.is_some_and(|was| was != space) {
            pieces.push(&s[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < s.len() {
        pieces.push(&s[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("› ⠋•"), 4);
        assert_eq!(width("日本"), 4);
        assert_eq!(width("e\u{301}"), 1);
    }

    #[test]
    fn clipping() {
        assert_eq!(clip("hello", 3), "hel");
        assert_eq!(clip("日本語", 5), "日本");
        assert_eq!(clip_tail("hello", 3), "llo");
        assert_eq!(clip_tail("日本語", 3), "語");
    }

    #[test]
    fn wrapping_breaks_at_spaces() {
        assert_eq!(wrap("short", 10, 0), vec!["short"]);
        assert_eq!(
            wrap("the quick brown fox", 10, 0),
            vec!["the quick", "brown fox"]
        );
        assert_eq!(wrap("abcdefghij-klm", 5, 0), vec!["abcde", "fghij", "-klm"]);
        assert_eq!(
            wrap("  indented words here", 10, 0),
            vec!["  indented", "words here"]
        );
        assert_eq!(wrap("", 5, 0), vec![""]);
    }

    #[test]
    fn wrapping_with_hanging_indent() {
        assert_eq!(
            wrap("• one two three four", 10, 2),
            vec!["• one two", "  three", "  four"]
        );
        assert_eq!(wrap("• abcdefghijkl", 8, 2), vec!["• abcdef", "  ghijkl"]);
    }

    #[test]
    fn wrapped_rows_fit() {
        let text = "GOALIE-COMPLETE:abc and some more words that go on and on 日本語日本語";
        for max in 1..30 {
            for indent in [0, 2] {
                let rows = wrap(text, max, indent);
                assert!(!rows.is_empty());
                for row in rows {
                    assert!(width(&row) <= max.max(2), "{row:?} wider than {max}");
                }
            }
        }
    }

    #[test]
    fn sanitize_drops_controls() {
        assert_eq!(sanitize("a\tb\x1b[0mc\n"), "a b[0mc");
    }
}
