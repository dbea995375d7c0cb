//! The fake model's four protocols, spoken over plain HTTP (no agent CLI needed).

use std::time::{Duration, Instant};

use crate::support::fake_model;
use crate::support::http;
use fake_model::{
    BlockingFakeModel, FakeModel, Protocol, RequestKind, Script, Step, ToolCall, Usage,
    latest_user_text, summarize,
};
use http::post;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

fn start(script: Script) -> BlockingFakeModel {
    BlockingFakeModel::start(script).expect("fake model starts")
}

fn responses_body(text: &str, extra: Value) -> Value {
    let mut body = json!({
        "model": "fake-model",
        "stream": true,
        "tools": [{"type": "function", "name": "exec_command", "parameters": {}},
                  {"type": "namespace", "name": "mcp__goalie",
                   "tools": [{"type": "function", "name": "update_goal"}]}],
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "be good"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>\n  <cwd>/x</cwd>\n</environment_context>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        ],
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

fn responses_text(res: &http::HttpResponse) -> String {
    res.events_of("response.output_text.delta")
        .iter()
        .filter_map(|e| e["delta"].as_str())
        .collect()
}

#[test]
fn responses_default_echo_counts_turns() {
    let server = start(Script::echo());
    for n in 1..=2u64 {
        let res = post(
            &server.base_url(),
            "/v1/responses",
            &responses_body("hello", json!({})),
        );
        assert_eq!(res.status, 200);
        assert_eq!(res.header("content-type"), Some("text/event-stream"));
        assert_eq!(responses_text(&res), format!("ECHO-SAFE reply #{n}"));
        let done = res.events_of("response.output_text.done");
        assert_eq!(done[0]["text"], format!("ECHO-SAFE reply #{n}"));
        let completed = res.events_of("response.completed");
        let usage = &completed[0]["response"]["usage"];
        assert_eq!(usage["input_tokens"], 1000 * n);
        assert_eq!(usage["output_tokens"], 50);
        assert_eq!(usage["total_tokens"], 1000 * n + 50);
        assert_eq!(usage["input_tokens_details"]["cached_tokens"], 0);
        assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 0);
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].protocol, Protocol::OpenAiResponses);
    assert_eq!(reqs[0].kind, RequestKind::Turn);
    // The injected <environment_context> is not the user's input.
    assert_eq!(reqs[0].latest_user_text(), "hello");
    assert_eq!(reqs[0].user_texts, ["hello"]);
    assert_eq!(reqs[1].turn, Some(2));
    assert_eq!(reqs[1].usage, Some(Usage::new(2000, 50)));
}

