//! `goalie hook turn-complete`: what an agent's own turn-complete hook runs
//! (Codex `notify`, Claude Code's `Stop` hook, registered by the adapter's
//! `hook_args` for the run only). It relays the signal to the goal's running
//! supervisor through its control socket (`goal/turn_complete`), where it ends
//! the turn like the session log's turn end. It never disturbs the agent: it
//! prints nothing on stdout, and exits 0 whatever happens (a problem goes to
//! stderr).

use std::io::{IsTerminal, Read};
use std::path::Path;

use serde_json::{Value, json};

use crate::cli::goal_selector;
use crate::error::Error;
use crate::ledger::Ledger;

/// The most of the agent's JSON read from stdin.
const MAX_INPUT: u64 = 1024 * 1024;
/// Longer strings in the agent's JSON are cut to this many characters.
const MAX_STRING: usize = 200;
/// Paths and ids (which name the agent's session log) are kept whole up to this.
const MAX_PATH: usize = 4096;

/// Relays one turn-complete signal. `payload` is the agent's JSON when it
/// passes it as an argument (Codex); otherwise stdin is read (Claude Code),
/// unless it is a terminal.
pub fn turn_complete(
    db: &Path,
    goal: &str,
    source: &str,
    payload: Option<String>,
) -> Result<i32, Error> {
    let payload = payload.or_else(|| {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            return None;
        }
        let mut text = String::new();
        stdin
            .lock()
            .take(MAX_INPUT)
            .read_to_string(&mut text)
            .ok()?;
        Some(text)
    });
    let data = payload.as_deref().map_or(Value::Null, brief);
    if let Err(err) = relay(db, goal, source, data) {
        eprintln!("goalie hook: {err}");
    }
    Ok(0)
}

fn relay(db: &Path, goal: &str, source: &str, data: Value) -> Result<(), Error> {
    // Read-only: the hook writes nothing (the supervisor does), and runs once
    // a turn, so it does not check the whole file as a writer does.
    let goal = Ledger::open_read_only(db)?.goal(goal)?;
    let Some(mut client) = goal_selector::connect(&goal)? else {
        // No supervisor runs for the goal: nobody to tell.
        return Ok(());
    };
    client
        .call(
            "goal/turn_complete",
            json!({ "source": source, "data": data }),
        )?
        .map_err(|err| Error::Usage(format!("the supervisor refused the signal: {err}")))?;
    Ok(())
}

/// The agent's JSON, shortened for the ledger: its top-level strings, numbers
/// and booleans (long strings cut, but for paths and ids: the supervisor
/// follows the session log they name), not its lists or nested objects (Codex
/// sends the turn's messages). Text that is not JSON is kept as a short string.
pub fn brief(text: &str) -> Value {
    let cut_at = |s: &str, max: usize| -> Value {
        if s.chars().count() > max {
            Value::String(s.chars().take(max).collect::<String>() + "…")
        } else {
            Value::String(s.to_string())
        }
    };
    let cut = |s: &str| cut_at(s, MAX_STRING);
    let whole = |key: &str| key.ends_with("path") || key.ends_with("id") || key == "cwd";
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(Value::Object(fields)) => Value::Object(
            fields
                .into_iter()
                .filter_map(|(key, value)| match value {
                    Value::String(s) if whole(&key) => {
                        let value = cut_at(&s, MAX_PATH);
                        Some((key, value))
                    }
                    Value::String(s) => Some((key, cut(&s))),
                    Value::Number(_) | Value::Bool(_) | Value::Null => Some((key, value)),
                    _ => None,
                })
                .collect(),
        ),
        Ok(other) => cut(&other.to_string()),
        Err(_) => cut(text.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agents_json_is_kept_short() {
        let long = "x".repeat(500);
        let codex = json!({
            "type": "agent-turn-complete",
            "turn-id": "12",
            "input-messages": ["a", "b"],
            "last-assistant-message": long,
        });
        let data = brief(&codex.to_string());
        assert_eq!(data["type"], "agent-turn-complete");
        assert_eq!(data["turn-id"], "12");
        assert!(data.get("input-messages").is_none());
        assert_eq!(
            data["last-assistant-message"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            MAX_STRING + 1
        );
        // The transcript's path is kept whole, however deep its folder.
        let path = format!("/{}/s.jsonl", "d".repeat(300));
        let claude = json!({ "session_id": "e98f3d61", "transcript_path": path });
        assert_eq!(brief(&claude.to_string())["transcript_path"], json!(path));
        assert_eq!(brief("not json"), json!("not json"));
        assert_eq!(brief(""), json!(""));
    }
}
