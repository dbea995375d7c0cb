//! Control through the ledger, for commands given on another host than the
//! supervisor's (where its control socket is out of reach): `goalie pause`,
//! `resume`, `budget`, `edit` and `clear` there write a `control_requested`
//! row; the running supervisor looks for new ones twice a second (as it looks
//! for the claims `goalie mcp` writes: a query only once another connection
//! wrote, `Ledger::data_version`), hands each to the core as the socket's
//! requests are, and answers with a `control_answered` row that the command
//! waits for.

use serde_json::json;

use super::event_loop::Wires;
use super::shell::Shell;
use crate::control::Method;
use crate::control::protocol::parse_request;
use crate::core::row::{Row, RowKind};
use crate::error::Error;
use crate::goal::change::{Refusal, UserCommand};
use crate::ledger::host::this_host;

impl Shell<'_> {
    /// Where the looks for requests start: rows written before this run
    /// began were meant for a supervisor that is gone.
    pub(super) fn requests_start(&self) -> i64 {
        self.requests_from
    }

    /// The commands requested in the ledger since the last look, each with
    /// its row's seq. A request that is not a command is answered at once.
    pub(super) fn ledger_requests(
        &mut self,
        wires: &mut Wires,
    ) -> Result<Vec<(i64, UserCommand)>, Error> {
        // Requests come from other connections only: nothing new while none wrote.
        let version = self.ledger.data_version()?;
        if wires.requests_version == Some(version) {
            return Ok(Vec::new());
        }
        wires.requests_version = Some(version);
        let rows = self.ledger.entries_after(
            &self.goal_id,
            RowKind::ControlRequested,
            wires.requests_seen,
        )?;
        let mut commands = Vec::new();
        for entry in rows {
            wires.requests_seen = entry.seq;
            let Row::ControlRequested {
                command, params, ..
            } = entry.row()
            else {
                self.answer_request(
                    entry.seq,
                    Some(Err(Refusal("an unreadable request".into()))),
                );
                continue;
            };
            let line =
                json!({"id": entry.seq, "method": format!("goal/{command}"), "params": params});
            match parse_request(&line.to_string()).map(|request| request.method) {
                Ok(Method::Set(change)) => commands.push((entry.seq, UserCommand::Change(change))),
                Ok(Method::Clear) => commands.push((entry.seq, UserCommand::Clear)),
                Ok(_) => self.answer_request(
                    entry.seq,
                    Some(Err(Refusal(format!("`{command}` is not a command")))),
                ),
                Err((_, err)) => {
                    self.answer_request(entry.seq, Some(Err(Refusal(err.message))));
                }
            }
        }
        Ok(commands)
    }

    /// Answers the request row `seq` with what the core replied (`None`:
    /// the run ended first).
    pub(super) fn answer_request(&mut self, seq: i64, reply: Option<Result<Vec<String>, Refusal>>) {
        let (ok, messages, error) = match reply {
            Some(Ok(messages)) => (true, messages, None),
            Some(Err(refusal)) => (false, Vec::new(), Some(refusal.0)),
            None => (false, Vec::new(), Some("the goal's run has ended".into())),
        };
        let row = Row::ControlAnswered {
            request: seq,
            host: this_host(),
            ok,
            messages,
            error,
        };
        if let Err(err) = self.ledger.append(&self.goal_id, &row) {
            tracing::warn!(%err, seq, "could not answer a request from the ledger");
        }
    }
}
