//! Whether a turn went somewhere: the facts of one turn (what changed in the
//! workspace, the commands the agent ran, its reply, its error) and the
//! verdict on them. Pure: the workspace is measured at the edge
//! (`workspace`), which says what changed since the last measurement; this
//! file decides what that means.
//!
//! The rule: a turn made progress when the workspace's content changed, or
//! when a file was only touched, or the agent ran a command it had not run the
//! turn before, and its reply is not a repeat of one of the last few. A turn
//! that ends with the same error as the turn before made none.

use serde::{Deserialize, Serialize};

/// How the workspace changed since the end of the turn before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Nothing goalie measures changed.
    #[default]
    None,
    /// Files were written, but with the content they had (only their times changed).
    Touched,
    /// A file's content changed, or files came or went (or the repository's HEAD moved).
    Content,
}

/// What the edge measured of the workspace at a turn's end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    pub change: Change,
    /// What changed, in a line (`2 files changed: src/a.rs, b.txt`), or why
    /// nothing could be measured.
    pub what: String,
}

/// Everything goalie knows about one turn for the verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnFacts {
    /// `None` when the workspace was not measured.
    pub workspace: Option<Workspace>,
    /// Commands the agent ran this turn that it had not run the turn before.
    pub new_commands: usize,
    /// Commands the agent ran this turn.
    pub commands: usize,
    /// The reply repeats (or nearly) one of the last few.
    pub reply_repeated: bool,
    /// The reply is empty or unknown.
    pub no_reply: bool,
    /// The turn ended with the same error as the turn before (`an API error`).
    pub same_error: Option<&'static str>,
}

/// The verdict on a turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub progress: bool,
    /// What changed (or did not), in a line.
    pub what: String,
}

/// The verdict on a turn from its facts.
pub fn judge(facts: &TurnFacts) -> Verdict {
    let change = facts
        .workspace
        .as_ref()
        .map_or(Change::None, |workspace| workspace.change);
    let mut parts = Vec::new();
    match &facts.workspace {
        Some(workspace) if !workspace.what.is_empty() => parts.push(workspace.what.clone()),
        Some(_) => parts.push("workspace unchanged".to_string()),
        None => parts.push("workspace not measured".to_string()),
    }
    if facts.commands > 0 {
        parts.push(format!(
            "{} command{} run ({} new)",
            facts.commands,
            plural(facts.commands),
            facts.new_commands
        ));
    }
    if facts.reply_repeated {
        parts.push("the reply repeats an earlier one".to_string());
    }
    if let Some(error) = facts.same_error {
        parts.push(format!("{error} again"));
    }
    let progress = if facts.same_error.is_some() {
        false
    } else if change == Change::Content {
        true
    } else {
        !facts.reply_repeated && (change == Change::Touched || facts.new_commands > 0)
    };
    Verdict {
        progress,
        what: parts.join("; "),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A reply reduced to what says something: lower case, words of letters and
/// digits only, numbers as `#` (a turn counter or a time does not make two
/// replies different).
pub fn normalise(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            if word.chars().all(|c| c.is_ascii_digit()) {
                "#".to_string()
            } else {
                word.to_lowercase()
            }
        })
        .collect()
}

/// Whether two normalised replies say (nearly) the same: the same words, or
/// at least four in five of their word pairs shared.
pub fn similar(a: &[String], b: &[String]) -> bool {
    if a == b {
        return true;
    }
    if a.len() < 4 || b.len() < 4 {
        return false;
    }
    use std::collections::BTreeSet;
    let pairs = |words: &[String]| -> BTreeSet<(String, String)> {
        words
            .windows(2)
            .map(|pair| (pair[0].clone(), pair[1].clone()))
            .collect()
    };
    let (left, right) = (pairs(a), pairs(b));
    let shared = left.intersection(&right).count();
    let all = left.union(&right).count();
    shared * 5 >= all * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(change: Change) -> TurnFacts {
        TurnFacts {
            workspace: Some(Workspace {
                change,
                what: String::new(),
            }),
            ..TurnFacts::default()
        }
    }

    #[test]
    fn changed_content_is_progress_even_with_the_same_reply() {
        let verdict = judge(&TurnFacts {
            reply_repeated: true,
            ..facts(Change::Content)
        });
        assert!(verdict.progress);
    }

    #[test]
    fn a_touched_file_with_a_repeated_reply_is_no_progress() {
        let repeated = TurnFacts {
            reply_repeated: true,
            ..facts(Change::Touched)
        };
        let verdict = judge(&repeated);
        assert!(!verdict.progress);
        assert!(verdict.what.contains("repeats"), "{}", verdict.what);
        assert!(judge(&facts(Change::Touched)).progress, "a new reply");
    }

    #[test]
    fn nothing_changed_is_no_progress_whatever_the_reply() {
        assert!(!judge(&facts(Change::None)).progress);
        let verdict = judge(&TurnFacts::default());
        assert!(!verdict.progress);
        assert_eq!(verdict.what, "workspace not measured");
    }

    #[test]
    fn new_commands_are_progress_unless_the_reply_repeats() {
        let ran = TurnFacts {
            commands: 2,
            new_commands: 1,
            ..facts(Change::None)
        };
        let verdict = judge(&ran);
        assert!(verdict.progress);
        assert!(verdict.what.contains("2 commands run (1 new)"));
        let same = TurnFacts {
            new_commands: 0,
            ..ran.clone()
        };
        assert!(!judge(&same).progress, "the same commands again");
        let repeated = TurnFacts {
            reply_repeated: true,
            ..ran
        };
        assert!(!judge(&repeated).progress);
    }

    #[test]
    fn the_same_error_again_is_no_progress() {
        let verdict = judge(&TurnFacts {
            same_error: Some("an API error"),
            ..facts(Change::Content)
        });
        assert!(!verdict.progress);
        assert!(verdict.what.contains("an API error again"));
    }

    #[test]
    fn replies_that_differ_in_numbers_case_or_spacing_are_the_same() {
        let a = normalise("Checked the tests: 3 failing.\n");
        let b = normalise("checked   the TESTS — 4 failing");
        assert!(similar(&a, &b));
        assert!(!similar(
            &normalise("Fixed the parser."),
            &normalise("Wrote the docs.")
        ));
    }

    #[test]
    fn a_long_reply_with_one_word_changed_is_near_identical() {
        let base = "I looked at the failing test and the parser module but I could not find \
                    what makes the empty input case fail so I will look again next turn";
        let changed = base.replace("again", "once more");
        assert!(similar(&normalise(base), &normalise(&changed)));
        let other = "I rewrote the tokenizer so that empty input yields no tokens and added a test";
        assert!(!similar(&normalise(base), &normalise(other)));
    }
}
