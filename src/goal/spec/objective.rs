//! The objective of a goal spec: it must say something a command or a file
//! can show; a short one that is only vague is refused, with an example.

use super::check::Lint;
use super::model::{EXAMPLE, numbered_items};

impl Lint<'_> {
    pub(super) fn objective(&mut self, objective: &str) {
        if objective.is_empty() {
            self.error(self.at(
                "objective:",
                "`objective` is empty: say what the agent should achieve".into(),
            ));
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
