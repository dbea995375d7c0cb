//! Gemini API (`POST /v1beta/models/MODEL:streamGenerateContent?alt=sse`, `:generateContent`,
//! `:countTokens`), as gemini-cli speaks it.

use std::time::Duration;

use serde_json::{Value, json};

use super::RenderCtx;
use super::recorder::{
    Analysis, DeclaredTool, RequestKind, estimate_tokens, is_injected_user_text, str_field,
};
use super::script::{Step, ToolCall, Usage};
use super::sse::{Outcome, SseEvent, chunk_text};

/// (model, method) of a Gemini path such as `/v1beta/models/gemini-2.5-pro:generateContent`.
pub(crate) fn parse_path(path: &str) -> Option<(String, String)> {
    let rest = path
        .strip_prefix("/v1beta/models/")
        .or_else(|| path.strip_prefix("/v1/models/"))
        .or_else(|| path.strip_prefix("/v1alpha/models/"))?;
    let (model, method) = rest.rsplit_once(':')?;
    Some((model.to_string(), method.to_string()))
}

pub(crate) fn analyze(model: &str, method: &str, body: &Value) -> Analysis {
    let mut a = Analysis::new(RequestKind::Turn);
    a.model = model.to_string();
    a.stream = method == "streamGenerateContent";
    for t in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for f in t
            .get("functionDeclarations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            a.tools.push(DeclaredTool {
                namespace: None,
                name: str_field(f, "name").to_string(),
            });
        }
    }
    let empty = Vec::new();
    let contents = body
        .get("contents")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut last_user = None;
    let mut snapshot = false;
    for (i, c) in contents.iter().enumerate() {
        if str_field(c, "role") != "user" && c.get("role").is_some() {
            continue;
        }
        let texts: Vec<String> = c
            .get("parts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .inspect(|t| snapshot |= t.contains("state_snapshot"))
            .filter(|t| !t.trim().is_empty() && !is_injected_user_text(t))
            .map(str::to_string)
            .collect();
        if !texts.is_empty() {
            a.user_texts.push(texts.join("\n"));
            last_user = Some(i);
        }
    }
    let after = last_user.map(|i| i + 1).unwrap_or(0);
    a.items_after_user = contents.len().saturating_sub(after);
    for c in &contents[after.min(contents.len())..] {
        for p in c
            .get("parts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(r) = p.get("functionResponse") {
                a.tool_results.push(
                    r.get("response")
                        .map(|v| match v.get("output") {
                            Some(Value::String(s)) => s.clone(),
                            _ => v.to_string(),
                        })
                        .unwrap_or_default(),
                );
            }
        }
    }
    let system = body
        .get("systemInstruction")
        .map(Value::to_string)
        .unwrap_or_default();
    snapshot |= system.contains("state_snapshot");
    a.kind = match method {
        "countTokens" => RequestKind::CountTokens,
        _ if schema(body).is_some() => RequestKind::Structured,
        _ if snapshot => RequestKind::Compaction,
        "generateContent" => RequestKind::Side,
        _ => RequestKind::Turn,
    };
    a
}

pub(crate) fn schema(body: &Value) -> Option<&Value> {
    let cfg = body.get("generationConfig")?;
    cfg.get("responseJsonSchema")
        .or_else(|| cfg.get("responseSchema"))
        .or_else(|| cfg.get("response_json_schema"))
}

fn resolve_call(call: &ToolCall, a: &Analysis) -> (String, Value) {
    match call {
        ToolCall::Shell {
            command,
            description,
        } => (
            "run_shell_command".into(),
            json!({"command": command,
                   "description": description.clone().unwrap_or_else(|| format!("Run {command}"))}),
        ),
        ToolCall::Mcp {
            server,
            tool,
            arguments,
        } => {
            let candidates = [
                format!("mcp_{server}_{tool}"),
                format!("{server}__{tool}"),
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
        "promptTokenCount": u.input_tokens,
        "candidatesTokenCount": u.output_tokens,
        "totalTokenCount": u.total(),
        "cachedContentTokenCount": u.cached_input_tokens,
        "thoughtsTokenCount": u.reasoning_tokens,
    })
}

fn candidate_chunk(
    ctx: &RenderCtx<'_>,
    parts: Value,
    finish: Option<&str>,
    usage: &Usage,
) -> Value {
    let mut cand = json!({"content": {"role": "model", "parts": parts}, "index": 0});
    if let Some(f) = finish {
        cand["finishReason"] = json!(f);
    }
    json!({"candidates": [cand], "usageMetadata": usage_json(usage), "modelVersion": ctx.model,
           "responseId": format!("fake-{}", ctx.n)})
}

fn error(code: u16, status: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "status": status}})
}

