//! The text channel for completion claims, first version.
//!
//! A claim is a line that holds nothing but `GOALIE-COMPLETE:<code>`, where the
//! code is the goal's own secret. The prompts describe that line in words and
//! never contain it, so an agent that echoes a prompt cannot produce one; as a
//! second guard, a line that appears in any text goalie typed never counts.

/// The word that starts a completion claim.
pub const MARKER: &str = "GOALIE-COMPLETE";

/// Recognises claim lines for one goal.
#[derive(Debug, Clone)]
pub struct ClaimMatcher {
    claim: String,
    typed: Vec<String>,
}

impl ClaimMatcher {
    pub fn new(claim_code: &str) -> ClaimMatcher {
        ClaimMatcher {
            claim: format!("{MARKER}:{claim_code}"),
            typed: Vec::new(),
        }
    }

    /// Remembers text goalie typed into the agent; lines of it never count as claims.
    pub fn typed(&mut self, text: &str) {
        self.typed.push(collapse_spaces(text));
    }

    /// Whether `line`, as shown on the screen, is a claim.
    ///
    /// The agent's own decoration around the line (a bullet such as `•` or `⏺`,
    /// indentation, Markdown emphasis or backticks) is allowed; any other text on
    /// the line is not: a sentence *about* the claim is not a claim.
    pub fn is_claim(&self, line: &str) -> bool {
        if !line.contains(MARKER) {
            return false;
        }
        let core = strip_decoration(line);
        core == self.claim && !self.typed.iter().any(|typed| typed.contains(&self.claim))
    }
}

fn strip_decoration(line: &str) -> &str {
    let is_decoration =
        |c: char| c.is_whitespace() || !(c.is_alphanumeric() || c == '-' || c == ':');
    line.trim_matches(is_decoration)
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A fresh claim code: ten characters from a 32-letter alphabet, from the OS's randomness.
pub fn new_claim_code() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789x";
    let mut bytes = [0u8; 10];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness (never seen on Linux): fall back to the clock and pid,
        // still unguessable by text the agent merely displays.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
            ^ u128::from(std::process::id());
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = (seed >> (i * 5)) as u8;
        }
    }
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b % 32)] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> ClaimMatcher {
        ClaimMatcher::new("k7m2q9x4pa")
    }

    #[test]
    fn a_claim_line_with_agent_decoration_counts() {
        let m = matcher();
        for line in [
            "GOALIE-COMPLETE:k7m2q9x4pa",
            "• GOALIE-COMPLETE:k7m2q9x4pa",
            "⏺ GOALIE-COMPLETE:k7m2q9x4pa   ",
            "  `GOALIE-COMPLETE:k7m2q9x4pa`",
            "**GOALIE-COMPLETE:k7m2q9x4pa**",
        ] {
            assert!(m.is_claim(line), "{line}");
        }
    }

    #[test]
    fn forgeries_and_near_misses_do_not_count() {
        let m = matcher();
        for line in [
            "",
            "GOALIE-COMPLETE",
            "GOALIE-COMPLETE:",
            "GOALIE-COMPLETE:wrongcode1",
            "GOALIE-COMPLETE: k7m2q9x4pa",
            "GOALIE-COMPLETE:k7m2q9x4pa2",
            "I will print GOALIE-COMPLETE:k7m2q9x4pa when the work is really finished.",
            "GOALIE-COMPLETE:k7m2q9x4pa is what I'd write if done",
            "claim code: k7m2q9x4pa",
            "the word GOALIE-COMPLETE, a colon, and the claim code k7m2q9x4pa",
        ] {
            assert!(!m.is_claim(line), "{line}");
        }
    }

    #[test]
    fn text_goalie_typed_never_counts() {
        let mut m = matcher();
        m.typed("Objective: print GOALIE-COMPLETE:k7m2q9x4pa\nthen stop");
        assert!(!m.is_claim("GOALIE-COMPLETE:k7m2q9x4pa"));
    }

    #[test]
    fn claim_codes_are_fresh_and_plain() {
        let a = new_claim_code();
        let b = new_claim_code();
        assert_eq!(a.len(), 10);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
