//! The goal spec (`--goal goal.yaml`): what "done" means, checked by goalie.
//!
//! Five parts plus budgets: `objective`; `behavior` (what a user will observe);
//! `scope` (paths the agent may change); `verify` (commands that must pass);
//! `evidence` (what the agent must report); `stop` (tokens, time, turns, cost);
//! `protect` (paths that must not change); `agent`.
//!
//! [`check`] lints a spec: problems are [`Finding`]s naming file, line and
//! column, errors refuse the spec, warnings only advise. Parsing is pure (text
//! in, spec out); reading the file is the caller's business.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::goal::source_location::{Located, locate_value};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    objective: String,
    #[serde(default)]
    behavior: OneOrMany,
    #[serde(default)]
    scope: OneOrMany,
    #[serde(default)]
    verify: Vec<VerifyFile>,
    #[serde(default)]
    evidence: OneOrMany,
    #[serde(default)]
    stop: StopFile,
    #[serde(default)]
    protect: OneOrMany,
    #[serde(default)]
    agent: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
        .into_iter()
        .map(|item| item.trim().to_string())
        .filter(|item| !item.is_empty())
        .collect()
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum VerifyFile {
    Command(String),
    Detailed {
        run: String,
        #[serde(default)]
        timeout: Option<String>,
    },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StopFile {
    #[serde(default)]
    tokens: Option<Scalar>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    turns: Option<u32>,
    #[serde(default)]
    cost: Option<f64>,
    #[serde(default)]
    usd_per_million_tokens: Option<f64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Number(u64),
    Text(String),
}

/// An example of a good spec, shown when a spec is refused for vagueness.
pub const EXAMPLE: &str = "\
  objective: |
    Make the parser accept the inputs users report as failing:
    1. empty input parses to an empty list
    2. a trailing comma in a list is accepted
  verify:
    - cargo test -p parser
  evidence:
    - the name of the test that covers each numbered item
  protect:
    - crates/parser/tests/regressions.rs
  stop:
    turns: 30
    time: 2h";

/// What `goalie init` writes: every field, commented. It passes `goalie check`.
pub const TEMPLATE: &str = include_str!("goal_template.yaml");

/// Parses and lints a spec. `Ok` carries the spec and its warnings; `Err` every error.
pub fn check(text: &str, origin: &Path) -> Result<(GoalSpec, Vec<Finding>), SpecError> {
    let file: SpecFile = serde_yaml_ng::from_str(text).map_err(|err| {
        let mut at = Located::from_yaml(origin, &err);
        // serde's message for an untagged enum names our private types; say what is expected.
        for (private, expected) in [
            (
                "data did not match any variant of untagged enum VerifyFile",
                "each entry is a command (text) or `{run: COMMAND, timeout: 5m}`; quote a command \
                 that YAML would read as something else, e.g. 'true'",
            ),
            (
                "data did not match any variant of untagged enum OneOrMany",
                "expected a text or a list of texts",
            ),
            (
                "data did not match any variant of untagged enum Scalar",
                "expected a number such as 200000 or a text such as 200k",
            ),
        ] {
            at.message = at.message.replace(private, expected);
        }
        SpecError::Invalid(vec![Finding {
            severity: Severity::Error,
            at,
        }])
    })?;
    let mut findings = Vec::new();
    let at = |needle: &str, message: String| locate_value(origin, text, needle, message);
    let error = |findings: &mut Vec<Finding>, at: Located| {
        findings.push(Finding {
            severity: Severity::Error,
            at,
        })
    };
    let warn = |findings: &mut Vec<Finding>, at: Located| {
        findings.push(Finding {
            severity: Severity::Warning,
            at,
        })
    };

    let objective = file.objective.trim().to_string();
    if objective.is_empty() {
        error(
            &mut findings,
            at(
                "objective:",
                "`objective` is empty: say what the agent should achieve".into(),
            ),
        );
    } else {
        match vagueness(&objective) {
            Some(Vagueness::Refused(word)) => error(
                &mut findings,
                at(
                    "objective:",
                    format!(
                        "the objective is too vague to check (\"{}\": {word} by what measure?). \
                         Name concrete, checkable outcomes, for example:\n{EXAMPLE}",
                        one_line(&objective)
                    ),
                ),
            ),
            Some(Vagueness::Warned(word)) => warn(
                &mut findings,
                at(
                    "objective:",
                    format!(
                        "the objective says \"{word}\": say what that means in terms a command or a file can show"
                    ),
                ),
            ),
            None => {}
        }
    }

    let mut verify = Vec::new();
    for item in file.verify {
        let (run, timeout) = match item {
            VerifyFile::Command(run) => (run, None),
            VerifyFile::Detailed { run, timeout } => (run, timeout),
        };
        let run = run.trim().to_string();
        if run.is_empty() {
            error(
                &mut findings,
                at("verify:", "a `verify` command is empty".into()),
            );
            continue;
        }
        let timeout_ms = match timeout {
            None => DEFAULT_VERIFY_TIMEOUT_MS,
            Some(text) => match parse_duration_ms(&text) {
                Some(ms) => ms,
                None => {
                    error(
                        &mut findings,
                        at(
                            &text,
                            format!("`timeout: {text}` is not a duration (try 90s, 5m or 1h)"),
                        ),
                    );
                    continue;
                }
            },
        };
        verify.push(VerifyCommand { run, timeout_ms });
    }
    if verify.is_empty() && findings.iter().all(|f| f.severity != Severity::Error) {
        let message = "no `verify` commands: give at least one command that exits 0 only when \
                       the goal is met (e.g. `cargo test`), so that goalie can check a claim itself"
            .to_string();
        let place = if text.contains("verify:") {
            at("verify:", message)
        } else {
            Located {
                path: origin.to_path_buf(),
                line: 1,
                column: 1,
                message,
            }
        };
        error(&mut findings, place);
    }

    let mut stop = Stop {
        turns: file.stop.turns,
        cost: file.stop.cost,
        usd_per_million_tokens: file.stop.usd_per_million_tokens,
        ..Stop::default()
    };
    if stop.turns == Some(0) {
        error(
            &mut findings,
            at("turns:", "`stop.turns` must be at least 1".into()),
        );
    }
    if let Some(tokens) = file.stop.tokens {
        let (value, shown) = match tokens {
            Scalar::Number(n) => (Some(n), n.to_string()),
            Scalar::Text(text) => (crate::goal::units::parse_token_figure(&text), text),
        };
        match value {
            Some(n) if n > 0 => stop.tokens = Some(n),
            _ => error(
                &mut findings,
                at(
                    "tokens:",
                    format!("`stop.tokens: {shown}` is not a token count (try 200k or 1.5M)"),
                ),
            ),
        }
    }
    if let Some(time) = file.stop.time {
        match parse_duration_ms(&time) {
            Some(ms) => stop.time_ms = Some(ms),
            None => error(
                &mut findings,
                at(
                    "time:",
                    format!("`stop.time: {time}` is not a duration (try 90m, 4h or 1h30m)"),
                ),
            ),
        }
    }
    if let Some(cost) = stop.cost {
        if !(cost.is_finite() && cost > 0.0) {
            error(
                &mut findings,
                at("cost:", "`stop.cost` must be a positive amount".into()),
            );
        } else if stop.usd_per_million_tokens.is_none() {
            error(
                &mut findings,
                at(
                    "cost:",
                    "`stop.cost` needs `stop.usd_per_million_tokens` (the price of the agent's model): \
                     goalie enforces a cost as the token budget it buys"
                        .into(),
                ),
            );
        }
    }
    if let Some(price) = stop.usd_per_million_tokens
        && !(price.is_finite() && price > 0.0)
    {
        error(
            &mut findings,
            at(
                "usd_per_million_tokens:",
                "`stop.usd_per_million_tokens` must be a positive price".into(),
            ),
        );
    }
    let enforced = stop.tokens.is_some()
        || stop.time_ms.is_some()
        || stop.turns.is_some()
        || stop.cost_tokens().is_some();
    if !enforced && findings.iter().all(|f| f.severity != Severity::Error) {
        let message =
            "no stop rule: give `stop` a `turns`, `time` or `tokens` limit, so that the goal \
                       ends even if it is never achieved"
                .to_string();
        let place = if text.contains("stop:") {
            at("stop:", message)
        } else {
            Located {
                path: origin.to_path_buf(),
                line: 1,
                column: 1,
                message,
            }
        };
        error(&mut findings, place);
    }

    let protect = file.protect.into_vec();
    for path in &protect {
        if Path::new(path).is_absolute() || path.split('/').any(|part| part == "..") {
            error(
                &mut findings,
                at(
                    path,
                    format!(
                        "`protect: {path}` must be a path inside the workspace (relative, without `..`)"
                    ),
                ),
            );
        }
    }

    let spec = GoalSpec {
        objective,
        behavior: file.behavior.into_vec(),
        scope: file.scope.into_vec(),
        verify,
        evidence: file.evidence.into_vec(),
        stop,
        protect,
        agent: file
            .agent
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty()),
    };
    if findings.iter().any(|f| f.severity == Severity::Error) {
        findings.retain(|f| f.severity == Severity::Error);
        return Err(SpecError::Invalid(findings));
    }
    Ok((spec, findings))
}

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

