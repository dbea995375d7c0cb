//! Errors that point into a file the user wrote: `path:line:column: message`.

use std::fmt;
use std::path::{Path, PathBuf};

/// A message about a place in a file. Lines and columns count from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl Located {
    /// From a YAML parse error, which knows its own position.
    pub fn from_yaml(path: &Path, err: &serde_yaml_ng::Error) -> Located {
        let (line, column) = err
            .location()
            .map(|at| (at.line(), at.column()))
            .unwrap_or((1, 1));
        // The library appends " at line L column C"; the prefix already says it.
        let message = err.to_string();
        let message = match message.find(" at line ") {
            Some(cut) => message[..cut].to_string(),
            None => message,
        };
        Located {
            path: path.to_path_buf(),
            line: line.max(1),
            column: column.max(1),
            message,
        }
    }

    /// From a byte offset into `text`.
    pub fn at_offset(path: &Path, text: &str, offset: usize, message: String) -> Located {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        let column = before[line_start..].chars().count() + 1;
        Located {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    }
}

/// Points at the first place `needle` is written in `text` (for errors found
/// after parsing, such as a bad regex). A quote just before the value is
/// included, so the column is where the value starts as written.
pub fn locate_value(path: &Path, text: &str, needle: &str, message: String) -> Located {
    let offset = match text.find(needle) {
        Some(at) if at > 0 && matches!(text.as_bytes()[at - 1], b'\'' | b'"') => at - 1,
        Some(at) => at,
        None => 0,
    };
    Located::at_offset(path, text, offset, message)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "ab\ncdé\nf";
        let at = |offset| {
            let l = Located::at_offset(Path::new("f"), text, offset, "m".into());
            (l.line, l.column)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(3), (2, 1));
        assert_eq!(at(7), (2, 4)); // after the two-byte é
        assert_eq!(at(99), (3, 2));
    }

    #[test]
    fn values_are_found_with_their_quote() {
        let text = "a: 1\nb: ['x(']\n";
        let l = locate_value(Path::new("f.yaml"), text, "x(", "bad".into());
        assert_eq!(l.to_string(), "f.yaml:2:5: bad");
    }
}
