//! The simulated agent's handoff note: when goalie's prompt asks for one
//! ("Write your handoff note to the file `PATH`"), the sim writes it there,
//! relative to its working directory, as a real agent would with a tool call.

use regex::Regex;
use std::sync::LazyLock;

static ASKED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"handoff note to the file\s+`([^`]+)`").expect("handoff pattern is valid")
});

/// The file the prompt asks the note to be written to, if it asks.
pub(crate) fn requested_file(prompt: &str) -> Option<&str> {
    ASKED
        .captures(prompt)
        .and_then(|caps| caps.get(1))
        .map(|m| m.as_str())
}

/// The note of turn `number`: the marker tests look for, and what the turn said.
pub(crate) fn note(number: u32, reply: &str) -> String {
    format!(
        "SIM-HANDOFF of turn {number}: the work so far is listed below.\n{}\n",
        reply.trim()
    )
}

/// Writes the note (creating its folder); errors are shown in the transcript.
pub(crate) fn write(path: &str, text: &str) -> std::io::Result<()> {
    let path = std::path::Path::new(path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_read_from_the_prompt() {
        let prompt = "Start no new work. Write your handoff note to the file `.goalie/handoff-ab-1.md`\n(relative…)";
        assert_eq!(requested_file(prompt), Some(".goalie/handoff-ab-1.md"));
        assert_eq!(requested_file("Continue working."), None);
    }

    #[test]
    fn the_note_is_written_with_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/note.md");
        write(path.to_str().unwrap(), &note(3, "did things")).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.starts_with("SIM-HANDOFF of turn 3"));
        assert!(text.contains("did things"));
    }
}