enum Vagueness {
    /// Short and vague: nothing in it could be checked.
    Refused(&'static str),
    /// Contains a vague word, but also something concrete.
    Warned(&'static str),
}

const VAGUE_WORDS: &[&str] = &[
    "better",
    "improve",
    "improved",
    "improvements",
    "cleaner",
    "clean up",
    "nicer",
    "good",
    "great",
    "optimize",
    "optimise",
    "modernize",
    "polish",
    "enhance",
    "robust",
    "high quality",
    "best practices",
    "fix everything",
    "fix all the things",
];

fn vagueness(objective: &str) -> Option<Vagueness> {
    let lower = objective.to_lowercase();
    let padded = format!(
        " {} ",
        lower
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect::<String>()
    );
    let word = VAGUE_WORDS
        .iter()
        .find(|word| padded.contains(&format!(" {word} ")))?;
    let words = lower.split_whitespace().count();
    let concrete = objective.contains('`')
        || objective.contains('/')
        || objective.chars().any(|c| c.is_ascii_digit())
        || !numbered_items(objective).is_empty();
    if words <= 8 && !concrete {
        Some(Vagueness::Refused(word))
    } else {
        Some(Vagueness::Warned(word))
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_duration_ms(text: &str) -> Option<u64> {
    let duration = humantime::parse_duration(text.trim()).ok()?;
    let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    (ms > 0).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lint(text: &str) -> Result<(GoalSpec, Vec<Finding>), String> {
        check(text, Path::new("goal.yaml")).map_err(|err| match err {
            SpecError::Invalid(findings) => findings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            other => other.to_string(),
        })
    }

    const GOOD: &str = "objective: |\n  Make the parser accept:\n  1. empty input\n  2) a trailing comma\nbehavior: parse(\"\") returns []\nverify:\n  - cargo test\n  - run: cargo clippy\n    timeout: 90s\nevidence: [the test names]\nstop:\n  turns: 20\n  tokens: 200k\n  time: 2h\nprotect: [tests/golden.rs]\nagent: codex\n";

    #[test]
    fn a_good_spec_passes_and_lists_its_requirements() {
        let (spec, warnings) = lint(GOOD).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(spec.verify.len(), 2);
        assert_eq!(spec.verify[0].timeout_ms, DEFAULT_VERIFY_TIMEOUT_MS);
        assert_eq!(spec.verify[1].timeout_ms, 90_000);
        assert_eq!(spec.stop.tokens, Some(200_000));
        assert_eq!(spec.stop.time_ms, Some(7_200_000));
        assert_eq!(spec.agent.as_deref(), Some("codex"));
        let requirements: Vec<(String, String)> = spec
            .requirements()
            .into_iter()
            .map(|r| (r.id, r.text))
            .collect();
        assert_eq!(
            requirements,
            vec![
                ("R1".into(), "empty input".into()),
                ("R2".into(), "a trailing comma".into()),
                ("R3".into(), "parse(\"\") returns []".into()),
                ("R4".into(), "the test names".into()),
            ]
        );
    }

    #[test]
    fn no_verify_is_an_error_at_its_place() {
        let err =
            lint("objective: Make `cargo test` pass\nverify: []\nstop: {turns: 3}\n").unwrap_err();
        assert_eq!(
            err,
            "goal.yaml:2:1: error: no `verify` commands: give at least one command that exits 0 \
             only when the goal is met (e.g. `cargo test`), so that goalie can check a claim itself"
        );
        let err = lint("objective: Make `cargo test` pass\nstop: {turns: 3}\n").unwrap_err();
        assert!(
            err.starts_with("goal.yaml:1:1: error: no `verify`"),
            "{err}"
        );
    }

    #[test]
    fn no_stop_rule_is_an_error() {
        let err = lint("objective: Make `cargo test` pass\nverify: [cargo test]\n").unwrap_err();
        assert!(
            err.starts_with("goal.yaml:1:1: error: no stop rule: give `stop` a `turns`, `time` or `tokens` limit"),
            "{err}"
        );
        // A cost without a price cannot be enforced: it is an error of its own.
        let err =
            lint("objective: Make `cargo test` pass\nverify: [cargo test]\nstop:\n  cost: 5\n")
                .unwrap_err();
        assert!(
            err.starts_with(
                "goal.yaml:4:3: error: `stop.cost` needs `stop.usd_per_million_tokens`"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_priced_cost_is_a_token_budget() {
        let (spec, _) = lint(
            "objective: Make `cargo test` pass\nverify: [cargo test]\nstop:\n  cost: 0.5\n  usd_per_million_tokens: 5\n",
        )
        .unwrap();
        assert_eq!(spec.stop.cost_tokens(), Some(100_000));
        assert_eq!(spec.stop.token_limit(), Some(100_000));
        let (spec, _) = lint(
            "objective: Make `cargo test` pass\nverify: [cargo test]\nstop:\n  cost: 0.5\n  usd_per_million_tokens: 5\n  tokens: 20k\n",
        )
        .unwrap();
        assert_eq!(
            spec.stop.token_limit(),
            Some(20_000),
            "the lower of the two"
        );
        let err = lint(
            "objective: Make `cargo test` pass\nverify: [cargo test]\nstop:\n  turns: 3\n  usd_per_million_tokens: -1\n",
        )
        .unwrap_err();
        assert!(
            err.starts_with(
                "goal.yaml:5:3: error: `stop.usd_per_million_tokens` must be a positive price"
            ),
            "{err}"
        );
    }

    #[test]
    fn make_the_codebase_better_is_refused_with_an_example() {
        let err =
            lint("objective: Make the codebase better\nverify: [cargo test]\nstop: {turns: 5}\n")
                .unwrap_err();
        assert!(
            err.starts_with(
                "goal.yaml:1:1: error: the objective is too vague to check (\"Make the codebase better\": better by what measure?)"
            ),
            "{err}"
        );
        assert!(
            err.contains("1. empty input parses to an empty list"),
            "{err}"
        );
        assert!(err.contains("verify:\n    - cargo test -p parser"), "{err}");
    }

    #[test]
    fn a_vague_word_in_a_concrete_objective_is_a_warning() {
        let (_, warnings) = lint(
            "objective: Improve error messages in src/parse.rs so that each names line and column\nverify: [cargo test]\nstop: {turns: 5}\n",
        )
        .unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            warnings[0].to_string(),
            "goal.yaml:1:1: warning: the objective says \"improve\": say what that means in terms a command or a file can show"
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let err =
            lint("objective: x y z w\nverify: [a]\nstop:\n  turns: 3\n  tokns: 5\n").unwrap_err();
        assert!(
            err.starts_with("goal.yaml:5:3: error: stop: unknown field `tokns`"),
            "{err}"
        );
        let err =
            lint("objective: fix `a`\nverify:\n  - run: a\n    timeout: soon\nstop: {turns: 2}\n")
                .unwrap_err();
        assert_eq!(
            err,
            "goal.yaml:4:14: error: `timeout: soon` is not a duration (try 90s, 5m or 1h)"
        );
        let err = lint("objective: fix `a`\nverify: [true]\nstop: {turns: 2}\n").unwrap_err();
        assert_eq!(
            err,
            "goal.yaml:2:9: error: verify: each entry is a command (text) or `{run: COMMAND, timeout: 5m}`; \
             quote a command that YAML would read as something else, e.g. 'true'"
        );
        let err = lint("objective: [unclosed\n").unwrap_err();
        assert!(err.starts_with("goal.yaml:1:"), "{err}");
        let err = lint("objective: fix `a`\nverify: [a]\nstop: {turns: 2}\nprotect: [../x]\n")
            .unwrap_err();
        assert!(
            err.starts_with("goal.yaml:4:11: error: `protect: ../x`"),
            "{err}"
        );
    }

    #[test]
    fn the_template_passes_check() {
        let (spec, warnings) = lint(TEMPLATE).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(!spec.verify.is_empty());
        assert!(
            TEMPLATE
                .lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .count()
                >= 8
        );
    }

    #[test]
    fn a_bare_objective_has_its_numbered_items_as_requirements() {
        let spec = GoalSpec::bare("Do these:\n1. a\n2. b\nthanks");
        assert_eq!(spec.requirements().len(), 2);
        assert!(GoalSpec::bare("just fix it").requirements().is_empty());
    }
}
