//! What the session log leaves for later: the agent's replies, shortened,
//! and the shell commands it ran (for the audit).

/// At most this many characters of a reply are kept.
const REPLY_CHARS: usize = 600;

/// A reply shortened for the ledger and the digest: its last lines, at most
/// 600 characters.
pub fn excerpt(text: &str) -> String {
    let text = text.trim();
    let count = text.chars().count();
    if count <= REPLY_CHARS {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - REPLY_CHARS).collect();
    format!("…{}", tail.trim_start())
}

/// How many of the agent's commands are kept for the audit.
const COMMANDS_KEPT: usize = 2000;

/// The shell commands the agent ran in this run (session log), newest last:
/// the latest [`COMMANDS_KEPT`] of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentCommands(Vec<String>);

impl AgentCommands {
    pub fn push(&mut self, command: String) {
        if self.0.len() == COMMANDS_KEPT {
            self.0.remove(0);
        }
        self.0.push(command);
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_reply_is_kept_whole_and_trimmed() {
        assert_eq!(excerpt("  done.\n"), "done.");
    }

    #[test]
    fn a_long_reply_keeps_its_end() {
        let text = format!("{}{}", "a".repeat(100), "b".repeat(REPLY_CHARS));
        let short = excerpt(&text);
        assert_eq!(short, format!("…{}", "b".repeat(REPLY_CHARS)));
    }

    #[test]
    fn the_latest_commands_are_kept() {
        let mut commands = AgentCommands::default();
        for n in 0..COMMANDS_KEPT + 2 {
            commands.push(format!("echo {n}"));
        }
        let kept = commands.to_vec();
        assert_eq!(kept.len(), COMMANDS_KEPT);
        assert_eq!(kept[0], "echo 2");
        assert_eq!(
            kept.last().map(String::as_str),
            Some(format!("echo {}", COMMANDS_KEPT + 1).as_str())
        );
    }
}
