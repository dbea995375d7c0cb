//! The control protocol's messages: JSON-RPC 2.0 without the `"jsonrpc"`
//! field, one JSON object per line, as the Codex app-server speaks it.
//!
//! Requests carry `id`, `method` and `params`; a response echoes the `id` with
//! `result` or `error`; notifications have `method` and `params` and no `id`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::goal::change::{GoalChange, Status};
use crate::goal::lifecycle::GoalState;

/// The line could not be read as JSON.
pub const PARSE_ERROR: i64 = -32700;
/// Not a request (no `id`, no `method`, not an object).
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
/// The goal's state does not allow the change; nothing was changed.
pub const REFUSED: i64 = 1;
/// The peer is not the goal's owner.
pub const FORBIDDEN: i64 = 2;
/// The supervisor is stopping; the request was not carried out.
pub const ENDED: i64 = 3;
/// A subscriber left too many notifications unread and is dropped.
pub const LAGGED: i64 = 4;
/// A request line was longer than the most goalie reads; the connection is closed.
pub const TOO_LONG: i64 = 5;

/// A request the supervisor understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// `goal/get`: the goal as it stands.
    Get,
    /// `goal/set`: change status, objective or budgets.
    Set(GoalChange),
    /// `goal/clear`: stop the agent; the goal ends `cleared`.
    Clear,
    /// `goal/turn_complete`: the agent's own turn-complete signal (Codex
    /// `notify`, Claude Code's `Stop` hook), relayed by `goalie hook`.
    TurnComplete {
        /// Which hook sent it (`codex-notify`, `claude-stop`).
        source: String,
        /// What the agent handed its hook, shortened; `null` if nothing.
        data: Value,
    },
    /// `goal/tools_listed`: `goalie mcp` answered the agent's `tools/list`.
    ToolsListed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: Value,
    pub method: Method,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
        }
    }
}

/// A goal as `goal/get`, `goal/set` and `goal/updated` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalSnapshot {
    pub id: String,
    pub objective: String,
    pub state: GoalState,
    /// The person has taken over the agent's terminal.
    pub takeover: bool,
    /// `paused (takeover)`, or the state.
    pub state_text: String,
    pub agent: String,
    pub workdir: String,
    pub max_turns: Option<u32>,
    pub max_time_ms: Option<u64>,
    pub budget_tokens: Option<u64>,
    pub turns: u32,
    pub tokens_used: u64,
    pub time_used_ms: u64,
    pub supervisor_pid: u32,
    pub agent_pid: Option<u32>,
}

/// How a state reads with the takeover flag: `paused (takeover)`.
pub fn state_text(state: GoalState, takeover: bool) -> String {
    if takeover {
        format!("{state} (takeover)")
    } else {
        state.to_string()
    }
}

/// Reads one request line. On error, the id to answer with (null when unknown).
pub fn parse_request(line: &str) -> Result<Request, (Value, RpcError)> {
    let value: Value = serde_json::from_str(line).map_err(|err| {
        (
            Value::Null,
            RpcError::new(PARSE_ERROR, format!("parse error: {err}")),
        )
    })?;
    let Value::Object(mut object) = value else {
        return Err((
            Value::Null,
            RpcError::new(INVALID_REQUEST, "a request is a JSON object"),
        ));
    };
    let id = match object.remove("id") {
        Some(id @ (Value::Number(_) | Value::String(_))) => id,
        _ => {
            return Err((
                Value::Null,
                RpcError::new(
                    INVALID_REQUEST,
                    "a request needs an `id` (a number or a string)",
                ),
            ));
        }
    };
    let fail = |code, message: String| Err((id.clone(), RpcError::new(code, message)));
    let method = match object.remove("method") {
        Some(Value::String(method)) => method,
        _ => {
            return fail(
                INVALID_REQUEST,
                "a request needs a `method` (a string)".into(),
            );
        }
    };
    let params = match object.remove("params") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(params)) => params,
        Some(_) => return fail(INVALID_PARAMS, "`params` must be an object".into()),
    };
    if let Some(key) = object.keys().next() {
        return fail(INVALID_REQUEST, format!("unknown field `{key}`"));
    }
    let method = match method.as_str() {
        "goal/get" | "goal/clear" | "goal/tools_listed" => {
            if let Some(key) = params.keys().next() {
                return fail(
                    INVALID_PARAMS,
                    format!("{method} takes no parameters (got `{key}`)"),
                );
            }
            match method.as_str() {
                "goal/get" => Method::Get,
                "goal/clear" => Method::Clear,
                _ => Method::ToolsListed,
            }
        }
        "goal/set" => match change_from_params(params) {
            Ok(change) => Method::Set(change),
            Err(message) => return fail(INVALID_PARAMS, message),
        },
        "goal/turn_complete" => {
            let mut params = params;
            let source = match params.remove("source") {
                Some(Value::String(source)) if !source.is_empty() => source,
                _ => {
                    return fail(
                        INVALID_PARAMS,
                        "goal/turn_complete needs a `source` (a non-empty string)".into(),
                    );
                }
            };
            let data = params.remove("data").unwrap_or(Value::Null);
            if let Some(key) = params.keys().next() {
                return fail(
                    INVALID_PARAMS,
                    format!("unknown parameter `{key}` (known: source, data)"),
                );
            }
            Method::TurnComplete { source, data }
        }
        other => {
            return fail(
                METHOD_NOT_FOUND,
                format!(
                    "unknown method `{other}` (known: goal/get, goal/set, goal/clear, goal/turn_complete, goal/tools_listed)"
                ),
            );
        }
    };
    Ok(Request { id, method })
}

