//! Compactions of the agent's context as the supervisor sees them, and the context gauge.

use super::*;

/// How long a new compaction count must hold before it is believed.
pub(super) const SETTLE_MS: u64 = 300;

impl Supervisor {
    /// A source reports a compaction: a new one is answered by the next prompt.
    pub(super) fn compaction_seen(&mut self, now_ms: u64, source: Source, before: Option<u64>) {
        let at = self.moment(now_ms);
        if self.compactions.report(at, source, before) {
            self.compaction_pending = true;
        }
    }
    /// A reading of the context gauge (a sudden fall is a compaction).
    pub(super) fn gauge(&mut self, now_ms: u64, reading: Reading) {
        self.gauge_pct = reading.used_pct.or(self.gauge_pct);
        let at = self.moment(now_ms);
        if self.compactions.reading(at, reading) {
            self.compaction_pending = true;
        }
    }
    pub(super) fn moment(&self, now_ms: u64) -> Moment {
        Moment {
            now_ms,
            turn: self.turns + 1,
            mid_turn: matches!(self.phase, Phase::Working { .. } | Phase::Injecting { .. }),
        }
    }
}
