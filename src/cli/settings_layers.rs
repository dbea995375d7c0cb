//! The layers of `cli::settings` (which re-exports [`KEYS`] and [`Partial`]):
//! each setting's key, variable and flag, what one layer sets, and how a
//! settings file's values (each checked, a bad one an error at its line and
//! column) and the `GOALIE_*` variables' are read.

use std::path::Path;
use std::time::Duration;

use crate::config_file::{ConfigError, ConfigFile, Figure};
use crate::core::config::DialogPolicy;
use crate::error::Error;
use crate::goal::source_location::Located;

use super::args::{parse_dialog, parse_duration, parse_percent, parse_timeout, parse_tokens};

/// Each setting: its key in the files, its variable, its flag.
pub const KEYS: &[(&str, &str, &str)] = &[
    ("agent", "GOALIE_AGENT", "--agent"),
    ("max_turns", "GOALIE_MAX_TURNS", "--max-turns"),
    ("max_time", "GOALIE_MAX_TIME", "--max-time"),
    ("budget_tokens", "GOALIE_BUDGET_TOKENS", "--budget-tokens"),
    ("user_quiet", "GOALIE_USER_QUIET", "--user-quiet"),
    ("wrap_up_grace", "GOALIE_WRAP_UP_GRACE", "--wrap-up-grace"),
    ("rotate_at", "GOALIE_ROTATE_AT", "--rotate-at"),
    ("dialogs", "GOALIE_DIALOGS", "--dialog"),
    ("status_line", "GOALIE_STATUS_LINE", "--status-line"),
    ("record", "GOALIE_RECORD", "--no-record"),
    ("record_cap_mb", "GOALIE_RECORD_CAP_MB", ""),
    ("stall_turns", "GOALIE_STALL_TURNS", "--stall-turns"),
    ("turn_timeout", "GOALIE_TURN_TIMEOUT", "--turn-timeout"),
    ("max_wait", "GOALIE_MAX_WAIT", "--max-wait"),
    ("max_quota", "GOALIE_MAX_QUOTA", "--max-quota"),
    ("on_event", "GOALIE_ON_EVENT", "--on-event"),
];

/// What one layer sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partial {
    pub agent: Option<String>,
    pub max_turns: Option<u32>,
    pub max_time: Option<Duration>,
    pub budget_tokens: Option<u64>,
    pub user_quiet: Option<Duration>,
    pub wrap_up_grace: Option<Duration>,
    pub rotate_at: Option<u8>,
    pub dialogs: Vec<(String, DialogPolicy)>,
    pub status_line: Option<bool>,
    pub record: Option<bool>,
    pub record_cap_mb: Option<u64>,
    pub on_event: Option<String>,
    pub stall_turns: Option<u32>,
    /// Zero: no timeout.
    pub turn_timeout: Option<Duration>,
    pub max_wait: Option<Duration>,
    pub max_quota: Option<u8>,
}

/// A key's (key, variable, flag) in [`KEYS`]; empty when it has none.
pub(super) fn lookup(key: &str) -> (&'static str, &'static str, &'static str) {
    KEYS.iter()
        .copied()
        .find(|(name, _, _)| *name == key)
        .unwrap_or(("", "", ""))
}

