//! The export format's lines, and reading a file of them (see `export.rs`
//! and docs/export.md).

use std::io::BufRead;

use serde::{Deserialize, Serialize};

use crate::goal::lifecycle::GoalState;

/// The `format` of the header line.
pub const FORMAT: &str = "goalie-export";
/// The version of the format this goalie writes and reads.
pub const VERSION: u32 = 1;

/// One line of an export file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Line {
    /// The first line.
    Header {
        format: String,
        version: u32,
        /// When the file was written (UTC).
        exported_at: String,
        /// The host it was written on.
        host: String,
        /// The goalie that wrote it.
        goalie: String,
    },
    Goal(Box<GoalLine>),
    Row(RowLine),
    /// The last line.
    End {
        goals: u64,
        rows: u64,
    },
}

/// A goal as stored, less what only means something on the machine that
/// runs it (its supervisor's and agent's pids, its control socket) and its
/// secret claim code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalLine {
    pub id: String,
    pub objective: String,
    pub agent: String,
    pub workdir: String,
    pub state: GoalState,
    pub max_turns: Option<u32>,
    pub max_time_ms: Option<u64>,
    pub budget_tokens: Option<u64>,
    pub turns: u32,
    pub tokens_used: u64,
    pub time_used_ms: u64,
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub end_reason: Option<String>,
    /// The goal spec it was started from (JSON), if any.
    pub spec: Option<serde_json::Value>,
    /// The host its supervisor runs or last ran on (the exporting host when
    /// the ledger does not say).
    pub host: String,
    /// When that supervisor last renewed its heartbeat.
    pub heartbeat_at: Option<String>,
    /// How many row lines follow this one (all of them the goal's).
    pub rows: u64,
}

/// One ledger row with its original sequence number and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowLine {
    pub goal_id: String,
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub data: serde_json::Value,
}

/// A goal read from an export file, with its rows, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub goal: GoalLine,
    pub rows: Vec<RowLine>,
}

/// Why an export file cannot be read: the file and line that is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {detail}")]
pub struct FormatError {
    pub file: String,
    /// 1-based; the line after the last when the file ends too soon.
    pub line: usize,
    pub detail: String,
}

/// Reads a whole export file (`file` names it in errors): every line is
/// checked before anything is returned, so a file that is garbled or cut
/// short anywhere gives an error and no goal.
pub fn read(file: &str, input: impl BufRead) -> Result<Vec<Exported>, FormatError> {
    let fail = |line: usize, detail: String| FormatError {
        file: file.to_string(),
        line,
        detail,
    };
    let mut goals: Vec<Exported> = Vec::new();
    let mut header = false;
    let mut end = None;
    let mut count = 0;
    for (index, text) in input.lines().enumerate() {
        let number = index + 1;
        count = number;
        let text = text.map_err(|err| fail(number, format!("cannot read the line: {err}")))?;
        if end.is_some() {
            return Err(fail(number, "a line after the end line".into()));
        }
        if number == 1 {
            check_header(&text).map_err(|detail| fail(number, detail))?;
            header = true;
            continue;
        }
        let line: Line = serde_json::from_str(&text)
            .map_err(|err| fail(number, format!("not a line of a goalie export: {err}")))?;
        match line {
            Line::Header { .. } => return Err(fail(number, "a second header line".into())),
            Line::Goal(goal) => {
                finish_goal(goals.last()).map_err(|detail| fail(number, detail))?;
                if goals.iter().any(|g| g.goal.id == goal.id) {
                    return Err(fail(number, format!("goal {} appears twice", goal.id)));
                }
                goals.push(Exported {
                    goal: *goal,
                    rows: Vec::new(),
                });
            }
            Line::Row(row) => {
                let Some(current) = goals.last_mut() else {
                    return Err(fail(number, "a row line before any goal line".into()));
                };
                if row.goal_id != current.goal.id {
                    return Err(fail(
                        number,
                        format!(
                            "a row of goal {} among the rows of goal {}",
                            row.goal_id, current.goal.id
                        ),
                    ));
                }
                if current.rows.len() as u64 == current.goal.rows {
                    return Err(fail(
                        number,
                        format!(
                            "goal {} has more rows than its line says ({})",
                            current.goal.id, current.goal.rows
                        ),
                    ));
                }
                if let Some(before) = current.rows.last().filter(|before| before.seq >= row.seq) {
                    return Err(fail(
                        number,
                        format!(
                            "row {} comes after row {}: out of order",
                            row.seq, before.seq
                        ),
                    ));
                }
                current.rows.push(row);
            }
            Line::End { goals: g, rows } => {
                finish_goal(goals.last()).map_err(|detail| fail(number, detail))?;
                let held: u64 = goals.iter().map(|g| g.rows.len() as u64).sum();
                if g != goals.len() as u64 || rows != held {
                    return Err(fail(
                        number,
                        format!(
                            "the end line counts {g} goals and {rows} rows, the file holds {} and {held}",
                            goals.len()
                        ),
                    ));
                }
                end = Some(number);
            }
        }
    }
    if !header {
        return Err(fail(1, "an empty file, not a goalie export".into()));
    }
    if end.is_none() {
        return Err(fail(
            count + 1,
            "the file ends before its end line: it was cut short".into(),
        ));
    }
    Ok(goals)
}

fn check_header(text: &str) -> Result<(), String> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|err| format!("not a goalie export (the first line is not JSON: {err})"))?;
    if value["type"] != "header" || value["format"] != FORMAT {
        return Err(format!(
            "not a goalie export (the first line is not a `{FORMAT}` header)"
        ));
    }
    match value["version"].as_u64() {
        Some(version) if version == u64::from(VERSION) => {}
        Some(version) => {
            return Err(format!(
                "an export of version {version}; this goalie reads version {VERSION}"
            ));
        }
        None => return Err("the header has no version".into()),
    }
    serde_json::from_value::<Line>(value)
        .map(|_| ())
        .map_err(|err| format!("a header that is not the format's: {err}"))
}

/// A goal's rows are all there before the next goal (or the end) starts.
fn finish_goal(goal: Option<&Exported>) -> Result<(), String> {
    match goal {
        Some(goal) if goal.rows.len() as u64 != goal.goal.rows => Err(format!(
            "goal {} has {} of its {} rows",
            goal.goal.id,
            goal.rows.len(),
            goal.goal.rows
        )),
        _ => Ok(()),
    }
}
