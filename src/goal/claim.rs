//! Completion and blocked claims: what the agent says about the goal, and the
//! secrets that tie a text claim to one goal and one turn.
//!
//! A claim reaches goalie through one of two channels: the MCP tool
//! `update_goal` (`goalie mcp`, which writes it to the ledger) or a claim block
//! in the agent's reply (see [`crate::core::claim_block`]). Either way it is only a
//! claim: goalie audits it ([`crate::audit`]) before the goal ends.
//!
//! Each goal has a secret claim code that is never shown to the agent. Each
//! turn's prompt carries that turn's nonce, derived from the secret and the
//! turn number: a claim block must carry the nonce of the turn it is written
//! in, so text written in an earlier turn (a file, a log) is stale, and no
//! nonce can be guessed from an earlier one.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::goal::wait::WaitFor;

/// What the agent claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Claim {
    /// The goal is met; each requirement with its evidence.
    Complete { checklist: Vec<ChecklistItem> },
    /// The agent cannot go on; why.
    Blocked { reason: String },
    /// The agent asks goalie to wait (no turn, no tokens) until this holds.
    Waiting { wait: WaitFor },
}

/// One line of a completion checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// A requirement's id (`R1`) or its text.
    pub requirement: String,
    /// What shows it is met: a file, a command and its output, a test and its result.
    pub evidence: String,
}

/// How a claim reached goalie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A claim block on the agent's screen.
    Screen,
    /// The `update_goal` tool of `goalie mcp`.
    Mcp,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Screen => "screen",
            Channel::Mcp => "mcp",
        }
    }
}

impl Claim {
    pub fn status(&self) -> &'static str {
        match self {
            Claim::Complete { .. } => "complete",
            Claim::Blocked { .. } => "blocked",
            Claim::Waiting { .. } => "waiting",
        }
    }
}

const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789x";

/// The nonce of turn `turn` of the goal whose secret is `secret`: ten
/// characters of SHA-256(secret, turn). Pure, so the core can compute it.
pub fn turn_nonce(secret: &str, turn: u32) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"goalie turn nonce\0");
    hasher.update(secret.as_bytes());
    hasher.update(b"\0");
    hasher.update(turn.to_be_bytes());
    encode(&hasher.finalize()[..10])
}

/// Bytes as letters of a 32-letter alphabet (no `i`, `l`, `o`, `0`, `1`), one per byte.
pub fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b % 32)] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_differ_per_turn_and_per_goal_and_are_stable() {
        let n1 = turn_nonce("secret1234", 1);
        assert_eq!(n1, turn_nonce("secret1234", 1));
        assert_ne!(n1, turn_nonce("secret1234", 2));
        assert_ne!(n1, turn_nonce("secret9999", 1));
        assert_eq!(n1.len(), 10);
        assert!(!n1.contains("secret"));
    }

    #[test]
    fn claims_serialize_with_their_status() {
        let claim = Claim::Blocked {
            reason: "no network".into(),
        };
        assert_eq!(
            serde_json::to_value(&claim).unwrap(),
            serde_json::json!({"status": "blocked", "reason": "no network"})
        );
        let back: Claim = serde_json::from_value(serde_json::json!({
            "status": "complete",
            "checklist": [{"requirement": "R1", "evidence": "tests/a.rs"}]
        }))
        .unwrap();
        assert_eq!(back.status(), "complete");
    }
}
