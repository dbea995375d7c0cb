//! OpenAI Responses API (`POST /v1/responses`), as Codex CLI speaks it.

use serde_json::{Value, json};

use super::recorder::Protocol;
use super::recorder::{
    Analysis, CODEX_COMPACTION_MARK, CODEX_SUMMARY_BRIDGE, DeclaredTool, RequestKind, content_text,
    is_injected_user_text, str_field,
};
use super::schema::requested_schema;
use super::script::{Step, ToolCall, Usage};
use super::sse::{Outcome, SseEvent, chunk_text};
use super::{RenderCtx, now_secs};

/// Header Codex sets on every model request; its JSON carries `request_kind`.
pub const TURN_METADATA_HEADER: &str = "x-codex-turn-metadata";

pub(crate) fn analyze(path: &str, headers: &[(String, String)], body: &Value) -> Analysis {
    let mut a = Analysis::new(RequestKind::Turn);
    a.model = str_field(body, "model").to_string();
    a.stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    a.tools = declared_tools(body);

    let items: Vec<Value> = match body.get("input") {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::String(s)) => vec![json!({"type":"message","role":"user","content":s})],
        _ => Vec::new(),
    };
    let mut last_user: Option<usize> = None;
    let mut compaction_prompt = false;
    for (i, item) in items.iter().enumerate() {
        let ty = item
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("message");
        match ty {
            "message" if str_field(item, "role") == "user" => {
                let text = content_text(item.get("content").unwrap_or(&Value::Null));
                if text.contains(CODEX_SUMMARY_BRIDGE) {
                    a.compacted = true;
                }
                if text.contains(CODEX_COMPACTION_MARK) {
                    compaction_prompt = true;
                }
                if !text.trim().is_empty() && !is_injected_user_text(&text) {
                    a.user_texts.push(text);
                    last_user = Some(i);
                }
            }
            "compaction" | "compaction_summary" | "context_compaction" => a.compacted = true,
            _ => {}
        }
    }
    let after = last_user.map(|i| i + 1).unwrap_or(0);
    a.items_after_user = items.len().saturating_sub(after);
    for item in &items[after.min(items.len())..] {
        let ty = str_field(item, "type");
        if ty.ends_with("_output") {
            a.tool_results
                .push(output_text(item.get("output").unwrap_or(&Value::Null)));
        }
    }

    let instructions = str_field(body, "instructions");
    // The header, or its copy in the body's `client_metadata`.
    let metadata = headers
        .iter()
        .find(|(k, _)| k == TURN_METADATA_HEADER)
        .map(|(_, v)| v.as_str())
        .or_else(|| {
            body.get("client_metadata")
                .and_then(|m| m.get(TURN_METADATA_HEADER))
                .and_then(Value::as_str)
        })
        .and_then(|v| serde_json::from_str::<Value>(v).ok())
        .unwrap_or(Value::Null);
    let request_kind = metadata.get("request_kind").and_then(Value::as_str);
    let thread_source = metadata.get("thread_source").and_then(Value::as_str);
    let wants_schema = requested_schema(Protocol::OpenAiResponses, body).is_some();
    let compaction = path.ends_with("/compact")
        || request_kind == Some("compaction")
        || compaction_prompt
        || instructions.contains(CODEX_COMPACTION_MARK);
    let title =
        thread_source == Some("thread_title") || is_title_request(instructions, &items, body);
    // Not a conversation turn: tagged with another kind, or a tool-less non-streaming call.
    let side = matches!(request_kind, Some(k) if k != "turn") || (!a.stream && a.tools.is_empty());
    a.kind = if compaction {
        RequestKind::Compaction
    } else if title {
        RequestKind::Title
    } else if wants_schema && a.tools.is_empty() {
        RequestKind::Structured
    } else if side {
        RequestKind::Side
    } else {
        RequestKind::Turn
    };
    a
}

/// A tool-less request whose last user message asks for a title (older Codex versions, which
/// do not tag the request with `thread_source: thread_title`).
fn is_title_request(instructions: &str, items: &[Value], body: &Value) -> bool {
    let no_tools = body
        .get("tools")
        .and_then(Value::as_array)
        .is_none_or(|t| t.is_empty());
    let last_user = items
        .iter()
        .rev()
        .find(|i| str_field(i, "role") == "user")
        .map(|i| content_text(i.get("content").unwrap_or(&Value::Null)))
        .unwrap_or_default()
        .to_ascii_lowercase();
    no_tools
        && (last_user.contains(" title") || instructions.to_ascii_lowercase().contains(" title"))
}

fn declared_tools(body: &Value) -> Vec<DeclaredTool> {
    let mut out = Vec::new();
    for tool in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = str_field(tool, "name").to_string();
        if str_field(tool, "type") == "namespace" {
            for inner in tool
                .get("tools")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(DeclaredTool {
                    namespace: Some(name.clone()),
                    name: str_field(inner, "name").to_string(),
                });
            }
        } else if !name.is_empty() {
            out.push(DeclaredTool {
                namespace: None,
                name,
            });
        } else {
            out.push(DeclaredTool {
                namespace: None,
                name: str_field(tool, "type").to_string(),
            });
        }
    }
    out
}

