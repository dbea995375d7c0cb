//! `goalie mcp`: the model's tools, as an MCP server over stdio (rmcp).
//!
//! The agent CLI starts it (its adapter registers it for the run only, see
//! `mcp_args`, `mcp_env` and `mcp_files` in `adapters/*.yaml`) as
//! `goalie mcp --goal ID --db PATH`. Two tools, and nothing else:
//!
//! - `get_goal`: the objective, state, requirements, verify commands, budgets,
//!   what is used and what remains, and the last audit's result;
//! - `update_goal`: `status: complete` with a checklist `[{requirement,
//!   evidence}]`, or `status: blocked` with a reason.
//!
//! The server hands a claim to the running supervisor through the ledger: it
//! appends a `claim_submitted` row, which the supervisor picks up on its next
//! tick and audits when the agent's turn ends. Nothing the agent can call
//! pauses, resumes, clears, edits the objective or changes a budget: any such
//! attempt (another tool, another status, an extra argument) is refused with
//! a clear error and recorded as an `mcp_refused` row.
//!
//! Its first answer to `tools/list` is told to the running supervisor
//! through its control socket (`goal/tools_listed`, as `goalie hook` tells a
//! turn's end), once the client answered a ping sent after it: an agent that
//! would send its first prompt to the model without tools it has not taken
//! in (Claude Code) gets that prompt's Enter once it has.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    ServerRequest, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};

use crate::core::row::Row;
use crate::error::Error;
use crate::goal::claim::{Channel, ChecklistItem, Claim};
use crate::goal::lifecycle::GoalState;
use crate::goal::spec::GoalSpec;
use crate::goal::units::format_duration;
use crate::goal::wait::WaitFor;
use crate::ledger::{Goal, Ledger};

/// The server's name in the agent's config (`mcp__goalie…`).
pub const SERVER_NAME: &str = "goalie";
/// The longest `goalie mcp` waits at its end for the supervisor to have
/// heard that the tools were listed.
const TELL_AT_EXIT: Duration = Duration::from_secs(2);
/// The longest the telling waits for the client's answer to its ping.
const PING_WAIT: Duration = Duration::from_secs(1);
/// The tools.
pub const GET_GOAL: &str = "get_goal";
pub const UPDATE_GOAL: &str = "update_goal";

/// Serves the tools for one goal on stdin/stdout until the client goes away.
pub fn serve(db: PathBuf, goal: &str) -> Result<i32, Error> {
    // The goal must exist; the server says so at once rather than on each call.
    let goal_id = Ledger::open_existing(&db)?.goal(goal)?.id;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::io("cannot start the async runtime", err))?;
    let tools = GoalTools::new(db, goal_id);
    let served = runtime.block_on(async {
        let server = tools
            .clone()
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|err| Error::io("the MCP handshake failed", std::io::Error::other(err)))?;
        server
            .waiting()
            .await
            .map_err(|err| Error::io("the MCP server failed", std::io::Error::other(err)))?;
        Ok(0)
    });
    tools.finish_telling();
    served
}

/// The tool handler.
#[derive(Debug, Clone)]
pub struct GoalTools {
    db: Arc<PathBuf>,
    goal_id: Arc<str>,
    /// The running supervisor was told the tools were listed (once).
    told: Arc<AtomicBool>,
    /// Hears when the telling is over: a client that goes away at once
    /// (its stdin closed) does not cut it short.
    telling: Arc<Mutex<Option<std_mpsc::Receiver<()>>>>,
}

