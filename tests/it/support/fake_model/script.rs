//! What the fake model answers: scripted steps, a queue of them, and rules that pick a step
//! from the request.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::recorder::Protocol;

/// Token usage reported with a reply. Every successful reply carries one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Reported as cached input (Responses `cached_tokens`, Anthropic `cache_read_input_tokens`,
    /// Chat `prompt_tokens_details.cached_tokens`, Gemini `cachedContentTokenCount`).
    #[serde(default)]
    pub cached_input_tokens: u64,
    #[serde(default)]
    pub reasoning_tokens: u64,
}

impl Usage {
    pub fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Usage {
            input_tokens,
            output_tokens,
            ..Usage::default()
        }
    }

    /// The default usage of the N-th turn request: input 1000*N, output 50.
    pub fn for_turn(turn: usize) -> Self {
        Usage::new(1000 * turn as u64, 50)
    }

    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

/// A tool call the fake model asks the agent to make. Each protocol renders it in the agent's
/// own terms (see the protocol modules); the names are resolved against the tools the request
/// declares where possible.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolCall {
    /// The agent's shell tool: Codex `exec_command {"cmd"}`, Claude Code
    /// `Bash {"command","description"}`, Chat `bash {"command","description"}`, Gemini
    /// `run_shell_command {"command","description"}`.
    Shell {
        command: String,
        #[serde(default)]
        description: Option<String>,
    },
    /// A tool of an MCP server registered in the agent under `server`: Codex
    /// `function_call` with `namespace: "mcp__SERVER"`, Claude Code `mcp__SERVER__TOOL`.
    Mcp {
        server: String,
        tool: String,
        #[serde(default = "empty_object")]
        arguments: Value,
    },
    /// Any tool, by the exact name (and, for the Responses API, namespace) the agent declared.
    Raw {
        name: String,
        #[serde(default)]
        namespace: Option<String>,
        #[serde(default = "empty_object")]
        arguments: Value,
    },
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl ToolCall {
    pub fn shell(command: impl Into<String>) -> Self {
        ToolCall::Shell {
            command: command.into(),
            description: None,
        }
    }

    pub fn mcp(server: impl Into<String>, tool: impl Into<String>, arguments: Value) -> Self {
        ToolCall::Mcp {
            server: server.into(),
            tool: tool.into(),
            arguments,
        }
    }

    pub fn raw(name: impl Into<String>, arguments: Value) -> Self {
        ToolCall::Raw {
            name: name.into(),
            namespace: None,
            arguments,
        }
    }

    /// Short human description, used in logs and in `Recorded::reply`.
    pub fn describe(&self) -> String {
        match self {
            ToolCall::Shell { command, .. } => format!("shell `{command}`"),
            ToolCall::Mcp {
                server,
                tool,
                arguments,
            } => format!("mcp {server}.{tool} {arguments}"),
            ToolCall::Raw {
                name,
                namespace,
                arguments,
            } => match namespace {
                Some(ns) => format!("tool {ns}.{name} {arguments}"),
                None => format!("tool {name} {arguments}"),
            },
        }
    }
}

/// A successful model reply: optional text, then optional tool calls.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    /// `None`: the default usage of the turn (input 1000*N, output 50).
    #[serde(default)]
    pub usage: Option<Usage>,
    /// Delay before each streamed text chunk (0: as fast as possible).
    #[serde(default)]
    pub chunk_delay_ms: u64,
}

/// One answer of the fake model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Step {
    /// Stream a reply (text and/or tool calls) and finish it properly, with usage.
    Reply(Reply),
    /// Start the stream (status 200 and the opening event, plus `text` if any) and never
    /// finish it. The connection stays open until the client gives up or the server stops.
    Hang {
        #[serde(default)]
        text: Option<String>,
    },
    /// An HTTP error with the given status. `body: None` renders the provider's own error shape
    /// (e.g. a 500 `api_error` for Anthropic).
    HttpError {
        status: u16,
        #[serde(default)]
        body: Option<Value>,
    },
    /// The provider's usage-limit / quota error (HTTP 429 in its error shape).
    UsageLimit,
    /// The provider's "prompt is too long" / context-window error (Anthropic: a 400
    /// `prompt is too long`; Responses: a `response.failed` with `context_length_exceeded`).
    PromptTooLong,
}

impl Step {
    pub fn text(text: impl Into<String>) -> Self {
        Step::Reply(Reply {
            text: Some(text.into()),
            ..Reply::default()
        })
    }

