//! Agents' session logs, the exact source of token usage, compactions and turn
//! ends: Codex's rollout JSONL, Claude Code's transcript JSONL and gemini-cli's
//! chat JSONL (opencode's SQLite database is read in `session_tail`). Pure: one
//! line of text in, what it says out. Lines goalie does not understand (a newer
//! CLI, garbage) are skipped, never an error.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::Value;

/// Which log an adapter's agent writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`.
    CodexRollout,
    /// `$CLAUDE_CONFIG_DIR/projects/<dir>/<session>.jsonl`.
    ClaudeTranscript,
    /// `$GEMINI_CLI_HOME/.gemini/tmp/<project>/chats/session-*.jsonl` (tokens only).
    GeminiChat,
    /// opencode's `~/.local/share/opencode/opencode.db` (SQLite; tokens and turn ends).
    OpencodeDb,
}

/// What a session log line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// Tokens used by this session so far.
    Tokens { total: u64 },
    /// The context was compacted; `before` is the context size before, if known.
    Compacted { before: Option<u64> },
    /// The agent finished a turn.
    TurnComplete,
}

/// Reads one session log, line by line.
#[derive(Debug, Clone)]
pub struct LogParser {
    format: LogFormat,
    /// Claude writes one API reply as several lines with the same message id.
    counted_messages: HashSet<String>,
    claude_total: u64,
    /// gemini-cli writes a reply again (with its tool calls): its latest total by id.
    gemini_totals: HashMap<String, u64>,
}

impl LogParser {
    pub fn new(format: LogFormat) -> LogParser {
        LogParser {
            format,
            counted_messages: HashSet::new(),
            claude_total: 0,
            gemini_totals: HashMap::new(),
        }
    }

    /// What one line says (usually nothing).
    pub fn line(&mut self, line: &str) -> Option<LogEvent> {
        let record: Value = serde_json::from_str(line.trim()).ok()?;
        match self.format {
            LogFormat::CodexRollout => codex(&record),
            LogFormat::ClaudeTranscript => self.claude(&record),
            LogFormat::GeminiChat => self.gemini(&record),
            LogFormat::OpencodeDb => None,
        }
    }

    /// A reply is `{"id", "type": "gemini", "tokens": {"total", …}}`, alone on
    /// its line or among the `messages` of a `{"$set": …}` line.
    fn gemini(&mut self, record: &Value) -> Option<LogEvent> {
        let mut changed = false;
        let messages = record["$set"]["messages"].as_array();
        for message in std::iter::once(record).chain(messages.into_iter().flatten()) {
            if message["type"] != "gemini" {
                continue;
            }
            let (Some(id), Some(total)) =
                (message["id"].as_str(), message["tokens"]["total"].as_u64())
            else {
                continue;
            };
            if self.gemini_totals.insert(id.to_string(), total) != Some(total) {
                changed = true;
            }
        }
        changed.then(|| LogEvent::Tokens {
            total: self.gemini_totals.values().sum(),
        })
    }

    fn claude(&mut self, record: &Value) -> Option<LogEvent> {
        match (record["type"].as_str()?, record["subtype"].as_str()) {
            ("system", Some("turn_duration")) => Some(LogEvent::TurnComplete),
            ("system", Some("compact_boundary")) => Some(LogEvent::Compacted {
                before: record["compactMetadata"]["preTokens"].as_u64(),
            }),
            ("assistant", _) => {
                let message = &record["message"];
                let usage = message.get("usage")?;
                let id = message["id"].as_str()?;
                if !self.counted_messages.insert(id.to_string()) {
                    return None;
                }
                let field = |name: &str| usage[name].as_u64().unwrap_or(0);
                self.claude_total += field("input_tokens")
                    + field("cache_creation_input_tokens")
                    + field("cache_read_input_tokens")
                    + field("output_tokens");
                Some(LogEvent::Tokens {
                    total: self.claude_total,
                })
            }
            _ => None,
        }
    }
}

