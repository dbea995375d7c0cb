//! Linting a goal spec: [`check`] parses the text and runs the checks of
//! each part in turn (the objective in `objective.rs`, the budgets in
//! `stop.rs`), collecting [`Finding`]s that name file, line and column.

use std::path::Path;

use super::file::{SpecFile, VerifyFile};
use super::model::{
    DEFAULT_VERIFY_TIMEOUT_MS, Finding, GoalSpec, Severity, SpecError, VerifyCommand,
};
use crate::goal::source_location::{Located, locate_value};

/// Parses and lints a spec. `Ok` carries the spec and its warnings; `Err` every error.
pub fn check(text: &str, origin: &Path) -> Result<(GoalSpec, Vec<Finding>), SpecError> {
    crate::goal::yaml_input::check_nesting(origin, text).map_err(refused)?;
    let file = parse(text, origin)?;
    let mut lint = Lint {
        origin,
        text,
        findings: Vec::new(),
    };
    let objective = file.objective.trim().to_string();
    lint.objective(&objective);
    let verify = lint.verify(file.verify);
    let stop = lint.stop(file.stop);
    let protect = file.protect.into_vec();
    lint.protect(&protect);

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
    let mut findings = lint.findings;
    if findings.iter().any(|f| f.severity == Severity::Error) {
        findings.retain(|f| f.severity == Severity::Error);
        return Err(SpecError::Invalid(findings));
    }
    Ok((spec, findings))
}

/// One error at its place.
pub(super) fn refused(at: Located) -> SpecError {
    SpecError::Invalid(vec![Finding {
        severity: Severity::Error,
        at,
    }])
}

/// The spec's YAML, or its syntax error (in words of the spec, not of
/// goalie's private types).
fn parse(text: &str, origin: &Path) -> Result<SpecFile, SpecError> {
    serde_yaml_ng::from_str(text).map_err(|err| {
        let mut at = Located::from_yaml(origin, &err);
        // serde's message for an untagged enum names our private types; say what is expected.
        for (private, expected) in [
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
    })
}

/// The findings about one spec file so far.
pub(super) struct Lint<'a> {
    origin: &'a Path,
    text: &'a str,
    findings: Vec<Finding>,
}

impl Lint<'_> {
    /// `message` at the first place `needle` appears in the file.
    pub(super) fn at(&self, needle: &str, message: String) -> Located {
        locate_value(self.origin, self.text, needle, message)
    }

    /// `message` at `key`, or at the start of the file when it has no `key`.
    pub(super) fn at_key_or_start(&self, key: &str, message: String) -> Located {
        if self.text.contains(key) {
            self.at(key, message)
        } else {
            Located {
                path: self.origin.to_path_buf(),
                line: 1,
                column: 1,
                message,
            }
        }
    }

    pub(super) fn error(&mut self, at: Located) {
        self.findings.push(Finding {
            severity: Severity::Error,
            at,
        })
    }

    pub(super) fn warn(&mut self, at: Located) {
        self.findings.push(Finding {
            severity: Severity::Warning,
            at,
        })
    }

    /// Whether no error has been found so far.
    pub(super) fn no_errors(&self) -> bool {
        self.findings.iter().all(|f| f.severity != Severity::Error)
    }

    fn verify(&mut self, items: Vec<VerifyFile>) -> Vec<VerifyCommand> {
        let mut verify = Vec::new();
        for item in items {
            let (run, timeout) = match item {
                VerifyFile::Command(run) => (run, None),
                VerifyFile::Detailed { run, timeout } => (run, timeout),
            };
            let run = run.trim().to_string();
            if run.is_empty() {
                self.error(self.at("verify:", "a `verify` command is empty".into()));
                continue;
            }
            let timeout_ms = match timeout {
                None => DEFAULT_VERIFY_TIMEOUT_MS,
                Some(text) => match parse_duration_ms(&text) {
                    Some(ms) => ms,
                    None => {
                        self.error(self.at(
                            &text,
                            format!("`timeout: {text}` is not a duration (try 90s, 5m or 1h)"),
                        ));
                        continue;
                    }
                },
            };
            verify.push(VerifyCommand { run, timeout_ms });
        }
        if verify.is_empty() && self.no_errors() {
            let message = "no `verify` commands: give at least one command that exits 0 only when \
                           the goal is met (e.g. `cargo test`), so that goalie can check a claim itself"
                .to_string();
            self.error(self.at_key_or_start("verify:", message));
        }
        verify
    }

    fn protect(&mut self, protect: &[String]) {
        for path in protect {
            if Path::new(path).is_absolute() || path.split('/').any(|part| part == "..") {
                self.error(self.at(
                    path,
                    format!(
                        "`protect: {path}` must be a path inside the workspace (relative, without `..`)"
                    ),
                ));
            }
        }
    }
}