    pub fn tool(call: ToolCall) -> Self {
        Step::Reply(Reply {
            tool_calls: vec![call],
            ..Reply::default()
        })
    }

    pub fn shell(command: impl Into<String>) -> Self {
        Step::tool(ToolCall::shell(command))
    }

    pub fn mcp(server: impl Into<String>, tool: impl Into<String>, arguments: Value) -> Self {
        Step::tool(ToolCall::mcp(server, tool, arguments))
    }

    pub fn hang() -> Self {
        Step::Hang { text: None }
    }

    pub fn http_error(status: u16) -> Self {
        Step::HttpError { status, body: None }
    }

    /// Adds (or replaces) the text streamed before any tool call.
    pub fn with_text(self, text: impl Into<String>) -> Self {
        self.map_reply(|r| r.text = Some(text.into()))
    }

    /// Adds a tool call.
    pub fn with_tool(self, call: ToolCall) -> Self {
        self.map_reply(|r| r.tool_calls.push(call))
    }

    pub fn with_usage(self, input_tokens: u64, output_tokens: u64) -> Self {
        self.map_reply(|r| {
            let cached = r.usage.map(|u| u.cached_input_tokens).unwrap_or(0);
            r.usage = Some(Usage {
                input_tokens,
                output_tokens,
                cached_input_tokens: cached,
                reasoning_tokens: 0,
            })
        })
    }

    pub fn with_usage_full(self, usage: Usage) -> Self {
        self.map_reply(|r| r.usage = Some(usage))
    }

    /// Streams the text in small chunks with `delay` before each.
    pub fn slow(self, delay: Duration) -> Self {
        self.map_reply(|r| r.chunk_delay_ms = delay.as_millis() as u64)
    }

    fn map_reply(mut self, f: impl FnOnce(&mut Reply)) -> Self {
        if let Step::Reply(reply) = &mut self {
            f(reply);
        }
        self
    }

    pub fn describe(&self) -> String {
        match self {
            Step::Reply(r) => {
                let mut parts = Vec::new();
                if let Some(t) = &r.text {
                    parts.push(format!("text {t:?}"));
                }
                for c in &r.tool_calls {
                    parts.push(c.describe());
                }
                if let Some(u) = r.usage {
                    parts.push(format!(
                        "usage in={} out={}",
                        u.input_tokens, u.output_tokens
                    ));
                }
                format!("reply: {}", parts.join(", "))
            }
            Step::Hang { .. } => "hang".into(),
            Step::HttpError { status, .. } => format!("http error {status}"),
            Step::UsageLimit => "usage limit".into(),
            Step::PromptTooLong => "prompt too long".into(),
        }
    }

    /// Whether this step answers the request successfully (used to tell retries apart).
    pub fn is_success(&self) -> bool {
        matches!(self, Step::Reply(_))
    }
}

/// What a rule sees of a turn request.
#[derive(Debug)]
pub struct TurnContext<'a> {
    pub protocol: Protocol,
    /// 1-based count of turn requests answered by the script so far, this one included.
    pub turn: usize,
    /// 1-based count of distinct user prompts seen so far (this request's included).
    pub prompt_index: usize,
    /// Successful replies already given for the current prompt (0: first answer to it; 1: the
    /// request that follows the first tool call; ...). Survives a compaction of the history.
    pub step: usize,
    /// Requests already answered for the current prompt, failures included.
    pub attempt: usize,
    /// The latest user input text (agent-injected context such as `<environment_context>` or
    /// `<system-reminder>` left out).
    pub user_text: &'a str,
    /// Tool outputs the request carries after the latest user input.
    pub tool_results: &'a [String],
    /// The history carries a compaction summary.
    pub compacted: bool,
    pub model: &'a str,
    /// The whole JSON request body.
    pub body: &'a Value,
}

pub type Rule = Arc<dyn Fn(&TurnContext<'_>) -> Step + Send + Sync>;

/// The script of one fake model: a queue of steps served to turn requests in order, then a rule
/// for every turn request after the queue ran dry. Side requests (titles, token counting,
/// compaction) do not consume steps.
#[derive(Clone)]
pub struct Script {
    pub(crate) steps: VecDeque<Step>,
    pub(crate) rule: Rule,
    pub(crate) compaction_summary: String,
    pub(crate) title: String,
    pub(crate) compaction_usage: Option<Usage>,
    /// HTTP headers sent with every answer to a turn request (e.g. Codex's
    /// `x-codex-primary-used-percent` rate-limit headers, as the real service sends them).
    pub(crate) turn_headers: Vec<(String, String)>,
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Script")
            .field("steps", &self.steps)
            .field("compaction_summary", &self.compaction_summary)
            .field("title", &self.title)
            .finish_non_exhaustive()
    }
}

