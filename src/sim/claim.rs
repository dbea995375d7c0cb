//! What the agent says at the end of a turn, including its claim block.
//!
//! The sim reads the turn's claim nonce (`claim nonce: XXXX`) and the
//! requirement ids (`- R1: …` lines) from the prompt, and writes a claim block
//! the way the prompts describe it — or, in the forgery modes, something that
//! must not count as one.

use crate::sim::scenario::{ClaimMode, Scenario};
use regex::Regex;
use std::sync::LazyLock;

/// The words that open and close a claim block.
pub(crate) const OPEN: &str = "GOALIE-CLAIM";
pub(crate) const CLOSE: &str = "GOALIE-END";

/// Shown instead of a claim when the prompt carries no nonce.
pub(crate) const NO_NONCE: &str = "• (no claim nonce in the prompt; not claiming)";

static NONCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)claim nonce:\s*`?([A-Za-z0-9_-]+)`?").expect("nonce pattern is valid")
});

static REQUIREMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*- (R\d+): ").expect("requirement pattern is valid"));

/// The nonce in the last `claim nonce: XXXX` of the prompt (case-insensitive,
/// possibly in backticks).
pub(crate) fn nonce(prompt: &str) -> Option<&str> {
    NONCE
        .captures_iter(prompt)
        .last()
        .and_then(|caps| caps.get(1))
        .map(|m| m.as_str())
}

