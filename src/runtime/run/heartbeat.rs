//! The supervisor's heartbeat: every few seconds of the event loop it writes
//! the time into its goal's `heartbeat_at` (a column of the goal, not an
//! event: it says nothing new each time). A reader on another host than the
//! supervisor's, where its pid means nothing, tells by it whether the
//! supervisor lives (`ledger::host::remote_supervisor`).

use super::event_loop::TICK;
use super::shell::Shell;
use crate::ledger::host::HEARTBEAT_EVERY;

/// Ticks of the event loop between heartbeats.
pub(super) const HEARTBEAT_TICKS: u64 = (HEARTBEAT_EVERY.as_millis() / TICK.as_millis()) as u64;

impl Shell<'_> {
    pub(super) fn renew_heartbeat(&mut self) {
        if let Err(err) = self.ledger.heartbeat(&self.goal_id) {
            tracing::warn!(%err, "could not renew the goal's heartbeat");
        }
    }
}
