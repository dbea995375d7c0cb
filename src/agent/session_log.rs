//! Agents' session logs, the exact source of token usage, compactions and turn
//! ends: Codex's rollout JSONL, Claude Code's transcript JSONL and gemini-cli's
//! chat JSONL (opencode's SQLite database is read in `session_tail`). Pure: one
//! line of text in, what it says out. Lines goalie does not understand (a newer
//! CLI, garbage) are skipped, never an error.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::Value;

use crate::core::log_event::LogEvent;

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
    pub fn line(&mut self, line: &str) -> Vec<LogEvent> {
        let Ok(record) = serde_json::from_str::<Value>(line.trim()) else {
            return Vec::new();
        };
        match self.format {
            LogFormat::CodexRollout => codex(&record),
            LogFormat::ClaudeTranscript => self.claude(&record),
            LogFormat::GeminiChat => self.gemini(&record).into_iter().collect(),
            LogFormat::OpencodeDb => Vec::new(),
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

    fn claude(&mut self, record: &Value) -> Vec<LogEvent> {
        let Some(kind) = record["type"].as_str() else {
            return Vec::new();
        };
        match (kind, record["subtype"].as_str()) {
            ("system", Some("turn_duration")) => vec![LogEvent::TurnComplete],
            // A prompt typed (its content a string, or text parts); a tool's
            // result comes back as a user line too, and is none.
            ("user", _) => {
                let content = &record["message"]["content"];
                let text = match content.as_str() {
                    Some(text) => text.to_string(),
                    None => content
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|part| part["type"] == "text")
                        .filter_map(|part| part["text"].as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                };
                if text.is_empty() {
                    Vec::new()
                } else {
                    vec![LogEvent::Prompt { text }]
                }
            }
            ("system", Some("compact_boundary")) => vec![LogEvent::Compacted {
                before: record["compactMetadata"]["preTokens"].as_u64(),
            }],
            ("assistant", _) => {
                let message = &record["message"];
                let mut events = Vec::new();
                let text: Vec<&str> = message["content"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|part| part["type"] == "text")
                    .filter_map(|part| part["text"].as_str())
                    .collect();
                if !text.is_empty() {
                    events.push(LogEvent::Reply {
                        text: text.join("\n"),
                    });
                }
                for block in message["content"].as_array().into_iter().flatten() {
                    if block["type"] == "tool_use"
                        && block["name"] == "Bash"
                        && let Some(command) = block["input"]["command"].as_str()
                    {
                        events.push(LogEvent::CommandRun {
                            command: command.to_string(),
                        });
                    }
                }
                let (Some(usage), Some(id)) = (message.get("usage"), message["id"].as_str()) else {
                    return events;
                };
                if !self.counted_messages.insert(id.to_string()) {
                    return events;
                }
                let field = |name: &str| usage[name].as_u64().unwrap_or(0);
                let context = field("input_tokens")
                    + field("cache_creation_input_tokens")
                    + field("cache_read_input_tokens");
                self.claude_total += context + field("output_tokens");
                events.push(LogEvent::Tokens {
                    total: self.claude_total,
                });
                // The transcript does not say the model's window.
                events.push(LogEvent::Context {
                    tokens: context,
                    window: None,
                });
                events
            }
            _ => Vec::new(),
        }
    }
}

fn codex(record: &Value) -> Vec<LogEvent> {
    match record["type"].as_str() {
        Some("compacted") => vec![LogEvent::Compacted { before: None }],
        Some("event_msg") => {
            let payload = &record["payload"];
            match payload["type"].as_str() {
                Some("token_count") => {
                    let info = &payload["info"];
                    let mut events = Vec::new();
                    if let Some(total) = info["total_token_usage"]["total_tokens"].as_u64() {
                        events.push(LogEvent::Tokens { total });
                    }
                    if let Some(tokens) = info["last_token_usage"]["input_tokens"].as_u64() {
                        events.push(LogEvent::Context {
                            tokens,
                            window: info["model_context_window"].as_u64(),
                        });
                    }
                    let windows = crate::agent::quota_log::codex_windows(record);
                    if !windows.is_empty() {
                        events.push(LogEvent::Quota { windows });
                    }
                    events
                }
                Some("task_complete") => {
                    let mut events = Vec::new();
                    if let Some(text) = payload["last_agent_message"].as_str() {
                        events.push(LogEvent::Reply {
                            text: text.to_string(),
                        });
                    }
                    events.push(LogEvent::TurnComplete);
                    events
                }
                _ => Vec::new(),
            }
        }
        Some("response_item") => codex_prompt(&record["payload"])
            .or_else(|| codex_command(&record["payload"]))
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// A prompt the agent took: a `message` of the `user` role (its context
/// notes, such as the environment's, are user messages too).
fn codex_prompt(payload: &Value) -> Option<LogEvent> {
    if payload["type"] != "message" || payload["role"] != "user" {
        return None;
    }
    let text: Vec<&str> = payload["content"]
        .as_array()?
        .iter()
        .filter(|part| part["type"] == "input_text")
        .filter_map(|part| part["text"].as_str())
        .collect();
    (!text.is_empty()).then(|| LogEvent::Prompt {
        text: text.join("\n"),
    })
}

/// A shell command the agent ran: `exec_command {"cmd": "…"}`, or in older
/// versions `shell {"command": ["bash", "-lc", "…"]}`.
fn codex_command(payload: &Value) -> Option<LogEvent> {
    if payload["type"] != "function_call" {
        return None;
    }
    let arguments: Value = serde_json::from_str(payload["arguments"].as_str()?).ok()?;
    let command = match payload["name"].as_str()? {
        "exec_command" => arguments["cmd"].as_str()?.to_string(),
        "shell" => arguments["command"]
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .next_back()?
            .to_string(),
        _ => return None,
    };
    Some(LogEvent::CommandRun { command })
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
    sha256_hex(workdir.as_bytes())
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The id of the session a log file records, which the agent's resume
/// command takes: from the file's name for Codex (`rollout-<time>-<uuid>.jsonl`)
/// and Claude Code (`<uuid>.jsonl`), from the first line's `sessionId` for
/// gemini-cli (whose file names carry only its first 8 digits).
pub fn session_id(format: LogFormat, path: &std::path::Path) -> Option<String> {
    match format {
        LogFormat::GeminiChat => {
            let record: Value = serde_json::from_str(first_line(path)?.trim()).ok()?;
            let id = record["sessionId"].as_str()?;
            is_uuid(id).then(|| id.to_string())
        }
        _ => session_id_from_path(path),
    }
}

/// The first line of the file at `path` (read from its first 64 KiB), where
/// session logs say whose they are.
pub fn first_line(path: &std::path::Path) -> Option<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 64 * 1024];
    let n = file.read(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf[..n]);
    text.lines().next().map(str::to_string)
}

/// The session id in a log file's name: Codex `rollout-<time>-<uuid>.jsonl`,
/// Claude Code `<uuid>.jsonl`.
pub fn session_id_from_path(path: &std::path::Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let id = stem.get(stem.len().checked_sub(36)?..)?;
    is_uuid(id).then(|| id.to_string())
}

fn is_uuid(id: &str) -> bool {
    id.len() == 36
        && id.chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
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
        text.lines().flat_map(|line| parser.line(line)).collect()
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
        assert!(events.contains(&LogEvent::Context {
            tokens: 60_000,
            window: Some(258_400)
        }));
        assert!(events.contains(&LogEvent::Reply {
            text: "ECHO-SAFE reply #5 [after 4 tool call(s)]".into()
        }));
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
        let commands: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                LogEvent::CommandRun { command } => Some(command.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(commands, vec!["echo hi > proof.txt"; 3]);
        // The three prompts goalie typed; the tools' results are no prompts.
        let prompts: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                LogEvent::Prompt { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(prompts.len(), 3);
        assert!(prompts[0].starts_with("[goalie] You are working on one goal"));
        assert!(prompts[1].starts_with("[goalie] Continue working on the goal."));
        assert!(prompts[2].starts_with("[goalie] The goal's turn limit has been reached."));
    }

    #[test]
    fn codex_shell_calls_are_commands() {
        let mut parser = LogParser::new(LogFormat::CodexRollout);
        let call = r#"{"type":"response_item","payload":{"type":"function_call","name":"exec_command","arguments":"{\"cmd\":\"cargo test -q\"}","call_id":"c1"}}"#;
        assert_eq!(
            parser.line(call),
            vec![LogEvent::CommandRun {
                command: "cargo test -q".into()
            }]
        );
        let old = r#"{"type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"command\":[\"bash\",\"-lc\",\"ls\"]}"}}"#;
        assert_eq!(
            parser.line(old),
            vec![LogEvent::CommandRun {
                command: "ls".into()
            }]
        );
        let mcp = r#"{"type":"response_item","payload":{"type":"function_call","name":"update_goal","arguments":"{}"}}"#;
        assert!(parser.line(mcp).is_empty());
    }

    #[test]
    fn codex_user_messages_are_prompts() {
        let mut parser = LogParser::new(LogFormat::CodexRollout);
        let typed = r#"{"type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"[goalie] Continue. This turn's claim nonce: abc"}]}}"#;
        assert_eq!(
            parser.line(typed),
            vec![LogEvent::Prompt {
                text: "[goalie] Continue. This turn's claim nonce: abc".into()
            }]
        );
        let reply = r#"{"type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"done"}]}}"#;
        assert!(parser.line(reply).is_empty());
    }

    #[test]
    fn gemini_session_ids_come_from_the_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session-2026-11-21T12-38-ab7f8e80.jsonl");
        std::fs::write(&path, fixture("gemini-0.61.0-chat-turns.jsonl")).unwrap();
        assert_eq!(
            session_id(LogFormat::GeminiChat, &path).as_deref(),
            Some("ab7f8e80-4380-4756-a254-386c7ee4318b")
        );
        std::fs::write(&path, "{\"sessionId\":\"not-an-id\"}\n").unwrap();
        assert_eq!(session_id(LogFormat::GeminiChat, &path), None);
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(session_id(LogFormat::GeminiChat, &path), None);
        assert_eq!(
            session_id(LogFormat::GeminiChat, &dir.path().join("missing.jsonl")),
            None
        );
    }

    #[test]
    fn session_ids_come_from_file_names() {
        use std::path::Path;
        assert_eq!(
            session_id_from_path(Path::new(
                "/s/rollout-2026-11-21T12-28-28-01a1fe14-567b-7b42-8d7b-de516ddd01bd.jsonl"
            ))
            .as_deref(),
            Some("01a1fe14-567b-7b42-8d7b-de516ddd01bd")
        );
        assert_eq!(
            session_id_from_path(Path::new("/p/e98f3d61-ac2c-4c1f-87cc-15ac176ec389.jsonl"))
                .as_deref(),
            Some("e98f3d61-ac2c-4c1f-87cc-15ac176ec389")
        );
        assert_eq!(session_id_from_path(Path::new("/p/notes.jsonl")), None);
        assert_eq!(
            session_id_from_path(Path::new("/p/x-zzzzzzzz-ac2c-4c1f-87cc-15ac176ec389.jsonl")),
            None
        );
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
            assert!(parser.line(line).is_empty(), "{line}");
        }
        let mut parser = LogParser::new(LogFormat::CodexRollout);
        for line in [
            "x",
            r#"{"type":"event_msg","payload":{"type":"token_count","info":null}}"#,
            r#"{"type":"response_item","payload":{"type":"function_call","name":"exec_command","arguments":"not json"}}"#,
        ] {
            assert!(parser.line(line).is_empty(), "{line}");
        }
    }

    #[test]
    fn claude_project_dirs() {
        assert_eq!(claude_project_dir("/tmp/cl/work"), "-tmp-cl-work");
        assert_eq!(claude_project_dir("/home/a.b/x_y"), "-home-a-b-x-y");
    }
}
