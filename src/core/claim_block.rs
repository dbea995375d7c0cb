//! The text channel for claims: a claim block in the agent's reply, for agents
//! without MCP (and as a second channel for those with it).
//!
//! # Format
//!
//! ```text
//! GOALIE-CLAIM <nonce> complete
//! R1: tests/parse.rs::empty_input passes (cargo test output: 14 passed)
//! R2: src/parse.rs accepts a trailing comma; test trailing_comma
//! GOALIE-END <nonce>
//! ```
//!
//! or, when the agent cannot go on, `blocked` in place of `complete` and lines
//! saying what blocks it; or, to have goalie wait without a turn, `waiting`
//! and the wait's lines (`for: 20m`, `until: TIME`, or `command: CMD` with
//! `every: 1m` and `timeout: 2h`; see [`crate::goal::wait`]). Checklist lines are `ID: evidence` (or a bullet
//! `- requirement: evidence`); lines that follow a checklist line without
//! starting a new one continue it (a TUI wraps long lines). The agent's own
//! decoration around a line (bullets, indentation, Markdown emphasis) is allowed.
//!
//! # What counts (the anti-forgery rules)
//!
//! A block counts only when it is the agent's own output of the current turn:
//!
//! 1. **The nonce is this turn's.** Each prompt carries the nonce of the turn it
//!    starts ([`crate::goal::claim::turn_nonce`]); a block with no nonce, another
//!    goal's, or an earlier turn's does not count. So a claim block the agent
//!    wrote into a file (or a log, a commit message) in an earlier turn is stale
//!    when it is displayed later.
//! 2. **The marker lines stand alone.** The opening line holds exactly the
//!    marker, the nonce and the status; the closing line the end marker and the
//!    nonce. A sentence quoting the format is not a block.
//! 3. **goalie never typed it.** The prompts describe the block in words and
//!    never contain one; as a second guard, an opening line that appears in any
//!    text goalie typed never counts, however the agent echoes it.
//! 4. **It is not tool output.** Agents show command and file output under a
//!    decoration (Codex `└`, Claude Code `⎿`), declared per adapter as
//!    `screen.tool_output`. A tool-output region starts at such a row and lasts
//!    until the next row that starts in the first column (the agent's next
//!    entry: `•`, `⏺`, `›`). A block that starts, ends or runs through a
//!    tool-output region does not count. With rule 1 this covers a file the
//!    agent displays in the same turn it wrote it.
//! 5. **It is whole.** Both marker lines and everything between must be read in
//!    one transcript: the rows on screen now plus the rows that scrolled off the
//!    top since the turn began (kept in order). A block split across redraws
//!    counts once all of it has been drawn; a part that was drawn and then
//!    overwritten (not scrolled) is gone, so it never joins a later part.
//!
//! What screen reading cannot tell apart: a model that copies a current-turn
//! block from a file into its own reply has written a claim itself; the audit,
//! not the channel, decides whether the claim is true.

use regex::{Regex, RegexSet};
use std::sync::LazyLock;

use crate::goal::claim::{ChecklistItem, Claim};
use crate::goal::wait::WaitFor;

/// The word that opens a claim block.
pub const OPEN: &str = "GOALIE-CLAIM";
/// The word that closes it.
pub const CLOSE: &str = "GOALIE-END";

/// A block longer than this many rows is not a claim.
const MAX_BLOCK_ROWS: usize = 200;
/// Rows kept from what scrolled off this turn.
const MAX_HISTORY: usize = 5000;
/// Of each opening word in text goalie typed, this much of what follows is
/// kept (more than any nonce).
const TYPED_MARK_BYTES: usize = 64;
/// The newest distinct marks kept ([`ClaimReader::typed`]): a nonce belongs
/// to one turn, so only the prompts of the last turns can hold one that
/// comes again (a turn's prompt typed again after a restart).
const MAX_TYPED_MARKS: usize = 64;