impl Default for Script {
    fn default() -> Self {
        Script::echo()
    }
}

/// The default rule: `ECHO-SAFE reply #N`, usage input 1000*N, output 50.
pub fn echo_rule(ctx: &TurnContext<'_>) -> Step {
    Step::text(format!("ECHO-SAFE reply #{}", ctx.turn)).with_usage_full(Usage::for_turn(ctx.turn))
}

pub const DEFAULT_COMPACTION_SUMMARY: &str =
    "FAKE-SUMMARY: the user asked for work; earlier steps are done; continue with the next step.";

/// The note [`Script::handing_off`] writes.
pub const HANDOFF_NOTE: &str = "FAKE-HANDOFF: proof.txt is next.";

impl Script {
    /// Every turn request gets `ECHO-SAFE reply #N` with usage input 1000*N, output 50.
    pub fn echo() -> Self {
        Script {
            steps: VecDeque::new(),
            rule: Arc::new(echo_rule),
            compaction_summary: DEFAULT_COMPACTION_SUMMARY.to_string(),
            title: "Fake session title".to_string(),
            compaction_usage: None,
            turn_headers: Vec::new(),
        }
    }

    /// These steps in order, then the echo rule.
    pub fn queue(steps: impl IntoIterator<Item = Step>) -> Self {
        Script::echo().then_steps(steps)
    }

    /// A rule deciding every turn request.
    pub fn rule(rule: impl Fn(&TurnContext<'_>) -> Step + Send + Sync + 'static) -> Self {
        Script::echo().with_rule(rule)
    }

    /// A model whose context fills in the second prompt's reply
    /// (`big_input` input tokens) and which writes the handoff note where
    /// goalie's handoff prompt asks (with a shell command), for `--rotate-at`.
    pub fn handing_off(big_input: u64) -> Self {
        Script::rule(move |ctx| {
            let asked = ctx
                .user_text
                .split("Write your handoff note to the file `")
                .nth(1)
                .and_then(|rest| rest.split('`').next());
            match asked {
                Some(file) if ctx.step == 0 => Step::shell(format!(
                    "mkdir -p .goalie && printf '{HANDOFF_NOTE}\\n' > {file}"
                ))
                .with_usage(1000, 20),
                Some(_) => Step::text("Wrote the note.").with_usage(1000, 20),
                None if ctx.prompt_index == 2 => {
                    Step::text("Read a lot.").with_usage(big_input, 20)
                }
                None => Step::text(format!("Did step {}.", ctx.turn)).with_usage(1000, 20),
            }
        })
    }

    /// The directive rule (see [`directive_rule`]).
    pub fn directives() -> Self {
        Script::rule(directive_rule)
    }

    /// The directive rule with `defaults` (directives such as `[chunkms=250]
    /// [words=48]`) applied to every turn request before those of its latest
    /// user text, which override them: a benchmark's setting for every reply,
    /// including those to prompts it does not write (a peer's wrapped prompt,
    /// goalie's continuation prompts).
    pub fn directives_with_defaults(defaults: &str) -> Self {
        let defaults = defaults.to_string();
        Script::rule(move |ctx| {
            let text = format!("{defaults} {}", ctx.user_text);
            directive_step(Directives::parse(&text), ctx)
        })
    }

    pub fn then_steps(mut self, steps: impl IntoIterator<Item = Step>) -> Self {
        self.steps.extend(steps);
        self
    }

    /// Replaces the rule used once the queue is empty.
    pub fn with_rule(
        mut self,
        rule: impl Fn(&TurnContext<'_>) -> Step + Send + Sync + 'static,
    ) -> Self {
        self.rule = Arc::new(rule);
        self
    }

    pub fn with_compaction_summary(mut self, summary: impl Into<String>) -> Self {
        self.compaction_summary = summary.into();
        self
    }

    /// Usage reported by compaction replies (default: input 1000, output 100).
    pub fn with_compaction_usage(mut self, usage: Usage) -> Self {
        self.compaction_usage = Some(usage);
        self
    }

    /// Sends these headers with every answer to a turn request.
    pub fn with_turn_headers<K: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.turn_headers = headers
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    pub(crate) fn next_step(&mut self, ctx: &TurnContext<'_>) -> Step {
        match self.steps.pop_front() {
            Some(step) => step,
            None => (self.rule)(ctx),
        }
    }

    /// Reads a script file: `{"steps": [Step...], "rule": "echo" | "directives",
    /// "compaction_summary": "...", "title": "..."}`; every field optional.
    pub fn from_json(text: &str) -> Result<Script, String> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            steps: Vec<Step>,
            #[serde(default)]
            rule: Option<String>,
            #[serde(default)]
            compaction_summary: Option<String>,
            #[serde(default)]
            title: Option<String>,
        }
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut script = match file.rule.as_deref() {
            None | Some("echo") => Script::echo(),
            Some("directives") => Script::directives(),
            Some(other) => return Err(format!("unknown rule {other:?} (echo, directives)")),
        };
        script = script.then_steps(file.steps);
        if let Some(s) = file.compaction_summary {
            script = script.with_compaction_summary(s);
        }
        if let Some(t) = file.title {
            script = script.with_title(t);
        }
        Ok(script)
    }
}

