//! The supervisor's heartbeat: every 10 seconds of the event loop
//! (`ledger::host::heartbeat_every`) it writes
//! the time into its goal's `heartbeat_at` (a column of the goal, not an
//! event: it says nothing new each time). A reader on another host than the
//! supervisor's, where its pid means nothing, tells by it whether the
//! supervisor lives (`ledger::host::remote_supervisor`).

use std::time::Instant;

use super::cadence::TICK;
use super::event_loop::{REQUESTS_EVERY, Step, Wires};
use super::shell::Shell;

impl Shell<'_> {
    /// The ledger's chores, from the tick or, while a wait has stopped the
    /// clock, from their own timer (`Wires::ledger_tick`), so a goal that
    /// waits for hours still shows it lives and still hears another host's
    /// `resume`: the heartbeat when it is due, and a look for requests.
    pub(super) fn ledger_chores(&mut self, wires: &mut Wires, then: &mut Vec<Step>) {
        self.heartbeat_chore(wires);
        // A little early is still due: the ledger's own timer comes every
        // REQUESTS_EVERY, a hair less after the last look than that.
        if wires.last_requests.elapsed() >= REQUESTS_EVERY - TICK / 2 {
            wires.last_requests = Instant::now();
            then.push(Step::LedgerRequests);
        }
    }

    /// The heartbeat, when it is due.
    pub(super) fn heartbeat_chore(&mut self, wires: &mut Wires) {
        if wires.last_heartbeat.elapsed() >= wires.heartbeat_every {
            wires.last_heartbeat = Instant::now();
            self.renew_heartbeat();
        }
    }

    pub(super) fn renew_heartbeat(&mut self) {
        if let Err(err) = self.ledger.heartbeat(&self.goal_id) {
            tracing::warn!(%err, "could not renew the goal's heartbeat");
        }
    }
}