/// A `function_call_output` output: a string, content parts, or `{content: ...}`.
fn output_text(output: &Value) -> String {
    match output {
        Value::String(s) => s.clone(),
        Value::Array(_) => content_text(output),
        Value::Object(o) => match o.get("content") {
            Some(c) => content_text(c),
            None => output.to_string(),
        },
        _ => String::new(),
    }
}

/// (namespace, name, arguments JSON) of a tool call as Codex expects it.
fn resolve_call(call: &ToolCall, a: &Analysis) -> (Option<String>, String, Value) {
    match call {
        ToolCall::Shell { command, .. } => {
            if !a.has_tool(None, "exec_command") && a.has_tool(None, "shell_command") {
                (None, "shell_command".into(), json!({"command": command}))
            } else if !a.has_tool(None, "exec_command") && a.has_tool(None, "shell") {
                let argv = json!({"command": ["bash", "-lc", command]});
                (None, "shell".into(), argv)
            } else {
                (None, "exec_command".into(), json!({"cmd": command}))
            }
        }
        ToolCall::Mcp {
            server,
            tool,
            arguments,
        } => {
            let ns = format!("mcp__{server}");
            let flat = format!("mcp__{server}__{tool}");
            if a.has_tool(None, &flat) && !a.has_tool(Some(&ns), tool) {
                (None, flat, arguments.clone())
            } else {
                (Some(ns), tool.clone(), arguments.clone())
            }
        }
        ToolCall::Raw {
            name,
            namespace,
            arguments,
        } => (namespace.clone(), name.clone(), arguments.clone()),
    }
}

fn usage_json(u: &Usage) -> Value {
    json!({
        "input_tokens": u.input_tokens,
        "input_tokens_details": {"cached_tokens": u.cached_input_tokens},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        "total_tokens": u.total(),
    })
}

fn response_object(
    ctx: &RenderCtx<'_>,
    status: &str,
    output: Vec<Value>,
    usage: Option<&Usage>,
) -> Value {
    let mut r = json!({
        "id": format!("resp_fake_{}", ctx.n),
        "object": "response",
        "created_at": now_secs(),
        "status": status,
        "model": ctx.model,
        "output": output,
        "parallel_tool_calls": false,
        "tool_choice": "auto",
        "tools": [],
    });
    if let Some(u) = usage {
        r["usage"] = usage_json(u);
    }
    r
}

/// The output items of a reply (message item first, then function calls).
fn output_items(ctx: &RenderCtx<'_>, text: Option<&str>, calls: &[ToolCall]) -> Vec<Value> {
    let mut items = Vec::new();
    if let Some(text) = text {
        items.push(json!({
            "id": format!("msg_fake_{}", ctx.n),
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }));
    }
    for (i, call) in calls.iter().enumerate() {
        let (namespace, name, args) = resolve_call(call, ctx.analysis);
        let mut item = json!({
            "id": format!("fc_fake_{}_{i}", ctx.n),
            "type": "function_call",
            "status": "completed",
            "name": name,
            "arguments": args.to_string(),
            "call_id": format!("call_fake_{}_{i}", ctx.n),
        });
        if let Some(ns) = namespace {
            item["namespace"] = Value::String(ns);
        }
        items.push(item);
    }
    items
}