#[test]
fn responses_tool_calls_and_their_outputs() {
    let server = start(Script::queue([
        Step::shell("echo hi > file.txt").with_text("running"),
        Step::mcp("goalie", "update_goal", json!({"status": "complete"})),
        Step::text("all done").with_usage(250_000, 40),
    ]));
    let base = server.base_url();
    let first = post(
        &base,
        "/v1/responses",
        &responses_body("objective X", json!({})),
    );
    let items: Vec<Value> = first
        .events_of("response.output_item.done")
        .into_iter()
        .map(|e| e["item"].clone())
        .collect();
    assert_eq!(items.len(), 2, "{}", first.body);
    assert_eq!(items[0]["type"], "message");
    assert_eq!(items[1]["type"], "function_call");
    assert_eq!(items[1]["name"], "exec_command");
    let args: Value =
        serde_json::from_str(items[1]["arguments"].as_str().unwrap_or("")).unwrap_or_default();
    assert_eq!(args, json!({"cmd": "echo hi > file.txt"}));
    let call_id = items[1]["call_id"].as_str().unwrap_or_default().to_string();

    // The agent sends the output back; the next step is the MCP call, namespaced.
    let mut body = responses_body("objective X", json!({}));
    if let Some(input) = body["input"].as_array_mut() {
        input.push(items[1].clone());
        input.push(json!({"type": "function_call_output", "call_id": call_id,
                          "output": "Process exited with code 0\nOutput:\n"}));
    }
    let second = post(&base, "/v1/responses", &body);
    let call = &second.events_of("response.output_item.done")[0]["item"];
    assert_eq!(call["type"], "function_call");
    assert_eq!(call["namespace"], "mcp__goalie");
    assert_eq!(call["name"], "update_goal");
    assert_eq!(call["arguments"], r#"{"status":"complete"}"#);

    let third = post(&base, "/v1/responses", &body);
    assert_eq!(responses_text(&third), "all done");
    let usage = &third.events_of("response.completed")[0]["response"]["usage"];
    assert_eq!(usage["input_tokens"], 250_000);

    let reqs = server.requests();
    assert_eq!(
        reqs[1].tool_results,
        ["Process exited with code 0\nOutput:\n"]
    );
    assert_eq!(reqs[1].latest_user_text(), "objective X");
    assert_eq!(reqs[1].step, Some(1));
    assert!(
        reqs[0]
            .tools
            .contains(&"mcp__goalie.update_goal".to_string())
    );
}

#[test]
fn responses_side_requests_do_not_consume_steps() {
    let server = start(
        Script::queue([Step::text("step one"), Step::text("step two")])
            .with_compaction_summary("SUMMARY-XYZ")
            .with_title("Title XYZ"),
    );
    let base = server.base_url();
    // Compaction by header.
    let compaction = post(&base, "/v1/responses", &responses_body("hello", json!({})));
    assert_eq!(responses_text(&compaction), "step one");
    let res = http::request(
        "POST",
        &base,
        "/v1/responses",
        Some(&responses_body("hello", json!({}))),
        &[("x-codex-turn-metadata", r#"{"request_kind":"compaction"}"#)],
        WAIT,
    )
    .expect("request");
    assert_eq!(responses_text(&res), "SUMMARY-XYZ");
    // Compaction by prompt, no header.
    let res = post(
        &base,
        "/v1/responses",
        &responses_body(
            "You are performing a CONTEXT CHECKPOINT COMPACTION. Summarize.",
            json!({}),
        ),
    );
    assert_eq!(responses_text(&res), "SUMMARY-XYZ");
    // Title request with a JSON schema.
    let title_body = json!({
        "model": "fake-model", "stream": true, "tools": [],
        "client_metadata": {"x-codex-turn-metadata": r#"{"request_kind":"turn","thread_source":"thread_title"}"#},
        "text": {"format": {"type": "json_schema", "name": "codex_output_schema", "strict": true,
                            "schema": {"type": "object", "properties": {"title": {"type": "string"}},
                                       "required": ["title"], "additionalProperties": false}}},
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Generate a title"}]}],
    });
    let res = post(&base, "/v1/responses", &title_body);
    assert_eq!(responses_text(&res), r#"{"title":"Title XYZ"}"#);
    // Non-streaming, tool-less request: plain JSON.
    let res = post(
        &base,
        "/v1/responses",
        &json!({"model": "m", "input": "say something"}),
    );
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["object"], "response");
    assert!(res.json()["usage"]["input_tokens"].is_u64());

    // The queue was left alone by all of them.
    let res = post(&base, "/v1/responses", &responses_body("again", json!({})));
    assert_eq!(responses_text(&res), "step two");
    let kinds: Vec<RequestKind> = server.requests().iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            RequestKind::Turn,
            RequestKind::Compaction,
            RequestKind::Compaction,
            RequestKind::Title,
            RequestKind::Side,
            RequestKind::Turn
        ],
        "{}",
        summarize(&server.requests())
    );
}

#[test]
fn responses_failures() {
    let server = start(Script::queue([
        Step::http_error(500),
        Step::UsageLimit,
        Step::PromptTooLong,
        Step::text("recovered"),
    ]));
    let base = server.base_url();
    let body = responses_body("hi", json!({}));
    let res = post(&base, "/v1/responses", &body);
    assert_eq!(res.status, 500);
    assert!(res.json()["error"]["message"].is_string());
    let res = post(&base, "/v1/responses", &body);
    assert_eq!(res.status, 429);
    assert_eq!(res.json()["error"]["type"], "usage_limit_reached");
    assert!(res.json()["error"]["resets_at"].is_u64());
    let res = post(&base, "/v1/responses", &body);
    assert_eq!(res.status, 200);
    let failed = res.events_of("response.failed");
    assert_eq!(
        failed[0]["response"]["error"]["code"],
        "context_length_exceeded"
    );
    let res = post(&base, "/v1/responses", &body);
    assert_eq!(responses_text(&res), "recovered");
    // Failures are retries of the same prompt; only the success advanced the step.
    let reqs = server.requests();
    assert_eq!(reqs[3].step, Some(0));
    assert_eq!(reqs[3].usage, Some(Usage::for_turn(4)));
    assert_eq!(reqs[0].usage, None);
}

#[test]
fn anthropic_stream_tool_use_and_errors() {
    let server = start(Script::queue([
        Step::shell("echo hi > file.txt")
            .with_text("doing it")
            .with_usage(1234, 56),
        Step::mcp("goalie", "update_goal", json!({"status": "complete"})),
        Step::PromptTooLong,
        Step::UsageLimit,
    ]));
    let base = server.base_url();
    let body = json!({
        "model": "claude-sonnet-4-5", "stream": true, "max_tokens": 32000,
        "tools": [{"name": "Bash"}, {"name": "mcp__goalie__update_goal"}],
        "system": [{"type": "text", "text": "You are Claude Code"}],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "<system-reminder>\nctx\n</system-reminder>"},
            {"type": "text", "text": "objective Y"}]}],
    });
    let res = post(&base, "/v1/messages?beta=true", &body);
    assert_eq!(res.status, 200);
    let start = &res.events_of("message_start")[0];
    assert_eq!(start["message"]["usage"]["input_tokens"], 1234);
    let blocks: Vec<Value> = res
        .events_of("content_block_start")
        .into_iter()
        .map(|e| e["content_block"].clone())
        .collect();
    assert_eq!(blocks[0]["type"], "text");
    assert_eq!(blocks[1]["type"], "tool_use");
    assert_eq!(blocks[1]["name"], "Bash");
    let text: String = res
        .events_of("content_block_delta")
        .iter()
        .filter_map(|e| e["delta"]["text"].as_str())
        .collect();
    assert_eq!(text, "doing it");
    let json_args: String = res
        .events_of("content_block_delta")
        .iter()
        .filter_map(|e| e["delta"]["partial_json"].as_str())
        .collect();
    let args: Value = serde_json::from_str(&json_args).unwrap_or_default();
    assert_eq!(args["command"], "echo hi > file.txt");
    assert!(args["description"].is_string());
    let delta = &res.events_of("message_delta")[0];
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(delta["usage"]["output_tokens"], 56);
    assert_eq!(res.events_of("message_stop").len(), 1);

    let mut next = body.clone();
    if let Some(m) = next["messages"].as_array_mut() {
        m.push(json!({"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}]}));
        m.push(json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "hi"}]}));
    }
    let res = post(&base, "/v1/messages?beta=true", &next);
    let block = &res.events_of("content_block_start")[0]["content_block"];
    assert_eq!(block["name"], "mcp__goalie__update_goal");

    let res = post(&base, "/v1/messages?beta=true", &next);
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"]["type"], "invalid_request_error");
    assert!(
        res.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("prompt is too long")
    );
    let res = post(&base, "/v1/messages?beta=true", &next);
    assert_eq!(res.status, 429);
    assert_eq!(res.json()["error"]["type"], "rate_limit_error");
    assert_eq!(res.header("x-should-retry"), Some("false"));

    let res = post(&base, "/v1/messages/count_tokens?beta=true", &body);
    assert!(res.json()["input_tokens"].as_u64().unwrap_or(0) > 0);

    let reqs = server.requests();
    assert_eq!(reqs[0].latest_user_text(), "objective Y");
    assert_eq!(reqs[1].latest_user_text(), "objective Y");
    assert_eq!(reqs[1].tool_results, ["hi"]);
    assert_eq!(reqs[4].kind, RequestKind::CountTokens);
}

