//! OpenAI Chat Completions (`POST /v1/chat/completions`), as aider and opencode speak it.

use std::time::Duration;

use serde_json::{Value, json};

use super::recorder::Protocol;
use super::recorder::{
    Analysis, DeclaredTool, RequestKind, content_text, is_injected_user_text, str_field,
};
use super::schema::requested_schema;
use super::script::{Step, ToolCall, Usage};
use super::sse::{Outcome, SseEvent, chunk_text};
use super::{RenderCtx, now_secs};

pub(crate) fn analyze(body: &Value) -> Analysis {
    let mut a = Analysis::new(RequestKind::Turn);
    a.model = str_field(body, "model").to_string();
    a.stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    a.tools = body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| DeclaredTool {
            namespace: None,
            name: t
                .get("function")
                .map(|f| str_field(f, "name"))
                .unwrap_or_else(|| str_field(t, "name"))
                .to_string(),
        })
        .collect();
    let empty = Vec::new();
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut last_user = None;
    for (i, m) in messages.iter().enumerate() {
        if str_field(m, "role") == "user" {
            let text = content_text(m.get("content").unwrap_or(&Value::Null));
            if !text.trim().is_empty() && !is_injected_user_text(&text) {
                a.user_texts.push(text);
                last_user = Some(i);
            }
        }
    }
    let after = last_user.map(|i| i + 1).unwrap_or(0);
    a.items_after_user = messages.len().saturating_sub(after);
    for m in &messages[after.min(messages.len())..] {
        if str_field(m, "role") == "tool" || str_field(m, "role") == "function" {
            a.tool_results
                .push(content_text(m.get("content").unwrap_or(&Value::Null)));
        }
    }
    let wants_title = content_text(
        messages
            .first()
            .and_then(|m| m.get("content"))
            .unwrap_or(&Value::Null),
    )
    .to_lowercase()
    .contains("title");
    a.kind = if a.tools.is_empty() && wants_title {
        RequestKind::Title
    } else if a.tools.is_empty() && requested_schema(Protocol::ChatCompletions, body).is_some() {
        RequestKind::Structured
    } else {
        RequestKind::Turn
    };
    a
}

fn resolve_call(call: &ToolCall, a: &Analysis) -> (String, Value) {
    match call {
        ToolCall::Shell {
            command,
            description,
        } => {
            let name = ["bash", "shell", "run_shell_command", "Bash", "exec_command"]
                .into_iter()
                .find(|n| a.has_tool(None, n))
                .unwrap_or("bash");
            let description = description
                .clone()
                .unwrap_or_else(|| format!("Run {command}"));
            let args = if name == "exec_command" {
                json!({"cmd": command})
            } else {
                json!({"command": command, "description": description})
            };
            (name.to_string(), args)
        }
        ToolCall::Mcp {
            server,
            tool,
            arguments,
        } => {
            let candidates = [
                format!("{server}_{tool}"),
                format!("mcp__{server}__{tool}"),
                format!("mcp_{server}_{tool}"),
                tool.clone(),
            ];
            let name = candidates
                .iter()
                .find(|n| a.has_tool(None, n))
                .unwrap_or(&candidates[0])
                .clone();
            (name, arguments.clone())
        }
        ToolCall::Raw {
            name, arguments, ..
        } => (name.clone(), arguments.clone()),
    }
}

fn usage_json(u: &Usage) -> Value {
    json!({
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.total(),
        "prompt_tokens_details": {"cached_tokens": u.cached_input_tokens},
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
    })
}

fn chunk(ctx: &RenderCtx<'_>, choices: Value, usage: Option<Value>) -> Value {
    let mut c = json!({
        "id": format!("chatcmpl-fake-{}", ctx.n),
        "object": "chat.completion.chunk",
        "created": now_secs(),
        "model": ctx.model,
        "choices": choices,
    });
    if let Some(u) = usage {
        c["usage"] = u;
    }
    c
}

fn error(message: &str, kind: &str, code: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

pub(crate) fn render(step: &Step, usage: Usage, ctx: &RenderCtx<'_>) -> Outcome {
    match step {
        Step::Reply(reply) => {
            let calls: Vec<Value> = reply
                .tool_calls
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let (name, args) = resolve_call(c, ctx.analysis);
                    json!({"index": i, "id": format!("call_fake_{}_{i}", ctx.n), "type": "function",
                           "function": {"name": name, "arguments": args.to_string()}})
                })
                .collect();
            let finish = if calls.is_empty() {
                "stop"
            } else {
                "tool_calls"
            };
            if !ctx.analysis.stream {
                let mut message = json!({"role": "assistant", "content": reply.text});
                if !calls.is_empty() {
                    let calls: Vec<Value> = calls
                        .iter()
                        .map(|c| {
                            let mut c = c.clone();
                            if let Some(o) = c.as_object_mut() {
                                o.remove("index");
                            }
                            c
                        })
                        .collect();
                    message["tool_calls"] = Value::Array(calls);
                }
                return Outcome::json(
                    200,
                    json!({"id": format!("chatcmpl-fake-{}", ctx.n), "object": "chat.completion",
                           "created": now_secs(), "model": ctx.model,
                           "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                           "usage": usage_json(&usage)}),
                );
            }
            let delay = Duration::from_millis(reply.chunk_delay_ms);
            let mut events = vec![SseEvent::data(&chunk(
                ctx,
                json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]),
                None,
            ))];
            if let Some(text) = &reply.text {
                for piece in chunk_text(text, 16) {
                    events.push(
                        SseEvent::data(&chunk(
                            ctx,
                            json!([{"index": 0, "delta": {"content": piece}, "finish_reason": null}]),
                            None,
                        ))
                        .after(delay),
                    );
                }
            }
            for call in &calls {
                events.push(
                    SseEvent::data(&chunk(
                        ctx,
                        json!([{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": null}]),
                        None,
                    ))
                    .after(delay),
                );
            }
            events.push(SseEvent::data(&chunk(
                ctx,
                json!([{"index": 0, "delta": {}, "finish_reason": finish}]),
                None,
            )));
            events.push(SseEvent::data(&chunk(
                ctx,
                json!([]),
                Some(usage_json(&usage)),
            )));
            events.push(SseEvent::raw_data("[DONE]"));
            Outcome::Sse {
                events,
                hang: false,
            }
        }
        Step::Hang { text } => {
            let mut events = vec![SseEvent::data(&chunk(
                ctx,
                json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]),
                None,
            ))];
            if let Some(text) = text {
                events.push(SseEvent::data(&chunk(
                    ctx,
                    json!([{"index": 0, "delta": {"content": text}, "finish_reason": null}]),
                    None,
                )));
            }
            Outcome::Sse { events, hang: true }
        }
        Step::HttpError { status, body } => {
            let body = body.clone().unwrap_or_else(|| {
                error(
                    &format!("fake model: scripted HTTP {status}"),
                    "server_error",
                    "server_error",
                )
            });
            Outcome::json(*status, body)
        }
        Step::UsageLimit => Outcome::json(
            429,
            error(
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                "insufficient_quota",
            ),
        ),
        Step::PromptTooLong => Outcome::json(
            400,
            error(
                "This model's maximum context length is 128000 tokens. However, your messages resulted in 200001 tokens. Please reduce the length of the messages.",
                "invalid_request_error",
                "context_length_exceeded",
            ),
        ),
    }
}