/// Why a call was refused: said to the model, recorded in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl GoalTools {
    pub fn new(db: PathBuf, goal_id: String) -> GoalTools {
        GoalTools {
            db: Arc::new(db),
            goal_id: goal_id.into(),
            told: Arc::new(AtomicBool::new(false)),
            telling: Arc::new(Mutex::new(None)),
        }
    }

    /// Tells the goal's running supervisor that the agent has the tools
    /// (`goal/tools_listed` on its control socket): the Enter of a first
    /// prompt may wait for it. Once per server, on a thread of its own, so
    /// the answer to `tools/list` goes out first; a supervisor out of reach
    /// (none runs, another host's) is nobody to tell.
    fn tell_listed(&self) {
        if self.told.swap(true, Ordering::SeqCst) {
            return;
        }
        let (db, goal) = (Arc::clone(&self.db), Arc::clone(&self.goal_id));
        let relay = move || -> Result<(), Error> {
            let goal = Ledger::open_read_only(&db)?.goal(&goal)?;
            if let Some(mut client) = crate::cli::goal_selector::connect(&goal)? {
                client
                    .call("goal/tools_listed", json!({}))?
                    .map_err(|err| Error::Usage(format!("the supervisor refused: {err}")))?;
            }
            Ok(())
        };
        let (told_tx, told_rx) = std_mpsc::channel();
        if let Ok(mut telling) = self.telling.lock() {
            *telling = Some(told_rx);
        }
        let _ = std::thread::Builder::new()
            .name("tools-listed".into())
            .spawn(move || {
                if let Err(err) = relay() {
                    eprintln!(
                        "goalie mcp: could not tell the supervisor the tools were listed: {err}"
                    );
                }
                let _ = told_tx.send(());
            });
    }

    /// Before the server ends: the telling finishes, within `TELL_AT_EXIT`.
    fn finish_telling(&self) {
        let telling = self.telling.lock().ok().and_then(|mut t| t.take());
        if let Some(told) = telling {
            let _ = told.recv_timeout(TELL_AT_EXIT);
        }
    }

    /// The ledger for one call: `serve` opened (and checked) it at the
    /// start, so a call does not check the whole file again (the agent may
    /// call `get_goal` every turn).
    fn ledger(&self) -> Result<Ledger, ErrorData> {
        Ledger::reopen(&self.db).map_err(|err| ErrorData::internal_error(err.to_string(), None))
    }

    /// Handles one call (blocking: SQLite).
    fn call(&self, name: &str, arguments: JsonObject) -> Result<CallToolResult, ErrorData> {
        let ledger = self.ledger()?;
        let sql =
            |err: crate::ledger::LedgerError| ErrorData::internal_error(err.to_string(), None);
        let refuse = |why: String| -> Result<CallToolResult, ErrorData> {
            ledger
                .append(
                    &self.goal_id,
                    &Row::McpRefused {
                        tool: name.to_string(),
                        arguments: arguments.clone(),
                        why: why.clone(),
                    },
                )
                .map_err(sql)?;
            Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "refused: {why}"
            ))]))
        };
        match name {
            GET_GOAL => {
                if let Some(extra) = arguments.keys().next() {
                    return refuse(format!("get_goal takes no arguments (got `{extra}`)"));
                }
                let goal = ledger.goal(&self.goal_id).map_err(sql)?;
                let summary = describe(&ledger, &goal).map_err(sql)?;
                Ok(CallToolResult::success(vec![ContentBlock::text(
                    serde_json::to_string_pretty(&summary).unwrap_or_default(),
                )]))
            }
            UPDATE_GOAL => {
                let goal = ledger.goal(&self.goal_id).map_err(sql)?;
                if goal.state != GoalState::Pursuing {
                    return refuse(format!(
                        "the goal is {}; only a goal being pursued takes claims",
                        goal.state
                    ));
                }
                let claim = match parse_update(&arguments) {
                    Ok(claim) => claim,
                    Err(Refusal(why)) => return refuse(why),
                };
                if let Claim::Waiting {
                    wait: WaitFor::Until { unix_ms, shown },
                } = &claim
                    && *unix_ms <= jiff::Timestamp::now().as_millisecond()
                {
                    return refuse(format!(
                        "`wait.until: {shown}` is already past (it is {} now): give a time still \
                         to come, or a span ({{\"for\": \"20m\"}})",
                        jiff::Timestamp::now()
                            .round(jiff::Unit::Second)
                            .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
                    ));
                }
                ledger
                    .append(
                        &self.goal_id,
                        &Row::ClaimSubmitted {
                            channel: Channel::Mcp,
                            claim: claim.clone(),
                        },
                    )
                    .map_err(sql)?;
                let reply = match claim {
                    Claim::Complete { .. } => {
                        "received; goalie will audit it when your turn ends (it runs the verify \
                         commands and checks protected files and your checklist). The goal is \
                         achieved only if the audit passes."
                            .to_string()
                    }
                    Claim::Blocked { .. } => {
                        "received; goalie records the blocker. The goal ends unmet only when the \
                         same blocker is reported in 3 consecutive turns."
                            .to_string()
                    }
                    Claim::Waiting { wait } => format!(
                        "received; when your turn ends goalie waits {} without typing anything \
                         (no turn, no tokens), then tells you what ended the wait. End your turn now.",
                        wait.describe()
                    ),
                };
                Ok(CallToolResult::success(vec![ContentBlock::text(reply)]))
            }
            other => refuse(format!(
                "there is no tool `{other}`: the agent may only read the goal (get_goal) and claim \
                 it complete or blocked (update_goal); pausing, resuming, clearing, editing the \
                 objective and changing budgets are the user's"
            )),
        }
    }
}