#[test]
fn anthropic_title_and_compaction_side_requests() {
    let server = start(Script::echo().with_title("Nice title"));
    let base = server.base_url();
    let title = json!({
        "model": "claude-sonnet-4-5", "stream": true, "tools": [],
        "system": [{"type": "text", "text": "Generate a concise title for this coding session."}],
        "output_config": {"format": {"type": "json_schema", "schema": {
            "type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}}},
        "messages": [{"role": "user", "content": "<session>\nwork\n</session>"}],
    });
    let res = post(&base, "/v1/messages", &title);
    let text: String = res
        .events_of("content_block_delta")
        .iter()
        .filter_map(|e| e["delta"]["text"].as_str())
        .collect();
    assert_eq!(text, r#"{"title":"Nice title"}"#);
    let compact = json!({
        "model": "claude-sonnet-4-5", "stream": false, "tools": [{"name": "Bash"}],
        "messages": [
            {"role": "user", "content": "do the thing"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "Your task is to create a detailed summary of the conversation so far, paying attention to..."}],
    });
    let res = post(&base, "/v1/messages", &compact);
    assert_eq!(
        res.json()["content"][0]["text"],
        fake_model::script::DEFAULT_COMPACTION_SUMMARY
    );
    let reqs = server.requests();
    assert_eq!(reqs[0].kind, RequestKind::Title);
    assert_eq!(reqs[1].kind, RequestKind::Compaction);
    assert_eq!(reqs[1].latest_user_text(), "do the thing");
    assert!(server.turn_requests().is_empty());
}

#[test]
fn chat_completions_stream_and_tools() {
    let server = start(Script::queue([
        Step::shell("ls").with_usage(700, 7),
        Step::text("chat done"),
        Step::UsageLimit,
    ]));
    let base = server.base_url();
    let body = json!({
        "model": "fake-model", "stream": true, "stream_options": {"include_usage": true},
        "tools": [{"type": "function", "function": {"name": "bash", "parameters": {}}}],
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "list files"}],
    });
    let res = post(&base, "/v1/chat/completions", &body);
    let events = res.events();
    assert_eq!(events.last().map(|(_, v)| v.clone()), Some(json!("[DONE]")));
    let call = events
        .iter()
        .find_map(|(_, v)| {
            v["choices"][0]["delta"]["tool_calls"][0]
                .as_object()
                .cloned()
        })
        .expect("a tool call chunk");
    assert_eq!(call["function"]["name"], "bash");
    assert_eq!(
        call["function"]["arguments"]
            .as_str()
            .map(|a| a.contains(r#""command":"ls""#)),
        Some(true)
    );
    let finish = events.iter().find_map(|(_, v)| {
        v["choices"][0]["finish_reason"]
            .as_str()
            .map(str::to_string)
    });
    assert_eq!(finish.as_deref(), Some("tool_calls"));
    let usage = events
        .iter()
        .find_map(|(_, v)| v.get("usage").cloned())
        .expect("usage chunk");
    assert_eq!(usage["prompt_tokens"], 700);
    assert_eq!(usage["completion_tokens"], 7);

    let mut next = body.clone();
    if let Some(m) = next["messages"].as_array_mut() {
        m.push(json!({"role": "assistant", "tool_calls": [call]}));
        m.push(json!({"role": "tool", "tool_call_id": "x", "content": "a.txt"}));
    }
    let res = post(&base, "/v1/chat/completions", &next);
    let text: String = res
        .events()
        .iter()
        .filter_map(|(_, v)| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(text, "chat done");
    let res = post(&base, "/v1/chat/completions", &next);
    assert_eq!(res.status, 429);
    assert_eq!(res.json()["error"]["code"], "insufficient_quota");
    let reqs = server.requests();
    assert_eq!(reqs[1].tool_results, ["a.txt"]);
    assert_eq!(reqs[1].latest_user_text(), "list files");
}

#[test]
fn gemini_stream_structured_and_count() {
    let server = start(Script::queue([
        Step::shell("ls"),
        Step::text("gemini done").with_usage(900, 9),
    ]));
    let base = server.base_url();
    let body = json!({
        "contents": [{"role": "user", "parts": [{"text": "list files"}]}],
        "tools": [{"functionDeclarations": [{"name": "run_shell_command"}]}],
    });
    let path = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse";
    let res = post(&base, path, &body);
    let calls: Vec<Value> = res
        .events()
        .iter()
        .flat_map(|(_, v)| {
            v["candidates"][0]["content"]["parts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|p| p.get("functionCall").cloned())
        .collect();
    assert_eq!(calls[0]["name"], "run_shell_command");
    assert_eq!(calls[0]["args"]["command"], "ls");

    let mut next = body.clone();
    if let Some(c) = next["contents"].as_array_mut() {
        c.push(json!({"role": "model", "parts": [{"functionCall": calls[0]}]}));
        c.push(json!({"role": "user", "parts": [{"functionResponse": {"name": "run_shell_command", "response": {"output": "a.txt"}}}]}));
    }
    let res = post(&base, path, &next);
    let events = res.events();
    let text: String = events
        .iter()
        .filter_map(|(_, v)| {
            v["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(text, "gemini done");
    let last = &events.last().expect("events").1;
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(last["usageMetadata"]["promptTokenCount"], 900);
    assert_eq!(last["usageMetadata"]["candidatesTokenCount"], 9);

    // The model router's schema request.
    let router = json!({
        "contents": [{"role": "user", "parts": [{"text": "which model?"}]}],
        "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": {
            "type": "object", "properties": {
                "reasoning": {"type": "string"},
                "model_choice": {"type": "string", "enum": ["flash", "pro"]}},
            "required": ["reasoning", "model_choice"]}},
    });
    let res = post(
        &base,
        "/v1beta/models/gemini-2.5-flash-lite:generateContent",
        &router,
    );
    let text = res.json()["candidates"][0]["content"]["parts"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let value: Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(value["model_choice"], "flash");
    assert!(value["reasoning"].is_string());

    let res = post(&base, "/v1beta/models/gemini-2.5-pro:countTokens", &body);
    assert!(res.json()["totalTokens"].as_u64().unwrap_or(0) > 0);

    let reqs = server.requests();
    assert_eq!(reqs[0].model, "gemini-2.5-pro");
    assert_eq!(reqs[1].tool_results, ["a.txt"]);
    assert_eq!(reqs[2].kind, RequestKind::Structured);
    assert_eq!(reqs[3].kind, RequestKind::CountTokens);
    assert_eq!(server.turn_requests().len(), 2);
}

#[test]
fn unknown_paths_get_a_recorded_json_404() {
    let server = start(Script::echo());
    let res =
        http::request("GET", &server.base_url(), "/v1/models", None, &[], WAIT).expect("request");
    assert_eq!(res.status, 404);
    assert_eq!(res.json()["error"]["code"], "not_found");
    let res = post(&server.base_url(), "/v2/whatever", &json!({"x": 1}));
    assert_eq!(res.status, 404);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].kind, RequestKind::NotFound);
    assert_eq!(reqs[1].body, json!({"x": 1}));
    // A body that is not JSON is kept as text.
    let raw = http::request("POST", &server.base_url(), "/v1/responses", None, &[], WAIT)
        .expect("request");
    assert_eq!(raw.status, 200);
}

#[test]
fn a_hang_keeps_the_stream_open_until_shutdown() {
    let server = start(Script::queue([Step::Hang {
        text: Some("partial".into()),
    }]));
    let base = server.base_url();
    let res = http::request(
        "POST",
        &base,
        "/v1/responses",
        Some(&responses_body("hi", json!({}))),
        &[],
        Duration::from_millis(700),
    )
    .expect("request");
    assert!(res.timed_out, "the stream should still be open");
    assert_eq!(res.events_of("response.created").len(), 1);
    assert_eq!(responses_text(&res), "partial");
    assert!(res.events_of("response.completed").is_empty());

    // A stream hanging in the background does not stop the shutdown.
    let handle = std::thread::spawn(move || {
        http::request(
            "POST",
            &base,
            "/v1/responses",
            Some(&responses_body("again", json!({}))),
            &[],
            WAIT,
        )
    });
    let mut server = Some(server);
    if let Some(s) = &server {
        assert!(s.wait_for_turns(2, WAIT));
    }
    // The second request is answered by the echo rule; now hang a third one and shut down.
    if let Some(s) = &server {
        s.push_steps([Step::hang()]);
    }
    let base = server.as_ref().map(|s| s.base_url()).unwrap_or_default();
    let hanging = std::thread::spawn(move || {
        http::request(
            "POST",
            &base,
            "/v1/responses",
            Some(&responses_body("third", json!({}))),
            &[],
            WAIT,
        )
    });
    if let Some(s) = &server {
        assert!(s.wait_for_turns(3, WAIT));
    }
    let started = Instant::now();
    if let Some(s) = server.take() {
        s.shutdown();
    }
    let third = hanging.join().expect("thread").expect("response");
    assert!(!third.timed_out, "shutdown ends hung streams");
    assert!(started.elapsed() < Duration::from_secs(5));
    let second = handle.join().expect("thread").expect("response");
    assert!(responses_text(&second).starts_with("ECHO-SAFE reply #2"));
}

#[test]
fn slow_replies_pace_their_chunks() {
    let server = start(Script::queue([Step::text(
        "one two three four five six seven eight nine ten eleven twelve",
    )
    .slow(Duration::from_millis(80))]));
    let started = Instant::now();
    let res = post(
        &server.base_url(),
        "/v1/responses",
        &responses_body("hi", json!({})),
    );
    let deltas = res.events_of("response.output_text.delta").len();
    assert!(deltas >= 4, "{deltas}");
    assert!(started.elapsed() >= Duration::from_millis(80 * deltas as u64 - 40));
}

#[test]
fn a_rule_decides_from_the_latest_user_input() {
    let server = start(Script::rule(|ctx| {
        if ctx.user_text.contains("compact") {
            Step::text("big").with_usage(300_000, 1)
        } else if ctx.tool_results.is_empty() {
            Step::tool(ToolCall::shell(format!("echo {}", ctx.prompt_index)))
        } else {
            Step::text(format!("saw {}", ctx.tool_results[0]))
        }
    }));
    let base = server.base_url();
    let res = post(
        &base,
        "/v1/responses",
        &responses_body("please compact", json!({})),
    );
    let usage = &res.events_of("response.completed")[0]["response"]["usage"];
    assert_eq!(usage["input_tokens"], 300_000);
    let res = post(&base, "/v1/responses", &responses_body("next", json!({})));
    let item = &res.events_of("response.output_item.done")[0]["item"];
    assert_eq!(item["arguments"], r#"{"cmd":"echo 2"}"#);
    let mut body = responses_body("next", json!({}));
    if let Some(input) = body["input"].as_array_mut() {
        input.push(item.clone());
        input.push(
            json!({"type": "function_call_output", "call_id": item["call_id"], "output": "2"}),
        );
    }
    let res = post(&base, "/v1/responses", &body);
    assert_eq!(responses_text(&res), "saw 2");
}

#[test]
fn directives_drive_tool_plans() {
    let server = start(Script::directives());
    let base = server.base_url();
    let prompt = "go [shell=echo hi > f.txt] [tools=1] [usage=123456]";
    let mut body = responses_body(prompt, json!({}));
    let mut texts = Vec::new();
    for _ in 0..3 {
        let res = post(&base, "/v1/responses", &body);
        texts.push(responses_text(&res));
        if let Some(call) = res
            .events_of("response.output_item.done")
            .into_iter()
            .map(|e| e["item"].clone())
            .find(|i| i["type"] == "function_call")
            && let Some(input) = body["input"].as_array_mut()
        {
            input.push(call.clone());
            input.push(
                json!({"type": "function_call_output", "call_id": call["call_id"], "output": "ok"}),
            );
        }
    }
    assert_eq!(
        texts,
        [
            "FAKE-TOOL step 1/2: $ echo hi > f.txt",
            "FAKE-TOOL step 2/2: $ echo step 1",
            "ECHO-SAFE reply #3 [after 2 tool call(s)]"
        ]
    );
    assert_eq!(server.requests()[2].usage, Some(Usage::new(123_456, 50)));
}

#[test]
fn latest_user_text_helper_per_protocol() {
    let codex = responses_body("typed by the user", json!({}));
    assert_eq!(
        latest_user_text(Protocol::OpenAiResponses, &codex).as_deref(),
        Some("typed by the user")
    );
    let claude = json!({"messages": [
        {"role": "user", "content": [{"type": "text", "text": "<system-reminder>x</system-reminder>"},
                                     {"type": "text", "text": "first"}]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "second"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "Bash", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "out"}]}]});
    assert_eq!(
        latest_user_text(Protocol::Anthropic, &claude).as_deref(),
        Some("second")
    );
    let chat =
        json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "chat"}]}]});
    assert_eq!(
        latest_user_text(Protocol::ChatCompletions, &chat).as_deref(),
        Some("chat")
    );
    let gemini = json!({"contents": [{"role": "user", "parts": [{"text": "gem"}]}]});
    assert_eq!(
        latest_user_text(Protocol::Gemini, &gemini).as_deref(),
        Some("gem")
    );
}

#[tokio::test]
async fn async_api_serves_and_records() {
    let server = FakeModel::start(Script::queue([Step::text("async hello")]))
        .await
        .expect("start");
    let base = server.base_url();
    let res = tokio::time::timeout(
        WAIT,
        tokio::task::spawn_blocking(move || {
            post(&base, "/v1/responses", &responses_body("hi", json!({})))
        }),
    )
    .await
    .expect("in time")
    .expect("join");
    assert_eq!(responses_text(&res), "async hello");
    assert!(server.wait_until(WAIT, |r| r.len() == 1).await);
    assert_eq!(server.requests()[0].latest_user_text(), "hi");
    tokio::time::timeout(WAIT, server.shutdown())
        .await
        .expect("shutdown in time");
}

/// Not a test: serves the directive script on `FAKE_MODEL_PORT` (default 8765)
/// for `FAKE_MODEL_SECONDS` (which it needs, so that `--include-ignored` does
/// not sit here for minutes), logging each request, so that a person can drive
/// a real agent CLI by hand (e.g. in tmux) to record screens, with
/// `FAKE_MODEL_DIRECTIVES` (e.g. `[chunkms=250] [words=48]`) applied to every
/// reply: `FAKE_MODEL_SECONDS=600 cargo test --test it -- --ignored --nocapture serve_by_hand`.
#[test]
#[ignore = "by hand: serves the fake model for FAKE_MODEL_SECONDS"]
fn serve_by_hand() {
    let port = std::env::var("FAKE_MODEL_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8765);
    let seconds: u64 = std::env::var("FAKE_MODEL_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("FAKE_MODEL_SECONDS: how long to serve (this is run by hand)");
    let options = fake_model::Options { port, log: true };
    // FAKE_MODEL_DIRECTIVES: directives for every reply (a benchmark's slow
    // stream), which a prompt's own override.
    let script = match std::env::var("FAKE_MODEL_DIRECTIVES") {
        Ok(defaults) if !defaults.trim().is_empty() => Script::directives_with_defaults(&defaults),
        _ => Script::directives(),
    };
    let server = BlockingFakeModel::start_with(script, options).expect("serve");
    eprintln!("fake model on {}", server.base_url());
    std::thread::sleep(Duration::from_secs(seconds));
}
