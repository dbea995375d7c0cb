//! The objective of a goal spec: it must say something a command or a file
//! can show; a short one that is only vague is refused, with an example.

use super::check::Lint;
use super::model::{EXAMPLE, numbered_items};

/// The longest objective goalie takes, in bytes (UTF-8): it is typed into
/// the agent and stored with every prompt, so it stays a page or a few, not a
/// file (Codex itself caps an objective at 4,000 characters). A spec's, the
/// command line's and `goalie edit`'s objective are held to it.
pub const MAX_OBJECTIVE_BYTES: usize = 16 * 1024;

/// Why `objective` is refused for its size, if it is.
pub fn objective_too_long(objective: &str) -> Option<String> {
    (objective.len() > MAX_OBJECTIVE_BYTES).then(|| {
        format!(
            "the objective is {} bytes; the most goalie takes is {MAX_OBJECTIVE_BYTES} (16 KiB): \
             say what must be achieved and point to files for the details",
            objective.len()
        )
    })
}

impl Lint<'_> {
    pub(super) fn objective(&mut self, objective: &str) {
        if objective.is_empty() {
            self.error(self.at(
                "objective:",
                "`objective` is empty: say what the agent should achieve".into(),
            ));
            return;
        }
        if let Some(message) = objective_too_long(objective) {
            self.error(self.at("objective:", message));
            return;
        }
        match vagueness(objective) {
            Some(Vagueness::Refused(word)) => self.error(self.at(
                "objective:",
                format!(
                    "the objective is too vague to check (\"{}\": {word} by what measure?). \
                     Name concrete, checkable outcomes, for example:\n{EXAMPLE}",
                    one_line(objective)
                ),
            )),
            Some(Vagueness::Warned(word)) => self.warn(self.at(
                "objective:",
                format!(
                    "the objective says \"{word}\": say what that means in terms a command or a file can show"
                ),
            )),
            None => {}
        }
    }
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