/// The arguments of `update_goal` as a claim, or why they are refused.
pub fn parse_update(arguments: &JsonObject) -> Result<Claim, Refusal> {
    const ALLOWED: [&str; 4] = ["status", "checklist", "reason", "wait"];
    if let Some(extra) = arguments
        .keys()
        .find(|key| !ALLOWED.contains(&key.as_str()))
    {
        return Err(Refusal(format!(
            "update_goal takes only status, checklist, reason and wait; `{extra}` is not something the \
             agent may set (objectives, budgets and the goal's state are the user's)"
        )));
    }
    let text = |key: &str| arguments.get(key).and_then(Value::as_str).map(str::trim);
    let status = arguments.get("status").and_then(Value::as_str);
    if status != Some("waiting") && arguments.contains_key("wait") {
        return Err(Refusal("`wait` goes with status waiting".into()));
    }
    match status {
        Some("complete") => {
            if arguments.contains_key("reason") {
                return Err(Refusal(
                    "`reason` goes with status blocked; a completion claim carries a checklist"
                        .into(),
                ));
            }
            let checklist: Vec<ChecklistItem> = match arguments.get("checklist") {
                Some(value) => serde_json::from_value(value.clone()).map_err(|_| {
                    Refusal(
                        "`checklist` must be a list of {requirement, evidence} objects (texts)"
                            .into(),
                    )
                })?,
                None => Vec::new(),
            };
            if checklist.is_empty() {
                return Err(Refusal(
                    "a completion claim needs a checklist: one {requirement, evidence} per \
                     requirement (get_goal lists them)"
                        .into(),
                ));
            }
            Ok(Claim::Complete { checklist })
        }
        Some("blocked") => {
            if arguments.contains_key("checklist") {
                return Err(Refusal(
                    "`checklist` goes with status complete; a blocked report carries a reason"
                        .into(),
                ));
            }
            match text("reason") {
                Some(reason) if !reason.is_empty() => Ok(Claim::Blocked {
                    reason: reason.to_string(),
                }),
                _ => Err(Refusal(
                    "a blocked report needs a `reason`: what stops you".into(),
                )),
            }
        }
        Some("waiting") => {
            if let Some(extra) = ["checklist", "reason"]
                .into_iter()
                .find(|key| arguments.contains_key(*key))
            {
                return Err(Refusal(format!(
                    "`{extra}` does not go with status waiting; a wait carries `wait`"
                )));
            }
            let Some(wait) = arguments.get("wait") else {
                return Err(Refusal(
                    "a wait needs `wait`: {\"for\": \"20m\"}, {\"until\": \"RFC 3339 time\"} or \
                     {\"command\": \"…\", \"every\": \"1m\", \"timeout\": \"2h\"}"
                        .into(),
                ));
            };
            WaitFor::from_json(wait)
                .map(|wait| Claim::Waiting { wait })
                .map_err(Refusal)
        }
        Some(other) => Err(Refusal(format!(
            "status `{other}` is refused: the agent may only claim the goal `complete` or \
             `blocked`, or ask goalie to wait (`waiting`); pausing, resuming and clearing a goal \
             are the user's"
        ))),
        None => Err(Refusal(
            "update_goal needs `status`: `complete` (with a checklist) or `blocked` (with a reason)"
                .into(),
        )),
    }
}

