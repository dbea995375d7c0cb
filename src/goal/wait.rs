//! What the agent may ask goalie to wait for, without a turn and without
//! spending tokens: a span (`for: 20m`), a clock time (`until: RFC 3339`), or a
//! shell command that exits 0 once the wait is over (`command`, checked
//! `every` so often, given up after `timeout`).
//!
//! The agent asks through either claim channel: MCP `update_goal` with
//! `status: "waiting"` and `wait: {…}`, or a claim block whose status is
//! `waiting` and whose lines are `for: 20m`, `until: …`, `command: …`,
//! `every: 1m`, `timeout: 2h`. Both are read here, the same way.
//!
//! Pure: the clock time is parsed, never compared with a clock.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How often a wait's command runs, unless `every` says.
pub const DEFAULT_EVERY_MS: u64 = 60_000;
/// A command is never run more often than this.
pub const MIN_EVERY_MS: u64 = 1_000;

/// The longest wait, unless `--max-wait` says: 2 hours.
pub const DEFAULT_MAX_WAIT_MS: u64 = 2 * 3600 * 1000;

/// How long goalie waits when the agent asks it to, and the plan's quota
/// threshold. In the ledger (`goal_created`), so `goalie resume` keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitOptions {
    pub max_wait_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_quota_pct: Option<u8>,
}

impl Default for WaitOptions {
    fn default() -> WaitOptions {
        WaitOptions {
            max_wait_ms: DEFAULT_MAX_WAIT_MS,
            max_quota_pct: None,
        }
    }
}

/// What to wait for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WaitFor {
    /// `for: 20m`: this long.
    Span { ms: u64 },
    /// `until: 2026-12-02T03:00:00Z`: that moment (Unix milliseconds), as written.
    Until { unix_ms: i64, shown: String },
    /// `command: …`: until it exits 0, run every `every_ms` in the workspace,
    /// given up after `timeout_ms` (when given; else at the longest wait).
    Command {
        run: String,
        every_ms: u64,
        timeout_ms: Option<u64>,
    },
}

impl WaitFor {
    /// In words, for prompts, status and the ledger's readers.
    pub fn describe(&self) -> String {
        match self {
            WaitFor::Span { ms } => format!("for {}", crate::goal::units::format_duration(*ms)),
            WaitFor::Until { shown, .. } => format!("until {shown}"),
            WaitFor::Command { run, every_ms, .. } => format!(
                "until `{run}` exits 0 (checked every {})",
                crate::goal::units::format_duration(*every_ms)
            ),
        }
    }

    /// `update_goal`'s `wait` object: `{for}`, `{until}` or `{command, every?, timeout?}`.
    pub fn from_json(value: &Value) -> Result<WaitFor, String> {
        let Some(object) = value.as_object() else {
            return Err(
                "`wait` must be an object: {\"for\": \"20m\"}, {\"until\": \"2026-12-02T03:00:00Z\"} \
                 or {\"command\": \"…\", \"every\": \"1m\", \"timeout\": \"2h\"}"
                    .into(),
            );
        };
        let mut fields = Vec::new();
        for (key, value) in object {
            let Some(text) = value.as_str() else {
                return Err(format!("`wait.{key}` must be a text"));
            };
            fields.push((key.as_str(), text));
        }
        WaitFor::from_fields(&fields)
    }

    /// A claim block's `key: value` lines.
    pub fn from_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<WaitFor, String> {
        let mut fields = Vec::new();
        for line in lines {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                return Err(format!("`{line}` is not `key: value`"));
            };
            fields.push((key.trim(), value.trim()));
        }
        WaitFor::from_fields(&fields)
    }

    fn from_fields(fields: &[(&str, &str)]) -> Result<WaitFor, String> {
        const KEYS: [&str; 5] = ["for", "until", "command", "every", "timeout"];
        if let Some((extra, _)) = fields.iter().find(|(key, _)| !KEYS.contains(key)) {
            return Err(format!(
                "a wait takes for, until, or command (with every and timeout); not `{extra}`"
            ));
        }
        let get = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, v)| v.trim())
        };
        let duration = |name: &str| -> Result<Option<u64>, String> {
            match get(name) {
                None => Ok(None),
                Some(text) => parse_ms(text).map(Some).ok_or_else(|| {
                    format!("`{name}: {text}` is not a duration (try 90s, 20m or 2h)")
                }),
            }
        };
        let given: Vec<&str> = ["for", "until", "command"]
            .into_iter()
            .filter(|key| get(key).is_some())
            .collect();
        match given.as_slice() {
            ["for"] if get("every").is_none() && get("timeout").is_none() => Ok(WaitFor::Span {
                ms: duration("for")?.unwrap_or_default(),
            }),
            ["until"] if get("every").is_none() && get("timeout").is_none() => {
                let shown = get("until").unwrap_or_default().to_string();
                let at: jiff::Timestamp = shown.parse().map_err(|_| {
                    format!("`until: {shown}` is not an RFC 3339 time (e.g. 2026-12-02T03:00:00Z)")
                })?;
                Ok(WaitFor::Until {
                    unix_ms: at.as_millisecond(),
                    shown,
                })
            }
            ["command"] => {
                let run = get("command").unwrap_or_default().to_string();
                if run.is_empty() {
                    return Err(
                        "`command` is empty: give the command that exits 0 once the wait is over"
                            .into(),
                    );
                }
                Ok(WaitFor::Command {
                    run,
                    every_ms: duration("every")?
                        .unwrap_or(DEFAULT_EVERY_MS)
                        .max(MIN_EVERY_MS),
                    timeout_ms: duration("timeout")?,
                })
            }
            [] => Err("a wait needs one of for, until or command".into()),
            [_] => Err("`every` and `timeout` go with `command`".into()),
            _ => Err(format!(
                "a wait takes one of for, until or command, not {}",
                given.join(" and ")
            )),
        }
    }
}

