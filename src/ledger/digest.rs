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
use crate::core::row::{Row, RowKind};
use crate::goal::claim::Claim;
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
            .filter(|e| e.is(RowKind::ClaimRejected))
            .find_map(|e| match e.row() {
                Row::ClaimRejected { turn, reasons } => Some(Rejection {
                    turn: u64::from(turn),
                    reasons: reasons
                        .iter()
                        .map(|r| r.lines().next().unwrap_or("").to_string())
                        .take(REASONS)
                        .collect(),
                }),
                _ => None,
            });
        let last_blocker = entries
            .iter()
            .rev()
            .find(|e| e.is(RowKind::Claim))
            .and_then(|e| match e.row() {
                Row::Claim {
                    claim: Claim::Blocked { reason },
                    ..
                } => Some(shorten(&reason, REPORT_CHARS)),
                _ => None,
            });
        let mut reports: Vec<TurnReport> = entries
            .iter()
            .rev()
            .filter(|e| e.is(RowKind::TurnEnded))
            .filter_map(|e| {
                let Row::TurnEnded { turn, reply, .. } = e.row() else {
                    return None;
                };
                let text = without_claim_lines(&reply?);
                let text = text.trim();
                (!text.is_empty()).then(|| TurnReport {
                    turn: u64::from(turn),
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
    use crate::core::prompt::PromptKind;
    use crate::goal::claim::{Channel, ChecklistItem};

    fn entry(row: Row) -> Entry {
        Entry {
            seq: 1,
            goal_id: "g".into(),
            at: "2026-01-02T10:11:12.345Z".into(),
            kind: row.kind().into(),
            data: row.data(),
        }
    }

    fn rejected(turn: u32, reasons: &[&str]) -> Entry {
        entry(Row::ClaimRejected {
            turn,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
        })
    }

    fn turn_ended(turn: u32, reply: Option<String>) -> Entry {
        entry(Row::TurnEnded {
            turn,
            prompt: PromptKind::Continuation,
            duration_ms: 1000,
            busy_seen: true,
            done_seen: false,
            signalled: false,
            signalled_by: None,
            error: None,
            tokens_used: 0,
            context_used_pct: None,
            reply,
        })
    }

    fn claim(turn: u32, claim: Claim) -> Entry {
        entry(Row::Claim {
            channel: Channel::Screen,
            turn,
            consecutive: matches!(claim, Claim::Blocked { .. }).then_some(1),
            claim,
        })
    }

    #[test]
    fn the_digest_keeps_the_last_rejection_and_recent_replies() {
        let mut entries = vec![
            rejected(1, &["old reason"]),
            rejected(
                2,
                &["`cargo test` failed\nits output", "R2 has no evidence"],
            ),
        ];
        for turn in 1..=5 {
            entries.push(turn_ended(turn, Some(format!("reply {turn}"))));
        }
        entries.push(turn_ended(6, None));
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
        let blocked = claim(
            1,
            Claim::Blocked {
                reason: "no database".into(),
            },
        );
        let digest = Digest::from_entries(std::slice::from_ref(&blocked));
        assert_eq!(digest.last_blocker.as_deref(), Some("no database"));
        let checklist = vec![ChecklistItem {
            requirement: "R1".into(),
            evidence: "e".into(),
        }];
        let later = claim(2, Claim::Complete { checklist });
        assert_eq!(Digest::from_entries(&[blocked, later]).last_blocker, None);
    }

    #[test]
    fn long_replies_keep_their_end() {
        let long = format!("{}END", "x".repeat(1000));
        let digest = Digest::from_entries(&[turn_ended(1, Some(long))]);
        let text = &digest.reports[0].text;
        assert!(text.starts_with('…') && text.ends_with("END"));
        assert_eq!(text.chars().count(), REPORT_CHARS + 1);
    }
}