/// What `get_goal` answers.
fn describe(ledger: &Ledger, goal: &Goal) -> Result<Value, crate::ledger::LedgerError> {
    let spec: Option<GoalSpec> = ledger
        .spec(&goal.id)?
        .and_then(|value| serde_json::from_value(value).ok());
    let spec = spec.unwrap_or_else(|| GoalSpec::bare(&goal.objective));
    let last_audit = ledger
        .entries(&goal.id)?
        .into_iter()
        .rev()
        .find_map(|entry| match entry.row() {
            Row::AuditFinished {
                passed, reasons, ..
            } => Some(json!({ "at": entry.at, "passed": passed, "reasons": reasons })),
            _ => None,
        });
    let remaining = |limit: Option<u64>, used: u64| limit.map(|l| l.saturating_sub(used));
    Ok(json!({
        "id": goal.id,
        "objective": goal.objective,
        "state": goal.state.as_str(),
        "requirements": spec.requirements(),
        "verify": spec.verify.iter().map(|v| v.run.clone()).collect::<Vec<_>>(),
        "protect": spec.protect,
        "scope": spec.scope,
        "budgets": {
            "turns": goal.max_turns,
            "time": goal.max_time_ms.map(format_duration),
            "tokens": goal.budget_tokens,
        },
        "used": {
            "turns": goal.turns,
            "time": format_duration(goal.time_used_ms),
            "tokens": goal.tokens_used,
        },
        "remaining": {
            "turns": remaining(goal.max_turns.map(u64::from), u64::from(goal.turns)),
            "time": remaining(goal.max_time_ms, goal.time_used_ms).map(format_duration),
            "tokens": remaining(goal.budget_tokens, goal.tokens_used),
        },
        "last_audit": last_audit,
        "how_to_claim": "update_goal with status complete and a checklist [{requirement, evidence}] \
                         covering every requirement (by id), or status blocked with a reason; \
                         to have goalie wait without a turn (a CI run, a deploy, a time), status \
                         waiting with wait {for}, {until} or {command, every, timeout}",
    }))
}

fn tools() -> Vec<Tool> {
    let schema = |value: Value| -> Arc<JsonObject> {
        Arc::new(value.as_object().cloned().unwrap_or_default())
    };
    vec![
        Tool::new(
            GET_GOAL,
            "Read the goal goalie keeps you working on: objective, requirements, verify \
             commands, state, budgets (used and remaining) and the last audit's result.",
            schema(json!({ "type": "object", "properties": {}, "additionalProperties": false })),
        ),
        Tool::new(
            UPDATE_GOAL,
            "Claim the goal complete (with a checklist mapping every requirement to its \
             evidence) or report it blocked (with a reason). goalie audits a completion claim \
             itself: it runs the verify commands and checks protected files and the checklist. \
             Or ask goalie to wait (status waiting, with wait) for a span, a time, or a command \
             that exits 0 (a CI run, a deploy): goalie types nothing and spends no tokens meanwhile.",
            schema(json!({
                "type": "object",
                "properties": {
                    // No `enum` and no `additionalProperties: false`: an agent that checks
                    // arguments itself (gemini-cli) would refuse a pause attempt before
                    // goalie could record it. goalie refuses anything else itself.
                    "status": { "type": "string", "description": "complete or blocked, or waiting (with wait): nothing else is accepted." },
                    "checklist": {
                        "type": "array",
                        "description": "For status complete: one entry per requirement.",
                        "items": {
                            "type": "object",
                            "properties": {
                                "requirement": { "type": "string", "description": "Its id (R1, R2, …) from get_goal." },
                                "evidence": { "type": "string", "description": "A file, a command and its output, a test and its result." }
                            },
                            "required": ["requirement", "evidence"],
                            "additionalProperties": false
                        }
                    },
                    "reason": { "type": "string", "description": "For status blocked: what stops you." },
                    "wait": {
                        "type": "object",
                        "description": "For status waiting: goalie waits without a turn and without tokens, then tells you what ended the wait. One of {\"for\": \"20m\"}, {\"until\": \"2026-12-02T03:00:00Z\"}, or {\"command\": \"gh run view 123 --exit-status\", \"every\": \"1m\", \"timeout\": \"2h\"} (run in the workspace until it exits 0). At most 2 hours unless the user allows more.",
                        "properties": {
                            "for": { "type": "string" },
                            "until": { "type": "string" },
                            "command": { "type": "string" },
                            "every": { "type": "string" },
                            "timeout": { "type": "string" }
                        }
                    }
                },
                "required": ["status"]
            })),
        ),
    ]
}