fn change_from_params(params: serde_json::Map<String, Value>) -> Result<GoalChange, String> {
    let mut change = GoalChange::default();
    for (key, value) in params {
        match key.as_str() {
            "objective" => match value {
                Value::String(text) => change.objective = Some(text),
                _ => return Err("`objective` must be a string".into()),
            },
            "status" => {
                change.status = Some(
                    value
                        .as_str()
                        .and_then(Status::parse)
                        .ok_or("`status` must be \"paused\" or \"pursuing\"".to_string())?,
                );
            }
            "max_turns" => {
                change.max_turns = Some(match limit(&key, &value)? {
                    None => None,
                    Some(n) => Some(u32::try_from(n).map_err(|_| "`max_turns` is too large")?),
                });
            }
            "max_time_ms" => change.max_time_ms = Some(limit(&key, &value)?),
            "budget_tokens" => change.budget_tokens = Some(limit(&key, &value)?),
            other => {
                return Err(format!(
                    "unknown parameter `{other}` (known: objective, status, max_turns, max_time_ms, budget_tokens)"
                ));
            }
        }
    }
    if change == GoalChange::default() {
        return Err(
            "goal/set needs at least one of objective, status, max_turns, max_time_ms, budget_tokens"
                .into(),
        );
    }
    Ok(change)
}

/// A limit: a positive whole number, or null for none.
fn limit(key: &str, value: &Value) -> Result<Option<u64>, String> {
    match value {
        Value::Null => Ok(None),
        _ => match value.as_u64() {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!(
                "`{key}` must be a whole number above 0, or null for no limit"
            )),
        },
    }
}

/// The `goal/set` params for `change`.
pub fn params_for(change: &GoalChange) -> Value {
    let mut params = serde_json::Map::new();
    if let Some(objective) = &change.objective {
        params.insert("objective".into(), json!(objective));
    }
    if let Some(status) = change.status {
        let status = match status {
            Status::Paused => "paused",
            Status::Pursuing => "pursuing",
        };
        params.insert("status".into(), json!(status));
    }
    if let Some(max) = change.max_turns {
        params.insert("max_turns".into(), json!(max));
    }
    if let Some(max) = change.max_time_ms {
        params.insert("max_time_ms".into(), json!(max));
    }
    if let Some(max) = change.budget_tokens {
        params.insert("budget_tokens".into(), json!(max));
    }
    Value::Object(params)
}

pub fn response(id: &Value, result: Value) -> String {
    json!({ "id": id, "result": result }).to_string()
}

pub fn error(id: &Value, err: &RpcError) -> String {
    json!({ "id": id, "error": err }).to_string()
}