pub(crate) fn render(step: &Step, usage: Usage, ctx: &RenderCtx<'_>) -> Outcome {
    match step {
        Step::Reply(reply) => {
            let items = output_items(ctx, reply.text.as_deref(), &reply.tool_calls);
            if ctx.path.ends_with("/compact") {
                return Outcome::json(
                    200,
                    json!({"output": compact_output(ctx, reply.text.as_deref())}),
                );
            }
            if !ctx.analysis.stream {
                let mut r = response_object(ctx, "completed", items, Some(&usage));
                r["output_text"] = Value::String(reply.text.clone().unwrap_or_default());
                return Outcome::json(200, r);
            }
            let delay = std::time::Duration::from_millis(reply.chunk_delay_ms);
            let mut seq = 0u64;
            let mut ev = |name: &str, mut data: Value| {
                data["type"] = Value::String(name.to_string());
                data["sequence_number"] = json!(seq);
                seq += 1;
                SseEvent::named(name, &data)
            };
            let mut events = vec![
                ev(
                    "response.created",
                    json!({"response": response_object(ctx, "in_progress", vec![], None)}),
                ),
                ev(
                    "response.in_progress",
                    json!({"response": response_object(ctx, "in_progress", vec![], None)}),
                ),
            ];
            for (index, item) in items.iter().enumerate() {
                let item_id = item["id"].clone();
                if item["type"] == "message" {
                    let text = reply.text.as_deref().unwrap_or("");
                    let mut added = item.clone();
                    added["status"] = json!("in_progress");
                    added["content"] = json!([]);
                    events.push(ev(
                        "response.output_item.added",
                        json!({"output_index": index, "item": added}),
                    ));
                    events.push(ev(
                        "response.content_part.added",
                        json!({"item_id": item_id, "output_index": index, "content_index": 0,
                               "part": {"type": "output_text", "text": "", "annotations": []}}),
                    ));
                    for chunk in chunk_text(text, 16) {
                        events.push(
                            ev(
                                "response.output_text.delta",
                                json!({"item_id": item_id, "output_index": index, "content_index": 0,
                                       "delta": chunk, "logprobs": []}),
                            )
                            .after(delay),
                        );
                    }
                    events.push(ev(
                        "response.output_text.done",
                        json!({"item_id": item_id, "output_index": index, "content_index": 0,
                               "text": text, "logprobs": []}),
                    ));
                    events.push(ev(
                        "response.content_part.done",
                        json!({"item_id": item_id, "output_index": index, "content_index": 0,
                               "part": {"type": "output_text", "text": text, "annotations": []}}),
                    ));
                } else {
                    let mut added = item.clone();
                    added["status"] = json!("in_progress");
                    added["arguments"] = json!("");
                    events.push(
                        ev(
                            "response.output_item.added",
                            json!({"output_index": index, "item": added}),
                        )
                        .after(delay),
                    );
                    events.push(ev(
                        "response.function_call_arguments.delta",
                        json!({"item_id": item_id, "output_index": index, "delta": item["arguments"]}),
                    ));
                    events.push(ev(
                        "response.function_call_arguments.done",
                        json!({"item_id": item_id, "output_index": index, "arguments": item["arguments"]}),
                    ));
                }
                events.push(ev(
                    "response.output_item.done",
                    json!({"output_index": index, "item": item}),
                ));
            }
            events.push(ev(
                "response.completed",
                json!({"response": response_object(ctx, "completed", items, Some(&usage))}),
            ));
            Outcome::Sse {
                events,
                hang: false,
            }
        }
        Step::Hang { text } => {
            let mut events = vec![SseEvent::named(
                "response.created",
                &json!({"type": "response.created", "sequence_number": 0,
                        "response": response_object(ctx, "in_progress", vec![], None)}),
            )];
            if let Some(text) = text {
                let item_id = format!("msg_fake_{}", ctx.n);
                events.push(SseEvent::named(
                    "response.output_item.added",
                    &json!({"type": "response.output_item.added", "output_index": 0,
                            "item": {"id": item_id, "type": "message", "status": "in_progress",
                                     "role": "assistant", "content": []}}),
                ));
                events.push(SseEvent::named(
                    "response.output_text.delta",
                    &json!({"type": "response.output_text.delta", "item_id": item_id,
                            "output_index": 0, "content_index": 0, "delta": text}),
                ));
            }
            Outcome::Sse { events, hang: true }
        }
        Step::HttpError { status, body } => {
            let body = body.clone().unwrap_or_else(|| {
                json!({"error": {"type": "server_error", "code": "server_error",
                                 "message": format!("fake model: scripted HTTP {status}")}})
            });
            Outcome::json(*status, body)
        }
        Step::UsageLimit => Outcome::json(
            429,
            json!({"error": {
                "type": "usage_limit_reached",
                "message": "The usage limit has been reached",
                "plan_type": "plus",
                "resets_at": now_secs() + 3600,
                "resets_in_seconds": 3600,
            }}),
        ),
        Step::PromptTooLong => {
            let error = json!({"code": "context_length_exceeded", "type": "invalid_request_error",
                "message": "Your input exceeds the context window of this model. Please adjust your input and try again."});
            if ctx.analysis.stream {
                let mut failed = response_object(ctx, "failed", vec![], None);
                failed["error"] = error;
                Outcome::Sse {
                    events: vec![
                        SseEvent::named(
                            "response.created",
                            &json!({"type": "response.created", "sequence_number": 0,
                                    "response": response_object(ctx, "in_progress", vec![], None)}),
                        ),
                        SseEvent::named(
                            "response.failed",
                            &json!({"type": "response.failed", "sequence_number": 1, "response": failed}),
                        ),
                    ],
                    hang: false,
                }
            } else {
                Outcome::json(400, json!({"error": error}))
            }
        }
    }
}

/// Output of the remote compaction endpoint (`/v1/responses/compact`): the summary as a user
/// message.
fn compact_output(ctx: &RenderCtx<'_>, summary: Option<&str>) -> Vec<Value> {
    let mut out: Vec<Value> = ctx
        .analysis
        .user_texts
        .iter()
        .map(|t| json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": t}]}))
        .collect();
    out.push(json!({"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": summary.unwrap_or("")}]}));
    out
}