/// A duration such as `90s` or `1h30m`, in milliseconds; none when zero.
pub(super) fn parse_duration_ms(text: &str) -> Option<u64> {
    let duration = humantime::parse_duration(text.trim()).ok()?;
    let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    (ms > 0).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goal::spec::MAX_OBJECTIVE_BYTES;
    use crate::goal::spec::model::{EXAMPLE, TEMPLATE};

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
    fn stall_turns_is_read_and_is_no_stop_rule_on_its_own() {
        let (spec, _) =
            lint(&GOOD.replace("  time: 2h\n", "  time: 2h\n  stall_turns: 0\n")).unwrap();
        assert_eq!(spec.stop.stall_turns, Some(0));
        assert_eq!(lint(GOOD).unwrap().0.stop.stall_turns, None);
        let err = lint(
            "objective: Make `cargo test` pass\nverify: [cargo test]\nstop: {stall_turns: 3}\n",
        )
        .unwrap_err();
        assert!(err.contains("no stop rule"), "{err}");
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
        assert!(
            err.contains("for example:\n  objective: |\n    Make the parser"),
            "{err}"
        );
        // The example, as shown, is a spec `check` accepts.
        let example = &err[err.find("for example:\n").unwrap() + "for example:\n".len()..];
        assert_eq!(example, EXAMPLE);
        let (spec, _) = lint(example).unwrap();
        assert_eq!(spec.verify.len(), 1);
        assert_eq!(spec.protect, ["crates/parser/tests/regressions.rs"]);
    }

    #[test]
    fn a_misspelt_key_of_a_verify_entry_is_an_error_at_its_place() {
        let err = lint("objective: Make the tests pass\nverify:\n  - run: cargo test\n    timout: 5m\nstop: {turns: 5}\n")
            .unwrap_err();
        assert!(
            err.starts_with(
                "goal.yaml:4:5: error: verify[0]: unknown field `timout`, expected `run` or `timeout`"
            ),
            "{err}"
        );
        let err = lint("objective: Make the tests pass\nverify:\n  - true\nstop: {turns: 5}\n")
            .unwrap_err();
        assert!(
            err.starts_with("goal.yaml:3:5: error: verify[0]: invalid type: boolean `true`"),
            "{err}"
        );
        assert!(err.contains("quote a command"), "{err}");
    }

    #[test]
    fn an_objective_must_be_text_of_at_most_16_kib() {
        let err = lint("objective: 42\nverify: [cargo test]\nstop: {turns: 5}\n").unwrap_err();
        assert!(
            err.starts_with(
                "goal.yaml:1:12: error: objective: invalid type: integer `42`, expected text"
            ),
            "{err}"
        );
        let long = format!(
            "objective: |\n  {}\nverify: [cargo test]\nstop: {{turns: 5}}\n",
            "Make the parser accept one more input. ".repeat(500)
        );
        let err = lint(&long).unwrap_err();
        assert!(err.starts_with("goal.yaml:1:1: error: the objective is 19499 bytes; the most goalie takes is 16384 (16 KiB)"), "{err}");
        let fits = format!(
            "objective: |\n  {}\nverify: [cargo test]\nstop: {{turns: 5}}\n",
            "x".repeat(MAX_OBJECTIVE_BYTES)
        );
        assert!(lint(&fits).is_ok());
    }

    #[test]
    fn a_deeply_nested_spec_is_refused_at_its_place_before_parsing() {
        let text = format!("objective: ok\nverify: {}", "[".repeat(200 * 1024));
        let err = lint(&text).unwrap_err();
        assert!(err.starts_with("goal.yaml:2:"), "{err}");
        assert!(err.contains("nested more than 64 levels deep"), "{err}");
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
            "goal.yaml:2:10: error: verify[0]: invalid type: boolean `true`, expected a command (text) \
             or `{run: COMMAND, timeout: 5m}`; quote a command that YAML would read as something \
             else, e.g. 'true'"
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
}