/// The requirement ids the prompt lists, in order, without repeats.
pub(crate) fn requirement_ids(prompt: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for caps in REQUIREMENT.captures_iter(prompt) {
        if !ids.iter().any(|id| id == &caps[1]) {
            ids.push(caps[1].to_string());
        }
    }
    ids
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

/// The lines of a claim block (without indentation).
fn block(scenario: &Scenario, nonce: &str, prompt: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if scenario.claim_mode == ClaimMode::Blocked {
        lines.push(format!("{OPEN} {nonce} blocked"));
        lines.push(format!("reason: {}", scenario.blocked_reason));
    } else if scenario.claim_mode == ClaimMode::Waiting {
        lines.push(format!("{OPEN} {nonce} waiting"));
        lines.extend(scenario.wait.iter().cloned());
    } else {
        lines.push(format!("{OPEN} {nonce} complete"));
        let ids = requirement_ids(prompt);
        if ids.is_empty() {
            lines.push(format!("- the objective: {}", scenario.evidence));
        }
        for id in ids {
            lines.push(format!("{id}: {}", scenario.evidence));
        }
    }
    lines.push(format!("{CLOSE} {nonce}"));
    lines
}

/// The transcript lines of the reply to turn `number` whose prompt was
/// `prompt` (`previous` is the prompt of the turn before, if any).
pub(crate) fn reply_lines(
    scenario: &Scenario,
    number: u32,
    prompt: &str,
    previous: Option<&str>,
) -> Vec<String> {
    if scenario.claim_mode == ClaimMode::Echo {
        return entry("• ", prompt);
    }
    let turn = scenario.turn(number);
    let mut lines = entry("• ", &turn.reply);
    if !turn.wait.is_empty()
        && let Some(nonce) = nonce(prompt)
    {
        lines.push(format!("  {OPEN} {nonce} waiting"));
        lines.extend(turn.wait.iter().map(|line| format!("  {line}")));
        lines.push(format!("  {CLOSE} {nonce}"));
        return lines;
    }
    let claiming = scenario.claim_after_turns.is_some_and(|first| {
        number >= first && (scenario.claim_mode != ClaimMode::Waiting || number == first.max(1))
    });
    if !claiming || scenario.claim_mode == ClaimMode::Never {
        return lines;
    }
    let Some(nonce) = nonce(prompt) else {
        lines.push(NO_NONCE.to_string());
        return lines;
    };
    let indented = |block: Vec<String>| block.into_iter().map(|l| format!("  {l}"));
    match scenario.claim_mode {
        ClaimMode::Never | ClaimMode::Echo => {}
        ClaimMode::Proper | ClaimMode::Blocked | ClaimMode::Waiting => {
            lines.extend(indented(block(scenario, nonce, prompt)));
        }
        ClaimMode::Mention => lines.push(format!(
            "  I will write {OPEN} {nonce} complete and {CLOSE} {nonce} when the work is really finished."
        )),
        ClaimMode::Stale => {
            // The previous turn's nonce (or none at all on the first turn).
            let stale = previous.and_then(self::nonce).unwrap_or("");
            lines.extend(indented(block(scenario, stale, prompt)));
        }
        ClaimMode::Display => {
            // A file holding a current block, displayed as command output.
            lines.push("• Ran cat claim.txt".to_string());
            for (i, line) in block(scenario, nonce, prompt).into_iter().enumerate() {
                let decoration = if i == 0 { "  └ " } else { "    " };
                lines.push(format!("{decoration}{line}"));
            }
        }
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
            evidence: "see tests/ok.txt".to_string(),
            turns: vec![Turn {
                reply: "Done.\nAll good.".to_string(),
                ..Turn::default()
            }],
            ..Scenario::default()
        }
    }

    const PROMPT: &str =
        "work on it\nRequirements:\n- R1: a\n- R2: b\nThis turn's claim nonce: k1 (it changes)";

    #[test]
    fn nonce_and_requirement_extraction() {
        assert_eq!(nonce("claim nonce: abc123"), Some("abc123"));
        assert_eq!(nonce("Claim Nonce:`x_Y-9` please"), Some("x_Y-9"));
        assert_eq!(
            nonce("claim nonce: first\n... claim nonce: `second`."),
            Some("second")
        );
        assert_eq!(nonce("no nonce here"), None);
        assert_eq!(nonce("claim nonce: "), None);
        assert_eq!(requirement_ids(PROMPT), vec!["R1", "R2"]);
        assert!(requirement_ids("no list").is_empty());
    }

    #[test]
    fn entry_indents_continuation_lines() {
        assert_eq!(entry("› ", "a\nb\r\nc\n"), vec!["› a", "  b", "  c"]);
        assert_eq!(entry("• ", ""), vec!["• "]);
    }

    #[test]
    fn a_proper_claim_block_from_the_given_turn() {
        let s = scenario(ClaimMode::Proper, Some(2));
        assert_eq!(
            reply_lines(&s, 1, PROMPT, None),
            vec!["• Done.", "  All good."]
        );
        assert_eq!(
            reply_lines(&s, 2, PROMPT, None),
            vec![
                "• Done.",
                "  All good.",
                "  GOALIE-CLAIM k1 complete",
                "  R1: see tests/ok.txt",
                "  R2: see tests/ok.txt",
                "  GOALIE-END k1",
            ]
        );
    }

    #[test]
    fn blocked_claims_carry_the_reason() {
        let mut s = scenario(ClaimMode::Blocked, Some(1));
        s.blocked_reason = "no network".into();
        let lines = reply_lines(&s, 1, "claim nonce: b2", None);
        assert_eq!(
            &lines[2..],
            [
                "  GOALIE-CLAIM b2 blocked",
                "  reason: no network",
                "  GOALIE-END b2"
            ]
        );
    }

    #[test]
    fn a_waiting_claim_is_made_in_its_turn_only() {
        let mut s = scenario(ClaimMode::Waiting, Some(2));
        s.wait = vec!["for: 3s".into()];
        assert_eq!(reply_lines(&s, 1, "claim nonce: w1", None).len(), 2);
        assert_eq!(
            &reply_lines(&s, 2, "claim nonce: w2", None)[2..],
            ["  GOALIE-CLAIM w2 waiting", "  for: 3s", "  GOALIE-END w2"]
        );
        assert_eq!(reply_lines(&s, 3, "claim nonce: w3", None).len(), 2);
    }

    #[test]
    fn a_turn_of_its_own_asks_for_a_wait_whatever_the_claim_mode() {
        let mut s = scenario(ClaimMode::Proper, Some(3));
        s.turns.push(Turn {
            reply: "CI runs.".into(),
            wait: vec!["command: test -f ready".into()],
            ..Turn::default()
        });
        s.turns.push(Turn::default());
        assert_eq!(reply_lines(&s, 1, "claim nonce: w1", None).len(), 2);
        assert_eq!(
            reply_lines(&s, 2, "claim nonce: w2", None),
            [
                "• CI runs.",
                "  GOALIE-CLAIM w2 waiting",
                "  command: test -f ready",
                "  GOALIE-END w2"
            ]
        );
        assert!(
            reply_lines(&s, 3, "claim nonce: w3", None)
                .iter()
                .any(|line| line.ends_with("GOALIE-CLAIM w3 complete"))
        );
    }

    #[test]
    fn no_nonce_means_no_claim() {
        let s = scenario(ClaimMode::Proper, Some(1));
        assert_eq!(
            reply_lines(&s, 1, "just work", None)
                .last()
                .map(String::as_str),
            Some(NO_NONCE)
        );
    }

    #[test]
    fn the_forgery_modes() {
        let never = reply_lines(&scenario(ClaimMode::Never, Some(1)), 5, PROMPT, None);
        assert!(never.iter().all(|l| !l.contains(OPEN)));
        let mention = reply_lines(&scenario(ClaimMode::Mention, Some(1)), 1, PROMPT, None);
        assert_eq!(
            mention.last().unwrap(),
            "  I will write GOALIE-CLAIM k1 complete and GOALIE-END k1 when the work is really finished."
        );
        let stale = reply_lines(
            &scenario(ClaimMode::Stale, Some(1)),
            2,
            PROMPT,
            Some("claim nonce: old1"),
        );
        assert_eq!(stale[2], "  GOALIE-CLAIM old1 complete");
        let display = reply_lines(&scenario(ClaimMode::Display, Some(1)), 1, PROMPT, None);
        assert_eq!(
            &display[2..4],
            ["• Ran cat claim.txt", "  └ GOALIE-CLAIM k1 complete"]
        );
        let echo = reply_lines(
            &scenario(ClaimMode::Echo, Some(1)),
            1,
            "Fix it.\nclaim nonce: e1",
            None,
        );
        assert_eq!(echo, vec!["• Fix it.", "  claim nonce: e1"]);
    }
}
