//! Anthropic Messages API (`POST /v1/messages`, `POST /v1/messages/count_tokens`), as Claude
//! Code speaks it.

use std::time::Duration;

use serde_json::{Value, json};

use super::recorder::Protocol;
use super::recorder::{
    Analysis, CLAUDE_COMPACTION_MARK, CLAUDE_SUMMARY_BRIDGE, DeclaredTool, RequestKind,
    content_text, estimate_tokens, is_injected_user_text, str_field,
};
use super::schema::requested_schema;
use super::script::{Step, ToolCall, Usage};
use super::sse::{Outcome, SseEvent, chunk_text};
use super::{RenderCtx, now_secs};

pub(crate) fn analyze(path: &str, body: &Value) -> Analysis {
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
            name: str_field(t, "name").to_string(),
        })
        .collect();
    let empty = Vec::new();
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut last_user: Option<usize> = None;
    let mut compaction_prompt = false;
    for (i, m) in messages.iter().enumerate() {
        if str_field(m, "role") != "user" {
            continue;
        }
        let content = m.get("content").unwrap_or(&Value::Null);
        let mut texts = Vec::new();
        let mut blocks: Vec<&Value> = Vec::new();
        match content {
            Value::String(_) => blocks.push(content),
            Value::Array(bs) => blocks.extend(bs.iter()),
            _ => {}
        }
        for b in blocks {
            let text = match b {
                Value::String(s) => s.as_str(),
                _ if str_field(b, "type") == "text" => str_field(b, "text"),
                _ => continue,
            };
            if text.contains(CLAUDE_SUMMARY_BRIDGE) {
                a.compacted = true;
            }
            if text.contains(CLAUDE_COMPACTION_MARK) && i + 1 == messages.len() {
                compaction_prompt = true;
            }
            if !text.trim().is_empty() && !is_injected_user_text(text) {
                texts.push(text.to_string());
            }
        }
        if !texts.is_empty() {
            a.user_texts.push(texts.join("\n"));
            last_user = Some(i);
        }
    }
    let after = last_user.map(|i| i + 1).unwrap_or(0);
    a.items_after_user = messages.len().saturating_sub(after);
    for m in &messages[after.min(messages.len())..] {
        for b in m
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if str_field(b, "type") == "tool_result" {
                a.tool_results
                    .push(content_text(b.get("content").unwrap_or(&Value::Null)));
            }
        }
    }
    a.kind = if path.ends_with("/count_tokens") {
        RequestKind::CountTokens
    } else if compaction_prompt {
        RequestKind::Compaction
    } else if a.tools.is_empty() {
        let system = content_text(body.get("system").unwrap_or(&Value::Null)).to_lowercase();
        if system.contains("title") {
            RequestKind::Title
        } else if requested_schema(Protocol::Anthropic, body).is_some() {
            RequestKind::Structured
        } else {
            RequestKind::Side
        }
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
            let name = if !a.has_tool(None, "Bash") && a.has_tool(None, "bash") {
                "bash"
            } else {
                "Bash"
            };
            let description = description
                .clone()
                .unwrap_or_else(|| format!("Run {command}"));
            (
                name.to_string(),
                json!({"command": command, "description": description}),
            )
        }
        ToolCall::Mcp {
            server,
            tool,
            arguments,
        } => (format!("mcp__{server}__{tool}"), arguments.clone()),
        ToolCall::Raw {
            name, arguments, ..
        } => (name.clone(), arguments.clone()),
    }
}