/// Finds this turn's claim block in the agent's transcript.
#[derive(Debug, Clone)]
pub struct ClaimReader {
    tool_output: RegexSet,
    nonce: Option<String>,
    /// What followed `GOALIE-CLAIM ` in text goalie typed (its spaces
    /// collapsed), [`TYPED_MARK_BYTES`] of it: the prompts themselves are not
    /// kept, a turn's prompt is a few KB and a night has a thousand turns.
    typed: std::collections::VecDeque<String>,
    history: Vec<String>,
    /// Why this turn's last block, a `waiting` one, was not a wait.
    bad_wait: Option<String>,
}

impl ClaimReader {
    /// `tool_output`: the adapter's patterns for rows that start tool output.
    pub fn new(tool_output: RegexSet) -> ClaimReader {
        ClaimReader {
            tool_output,
            nonce: None,
            typed: std::collections::VecDeque::new(),
            history: Vec::new(),
            bad_wait: None,
        }
    }

    /// A new turn begins with this nonce; what scrolled off before is forgotten.
    pub fn new_turn(&mut self, nonce: &str) {
        self.nonce = Some(nonce.to_string());
        self.history.clear();
        self.bad_wait = None;
    }

    /// Why this turn's last block asked for a wait goalie cannot do (an
    /// unknown key, a bad duration, no command…), as of the last read. Such
    /// a block is no claim, and it cancels any block before it.
    pub fn bad_wait(&self) -> Option<&str> {
        self.bad_wait.as_deref()
    }

    /// Remembers text goalie typed; an opening line found in it never counts.
    pub fn typed(&mut self, text: &str) {
        let text = collapse_spaces(text);
        let opening = format!("{OPEN} ");
        for (at, _) in text.match_indices(&opening) {
            let rest = &text[at + opening.len()..];
            let mut end = rest.len().min(TYPED_MARK_BYTES);
            while !rest.is_char_boundary(end) {
                end -= 1;
            }
            let mark = &rest[..end];
            if self.typed.iter().any(|kept| kept == mark) {
                continue;
            }
            if self.typed.len() >= MAX_TYPED_MARKS {
                self.typed.pop_front();
            }
            self.typed.push_back(mark.to_string());
        }
    }

    /// Whether goalie typed the opening words with `nonce`.
    fn typed_opening(&self, nonce: &str) -> bool {
        self.typed.iter().any(|mark| mark.starts_with(nonce))
    }

    /// Reads the transcript (rows scrolled off since the last look, then the
    /// screen) and returns the last valid block of this turn, if any.
    pub fn read(&mut self, rows: &[String], scrolled: &[String]) -> Option<Claim> {
        if self.nonce.is_some() {
            self.history.extend(scrolled.iter().cloned());
            if self.history.len() > MAX_HISTORY {
                let excess = self.history.len() - MAX_HISTORY;
                self.history.drain(..excess);
            }
        }
        let nonce = self.nonce.as_deref()?;
        let mentions = |row: &String| row.contains(OPEN);
        if !rows.iter().any(mentions) && !self.history.iter().any(mentions) {
            self.bad_wait = None;
            return None;
        }
        let last = self.parse(nonce, self.history.iter().chain(rows.iter()));
        let (claim, bad_wait) = match last {
            Some(Ok(claim)) => (Some(claim), None),
            Some(Err(why)) => (None, Some(why)),
            None => (None, None),
        };
        self.bad_wait = bad_wait;
        claim
    }

