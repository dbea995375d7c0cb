//! What a goal spec is once checked: its parts and budgets, the
//! requirements the completion checklist must cover, and the findings and
//! errors of a check.

use std::path::PathBuf;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::goal::source_location::Located;

/// A validated goal spec, as stored with the goal (JSON) and used by the audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalSpec {
    pub objective: String,
    pub behavior: Vec<String>,
    pub scope: Vec<String>,
    pub verify: Vec<VerifyCommand>,
    pub evidence: Vec<String>,
    pub stop: Stop,
    pub protect: Vec<String>,
    pub agent: Option<String>,
}

/// A command the audit runs in the workspace; it must exit 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyCommand {
    pub run: String,
    pub timeout_ms: u64,
}

/// The budgets. `None` is unlimited.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    pub tokens: Option<u64>,
    pub time_ms: Option<u64>,
    pub turns: Option<u32>,
    /// In US dollars; enforced through `usd_per_million_tokens` (no agent shows
    /// its cost reliably, but every one shows or logs its tokens).
    pub cost: Option<f64>,
    /// The price that turns `cost` into a token budget.
    #[serde(default)]
    pub usd_per_million_tokens: Option<f64>,
    /// Wait for a plan quota window's reset once its use reaches this
    /// percentage (`quota: 80%`); not a budget of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<u8>,
    /// Turns in a row without progress before goalie says so (and as many
    /// more before it pauses the goal); 0: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_turns: Option<u32>,
}

impl Stop {
    /// The token budget `cost` buys at `usd_per_million_tokens`.
    pub fn cost_tokens(&self) -> Option<u64> {
        let (cost, price) = (self.cost?, self.usd_per_million_tokens?);
        (cost > 0.0 && price > 0.0).then(|| (cost / price * 1_000_000.0).floor() as u64)
    }

    /// The token limit: `tokens`, or what `cost` buys, whichever is lower.
    pub fn token_limit(&self) -> Option<u64> {
        match (self.tokens, self.cost_tokens()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// One thing the completion checklist must cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// `R1`, `R2`, … in the order: numbered items of the objective, behavior, evidence.
    pub id: String,
    pub text: String,
}

/// How long a verify command may run unless the spec says otherwise.
pub const DEFAULT_VERIFY_TIMEOUT_MS: u64 = 10 * 60 * 1000;

/// A lint result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub at: Located,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let word = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let Located {
            path,
            line,
            column,
            message,
        } = &self.at;
        write!(f, "{}:{line}:{column}: {word}: {message}", path.display())
    }
}

/// A spec that could not be used: every error found, each with its place.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{}", .0.iter().map(|f| f.at.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Finding>),
    #[error("cannot read goal spec {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} already exists; goalie init never overwrites a file (give another path)")]
    Exists { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An example of a good spec, shown when a spec is refused for vagueness:
/// every line indented by two spaces (the first too), so it reads as a block
/// and is still a spec `check` accepts as it is.
pub const EXAMPLE: &str = concat!(
    "  objective: |\n",
    "    Make the parser accept the inputs users report as failing:\n",
    "    1. empty input parses to an empty list\n",
    "    2. a trailing comma in a list is accepted\n",
    "  verify:\n",
    "    - cargo test -p parser\n",
    "  evidence:\n",
    "    - the name of the test that covers each numbered item\n",
    "  protect:\n",
    "    - crates/parser/tests/regressions.rs\n",
    "  stop:\n",
    "    turns: 30\n",
    "    time: 2h",
);

/// What `goalie init` writes: every field, commented. It passes `goalie check`.
pub const TEMPLATE: &str = include_str!("goal_template.yaml");

impl GoalSpec {
    /// A spec for a bare objective (`goalie run "…"`): no verify commands, no
    /// protected paths; its requirements are the objective's numbered items.
    pub fn bare(objective: &str) -> GoalSpec {
        GoalSpec {
            objective: objective.trim().to_string(),
            behavior: Vec::new(),
            scope: Vec::new(),
            verify: Vec::new(),
            evidence: Vec::new(),
            stop: Stop::default(),
            protect: Vec::new(),
            agent: None,
        }
    }

    /// What the completion checklist must cover: the numbered items of the
    /// objective, then each `behavior`, then each `evidence` entry.
    pub fn requirements(&self) -> Vec<Requirement> {
        let mut texts = numbered_items(&self.objective);
        texts.extend(self.behavior.iter().cloned());
        texts.extend(self.evidence.iter().cloned());
        texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| Requirement {
                id: format!("R{}", i + 1),
                text,
            })
            .collect()
    }
}

/// Lines of `text` that start with `1.`, `2)` and the like.
pub fn numbered_items(text: &str) -> Vec<String> {
    static ITEM: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"^\s*\d{1,3}[.)]\s+(\S.*)$").expect("numbered-item pattern is valid")
    });
    text.lines()
        .filter_map(|line| ITEM.captures(line))
        .map(|caps| caps[1].trim().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_objective_has_its_numbered_items_as_requirements() {
        let spec = GoalSpec::bare("Do these:\n1. a\n2. b\nthanks");
        assert_eq!(spec.requirements().len(), 2);
        assert!(GoalSpec::bare("just fix it").requirements().is_empty());
    }
}