/// A rule driven by bracketed directives in the latest user input, handy when a person (or a
/// PTY test) types prompts into a TUI:
///
/// - `[shell=CMD]` run CMD with the shell tool first (CMD ends at the closing bracket);
/// - `[mcp=SERVER.TOOL {json}]` call an MCP tool;
/// - `[tools=N]` then N more shell calls `echo step i`;
/// - `[usage=N]` report N input tokens on the final reply (default 1000*turn);
/// - `[stepusage=N]` report N input tokens on every tool-call reply, growing N per step;
/// - `[slow]` 150 ms between streamed chunks;
/// - `[chunkms=N]` N ms between streamed chunks instead;
/// - `[words=N]` N more words of text in the final reply (a long stream, with either);
/// - `[hang]`, `[error=STATUS]`, `[usagelimit]`, `[toolong]`: fail the first request of
///   the prompt that way (a retry then gets the normal plan).
///
/// Each tool call is announced with text `FAKE-TOOL step i/n: ...`; the final reply is
/// `ECHO-SAFE reply #N [after K tool call(s)]`.
pub fn directive_rule(ctx: &TurnContext<'_>) -> Step {
    directive_step(Directives::parse(ctx.user_text), ctx)
}

/// The step the directives `d` call for at this point of the turn.
fn directive_step(d: Directives, ctx: &TurnContext<'_>) -> Step {
    if ctx.attempt == 0 {
        if d.hang {
            return Step::hang();
        }
        if let Some(status) = d.error {
            return Step::http_error(status);
        }
        if d.usage_limit {
            return Step::UsageLimit;
        }
        if d.too_long {
            return Step::PromptTooLong;
        }
    }
    let mut plan: Vec<ToolCall> = Vec::new();
    if let Some(cmd) = &d.shell {
        plan.push(ToolCall::shell(cmd.clone()));
    }
    if let Some((server, tool, args)) = &d.mcp {
        plan.push(ToolCall::mcp(server.clone(), tool.clone(), args.clone()));
    }
    for i in 1..=d.tools {
        plan.push(ToolCall::shell(format!("echo step {i}")));
    }
    let delay = d.chunk_ms.unwrap_or(if d.slow { 150 } else { 0 });
    let step = ctx.step;
    if step < plan.len() {
        let call = plan[step].clone();
        let what = match &call {
            ToolCall::Shell { command, .. } => format!("$ {command}"),
            other => other.describe(),
        };
        let input = match d.step_usage {
            Some(n) => n * (step as u64 + 1),
            None => 1000 * ctx.turn as u64,
        };
        return Step::tool(call)
            .with_text(format!(
                "FAKE-TOOL step {}/{}: {what}",
                step + 1,
                plan.len()
            ))
            .with_usage(input, 20)
            .slow(Duration::from_millis(delay));
    }
    let mut reply = format!("ECHO-SAFE reply #{}", ctx.turn);
    if !plan.is_empty() {
        reply.push_str(&format!(" [after {} tool call(s)]", plan.len()));
    }
    for i in 1..=d.words {
        reply.push_str(if i % 12 == 1 { "\n" } else { " " });
        reply.push_str(FILLER[i % FILLER.len()]);
    }
    let input = d.usage.unwrap_or(1000 * ctx.turn as u64);
    Step::text(reply)
        .with_usage(input, 50)
        .slow(Duration::from_millis(delay))
}