    /// The last whole block: its claim, or why its wait is refused.
    fn parse<'a>(
        &self,
        nonce: &str,
        rows: impl Iterator<Item = &'a String>,
    ) -> Option<Result<Claim, String>> {
        let open_complete = format!("{OPEN} {nonce} complete");
        let open_blocked = format!("{OPEN} {nonce} blocked");
        let open_waiting = format!("{OPEN} {nonce} waiting");
        let close = format!("{CLOSE} {nonce}");
        let mut in_tool_output = false;
        let mut building: Option<(Status, Vec<&str>)> = None;
        let mut last = None;
        for row in rows {
            if self.tool_output.is_match(row) {
                in_tool_output = true;
            } else if row.starts_with(|c: char| !c.is_whitespace()) {
                in_tool_output = false;
            }
            let core = collapse_spaces(strip_decoration(row));
            let opening = if core == open_complete {
                Some(Status::Complete)
            } else if core == open_blocked {
                Some(Status::Blocked)
            } else if core == open_waiting {
                Some(Status::Waiting)
            } else {
                None
            };
            if let Some(complete) = opening {
                let echoed = self.typed_opening(nonce);
                building = (!in_tool_output && !echoed).then(|| (complete, Vec::new()));
                continue;
            }
            let Some((complete, lines)) = &mut building else {
                continue;
            };
            if core == close {
                if !in_tool_output {
                    last = Some(finish(*complete, lines));
                }
                building = None;
            } else if in_tool_output || core.contains(OPEN) || lines.len() >= MAX_BLOCK_ROWS {
                building = None;
            } else {
                lines.push(row.as_str());
            }
        }
        last
    }
}

static ITEM_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(R\d+)\s*[:.)\]-]\s*(.*)$").expect("checklist-id pattern is valid")
});

/// What a block's opening line claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Complete,
    Blocked,
    Waiting,
}

/// The claim of a whole block, or why a wait's block does not parse.
fn finish(status: Status, lines: &[&str]) -> Result<Claim, String> {
    if status == Status::Waiting {
        let lines: Vec<&str> = lines.iter().map(|line| strip_bullet(line)).collect();
        return WaitFor::from_lines(lines).map(|wait| Claim::Waiting { wait });
    }
    Ok(finish_claim(status == Status::Complete, lines))
}

fn finish_claim(complete: bool, lines: &[&str]) -> Claim {
    if !complete {
        let reason = lines
            .iter()
            .map(|line| strip_bullet(line))
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let reason = reason
            .strip_prefix("reason:")
            .or_else(|| reason.strip_prefix("Reason:"))
            .unwrap_or(&reason)
            .trim()
            .to_string();
        return Claim::Blocked { reason };
    }
    let mut checklist: Vec<ChecklistItem> = Vec::new();
    for line in lines {
        let bulleted = is_bulleted(line);
        let text = strip_bullet(line);
        if text.is_empty() {
            continue;
        }
        if let Some(caps) = ITEM_ID.captures(text) {
            checklist.push(ChecklistItem {
                requirement: caps[1].to_string(),
                evidence: caps[2].trim().to_string(),
            });
        } else if bulleted && let Some((requirement, evidence)) = text.split_once(':') {
            checklist.push(ChecklistItem {
                requirement: requirement.trim().to_string(),
                evidence: evidence.trim().to_string(),
            });
        } else if let Some(item) = checklist.last_mut() {
            // A wrapped line continues the item before it.
            if !item.evidence.is_empty() {
                item.evidence.push(' ');
            }
            item.evidence.push_str(text);
        }
    }
    Claim::Complete { checklist }
}

fn is_bulleted(line: &str) -> bool {
    let trimmed = line.trim_start();
    ["- ", "* ", "• "].iter().any(|b| trimmed.starts_with(b))
}

fn strip_bullet(line: &str) -> &str {
    let trimmed = line.trim();
    let trimmed = ["- ", "* ", "• ", "⏺ "]
        .iter()
        .find_map(|b| trimmed.strip_prefix(b))
        .unwrap_or(trimmed);
    trimmed.trim_matches('*').trim()
}

/// The line without the agent's decoration: bullets, indentation, Markdown
/// emphasis and backticks around it.
fn strip_decoration(line: &str) -> &str {
    let is_decoration =
        |c: char| c.is_whitespace() || !(c.is_alphanumeric() || c == '-' || c == ':');
    line.trim_matches(is_decoration)
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
