//! Claims `goalie mcp` submitted, and the audits of claims.

use crate::audit;
use crate::core::row::Row;
use crate::core::supervisor::Event;
use crate::error::Error;
use crate::goal::claim::Channel;

use super::shell::Shell;

impl Shell<'_> {
    /// Claims `goalie mcp` wrote to the ledger since the last look, as events.
    pub(super) fn submitted_claims(&mut self) -> Result<Vec<Event>, Error> {
        let mut events = Vec::new();
        for claim in self.inbox.take(&self.ledger)? {
            match claim {
                Ok(claim) => events.push(Event::Claim {
                    now_ms: self.now_ms(),
                    channel: Channel::Mcp,
                    claim,
                }),
                Err(error) => {
                    self.ledger
                        .append(&self.goal_id, &Row::ClaimMalformed { error })?;
                }
            }
        }
        Ok(events)
    }

    /// Records an audit's steps and outcome; the core hears the outcome.
    pub(super) fn audit_report(&mut self, report: audit::Report) -> Result<Event, Error> {
        for step in &report.steps {
            self.ledger.append(&self.goal_id, &step.row())?;
        }
        let passed = report.passed();
        let reasons = report.reasons();
        self.ledger.append(
            &self.goal_id,
            &Row::AuditFinished {
                passed,
                steps: report.steps.len() as u32,
                reasons: reasons.clone(),
            },
        )?;
        if !self.interactive {
            self.say(&if passed {
                format!("audit passed ({} checks)", report.steps.len())
            } else {
                format!(
                    "audit failed: {}",
                    reasons
                        .iter()
                        .map(|r| r.lines().next().unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            });
        }
        Ok(Event::AuditFinished {
            now_ms: self.now_ms(),
            passed,
            reasons,
        })
    }
}
