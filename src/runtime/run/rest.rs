//! The goal at rest: paused (or taken over) at an idle prompt, where no
//! tick can change anything the core decides ([`Supervisor::resting`]). The
//! clock stops, as it does while goalie waits: ten ticks a second, each a
//! wake-up of the loop, a read of the ledger and the core's tick, were all
//! that goalie did there, and cost it as much CPU as the idle agent's own.
//! The loop still wakes for what can end the rest or needs an answer
//! (output, keys, the control socket, signals, the agent's exit, the
//! session log's watch), and once a second, on the rest's own timer
//! (`Wires::rest_tick`, `REST_CHORES_EVERY`), for the chores: another host's requests and
//! the claims `goalie mcp` stored (both only once a look at the ledger's
//! data version says another connection wrote), the heartbeat, the session
//! log when it is polled, the recording's flush, the goal's counters and a
//! walk of the agent's tree when due. Output not yet looked at keeps
//! the clock ticking until it is, so a dialog or a new screen is handled as
//! before; a resume makes the core stop resting, and the clock ticks at once.
//!
//! The status row needs no clock at rest: the time spent does not grow
//! while the goal is paused, and everything else it shows changes only
//! with an event, after which it is drawn.
//!
//! [`Supervisor::resting`]: crate::core::supervisor::Supervisor::resting

use std::time::Instant;

use super::event_loop::{Step, Wires};
use super::shell::Shell;
use super::work_stats::walk_due;

impl Shell<'_> {
    /// Whether the loop's clock stops because the goal rests: the core says
    /// no tick can change anything, and the shell has nothing for a tick
    /// either (output not yet looked at, opencode's database not yet read).
    pub(super) fn resting(&self, wires: &Wires) -> bool {
        !wires.unseen_output && !wires.db_dirty && self.core.resting()
    }

    /// The chores of the ledger's timer while the clock is stopped: in a
    /// wait, the ledger's (`heartbeat.rs`); at rest, those a tick does but
    /// for the core's own (`steps.rs`), and claims.
    pub(super) fn stopped_clock_chores(&mut self, wires: &mut Wires, then: &mut Vec<Step>) {
        let mut chores = Vec::new();
        if self.resting(wires) {
            self.watch.work.rest_chores += 1;
            let now = Instant::now();
            self.timed_chores(wires, now, &mut chores);
            self.heartbeat_chore(wires);
            self.rest_walk();
            // Requests and claims come from other connections only: one
            // look at the ledger's data version says whether any wrote
            // (then each looks for its own rows, as at a tick).
            if self.ledger_written(wires) {
                wires.last_requests = now;
                chores.extend([Step::LedgerRequests, Step::Claims]);
            }
        } else {
            self.ledger_chores(wires, &mut chores);
        }
        then.extend(chores);
    }

    /// The agent's tree walked now and then as outside a turn, so that a
    /// process started at rest (the person's, in a takeover) that later
    /// leaves its parent is still known when the run ends; its CPU is not
    /// read (no turn can hang at rest).
    fn rest_walk(&mut self) {
        if walk_due(None, self.watch.last_walk.map(|at| at.elapsed())) {
            self.agent.refresh_members();
            self.watch.last_walk = Some(Instant::now());
            self.watch.work.tree_walks += 1;
        }
    }

    /// Whether another connection wrote to the ledger since the last look
    /// at rest (a failed look says yes: the steps that follow report it).
    fn ledger_written(&mut self, wires: &mut Wires) -> bool {
        let version = self.ledger.data_version().ok();
        let written = version.is_none() || version != wires.rest_version;
        wires.rest_version = version;
        written
    }
}
