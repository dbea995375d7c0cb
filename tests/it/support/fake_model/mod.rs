//! A fake model server on 127.0.0.1 that streams scripted replies to unmodified agent CLIs.
//!
//! It speaks the OpenAI Responses API (Codex CLI), the Anthropic Messages API (Claude Code),
//! OpenAI Chat Completions (aider, opencode) and the Gemini API (gemini-cli), always with
//! token usage, records every request, and answers turn requests from a [`Script`]: a queue
//! of [`Step`]s, then a rule (by default `ECHO-SAFE reply #N`, usage input 1000*N, output 50).
//! Side requests (session titles, token counting, compaction summaries, schema-shaped JSON)
//! are answered without consuming steps.
//!
//! ```no_run
//! # use fake_model::*;
//! let server = BlockingFakeModel::start(Script::queue([
//!     Step::shell("echo hi > file.txt"),
//!     Step::text("done").with_usage(250_000, 40),
//! ])).expect("fake model starts");
//! // ... point the agent at server.base_url() and run it ...
//! let turns: Vec<_> = server.requests().into_iter().filter(|r| r.is_turn()).collect();
//! assert!(turns[0].latest_user_text().contains("objective"));
//! ```

// Its API (a library's, in a test binary) is wider than what today's tests call.
#![allow(dead_code, unused_imports)]

pub mod anthropic;
pub mod chat_completions;
pub mod gemini;
pub mod openai_responses;
pub mod recorder;
pub mod schema;
pub mod script;
mod sse;
mod times;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

pub use recorder::{Protocol, Recorded, RequestKind};
pub use script::{
    Reply, Rule, Script, Step, ToolCall, TurnContext, Usage, directive_rule, echo_rule,
};

use recorder::Analysis;
use sse::{Outcome, spawn_sse};

/// Largest request body accepted (Codex sends its whole history every turn).
const MAX_BODY: usize = 64 * 1024 * 1024;

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What a protocol module needs to render an answer.
pub(crate) struct RenderCtx<'a> {
    /// Request index, used to make ids unique.
    pub n: usize,
    pub model: &'a str,
    pub path: &'a str,
    pub analysis: &'a Analysis,
}

#[derive(Debug, Default)]
struct PromptState {
    text: Option<String>,
    index: usize,
    steps: usize,
    attempts: usize,
    last_failed: bool,
}

struct State {
    script: Script,
    records: Vec<Recorded>,
    turns: usize,
    prompt: PromptState,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    log: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking rule poisons the lock; the data is still usable for the test to inspect.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn requests(&self) -> Vec<Recorded> {
        self.lock().records.clone()
    }

    fn wait_until(&self, timeout: Duration, mut pred: impl FnMut(&[Recorded]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut guard = self.lock();
        loop {
            if pred(&guard.records) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            guard = match self.changed.wait_timeout(guard, deadline - now) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
    }
}

/// Server options.
#[derive(Clone, Debug)]
pub struct Options {
    /// 0: any free port.
    pub port: u16,
    /// Log each request to stderr (default: env `FAKE_MODEL_LOG` set and not "0").
    pub log: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 0,
            log: std::env::var_os("FAKE_MODEL_LOG").is_some_and(|v| !v.is_empty() && v != "0"),
        }
    }
}

/// A running fake model server (async API). Stops when shut down or dropped.
pub struct FakeModel {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl FakeModel {
    /// Binds 127.0.0.1 on a free port and starts serving `script`. Must be called inside a
    /// Tokio runtime. Set `FAKE_MODEL_LOG=1` to log each request to stderr.
    pub async fn start(script: Script) -> io::Result<FakeModel> {
        FakeModel::start_with(script, Options::default()).await
    }