pub fn notification(method: &str, params: Value) -> String {
    json!({ "method": method, "params": params }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(line: &str) -> (Value, RpcError) {
        parse_request(line).unwrap_err()
    }

    #[test]
    fn the_three_methods_parse() {
        let get = parse_request(r#"{"id":1,"method":"goal/get"}"#).unwrap();
        assert_eq!(get.method, Method::Get);
        assert_eq!(get.id, json!(1));
        let clear = parse_request(r#"{"id":"a","method":"goal/clear","params":{}}"#).unwrap();
        assert_eq!(clear.method, Method::Clear);
        let listed = parse_request(r#"{"id":3,"method":"goal/tools_listed"}"#).unwrap();
        assert_eq!(listed.method, Method::ToolsListed);
        let (_, extra) = err(r#"{"id":4,"method":"goal/tools_listed","params":{"x":1}}"#);
        assert_eq!(extra.code, INVALID_PARAMS);
        let set = parse_request(
            r#"{"id":2,"method":"goal/set","params":{"status":"paused","objective":"x","max_turns":5,"budget_tokens":null}}"#,
        )
        .unwrap();
        assert_eq!(
            set.method,
            Method::Set(GoalChange {
                objective: Some("x".into()),
                status: Some(Status::Paused),
                max_turns: Some(Some(5)),
                max_time_ms: None,
                budget_tokens: Some(None),
            })
        );
    }

    #[test]
    fn turn_complete_carries_its_source() {
        let signal = parse_request(
            r#"{"id":1,"method":"goal/turn_complete","params":{"source":"codex-notify","data":{"type":"agent-turn-complete"}}}"#,
        )
        .unwrap();
        assert_eq!(
            signal.method,
            Method::TurnComplete {
                source: "codex-notify".into(),
                data: json!({"type": "agent-turn-complete"}),
            }
        );
        assert_eq!(
            err(r#"{"id":1,"method":"goal/turn_complete","params":{}}"#)
                .1
                .code,
            INVALID_PARAMS
        );
        assert_eq!(
            err(r#"{"id":1,"method":"goal/turn_complete","params":{"source":"x","turn":2}}"#)
                .1
                .message,
            "unknown parameter `turn` (known: source, data)"
        );
    }

    #[test]
    fn params_round_trip() {
        let change = GoalChange {
            status: Some(Status::Pursuing),
            max_time_ms: Some(Some(60_000)),
            budget_tokens: Some(None),
            ..GoalChange::default()
        };
        let line = json!({"id": 1, "method": "goal/set", "params": params_for(&change)});
        assert_eq!(
            parse_request(&line.to_string()).unwrap().method,
            Method::Set(change)
        );
    }

    #[test]
    fn malformed_requests_get_errors_that_say_what_is_wrong() {
        assert_eq!(err("not json").1.code, PARSE_ERROR);
        assert_eq!(err("[1]").1.code, INVALID_REQUEST);
        let (id, e) = err(r#"{"method":"goal/get"}"#);
        assert_eq!((id, e.code), (Value::Null, INVALID_REQUEST));
        let (id, e) = err(r#"{"id":7,"method":"goal/delete"}"#);
        assert_eq!(id, json!(7));
        assert_eq!(
            e.message,
            "unknown method `goal/delete` (known: goal/get, goal/set, goal/clear, goal/turn_complete, goal/tools_listed)"
        );
        assert_eq!(
            err(r#"{"id":1,"method":"goal/set","params":{"status":"done"}}"#).1,
            RpcError::new(
                INVALID_PARAMS,
                "`status` must be \"paused\" or \"pursuing\""
            )
        );
        assert_eq!(
            err(r#"{"id":1,"method":"goal/set","params":{"max_turns":-1}}"#)
                .1
                .message,
            "`max_turns` must be a whole number above 0, or null for no limit"
        );
        assert_eq!(
            err(r#"{"id":1,"method":"goal/set","params":{}}"#).1.code,
            INVALID_PARAMS
        );
        assert_eq!(
            err(r#"{"id":1,"method":"goal/set","params":{"colour":1}}"#)
                .1
                .code,
            INVALID_PARAMS
        );
        assert_eq!(
            err(r#"{"id":1,"method":"goal/get","params":{"x":1}}"#)
                .1
                .code,
            INVALID_PARAMS
        );
    }

    #[test]
    fn messages_are_one_json_object_per_line() {
        let line = error(&json!(3), &RpcError::new(REFUSED, "no"));
        assert_eq!(line, r#"{"error":{"code":1,"message":"no"},"id":3}"#);
        assert!(!notification("event", json!({"a": "b\nc"})).contains('\n'));
    }
}