/// `20m`, `90s`, `1h30m` in milliseconds; none when zero or not a duration.
fn parse_ms(text: &str) -> Option<u64> {
    let duration = humantime::parse_duration(text.trim()).ok()?;
    let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    (ms > 0).then_some(ms)
}

/// What ended a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitEnd {
    /// The span passed, or the clock time came.
    Elapsed,
    /// The command exited 0.
    ConditionMet,
    /// The command's timeout, or the longest wait (`--max-wait`), passed first.
    TimedOut,
    /// The goal's time limit came.
    TimeLimit,
    /// The user resumed the goal (`goalie resume`).
    UserResumed,
    /// The plan's quota window reset.
    QuotaReset,
}

impl WaitEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitEnd::Elapsed => "elapsed",
            WaitEnd::ConditionMet => "condition_met",
            WaitEnd::TimedOut => "timed_out",
            WaitEnd::TimeLimit => "time_limit",
            WaitEnd::UserResumed => "user_resumed",
            WaitEnd::QuotaReset => "quota_reset",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_kind_of_wait_parses_from_json_and_from_lines() {
        assert_eq!(
            WaitFor::from_json(&json!({"for": "20m"})),
            Ok(WaitFor::Span { ms: 20 * 60_000 })
        );
        let until = WaitFor::from_json(&json!({"until": "2026-12-02T03:00:00Z"})).unwrap();
        assert_eq!(
            until,
            WaitFor::Until {
                unix_ms: 1_796_180_400_000,
                shown: "2026-12-02T03:00:00Z".into()
            }
        );
        let command = WaitFor::from_lines([
            "command: gh run view 123 --exit-status",
            "every: 1m",
            "timeout: 2h",
        ])
        .unwrap();
        assert_eq!(
            command,
            WaitFor::Command {
                run: "gh run view 123 --exit-status".into(),
                every_ms: 60_000,
                timeout_ms: Some(2 * 3_600_000),
            }
        );
        assert_eq!(
            command.describe(),
            "until `gh run view 123 --exit-status` exits 0 (checked every 1m 0s)"
        );
        // A command alone is checked every minute, and never more than once a second.
        assert_eq!(
            WaitFor::from_json(&json!({"command": "test -f x", "every": "10ms"})),
            Ok(WaitFor::Command {
                run: "test -f x".into(),
                every_ms: MIN_EVERY_MS,
                timeout_ms: None
            })
        );
    }

    #[test]
    fn a_wait_of_another_shape_is_refused_with_a_reason() {
        for (wait, expected) in [
            (json!("20m"), "`wait` must be an object"),
            (json!({}), "needs one of for, until or command"),
            (
                json!({"for": "20m", "until": "2026-12-02T03:00:00Z"}),
                "not for and until",
            ),
            (json!({"for": "soon"}), "`for: soon` is not a duration"),
            (json!({"for": "0s"}), "`for: 0s` is not a duration"),
            (json!({"until": "tomorrow"}), "not an RFC 3339 time"),
            (json!({"for": "1m", "every": "1m"}), "go with `command`"),
            (json!({"command": " "}), "`command` is empty"),
            (json!({"command": "x", "max_turns": "9"}), "not `max_turns`"),
            (json!({"for": 20}), "`wait.for` must be a text"),
        ] {
            let err = WaitFor::from_json(&wait).unwrap_err();
            assert!(err.contains(expected), "{wait}: {err}");
        }
        assert!(WaitFor::from_lines(["just wait"]).is_err());
    }
}