    /// Like [`FakeModel::start`] with options (port, logging). Always binds loopback.
    pub async fn start_with(script: Script, options: Options) -> io::Result<FakeModel> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], options.port))).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                script,
                records: Vec::new(),
                turns: 0,
                prompt: PromptState::default(),
            }),
            changed: Condvar::new(),
            log: options.log,
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, shared.clone(), shutdown_rx));
        Ok(FakeModel {
            addr,
            shared,
            shutdown,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT` (append `/v1` for OpenAI-style clients).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests()
    }

    /// Turn requests only (the ones the script answered).
    pub fn turn_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(Recorded::is_turn)
            .collect()
    }

    /// Appends steps to the script's queue.
    pub fn push_steps(&self, steps: impl IntoIterator<Item = Step>) {
        self.shared.lock().script.steps.extend(steps);
    }

    /// Replaces the rule used once the queue is empty.
    pub fn set_rule(&self, rule: impl Fn(&TurnContext<'_>) -> Step + Send + Sync + 'static) {
        self.shared.lock().script.rule = Arc::new(rule);
    }

    /// Waits (polling, without blocking the runtime) until `pred` holds for the recorded
    /// requests; false on timeout.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&[Recorded]) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(&self.shared.lock().records) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops accepting, ends open streams (hung ones included) and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// The fake model on its own thread and runtime, for plain `#[test]`s.
pub struct BlockingFakeModel {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BlockingFakeModel {
    pub fn start(script: Script) -> io::Result<BlockingFakeModel> {
        BlockingFakeModel::start_with(script, Options::default())
    }

    pub fn start_with(script: Script, options: Options) -> io::Result<BlockingFakeModel> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fake-model".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match FakeModel::start_with(script, options).await {
                        Ok(server) => {
                            let _ = ready_tx.send(Ok((server.addr, server.shared.clone())));
                            let _ = stop_rx.await;
                            server.shutdown().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        let (addr, shared) = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|e| io::Error::other(format!("fake model thread did not start: {e}")))??;
        Ok(BlockingFakeModel {
            addr,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests()
    }

    pub fn turn_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(Recorded::is_turn)
            .collect()
    }

    pub fn push_steps(&self, steps: impl IntoIterator<Item = Step>) {
        self.shared.lock().script.steps.extend(steps);
    }

    pub fn set_rule(&self, rule: impl Fn(&TurnContext<'_>) -> Step + Send + Sync + 'static) {
        self.shared.lock().script.rule = Arc::new(rule);
    }

    /// Blocks until `pred` holds for the recorded requests; false on timeout.
    pub fn wait_until(&self, timeout: Duration, pred: impl FnMut(&[Recorded]) -> bool) -> bool {
        self.shared.wait_until(timeout, pred)
    }

    /// Blocks until at least `n` turn requests arrived; false on timeout.
    /// Tokens (input plus output) reported in the answers to the agent's turn
    /// requests: what the agent's own session log should add up to.
    pub fn turn_tokens(&self) -> u64 {
        self.turn_requests()
            .iter()
            .filter_map(|r| r.usage.as_ref())
            .map(|u| u.input_tokens + u.output_tokens)
            .sum()
    }

    pub fn wait_for_turns(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |r| r.iter().filter(|r| r.is_turn()).count() >= n)
    }

    /// Stops the server and joins its thread (also done on drop).
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BlockingFakeModel {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, shutdown: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    let mut stop = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else {
                    // E.g. out of file descriptors: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let shared = shared.clone();
                let mut conn_shutdown = shutdown.clone();
                connections.spawn(async move {
                    let svc_shutdown = conn_shutdown.clone();
                    let service = service_fn(move |req| {
                        handle(req, shared.clone(), svc_shutdown.clone())
                    });
                    let conn = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = conn_shutdown.wait_for(|stop| *stop) => {}
                    }
                });
            }
            _ = async { let _ = stop.wait_for(|stop| *stop).await; } => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

type ResBody = BoxBody<Bytes, Infallible>;

fn json_response(status: u16, body: &Value, headers: &[(String, String)]) -> Response<ResBody> {
    let mut res = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::try_from(k.as_str()),
            HeaderValue::try_from(v.as_str()),
        ) {
            res.headers_mut().insert(k, v);
        }
    }
    res
}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) -> Result<Response<ResBody>, Infallible> {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let encoding = headers
        .iter()
        .find(|(k, _)| k == "content-encoding")
        .map(|(_, v)| v.to_ascii_lowercase())
        .filter(|v| v != "identity");

    let (body, raw_body, body_error) = match Limited::new(req.into_body(), MAX_BODY).collect().await
    {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            match (&encoding, serde_json::from_slice::<Value>(&bytes)) {
                (None, Ok(v)) => (v, None, None),
                (None, Err(_)) if bytes.is_empty() => (Value::Null, None, None),
                (None, Err(_)) => (
                    Value::Null,
                    Some(String::from_utf8_lossy(&bytes).into_owned()),
                    None,
                ),
                (Some(enc), _) => (
                    Value::Null,
                    Some(format!("<{} bytes, content-encoding {enc}>", bytes.len())),
                    Some(format!(
                        "fake model: request body with content-encoding {enc} is not supported"
                    )),
                ),
            }
        }
        Err(e) => (
            Value::Null,
            None,
            Some(format!("fake model: could not read the body: {e}")),
        ),
    };

    let (protocol, analysis) = route(&method, &path, &headers, &body);
    let mut guard = shared.lock();
    let n = guard.records.len();
    let model = if analysis.model.is_empty() {
        "fake-model".to_string()
    } else {
        analysis.model.clone()
    };
    let ctx = RenderCtx {
        n,
        model: &model,
        path: &path,
        analysis: &analysis,
    };

    let mut turn = None;
    let mut step_no = None;
    let (outcome, reply, usage) = if let Some(err) = body_error {
        (
            Outcome::json(
                400,
                json!({"error": {"message": err, "type": "invalid_request_error"}}),
            ),
            err,
            None,
        )
    } else {
        match analysis.kind {
            RequestKind::Side if protocol == Protocol::Unknown => (
                // Connectivity probes (Claude Code sends `HEAD /`).
                Outcome::json(200, json!({"ok": true, "server": "fake-model"})),
                "root probe".to_string(),
                None,
            ),
            RequestKind::NotFound => {
                let msg = format!("fake model: no route for {method} {path}");
                (
                    Outcome::json(
                        404,
                        json!({"error": {"message": msg, "type": "not_found_error", "code": "not_found"}}),
                    ),
                    "404 not found".to_string(),
                    None,
                )
            }
            RequestKind::CountTokens => {
                let o = match protocol {
                    Protocol::Gemini => gemini::count_tokens(&body),
                    _ => anthropic::count_tokens(&body),
                };
                (o, "count tokens".to_string(), None)
            }
            RequestKind::Turn => {
                let state = &mut *guard;
                state.turns += 1;
                let user_text = analysis.latest_user_text().map(str::to_string);
                let continuing = match &user_text {
                    None => state.prompt.index > 0,
                    Some(t) => {
                        state.prompt.text.as_deref() == Some(t.as_str())
                            && (analysis.items_after_user > 0
                                || analysis.compacted
                                || state.prompt.last_failed)
                    }
                };
                if !continuing {
                    state.prompt = PromptState {
                        text: user_text,
                        index: state.prompt.index + 1,
                        ..PromptState::default()
                    };
                }
                let tctx = TurnContext {
                    protocol,
                    turn: state.turns,
                    prompt_index: state.prompt.index,
                    step: state.prompt.steps,
                    attempt: state.prompt.attempts,
                    user_text: analysis.latest_user_text().unwrap_or(""),
                    tool_results: &analysis.tool_results,
                    compacted: analysis.compacted,
                    model: &model,
                    body: &body,
                };
                let step = state.script.next_step(&tctx);
                turn = Some(state.turns);
                step_no = Some(state.prompt.steps);
                state.prompt.attempts += 1;
                if step.is_success() {
                    state.prompt.steps += 1;
                }
                state.prompt.last_failed = !step.is_success();
                let usage = match &step {
                    Step::Reply(r) => r.usage.unwrap_or_else(|| Usage::for_turn(state.turns)),
                    _ => Usage::for_turn(state.turns),
                };
                let o = render(protocol, &step, usage, &ctx);
                let reported = step.is_success().then_some(usage);
                (o, step.describe(), reported)
            }
            RequestKind::Compaction
            | RequestKind::Title
            | RequestKind::Side
            | RequestKind::Structured => {
                let shape = schema::requested_schema(protocol, &body);
                let title = guard.script.title.clone();
                let shaped = |fallback: String| match shape {
                    Some(s) => schema::shaped_answer(s, &title),
                    None => fallback,
                };
                let (text, usage) = match analysis.kind {
                    RequestKind::Compaction => (
                        guard.script.compaction_summary.clone(),
                        guard
                            .script
                            .compaction_usage
                            .unwrap_or(Usage::new(1000, 100)),
                    ),
                    RequestKind::Title => (shaped(title.clone()), Usage::new(100, 10)),
                    RequestKind::Structured => (shaped("{}".to_string()), Usage::new(500, 20)),
                    _ => (shaped("FAKE-SIDE reply".to_string()), Usage::new(100, 10)),
                };
                let step = Step::text(text).with_usage_full(usage);
                let desc = step.describe();
                (render(protocol, &step, usage, &ctx), desc, Some(usage))
            }
        }
    };

    let mut user_texts = analysis.user_texts.clone();
    if protocol == Protocol::Unknown {
        user_texts.clear();
    }
    let record = Recorded {
        index: n,
        method,
        path: path.clone(),
        query,
        headers,
        body,
        raw_body,
        protocol,
        kind: analysis.kind,
        model: analysis.model.clone(),
        stream: analysis.stream,
        user_text: analysis.latest_user_text().map(str::to_string),
        user_texts,
        tool_results: analysis.tool_results.clone(),
        compacted: analysis.compacted,
        tools: analysis.tools.iter().map(|t| t.display()).collect(),
        turn,
        step: step_no,
        reply,
        status: outcome.status(),
        usage,
    };
    if shared.log {
        eprintln!("[fake-model] {}", record.summary());
    }
    let extra_headers = if record.kind == RequestKind::Turn {
        guard.script.turn_headers.clone()
    } else {
        Vec::new()
    };
    let timed = times::request(&record, guard.prompt.index);
    guard.records.push(record);
    drop(guard);
    shared.changed.notify_all();

    Ok(match outcome {
        Outcome::Json {
            status,
            body,
            headers,
        } => {
            times::end(timed);
            let mut headers = headers;
            headers.extend(extra_headers);
            json_response(status, &body, &headers)
        }
        Outcome::Sse { events, hang } => {
            let body = spawn_sse(events, hang, shutdown, timed);
            let mut res = Response::new(BodyExt::boxed(body));
            res.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            res.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            for (k, v) in extra_headers {
                if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::try_from(v))
                {
                    res.headers_mut().insert(k, v);
                }
            }
            res
        }
    })
}