/// The words of a `[words=N]` reply.
const FILLER: &[&str] = &[
    "streamed",
    "text",
    "for",
    "the",
    "benchmark",
    "of",
    "an",
    "agent",
    "printing",
    "output",
];

#[derive(Debug, Default)]
struct Directives {
    words: usize,
    chunk_ms: Option<u64>,
    shell: Option<String>,
    mcp: Option<(String, String, Value)>,
    tools: usize,
    usage: Option<u64>,
    step_usage: Option<u64>,
    slow: bool,
    hang: bool,
    error: Option<u16>,
    usage_limit: bool,
    too_long: bool,
}

impl Directives {
    fn parse(text: &str) -> Directives {
        let mut d = Directives::default();
        let mut rest = text;
        while let Some(open) = rest.find('[') {
            let after = &rest[open + 1..];
            let Some(close) = find_closing(after) else {
                break;
            };
            let inner = &after[..close];
            rest = &after[close + 1..];
            let (key, value) = match inner.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (inner.trim(), None),
            };
            match (key, value) {
                ("shell", Some(v)) => d.shell = Some(v.to_string()),
                ("mcp", Some(v)) => {
                    let (name, args) = match v.split_once(' ') {
                        Some((n, a)) => (n, serde_json::from_str(a.trim()).unwrap_or_default()),
                        None => (v, Value::Object(Default::default())),
                    };
                    let args = if args.is_object() {
                        args
                    } else {
                        Value::Object(Default::default())
                    };
                    if let Some((server, tool)) = name.split_once('.') {
                        d.mcp = Some((server.to_string(), tool.to_string(), args));
                    }
                }
                ("tools", Some(v)) => d.tools = v.parse().unwrap_or(0).min(50),
                ("words", Some(v)) => d.words = v.parse().unwrap_or(0).min(100_000),
                ("chunkms", Some(v)) => d.chunk_ms = v.parse().ok().map(|ms: u64| ms.min(60_000)),
                ("usage", Some(v)) => d.usage = v.parse().ok(),
                ("stepusage", Some(v)) => d.step_usage = v.parse().ok(),
                ("error", Some(v)) => d.error = v.parse().ok(),
                ("slow", None) => d.slow = true,
                ("hang", None) => d.hang = true,
                ("usagelimit", None) => d.usage_limit = true,
                ("toolong", None) => d.too_long = true,
                _ => {}
            }
        }
        d
    }
}

/// Index of the `]` closing a directive, skipping brackets nested inside it (JSON arguments).
fn find_closing(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' if depth == 0 => return Some(i),
            ']' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_parse() {
        let d = Directives::parse(
            r#"do [shell=echo hi > f.txt] [mcp=goalie.update_goal {"status":"complete"}] [tools=2] [slow] [usage=9000] [words=30] [chunkms=25]"#,
        );
        assert_eq!(d.words, 30);
        assert_eq!(d.chunk_ms, Some(25));
        assert_eq!(d.shell.as_deref(), Some("echo hi > f.txt"));
        let (s, t, a) = d.mcp.expect("mcp directive");
        assert_eq!((s.as_str(), t.as_str()), ("goalie", "update_goal"));
        assert_eq!(a["status"], "complete");
        assert_eq!(d.tools, 2);
        assert!(d.slow);
        assert_eq!(d.usage, Some(9000));
    }

    #[test]
    fn default_directives_apply_to_every_prompt_and_yield_to_its_own() {
        let defaults = "[chunkms=250] [words=48]";
        let d = Directives::parse(&format!("{defaults} continue with the goal"));
        assert_eq!((d.chunk_ms, d.words), (Some(250), 48));
        let d = Directives::parse(&format!("{defaults} now [words=3]"));
        assert_eq!((d.chunk_ms, d.words), (Some(250), 3));
    }

    #[test]
    fn script_from_json() {
        let s = Script::from_json(
            r#"{"steps":[{"type":"reply","tool_calls":[{"type":"shell","command":"ls"}]},
                {"type":"reply","text":"done","usage":{"input_tokens":5,"output_tokens":1}},
                {"type":"http_error","status":500},{"type":"usage_limit"},{"type":"hang"}],
                "rule":"directives"}"#,
        )
        .expect("valid script");
        assert_eq!(s.steps.len(), 5);
        assert_eq!(s.steps[0], Step::shell("ls"));
        assert_eq!(s.steps[1], Step::text("done").with_usage(5, 1));
    }
}
