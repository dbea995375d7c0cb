//! What a YAML file the user wrote (a goal spec, an adapter) must be before
//! it reaches the YAML parser: text (no NUL byte, valid UTF-8), and nested at
//! most [`MAX_NESTING`] levels deep. A deeply nested file is refused by one
//! pass over its bytes that stops at the first level too deep, so a 200 KB
//! file of brackets costs a few dozen bytes of work, not the parser's
//! seconds. Each refusal names its line and column.

use std::path::Path;

use super::source_location::Located;

/// How deeply brackets (`[`, `{`) and indented blocks may nest together. The
/// deepest file goalie reads by design (an adapter) nests 5 levels.
pub const MAX_NESTING: usize = 64;

/// `bytes` as text, or where it stops being text.
pub fn text_of<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, Located> {
    let valid = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let valid_up_to = err.valid_up_to();
            // The valid prefix: a NUL byte in it is reported first.
            let prefix = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or("");
            if let Some(nul) = prefix.find('\0') {
                return Err(nul_at(path, prefix, nul));
            }
            return Err(Located::at_offset(
                path,
                prefix,
                valid_up_to,
                format!(
                    "this is not a text file: byte 0x{:02x} is not UTF-8",
                    bytes[valid_up_to]
                ),
            ));
        }
    };
    match valid.find('\0') {
        Some(nul) => Err(nul_at(path, valid, nul)),
        None => Ok(valid),
    }
}

fn nul_at(path: &Path, text: &str, offset: usize) -> Located {
    Located::at_offset(
        path,
        text,
        offset,
        "this is not a text file: it has a NUL byte".into(),
    )
}

/// Refuses `text` when it nests deeper than [`MAX_NESTING`].
pub fn check_nesting(path: &Path, text: &str) -> Result<(), Located> {
    match too_deep(text, MAX_NESTING) {
        Ok(_) => Ok(()),
        Err(offset) => Err(Located::at_offset(
            path,
            text,
            offset,
            format!("nested more than {MAX_NESTING} levels deep; goalie reads no file this deep"),
        )),
    }
}

/// One pass over `text`: `Ok(bytes looked at)` when no place nests deeper
/// than `max` levels, else `Err(offset)` of the first place that does
/// (having looked at no byte past it). Brackets inside quotes and comments do
/// not count; each indented block of lines counts one level.
pub fn too_deep(text: &str, max: usize) -> Result<usize, usize> {
    let bytes = text.as_bytes();
    // Bracket depth, and the indentation of each open block.
    let mut brackets = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    let mut quote: Option<u8> = None;
    let mut at = 0;
    // The line whose indentation was looked at last.
    let mut line_seen = usize::MAX;
    while at < bytes.len() {
        // At the start of a line outside quotes and brackets: its indentation.
        let line_start = at == 0 || bytes[at - 1] == b'\n';
        if line_start && line_seen != at && quote.is_none() && brackets == 0 {
            line_seen = at;
            let indent = bytes[at..].iter().take_while(|&&b| b == b' ').count();
            let rest = at + indent;
            let blank = matches!(bytes.get(rest), None | Some(b'\n' | b'\r' | b'#'));
            if !blank {
                while indents.last().is_some_and(|&open| open >= indent) {
                    indents.pop();
                }
                indents.push(indent);
                if indents.len() > max {
                    return Err(rest);
                }
            }
            at = rest;
            continue;
        }
        let byte = bytes[at];
        match quote {
            Some(b'\'') if byte == b'\'' => quote = None,
            Some(b'"') if byte == b'\\' => at += 1,
            Some(b'"') if byte == b'"' => quote = None,
            Some(_) => {}
            None => match byte {
                // A quote opens a quoted scalar only where a scalar starts.
                b'\'' | b'"'
                    if at == 0
                        || matches!(
                            bytes[at - 1],
                            b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b':'
                        ) =>
                {
                    quote = Some(byte)
                }
                b'#' if at == 0 || matches!(bytes[at - 1], b' ' | b'\t' | b'\n') => {
                    while at < bytes.len() && bytes[at] != b'\n' {
                        at += 1;
                    }
                    continue;
                }
                b'[' | b'{' => {
                    brackets += 1;
                    if brackets + indents.len() > max {
                        return Err(at);
                    }
                }
                b']' | b'}' => brackets = brackets.saturating_sub(1),
                _ => {}
            },
        }
        at += 1;
    }
    Ok(bytes.len())
}

/// A `deserialize_with` for a field that must be written as text: YAML
/// reads `42` or `true` as a number or a flag, which serde would otherwise
/// turn into the text "42" without a word.
pub fn text_only<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct Text;
    impl serde::de::Visitor<'_> for Text {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("text (quote a value that YAML would read as a number or a flag)")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<String, E> {
            Ok(text.to_string())
        }
    }
    deserializer.deserialize_any(Text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_hundred_kilobytes_of_brackets_are_refused_after_a_few_dozen_bytes() {
        let text = format!("objective: {}", "[".repeat(200 * 1024));
        let offset = too_deep(&text, MAX_NESTING).unwrap_err();
        // The work done is the bytes looked at: up to the bracket one level too deep.
        assert_eq!(offset, "objective: ".len() + MAX_NESTING - 1);
        let err = check_nesting(Path::new("g.yaml"), &text).unwrap_err();
        assert_eq!((err.line, err.column), (1, offset + 1));
        assert!(
            err.to_string().contains("nested more than 64 levels"),
            "{err}"
        );
    }

    #[test]
    fn deep_indentation_is_refused_and_ordinary_files_pass() {
        let deep: String = (0..100)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        let err = check_nesting(Path::new("a.yaml"), &deep).unwrap_err();
        assert_eq!(err.line, MAX_NESTING + 1);
        let fine = "a:\n  b: [1, {c: '[[[[', d: \"]]{{\"}]  # [[[[\n  e:\n    - x\n";
        assert_eq!(too_deep(fine, 4), Ok(fine.len()));
        assert!(too_deep(fine, 3).is_err());
        for builtin in [
            include_str!("../../adapters/codex.yaml"),
            include_str!("../../adapters/claude.yaml"),
            include_str!("../../adapters/opencode.yaml"),
            crate::goal::spec::TEMPLATE,
        ] {
            assert!(too_deep(builtin, MAX_NESTING).is_ok());
        }
    }

    #[test]
    fn binary_files_are_refused_with_a_position() {
        let path = Path::new("goal.yaml");
        let err = text_of(path, b"objective: ok\nverify: [a\0b]\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 11));
        assert!(err.message.contains("NUL byte"), "{err}");
        let err = text_of(path, b"objective: caf\xc3\xa9\n  \xff\xfe").unwrap_err();
        assert_eq!((err.line, err.column), (2, 3));
        assert!(err.message.contains("byte 0xff is not UTF-8"), "{err}");
        assert_eq!(text_of(path, "é ok".as_bytes()), Ok("é ok"));
    }
}
