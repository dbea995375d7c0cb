//! What the agent says at the end of a turn, including its completion claim.

use crate::sim::scenario::{ClaimMode, Scenario};
use regex::Regex;
use std::sync::LazyLock;

/// The marker goalie looks for; the claim line is this followed by the code.
pub(crate) const MARKER: &str = "GOALIE-COMPLETE:";

/// Shown instead of a claim when the prompt carries no claim code.
pub(crate) const NO_CODE: &str = "• (no claim code in the prompt; not claiming)";

static CLAIM_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)claim code:\s*`?([A-Za-z0-9_-]+)`?").expect("claim-code pattern is valid")
});

/// The code in the last `claim code: XXXX` of the prompt (case-insensitive,
/// the code possibly in backticks).
pub(crate) fn claim_code(prompt: &str) -> Option<&str> {
    CLAIM_CODE
        .captures_iter(prompt)
        .last()
        .and_then(|caps| caps.get(1))
        .map(|m| m.as_str())
}

/// Lines of text as one transcript entry: `first` before the first line,
/// two spaces before the others.
pub(crate) fn entry(first: &str, text: &str) -> Vec<String> {
    let text = text.trim_end_matches(['\n', '\r']);
    text.split('\n')
        .enumerate()
        .map(|(i, line)| {
            let prefix = if i == 0 { first } else { "  " };
            format!("{prefix}{}", line.trim_end_matches('\r'))
        })
        .collect()
}

/// The transcript lines of the reply to turn `number` whose prompt was `prompt`.
pub(crate) fn reply_lines(scenario: &Scenario, number: u32, prompt: &str) -> Vec<String> {
    if scenario.claim_mode == ClaimMode::Echo {
        return entry("• ", prompt);
    }
    let mut lines = entry("• ", &scenario.turn(number).reply);
    let claiming = scenario
        .claim_after_turns
        .is_some_and(|first| number >= first);
    if !claiming {
        return lines;
    }
    let code = claim_code(prompt);
    match (scenario.claim_mode, code) {
        (ClaimMode::Never | ClaimMode::Echo, _) => {}
        (_, None) => lines.push(NO_CODE.to_string()),
        (ClaimMode::Proper, Some(code)) => lines.push(format!("  {MARKER}{code}")),
        (ClaimMode::Mention, Some(code)) => lines.push(format!(
            "  I will print {MARKER}{code} when the work is really finished."
        )),
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Turn;

    fn scenario(mode: ClaimMode, after: Option<u32>) -> Scenario {
        Scenario {
            claim_mode: mode,
            claim_after_turns: after,
            turns: vec![Turn {
                reply: "Done.\nAll good.".to_string(),
                ..Turn::default()
            }],
            ..Scenario::default()
        }
    }

    #[test]
    fn code_extraction() {
        assert_eq!(claim_code("claim code: abc123"), Some("abc123"));
        assert_eq!(claim_code("Claim Code:`x_Y-9` please"), Some("x_Y-9"));
        assert_eq!(
            claim_code("CLAIM CODE: first\n... then claim code: `second`."),
            Some("second")
        );
        assert_eq!(claim_code("no code here"), None);
        assert_eq!(claim_code("claim code: "), None);
        assert_eq!(claim_code("claim code: ``"), None);
    }

    #[test]
    fn entry_indents_continuation_lines() {
        assert_eq!(entry("› ", "a\nb\r\nc\n"), vec!["› a", "  b", "  c"]);
        assert_eq!(entry("• ", ""), vec!["• "]);
    }

    #[test]
    fn proper_claim_from_the_given_turn() {
        let s = scenario(ClaimMode::Proper, Some(2));
        let prompt = "work on it; claim code: `k1`";
        assert_eq!(reply_lines(&s, 1, prompt), vec!["• Done.", "  All good."]);
        let lines = reply_lines(&s, 2, prompt);
        assert_eq!(
            lines,
            vec!["• Done.", "  All good.", "  GOALIE-COMPLETE:k1"]
        );
        assert_eq!(
            reply_lines(&s, 3, prompt).last().map(String::as_str),
            Some("  GOALIE-COMPLETE:k1")
        );
    }

    #[test]
    fn no_code_means_no_claim() {
        let s = scenario(ClaimMode::Proper, Some(1));
        assert_eq!(
            reply_lines(&s, 1, "just work").last().map(String::as_str),
            Some(NO_CODE)
        );
    }

    #[test]
    fn never_and_unset_do_not_claim() {
        let prompt = "claim code: z";
        for s in [
            scenario(ClaimMode::Never, Some(1)),
            scenario(ClaimMode::Proper, None),
        ] {
            assert!(
                reply_lines(&s, 5, prompt)
                    .iter()
                    .all(|l| !l.contains(MARKER))
            );
        }
    }

    #[test]
    fn mention_talks_about_the_marker() {
        let s = scenario(ClaimMode::Mention, Some(1));
        let lines = reply_lines(&s, 1, "claim code: m9");
        let last = lines.last().map(String::as_str).unwrap_or_default();
        assert_eq!(
            last,
            "  I will print GOALIE-COMPLETE:m9 when the work is really finished."
        );
        assert!(lines.iter().all(|l| l.trim() != "GOALIE-COMPLETE:m9"));
    }

    #[test]
    fn echo_parrots_the_prompt() {
        let s = scenario(ClaimMode::Echo, Some(1));
        let prompt = "Fix it.\nWhen done print\nGOALIE-COMPLETE:e1";
        assert_eq!(
            reply_lines(&s, 1, prompt),
            vec!["• Fix it.", "  When done print", "  GOALIE-COMPLETE:e1"]
        );
    }
}