fn usage_json(u: &Usage, output_tokens: u64) -> Value {
    json!({
        "input_tokens": u.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": u.cached_input_tokens,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    })
}

fn error_body(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

pub(crate) fn count_tokens(body: &Value) -> Outcome {
    Outcome::json(200, json!({"input_tokens": estimate_tokens(body)}))
}

pub(crate) fn render(step: &Step, usage: Usage, ctx: &RenderCtx<'_>) -> Outcome {
    let id = format!("msg_fake_{}", ctx.n);
    match step {
        Step::Reply(reply) => {
            let calls: Vec<(String, String, Value)> = reply
                .tool_calls
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let (name, input) = resolve_call(c, ctx.analysis);
                    (format!("toolu_fake_{}_{i}", ctx.n), name, input)
                })
                .collect();
            let stop_reason = if calls.is_empty() {
                "end_turn"
            } else {
                "tool_use"
            };
            if !ctx.analysis.stream {
                let mut content = Vec::new();
                if let Some(t) = &reply.text {
                    content.push(json!({"type": "text", "text": t}));
                }
                for (tid, name, input) in &calls {
                    content
                        .push(json!({"type": "tool_use", "id": tid, "name": name, "input": input}));
                }
                return Outcome::json(
                    200,
                    json!({"id": id, "type": "message", "role": "assistant", "model": ctx.model,
                           "content": content, "stop_reason": stop_reason, "stop_sequence": null,
                           "usage": usage_json(&usage, usage.output_tokens)}),
                );
            }
            let delay = Duration::from_millis(reply.chunk_delay_ms);
            let mut events = vec![message_start(ctx, &id, &usage)];
            let mut index = 0;
            if let Some(text) = &reply.text {
                events.push(SseEvent::named(
                    "content_block_start",
                    &json!({"type": "content_block_start", "index": index,
                            "content_block": {"type": "text", "text": ""}}),
                ));
                events.push(SseEvent::named("ping", &json!({"type": "ping"})));
                for chunk in chunk_text(text, 16) {
                    events.push(
                        SseEvent::named(
                            "content_block_delta",
                            &json!({"type": "content_block_delta", "index": index,
                                    "delta": {"type": "text_delta", "text": chunk}}),
                        )
                        .after(delay),
                    );
                }
                events.push(SseEvent::named(
                    "content_block_stop",
                    &json!({"type": "content_block_stop", "index": index}),
                ));
                index += 1;
            }
            for (tid, name, input) in &calls {
                events.push(
                    SseEvent::named(
                        "content_block_start",
                        &json!({"type": "content_block_start", "index": index,
                                "content_block": {"type": "tool_use", "id": tid, "name": name, "input": {}}}),
                    )
                    .after(delay),
                );
                events.push(SseEvent::named(
                    "content_block_delta",
                    &json!({"type": "content_block_delta", "index": index,
                            "delta": {"type": "input_json_delta", "partial_json": input.to_string()}}),
                ));
                events.push(SseEvent::named(
                    "content_block_stop",
                    &json!({"type": "content_block_stop", "index": index}),
                ));
                index += 1;
            }
            events.push(SseEvent::named(
                "message_delta",
                &json!({"type": "message_delta",
                        "delta": {"stop_reason": stop_reason, "stop_sequence": null},
                        "usage": {"output_tokens": usage.output_tokens}}),
            ));
            events.push(SseEvent::named(
                "message_stop",
                &json!({"type": "message_stop"}),
            ));
            Outcome::Sse {
                events,
                hang: false,
            }
        }
        Step::Hang { text } => {
            let mut events = vec![message_start(ctx, &id, &usage)];
            if let Some(text) = text {
                events.push(SseEvent::named(
                    "content_block_start",
                    &json!({"type": "content_block_start", "index": 0,
                            "content_block": {"type": "text", "text": ""}}),
                ));
                events.push(SseEvent::named(
                    "content_block_delta",
                    &json!({"type": "content_block_delta", "index": 0,
                            "delta": {"type": "text_delta", "text": text}}),
                ));
            }
            Outcome::Sse { events, hang: true }
        }
        Step::HttpError { status, body } => {
            let kind = match status {
                400 => "invalid_request_error",
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                _ => "api_error",
            };
            let body = body.clone().unwrap_or_else(|| {
                error_body(kind, &format!("fake model: scripted HTTP {status}"))
            });
            Outcome::json(*status, body)
        }
        Step::UsageLimit => {
            let reset = now_secs() + 3600;
            Outcome::json(
                429,
                error_body(
                    "rate_limit_error",
                    "This request would exceed your account's rate limit. Please try again later.",
                ),
            )
            .with_header("x-should-retry", "false")
            .with_header("retry-after", "3600")
            .with_header("anthropic-ratelimit-unified-status", "rejected")
            .with_header("anthropic-ratelimit-unified-reset", reset.to_string())
            .with_header(
                "anthropic-ratelimit-unified-representative-claim",
                "five_hour",
            )
            .with_header("anthropic-ratelimit-unified-5h-status", "rejected")
            .with_header("anthropic-ratelimit-unified-5h-reset", reset.to_string())
            .with_header("anthropic-ratelimit-unified-5h-utilization", "1.0")
        }
        Step::PromptTooLong => Outcome::json(
            400,
            error_body(
                "invalid_request_error",
                &format!(
                    "prompt is too long: {} tokens > 200000 maximum",
                    usage.input_tokens.max(200_001)
                ),
            ),
        ),
    }
}

fn message_start(ctx: &RenderCtx<'_>, id: &str, usage: &Usage) -> SseEvent {
    SseEvent::named(
        "message_start",
        &json!({"type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": ctx.model,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": usage_json(usage, 1),
        }}),
    )
}