fn render(protocol: Protocol, step: &Step, usage: Usage, ctx: &RenderCtx<'_>) -> Outcome {
    match protocol {
        Protocol::OpenAiResponses => openai_responses::render(step, usage, ctx),
        Protocol::Anthropic => anthropic::render(step, usage, ctx),
        Protocol::ChatCompletions => chat_completions::render(step, usage, ctx),
        Protocol::Gemini => gemini::render(step, usage, ctx),
        Protocol::Unknown => Outcome::json(
            404,
            json!({"error": {"message": "fake model: unknown protocol"}}),
        ),
    }
}

fn route(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &Value,
) -> (Protocol, Analysis) {
    if method == "POST" {
        if path.ends_with("/responses") || path.ends_with("/responses/compact") {
            return (
                Protocol::OpenAiResponses,
                openai_responses::analyze(path, headers, body),
            );
        }
        if path.ends_with("/messages") || path.ends_with("/messages/count_tokens") {
            return (Protocol::Anthropic, anthropic::analyze(path, body));
        }
        if path.ends_with("/chat/completions") {
            return (Protocol::ChatCompletions, chat_completions::analyze(body));
        }
        if let Some((model, gm)) = gemini::parse_path(path)
            && matches!(
                gm.as_str(),
                "streamGenerateContent" | "generateContent" | "countTokens"
            )
        {
            return (Protocol::Gemini, gemini::analyze(&model, &gm, body));
        }
    }
    if path == "/" && (method == "GET" || method == "HEAD") {
        return (Protocol::Unknown, Analysis::new(RequestKind::Side));
    }
    (Protocol::Unknown, Analysis::new(RequestKind::NotFound))
}

/// One [`Recorded::summary`] line per request, for assertion messages.
pub fn summarize(requests: &[Recorded]) -> String {
    requests
        .iter()
        .map(Recorded::summary)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The latest user input text of a request body of the given protocol (agent-injected context
/// left out), for bodies obtained elsewhere (e.g. a session log).
pub fn latest_user_text(protocol: Protocol, body: &Value) -> Option<String> {
    let a = match protocol {
        Protocol::OpenAiResponses => openai_responses::analyze("/v1/responses", &[], body),
        Protocol::Anthropic => anthropic::analyze("/v1/messages", body),
        Protocol::ChatCompletions => chat_completions::analyze(body),
        Protocol::Gemini => gemini::analyze("", "streamGenerateContent", body),
        Protocol::Unknown => return None,
    };
    a.latest_user_text().map(str::to_string)
}
