//! Claims that `goalie mcp` wrote to the ledger, picked up by the running
//! supervisor: on each tick, a look at whether another connection wrote
//! ([`Ledger::data_version`]), and only then a query for `claim_submitted`
//! rows after the last one seen.

use crate::core::row::{Row, RowKind};
use crate::goal::claim::Claim;
use crate::ledger::{Ledger, LedgerError};

/// Where the supervisor is in a goal's submitted claims.
#[derive(Debug)]
pub struct ClaimInbox {
    goal_id: String,
    last_seq: i64,
    /// The ledger's data version at the last query (`None`: none yet).
    version: Option<i64>,
    /// How many times the rows were queried (tests count them).
    queries: u64,
}

impl ClaimInbox {
    /// Starts after the goal's newest row: claims submitted before this run are not this run's.
    pub fn new(ledger: &Ledger, goal_id: &str) -> Result<ClaimInbox, LedgerError> {
        Ok(ClaimInbox {
            goal_id: goal_id.to_string(),
            last_seq: ledger.last_seq(goal_id)?,
            version: None,
            queries: 0,
        })
    }

    /// Claims submitted since the last call; rows that are not a claim are
    /// returned as errors to record.
    pub fn take(&mut self, ledger: &Ledger) -> Result<Vec<Result<Claim, String>>, LedgerError> {
        // Claims come from other connections only: nothing new while none wrote.
        let version = ledger.data_version()?;
        if self.version == Some(version) {
            return Ok(Vec::new());
        }
        self.version = Some(version);
        self.queries += 1;
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

impl ClaimInbox {
    /// How many times it queried the rows (it skips the query while no other
    /// connection wrote).
    pub fn queries(&self) -> u64 {
        self.queries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goal::claim::{Channel, ChecklistItem};
    use crate::ledger::NewGoal;
    use serde_json::json;

    fn new_goal(ledger: &Ledger) -> crate::ledger::Goal {
        ledger
            .create_goal(&NewGoal {
                objective: "x".into(),
                agent: "sim".into(),
                workdir: "/tmp".into(),
                claim_code: "c".into(),
                max_turns: None,
                max_time_ms: None,
                budget_tokens: None,
            })
            .unwrap()
    }

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
            let goal = new_goal(&ledger);
            let blocked = submitted(Claim::Blocked {
                reason: "old".into(),
            });
            ledger.append(&goal.id, &blocked).unwrap();
            let mut inbox = ClaimInbox::new(&ledger, &goal.id).unwrap();
            assert!(
                inbox.take(&ledger).unwrap().is_empty(),
                "older claims are not this run's"
            );
            // `goalie mcp` writes on a connection of its own.
            let mcp = Ledger::open(&db.path("g.db")).unwrap();
            let complete = submitted(Claim::Complete {
                checklist: vec![ChecklistItem {
                    requirement: "R1".into(),
                    evidence: "e".into(),
                }],
            });
            mcp.append(&goal.id, &complete).unwrap();
            let malformed =
                Row::from_parts("claim_submitted", json!({"channel": "mcp", "claim": 7}));
            mcp.append(&goal.id, &malformed).unwrap();
            let taken = inbox.take(&ledger).unwrap();
            assert_eq!(taken.len(), 2);
            assert_eq!(taken[0].as_ref().unwrap().status(), "complete");
            assert!(taken[1].is_err());
            assert!(inbox.take(&ledger).unwrap().is_empty());
        }
    }

    #[test]
    fn the_rows_are_queried_only_after_another_connection_wrote() {
        for db in crate::ledger::store::test_db::TestDb::all() {
            eprintln!("backend: {}", db.label());
            let ledger = Ledger::open(&db.path("g.db")).unwrap();
            let goal = new_goal(&ledger);
            let mut inbox = ClaimInbox::new(&ledger, &goal.id).unwrap();
            assert!(inbox.take(&ledger).unwrap().is_empty());
            assert_eq!(inbox.queries(), 1, "the first look queries");
            // A thousand ticks of the supervisor's own writes (its rows, its heartbeat): no query.
            for _ in 0..1000 {
                ledger.heartbeat(&goal.id).unwrap();
                assert!(inbox.take(&ledger).unwrap().is_empty());
            }
            assert_eq!(inbox.queries(), 1);
            let mcp = Ledger::open(&db.path("g.db")).unwrap();
            mcp.append(
                &goal.id,
                &submitted(Claim::Blocked {
                    reason: "stuck".into(),
                }),
            )
            .unwrap();
            assert_eq!(inbox.take(&ledger).unwrap().len(), 1);
            assert_eq!(inbox.queries(), 2);
            assert!(inbox.take(&ledger).unwrap().is_empty());
            assert_eq!(inbox.queries(), 2);
        }
    }
}