/// The line (from 1) `key` is on in `text`: a top-level key, or a dialog's
/// name under `dialogs:` (`dialogs.NAME`); 1 if not found.
pub(super) fn line_of(text: &str, key: &str) -> usize {
    let (indented, name) = match key.strip_prefix("dialogs.") {
        Some(name) => (true, name),
        None => (false, key),
    };
    text.lines()
        .position(|line| {
            let trimmed = line.trim_start();
            let at_top = trimmed.len() == line.len();
            at_top != indented
                && trimmed
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map_or(1, |index| index + 1)
}

/// A settings file's values, each checked; a bad one is an error at its line.
pub(super) fn file_layer(path: &Path, text: &str, file: ConfigFile) -> Result<Partial, Error> {
    let bad = |key: &str, message: String| -> Error {
        let line = line_of(text, key);
        let column = text
            .lines()
            .nth(line - 1)
            .and_then(|row| row.find(':'))
            .map_or(1, |at| at + 3);
        ConfigError::Invalid(Located {
            path: path.to_path_buf(),
            line,
            column,
            message: format!("{key}: {message}"),
        })
        .into()
    };
    fn parse<T>(
        bad: &dyn Fn(&str, String) -> Error,
        key: &str,
        value: Option<String>,
        how: fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, Error> {
        value
            .map(|text| how(&text).map_err(|err| bad(key, err)))
            .transpose()
    }
    let mut dialogs = Vec::new();
    for (name, policy) in file.dialogs.unwrap_or_default() {
        let (name, policy) = parse_dialog(&format!("{name}={policy}"))
            .map_err(|err| bad(&format!("dialogs.{name}"), err))?;
        dialogs.push((name, policy));
    }
    Ok(Partial {
        agent: file.agent,
        max_turns: match file.max_turns {
            Some(0) => return Err(bad("max_turns", "must be at least 1".into())),
            turns => turns,
        },
        max_time: parse(&bad, "max_time", file.max_time, parse_duration)?,
        budget_tokens: parse(
            &bad,
            "budget_tokens",
            file.budget_tokens.as_ref().map(Figure::to_string),
            parse_tokens,
        )?,
        user_quiet: parse(&bad, "user_quiet", file.user_quiet, parse_duration)?,
        wrap_up_grace: parse(&bad, "wrap_up_grace", file.wrap_up_grace, parse_duration)?,
        rotate_at: parse(
            &bad,
            "rotate_at",
            file.rotate_at.as_ref().map(Figure::to_string),
            parse_percent,
        )?,
        dialogs,
        status_line: file.status_line,
        record: file.record,
        record_cap_mb: file.record_cap_mb,
        on_event: file.on_event,
        stall_turns: file.stall_turns,
        turn_timeout: parse(
            &bad,
            "turn_timeout",
            file.turn_timeout.as_ref().map(Figure::to_string),
            parse_timeout,
        )?,
        max_wait: parse(&bad, "max_wait", file.max_wait, parse_duration)?,
        max_quota: parse(
            &bad,
            "max_quota",
            file.max_quota.as_ref().map(Figure::to_string),
            parse_percent,
        )?,
    })
}

/// The `GOALIE_*` variables' values, each checked.
pub(super) fn env_layer(env: &dyn Fn(&str) -> Option<String>) -> Result<Partial, Error> {
    fn get<T>(
        env: &dyn Fn(&str) -> Option<String>,
        key: &str,
        how: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, Error> {
        let name = lookup(key).1;
        env(name)
            .filter(|value| !value.is_empty())
            .map(|value| {
                how(value.trim()).map_err(|err| Error::Usage(format!("{name}={value}: {err}")))
            })
            .transpose()
    }
    let text = |value: &str| Ok::<_, String>(value.to_string());
    let number = |value: &str| {
        value
            .parse::<u64>()
            .map_err(|_| "expected a whole number".to_string())
    };
    let turns = |value: &str| match value.parse::<u32>() {
        Ok(0) | Err(_) => Err("expected a whole number of at least 1".to_string()),
        Ok(n) => Ok(n),
    };
    let dialogs = |value: &str| {
        value
            .split(',')
            .filter(|part| !part.trim().is_empty())
            .map(parse_dialog)
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(Partial {
        agent: get(env, "agent", text)?,
        max_turns: get(env, "max_turns", turns)?,
        max_time: get(env, "max_time", parse_duration)?,
        budget_tokens: get(env, "budget_tokens", parse_tokens)?,
        user_quiet: get(env, "user_quiet", parse_duration)?,
        wrap_up_grace: get(env, "wrap_up_grace", parse_duration)?,
        rotate_at: get(env, "rotate_at", parse_percent)?,
        dialogs: get(env, "dialogs", dialogs)?.unwrap_or_default(),
        status_line: get(env, "status_line", parse_bool)?,
        record: get(env, "record", parse_bool)?,
        record_cap_mb: get(env, "record_cap_mb", number)?,
        on_event: get(env, "on_event", text)?,
        stall_turns: get(env, "stall_turns", |value| {
            value
                .parse::<u32>()
                .map_err(|_| "expected a whole number (0: off)".to_string())
        })?,
        turn_timeout: get(env, "turn_timeout", parse_timeout)?,
        max_wait: get(env, "max_wait", parse_duration)?,
        max_quota: get(env, "max_quota", parse_percent)?,
    })
}

pub(super) fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}
