//! What the fake model records of each request, and the request analysis shared by the
//! protocol modules.

use serde::Serialize;
use serde_json::Value;

use super::script::Usage;

/// The API a request spoke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// OpenAI Responses `POST /v1/responses` (Codex CLI).
    OpenAiResponses,
    /// Anthropic Messages `POST /v1/messages` (Claude Code).
    Anthropic,
    /// OpenAI Chat Completions `POST /v1/chat/completions` (aider, opencode).
    ChatCompletions,
    /// Gemini `POST /v1beta/models/M:streamGenerateContent` and `:generateContent` (gemini-cli).
    Gemini,
    /// Anything else: answered 404.
    Unknown,
}

/// What a request was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A model turn of the agent's conversation: answered by the script.
    Turn,
    /// The agent summarising its history (Codex `request_kind: compaction` / "CONTEXT
    /// CHECKPOINT COMPACTION", Claude Code's summary request): answered with the script's
    /// compaction summary.
    Compaction,
    /// A session-title request: answered with the script's title.
    Title,
    /// A token-counting request (Anthropic `count_tokens`, Gemini `countTokens`).
    CountTokens,
    /// A non-streaming request asking for JSON matching a schema (Gemini's model router):
    /// answered with a schema-shaped value.
    Structured,
    /// Any other auxiliary request of a known protocol (no tools declared, not streaming...):
    /// answered with short text, without consuming script steps.
    Side,
    /// Unknown path or method: 404.
    NotFound,
}

/// One request the fake model received, and what it answered.
#[derive(Clone, Debug, Serialize)]
pub struct Recorded {
    /// 0-based position among all requests.
    pub index: usize,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The JSON body (`Value::Null` if the body was empty or not JSON).
    pub body: Value,
    /// The body as text when it was not JSON (lossy UTF-8), else `None`.
    pub raw_body: Option<String>,
    pub protocol: Protocol,
    pub kind: RequestKind,
    pub model: String,
    pub stream: bool,
    /// The latest user input text (agent-injected context left out), if any.
    pub user_text: Option<String>,
    /// Every user input text of the request, oldest first (agent-injected context left out).
    pub user_texts: Vec<String>,
    /// Tool outputs after the latest user input (`function_call_output`, `tool_result`, ...).
    pub tool_results: Vec<String>,
    /// The history carries a compaction summary.
    pub compacted: bool,
    /// Names of the tools the request declared (`namespace.name` for namespaced tools).
    pub tools: Vec<String>,
    /// For turn requests: the 1-based turn number and the step within the current prompt.
    pub turn: Option<usize>,
    pub step: Option<usize>,
    /// What was answered (a description of the step).
    pub reply: String,
    pub status: u16,
    /// Usage reported in the answer, if it was a successful model reply.
    pub usage: Option<Usage>,
}

impl Recorded {
    /// First value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The latest user input text, or "".
    pub fn latest_user_text(&self) -> &str {
        self.user_text.as_deref().unwrap_or("")
    }

    /// One line: index, request, kind, turn/step, user text, tool results, answer.
    pub fn summary(&self) -> String {
        let query = self
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let user: String = self.latest_user_text().chars().take(80).collect();
        let mut line = format!(
            "#{} {} {}{} {:?}/{:?}",
            self.index, self.method, self.path, query, self.protocol, self.kind
        );
        if let (Some(turn), Some(step)) = (self.turn, self.step) {
            line.push_str(&format!(" turn={turn} step={step}"));
        }
        if self.compacted {
            line.push_str(" compacted");
        }
        line.push_str(&format!(
            " user={user:?} tool_results={} -> {} {}",
            self.tool_results.len(),
            self.status,
            self.reply
        ));
        line
    }

    pub fn is_turn(&self) -> bool {
        self.kind == RequestKind::Turn
    }

    /// Whether any user input, tool result, or the system prompt/instructions mention `needle`.
    pub fn mentions(&self, needle: &str) -> bool {
        self.user_texts.iter().any(|t| t.contains(needle))
            || self.tool_results.iter().any(|t| t.contains(needle))
            || self.body.to_string().contains(needle)
    }
}

