//! The short digest of a goal's ledger that the prompts restoring the goal
//! carry (after a compaction, in a new agent process): the last rejected claim
//! and why, the last blocker reported, and what the recent turns reported.
//! Pure: ledger rows in, digest out. The turn and token counts come with the
//! prompt's own variables.
//!
//! What a turn "reported" is the agent's reply at the end of that turn, kept in
//! its `turn_ended` row: the last message of the turn from the session log when
//! the adapter has one (exact), else the last rows of the agent's transcript on
//! screen. It is the agent's text, so the templates quote it as untrusted data.
//!
//! The digest itself is one of the prompt's variables ([`Digest`], in the core);
//! this reads it off the ledger's rows.

use crate::core::claim_block;
use crate::core::prompt::{Digest, Rejection, TurnReport};
use crate::ledger::Entry;

/// How many recent turns' replies the digest keeps.
pub const REPORTS: usize = 3;
/// How many reasons of a rejected claim it keeps.
const REASONS: usize = 5;
/// At most this many characters per reply.
const REPORT_CHARS: usize = 400;

impl Digest {
    /// The digest of a goal's rows, oldest first.
    pub fn from_entries(entries: &[Entry]) -> Digest {
        let last_rejection = entries
            .iter()
            .rev()
            .find(|e| e.kind == "claim_rejected")
            .map(|e| Rejection {
                turn: e.data["turn"].as_u64().unwrap_or(0),
                reasons: e.data["reasons"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.as_str())
                    .map(|r| r.lines().next().unwrap_or("").to_string())
                    .take(REASONS)
                    .collect(),
            });
        let last_blocker = entries
            .iter()
            .rev()
            .find(|e| e.kind == "claim")
            .filter(|e| e.data["status"] == "blocked")
            .and_then(|e| e.data["reason"].as_str())
            .map(|reason| shorten(reason, REPORT_CHARS));
        let mut reports: Vec<TurnReport> = entries
            .iter()
            .rev()
            .filter(|e| e.kind == "turn_ended")
            .filter_map(|e| {
                let text = without_claim_lines(e.data["reply"].as_str()?);
                let text = text.trim();
                (!text.is_empty()).then(|| TurnReport {
                    turn: e.data["turn"].as_u64().unwrap_or(0),
                    text: shorten(text, REPORT_CHARS),
                })
            })
            .take(REPORTS)
            .collect();
        reports.reverse();
        Digest {
            last_rejection,
            last_blocker,
            reports,
        }
    }
}

/// The reply without the marker lines of a claim block (a claim is made once, in its own turn).
fn without_claim_lines(text: &str) -> String {
    text.lines()
        .filter(|line| !line.contains(claim_block::OPEN) && !line.contains(claim_block::CLOSE))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The last `max` characters of `text`, marked when cut.
fn shorten(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - max).collect();
    format!("…{}", tail.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn entry(kind: &str, data: Value) -> Entry {
        Entry {
            seq: 1,
            goal_id: "g".into(),
            at: "2026-01-02T10:11:12.345Z".into(),
            kind: kind.into(),
            data,
        }
    }

    #[test]
    fn the_digest_keeps_the_last_rejection_and_recent_replies() {
        let mut entries = vec![
            entry(
                "claim_rejected",
                json!({"turn": 1, "reasons": ["old reason"]}),
            ),
            entry(
                "claim_rejected",
                json!({"turn": 2, "reasons": ["`cargo test` failed\nits output", "R2 has no evidence"]}),
            ),
        ];
        for turn in 1..=5 {
            entries.push(entry(
                "turn_ended",
                json!({"turn": turn, "reply": format!("reply {turn}")}),
            ));
        }
        entries.push(entry("turn_ended", json!({"turn": 6, "reply": null})));
        let digest = Digest::from_entries(&entries);
        assert_eq!(
            digest.last_rejection,
            Some(Rejection {
                turn: 2,
                reasons: vec!["`cargo test` failed".into(), "R2 has no evidence".into()]
            })
        );
        let turns: Vec<u64> = digest.reports.iter().map(|r| r.turn).collect();
        assert_eq!(turns, vec![3, 4, 5]);
        assert_eq!(digest.reports[2].text, "reply 5");
        assert_eq!(digest.last_blocker, None);
    }

    #[test]
    fn a_blocker_counts_only_while_it_is_the_latest_claim() {
        let blocked = entry(
            "claim",
            json!({"turn": 1, "status": "blocked", "reason": "no database"}),
        );
        let digest = Digest::from_entries(std::slice::from_ref(&blocked));
        assert_eq!(digest.last_blocker.as_deref(), Some("no database"));
        let later = entry("claim", json!({"turn": 2, "status": "complete"}));
        assert_eq!(Digest::from_entries(&[blocked, later]).last_blocker, None);
    }

    #[test]
    fn long_replies_keep_their_end() {
        let long = format!("{}END", "x".repeat(1000));
        let digest =
            Digest::from_entries(&[entry("turn_ended", json!({"turn": 1, "reply": long}))]);
        let text = &digest.reports[0].text;
        assert!(text.starts_with('…') && text.ends_with("END"));
        assert_eq!(text.chars().count(), REPORT_CHARS + 1);
    }
}