pub(crate) fn count_tokens(body: &Value) -> Outcome {
    Outcome::json(200, json!({"totalTokens": estimate_tokens(body)}))
}

pub(crate) fn render(step: &Step, usage: Usage, ctx: &RenderCtx<'_>) -> Outcome {
    match step {
        Step::Reply(reply) => {
            let calls: Vec<Value> = reply
                .tool_calls
                .iter()
                .map(|c| {
                    let (name, args) = resolve_call(c, ctx.analysis);
                    json!({"functionCall": {"name": name, "args": args}})
                })
                .collect();
            if !ctx.analysis.stream {
                let mut parts = Vec::new();
                if let Some(t) = &reply.text {
                    parts.push(json!({"text": t}));
                }
                parts.extend(calls);
                return Outcome::json(
                    200,
                    candidate_chunk(ctx, Value::Array(parts), Some("STOP"), &usage),
                );
            }
            let delay = Duration::from_millis(reply.chunk_delay_ms);
            let mut events = Vec::new();
            let empty = Usage::new(usage.input_tokens, 0);
            if let Some(text) = &reply.text {
                for piece in chunk_text(text, 16) {
                    events.push(
                        SseEvent::data(&candidate_chunk(
                            ctx,
                            json!([{"text": piece}]),
                            None,
                            &empty,
                        ))
                        .after(delay),
                    );
                }
            }
            if !calls.is_empty() {
                events.push(
                    SseEvent::data(&candidate_chunk(ctx, Value::Array(calls), None, &empty))
                        .after(delay),
                );
            }
            events.push(SseEvent::data(&candidate_chunk(
                ctx,
                json!([{"text": ""}]),
                Some("STOP"),
                &usage,
            )));
            Outcome::Sse {
                events,
                hang: false,
            }
        }
        Step::Hang { text } => {
            let parts = json!([{"text": text.clone().unwrap_or_default()}]);
            Outcome::Sse {
                events: vec![SseEvent::data(&candidate_chunk(
                    ctx,
                    parts,
                    None,
                    &Usage::default(),
                ))],
                hang: true,
            }
        }
        Step::HttpError { status, body } => {
            let body = body.clone().unwrap_or_else(|| {
                error(
                    *status,
                    "INTERNAL",
                    &format!("fake model: scripted HTTP {status}"),
                )
            });
            Outcome::json(*status, body)
        }
        // A daily quota used up, as the Gemini API reports it: a QuotaFailure
        // naming a per-day quota (gemini-cli does not retry that) and a RetryInfo.
        Step::UsageLimit => {
            let mut body = error(
                429,
                "RESOURCE_EXHAUSTED",
                "You exceeded your current quota, please check your plan and billing details.",
            );
            body["error"]["details"] = json!([
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                 "violations": [{
                     "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                     "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                     "quotaDimensions": {"location": "global", "model": ctx.model},
                     "quotaValue": "250"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3600s"}
            ]);
            Outcome::json(429, body)
        }
        Step::PromptTooLong => Outcome::json(
            400,
            error(
                400,
                "INVALID_ARGUMENT",
                "The input token count (2000001) exceeds the maximum number of tokens allowed (1048576).",
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("/v1beta/models/gemini-2.5-pro:streamGenerateContent"),
            Some(("gemini-2.5-pro".into(), "streamGenerateContent".into()))
        );
        assert_eq!(parse_path("/v1/responses"), None);
    }
}