/// A tool the request declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeclaredTool {
    pub namespace: Option<String>,
    pub name: String,
}

impl DeclaredTool {
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// What a protocol module found in a request body.
#[derive(Clone, Debug)]
pub(crate) struct Analysis {
    pub kind: RequestKind,
    pub stream: bool,
    pub model: String,
    pub user_texts: Vec<String>,
    pub tool_results: Vec<String>,
    /// History items after the latest user input (assistant messages, tool calls, outputs).
    pub items_after_user: usize,
    pub compacted: bool,
    pub tools: Vec<DeclaredTool>,
}

impl Analysis {
    pub fn new(kind: RequestKind) -> Self {
        Analysis {
            kind,
            stream: false,
            model: String::new(),
            user_texts: Vec::new(),
            tool_results: Vec::new(),
            items_after_user: 0,
            compacted: false,
            tools: Vec::new(),
        }
    }

    pub fn latest_user_text(&self) -> Option<&str> {
        self.user_texts.last().map(String::as_str)
    }

    pub fn has_tool(&self, namespace: Option<&str>, name: &str) -> bool {
        self.tools
            .iter()
            .any(|t| t.name == name && t.namespace.as_deref() == namespace)
    }
}

/// Codex's compaction prompt.
pub(crate) const CODEX_COMPACTION_MARK: &str = "CONTEXT CHECKPOINT COMPACTION";
/// Start of the user message Codex puts after a compacted history.
pub(crate) const CODEX_SUMMARY_BRIDGE: &str =
    "Another language model started to solve this problem";
/// Claude Code's compaction prompt.
pub(crate) const CLAUDE_COMPACTION_MARK: &str =
    "Your task is to create a detailed summary of the conversation so far";
/// Start of the user message Claude Code puts after a compacted history.
pub(crate) const CLAUDE_SUMMARY_BRIDGE: &str =
    "This session is being continued from a previous conversation";

/// User-role text the agent injected itself rather than the person typing (environment
/// context, instructions, reminders, slash-command echoes).
pub(crate) fn is_injected_user_text(text: &str) -> bool {
    let t = text.trim_start();
    if t.starts_with("# AGENTS.md instructions") || t.starts_with(CODEX_SUMMARY_BRIDGE) {
        return true;
    }
    if t.starts_with(CLAUDE_SUMMARY_BRIDGE) {
        return true;
    }
    if t.contains(CODEX_COMPACTION_MARK) || t.contains(CLAUDE_COMPACTION_MARK) {
        return true;
    }
    // `<environment_context>`, `<user_instructions>`, `<system-reminder>`, `<command-name>`,
    // `<local-command-stdout>`, `<turn_aborted>`, ...: a leading lower-case tag.
    if let Some(rest) = t.strip_prefix('<') {
        let tag: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_' || *c == '-' || *c == ' ')
            .collect();
        let after = &rest[tag.len()..];
        if !tag.is_empty() && (after.starts_with('>') || after.starts_with(' ')) {
            return true;
        }
    }
    false
}

/// Text of a content value: a string, or an array of parts with `text` fields.
pub(crate) fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| match p {
                Value::String(s) => Some(s.as_str()),
                _ => p.get("text").and_then(Value::as_str),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// A rough token estimate (4 characters a token) used for count-tokens answers.
pub(crate) fn estimate_tokens(body: &Value) -> u64 {
    (body.to_string().len() as u64 / 4).max(1)
}

pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_text() {
        assert!(is_injected_user_text(
            "<environment_context>\n  <cwd>/x</cwd>"
        ));
        assert!(is_injected_user_text("<system-reminder>\nfoo"));
        assert!(is_injected_user_text("# AGENTS.md instructions for /x"));
        assert!(!is_injected_user_text("write a file <b>now</b>"));
        assert!(!is_injected_user_text("<3 this"));
        assert!(!is_injected_user_text("objective: [shell=echo hi]"));
    }
}