impl ServerHandler for GoalTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(SERVER_NAME, env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "goalie keeps you on one goal. Read it with get_goal; when every requirement is \
                 met and shown, claim it with update_goal (status complete and a checklist); \
                 goalie audits the claim itself.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        if !self.told.load(Ordering::SeqCst) {
            // The answer goes out first (this task's, once it returns; the
            // yields let the service write it); the client's answer to a ping
            // sent after it says it has taken the answer in (Claude Code
            // registers the tools some milliseconds after it read them, and
            // a prompt submitted sooner goes to the model without them).
            let (tools, peer) = (self.clone(), context.peer.clone());
            tokio::spawn(async move {
                for _ in 0..4 {
                    tokio::task::yield_now().await;
                }
                let ping = ServerRequest::PingRequest(Default::default());
                let _ = tokio::time::timeout(PING_WAIT, peer.send_request(ping)).await;
                tools.tell_listed();
            });
        }
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let tools = self.clone();
        let name = request.name.to_string();
        let arguments = request.arguments.unwrap_or_default();
        tokio::task::spawn_blocking(move || tools.call(&name, arguments))
            .await
            .map_err(|err| ErrorData::internal_error(err.to_string(), None))?
            .map(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(value: Value) -> JsonObject {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn complete_and_blocked_claims_parse() {
        let claim = parse_update(&args(json!({
            "status": "complete",
            "checklist": [{"requirement": "R1", "evidence": "tests/a.rs passes"}]
        })))
        .unwrap();
        assert_eq!(claim.status(), "complete");
        let claim =
            parse_update(&args(json!({"status": "blocked", "reason": " no key "}))).unwrap();
        assert_eq!(
            claim,
            Claim::Blocked {
                reason: "no key".into()
            }
        );
    }

    #[test]
    fn everything_else_is_refused_with_a_reason() {
        for (arguments, expected) in [
            (json!({"status": "paused"}), "status `paused` is refused"),
            (json!({"status": "cleared"}), "status `cleared` is refused"),
            (json!({"status": "active"}), "status `active` is refused"),
            (json!({}), "update_goal needs `status`"),
            (
                json!({"status": "complete", "checklist": [], "max_turns": 99}),
                "update_goal takes only status, checklist, reason and wait; `max_turns`",
            ),
            (
                json!({"status": "blocked", "reason": "x", "objective": "something easier"}),
                "`objective` is not something the agent may set",
            ),
            (
                json!({"status": "complete"}),
                "a completion claim needs a checklist",
            ),
            (
                json!({"status": "complete", "checklist": "all done"}),
                "`checklist` must be a list",
            ),
            (
                json!({"status": "blocked"}),
                "a blocked report needs a `reason`",
            ),
        ] {
            let Refusal(why) = parse_update(&args(arguments.clone())).unwrap_err();
            assert!(why.contains(expected), "{arguments}: {why}");
        }
    }

    #[test]
    fn a_wait_parses_and_goes_only_with_status_waiting() {
        let claim = parse_update(&args(json!({
            "status": "waiting",
            "wait": {"command": "test -f ready.flag", "every": "2s", "timeout": "10m"}
        })))
        .unwrap();
        assert_eq!(
            claim,
            Claim::Waiting {
                wait: WaitFor::Command {
                    run: "test -f ready.flag".into(),
                    every_ms: 2_000,
                    timeout_ms: Some(600_000)
                }
            }
        );
        for (arguments, expected) in [
            (json!({"status": "waiting"}), "a wait needs `wait`"),
            (
                json!({"status": "complete", "checklist": [], "wait": {"for": "1m"}}),
                "`wait` goes with status waiting",
            ),
            (
                json!({"status": "waiting", "wait": {"for": "1m"}, "reason": "ci"}),
                "`reason` does not go with status waiting",
            ),
            (
                json!({"status": "waiting", "wait": {"for": "later"}}),
                "`for: later` is not a duration",
            ),
        ] {
            let Refusal(why) = parse_update(&args(arguments.clone())).unwrap_err();
            assert!(why.contains(expected), "{arguments}: {why}");
        }
    }

    #[test]
    fn the_tool_schemas_offer_nothing_but_the_two_tools() {
        let tools = tools();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, vec!["get_goal", "update_goal"]);
        let update = &tools[1].input_schema;
        // Only what it takes is described; anything else reaches goalie, which
        // refuses it and records the attempt (an agent that checked the schema
        // itself would have refused it unrecorded).
        let properties: Vec<&String> = update["properties"].as_object().unwrap().keys().collect();
        assert_eq!(properties, ["checklist", "reason", "status", "wait"]);
        assert!(
            update["properties"]["status"]["description"]
                .as_str()
                .unwrap()
                .starts_with("complete or blocked")
        );
        assert!(update.get("additionalProperties").is_none());
    }
}