fn codex(record: &Value) -> Option<LogEvent> {
    match record["type"].as_str()? {
        "compacted" => Some(LogEvent::Compacted { before: None }),
        "event_msg" => {
            let payload = &record["payload"];
            match payload["type"].as_str()? {
                "token_count" => Some(LogEvent::Tokens {
                    total: payload["info"]["total_token_usage"]["total_tokens"].as_u64()?,
                }),
                "task_complete" => Some(LogEvent::TurnComplete),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The working directory a Codex rollout belongs to (its `session_meta` line).
pub fn codex_session_cwd(first_line: &str) -> Option<String> {
    let record: Value = serde_json::from_str(first_line.trim()).ok()?;
    (record["type"] == "session_meta")
        .then(|| record["payload"]["cwd"].as_str().map(str::to_string))
        .flatten()
}

/// The project a gemini-cli chat log belongs to: its first line's `projectHash`,
/// the SHA-256 of the working directory (hex).
pub fn gemini_project_hash(first_line: &str) -> Option<String> {
    let record: Value = serde_json::from_str(first_line.trim()).ok()?;
    record["projectHash"].as_str().map(str::to_string)
}

/// The `projectHash` gemini-cli gives a working directory.
pub fn gemini_hash_of(workdir: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(workdir.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The folder name Claude Code gives a working directory under `projects/`.
pub fn claude_project_dir(workdir: &str) -> String {
    workdir
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/session-logs/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path).unwrap()
    }

    fn events(format: LogFormat, text: &str) -> Vec<LogEvent> {
        let mut parser = LogParser::new(format);
        text.lines().filter_map(|line| parser.line(line)).collect()
    }

    #[test]
    fn codex_rollout_with_mid_turn_compactions() {
        let text = fixture("codex-0.169.0-rollout-compacting.jsonl");
        let events = events(LogFormat::CodexRollout, &text);
        let compactions = events
            .iter()
            .filter(|e| matches!(e, LogEvent::Compacted { .. }))
            .count();
        assert_eq!(compactions, 4);
        assert_eq!(
            events
                .iter()
                .filter(|e| **e == LogEvent::TurnComplete)
                .count(),
            1
        );
        let last_tokens = events.iter().rev().find_map(|e| match e {
            LogEvent::Tokens { total } => Some(*total),
            _ => None,
        });
        assert_eq!(last_tokens, Some(609_530));
        assert_eq!(
            codex_session_cwd(text.lines().next().unwrap()).as_deref(),
            Some("/home/user/project")
        );
    }

    #[test]
    fn claude_transcript_counts_each_reply_once() {
        let text = fixture("claude-2.1.197-transcript-turns.jsonl");
        let events = events(LogFormat::ClaudeTranscript, &text);
        assert_eq!(
            events
                .iter()
                .filter(|e| **e == LogEvent::TurnComplete)
                .count(),
            3
        );
        // Six replies (1000·N input, 20 or 50 output), each written on one or two lines.
        let last = events.iter().rev().find_map(|e| match e {
            LogEvent::Tokens { total } => Some(*total),
            _ => None,
        });
        assert_eq!(last, Some(21_000 + 3 * 20 + 3 * 50));
    }

    #[test]
    fn claude_transcript_compaction() {
        let text = fixture("claude-2.1.197-transcript-compacting.jsonl");
        let events = events(LogFormat::ClaudeTranscript, &text);
        assert!(events.contains(&LogEvent::Compacted {
            before: Some(170_006)
        }));
    }

    #[test]
    fn gemini_chat_counts_each_reply_once() {
        let text = fixture("gemini-0.61.0-chat-turns.jsonl");
        let events = events(LogFormat::GeminiChat, &text);
        // Two replies (1000 + 20, 2000 + 50); the first is written twice.
        assert_eq!(
            events,
            vec![
                LogEvent::Tokens { total: 1020 },
                LogEvent::Tokens { total: 3070 }
            ]
        );
        assert_eq!(
            gemini_project_hash(text.lines().next().unwrap()),
            Some(gemini_hash_of("/home/user/project"))
        );
    }

    #[test]
    fn garbage_lines_say_nothing() {
        let mut parser = LogParser::new(LogFormat::ClaudeTranscript);
        for line in [
            "",
            "{",
            "null",
            "[1,2]",
            r#"{"type":"assistant"}"#,
            r#"{"type":"assistant","message":{"usage":{}}}"#,
        ] {
            assert_eq!(parser.line(line), None, "{line}");
        }
        let mut parser = LogParser::new(LogFormat::CodexRollout);
        for line in [
            "x",
            r#"{"type":"event_msg","payload":{"type":"token_count","info":null}}"#,
        ] {
            assert_eq!(parser.line(line), None, "{line}");
        }
    }

    #[test]
    fn claude_project_dirs() {
        assert_eq!(claude_project_dir("/tmp/cl/work"), "-tmp-cl-work");
        assert_eq!(claude_project_dir("/home/a.b/x_y"), "-home-a-b-x-y");
    }
}
