//! Claims that `goalie mcp` wrote to the ledger, picked up by the running
//! supervisor: a cheap query, on each tick, for `claim_submitted` rows after
//! the last one seen.

use crate::core::row::{Row, RowKind};
use crate::goal::claim::Claim;
use crate::ledger::{Ledger, LedgerError};

/// Where the supervisor is in a goal's submitted claims.
#[derive(Debug)]
pub struct ClaimInbox {
    goal_id: String,
    last_seq: i64,
}

impl ClaimInbox {
    /// Starts after the goal's newest row: claims submitted before this run are not this run's.
    pub fn new(ledger: &Ledger, goal_id: &str) -> Result<ClaimInbox, LedgerError> {
        Ok(ClaimInbox {
            goal_id: goal_id.to_string(),
            last_seq: ledger.last_seq(goal_id)?,
        })
    }

    /// Claims submitted since the last call; rows that are not a claim are
    /// returned as errors to record.
    pub fn take(&mut self, ledger: &Ledger) -> Result<Vec<Result<Claim, String>>, LedgerError> {
        let rows = ledger.entries_after(&self.goal_id, RowKind::ClaimSubmitted, self.last_seq)?;
        if let Some(last) = rows.last() {
            self.last_seq = last.seq;
        }
        Ok(rows
            .into_iter()
            .map(|entry| match entry.row() {
                Row::ClaimSubmitted { claim, .. } => Ok(claim),
                _ => {
                    // Say what is wrong with the claim, when that is what is.
                    let why = serde_json::from_value::<Claim>(entry.data["claim"].clone())
                        .err()
                        .map_or_else(
                            || format!("not a claim row: {}", entry.data),
                            |e| e.to_string(),
                        );
                    Err(format!("row {}: {why}", entry.seq))
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goal::claim::{Channel, ChecklistItem};
    use crate::ledger::NewGoal;
    use serde_json::json;

    fn submitted(claim: Claim) -> Row {
        Row::ClaimSubmitted {
            channel: Channel::Mcp,
            claim,
        }
    }

    #[test]
    fn only_new_claims_are_taken_once() {
        for db in crate::ledger::store::test_db::TestDb::all() {
            eprintln!("backend: {}", db.label());
            let ledger = Ledger::open(&db.path("g.db")).unwrap();
            let goal = ledger
                .create_goal(&NewGoal {
                    objective: "x".into(),
                    agent: "sim".into(),
                    workdir: "/tmp".into(),
                    claim_code: "c".into(),
                    max_turns: None,
                    max_time_ms: None,
                    budget_tokens: None,
                })
                .unwrap();
            let blocked = submitted(Claim::Blocked {
                reason: "old".into(),
            });
            ledger.append(&goal.id, &blocked).unwrap();
            let mut inbox = ClaimInbox::new(&ledger, &goal.id).unwrap();
            assert!(
                inbox.take(&ledger).unwrap().is_empty(),
                "older claims are not this run's"
            );
            let complete = submitted(Claim::Complete {
                checklist: vec![ChecklistItem {
                    requirement: "R1".into(),
                    evidence: "e".into(),
                }],
            });
            ledger.append(&goal.id, &complete).unwrap();
            let malformed =
                Row::from_parts("claim_submitted", json!({"channel": "mcp", "claim": 7}));
            ledger.append(&goal.id, &malformed).unwrap();
            let taken = inbox.take(&ledger).unwrap();
            assert_eq!(taken.len(), 2);
            assert_eq!(taken[0].as_ref().unwrap().status(), "complete");
            assert!(taken[1].is_err());
            assert!(inbox.take(&ledger).unwrap().is_empty());
        }
    }
}
