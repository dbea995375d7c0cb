//! Claims that `goalie mcp` wrote to the ledger, picked up by the running
//! supervisor: a cheap query, on each tick, for `claim_submitted` rows after
//! the last one seen.

use crate::goal::claim::Claim;
use crate::ledger::{Ledger, LedgerError};

/// The ledger row kind `goalie mcp` writes for an `update_goal` call.
pub const KIND: &str = "claim_submitted";

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
        let rows = ledger.entries_after(&self.goal_id, KIND, self.last_seq)?;
        if let Some(last) = rows.last() {
            self.last_seq = last.seq;
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                serde_json::from_value::<Claim>(row.data["claim"].clone())
                    .map_err(|err| format!("row {}: {err}", row.seq))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::NewGoal;
    use serde_json::json;

    #[test]
    fn only_new_claims_are_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("g.db")).unwrap();
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
        let blocked = json!({"claim": {"status": "blocked", "reason": "old"}});
        ledger.append(&goal.id, KIND, &blocked).unwrap();
        let mut inbox = ClaimInbox::new(&ledger, &goal.id).unwrap();
        assert!(
            inbox.take(&ledger).unwrap().is_empty(),
            "older claims are not this run's"
        );
        let complete = json!({"claim": {"status": "complete",
            "checklist": [{"requirement": "R1", "evidence": "e"}]}});
        ledger.append(&goal.id, KIND, &complete).unwrap();
        ledger.append(&goal.id, KIND, &json!({"claim": 7})).unwrap();
        let taken = inbox.take(&ledger).unwrap();
        assert_eq!(taken.len(), 2);
        assert_eq!(taken[0].as_ref().unwrap().status(), "complete");
        assert!(taken[1].is_err());
        assert!(inbox.take(&ledger).unwrap().is_empty());
    }
}
