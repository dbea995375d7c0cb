//! The agent's own word that its turn is complete, from its session log or
//! its hook (the rules of who owes a late signal: [`TurnSignals`](super::state::TurnSignals)).

use crate::core::row::Row;

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;

impl Supervisor {
    /// The agent says its turn is complete. Whether it counts for the turn
    /// under way: not when none is, nor when it is the previous turn's, late.
    /// A counted signal that came before the turn showed it ran is kept
    /// apart: it may still be the last turn's (a source first heard late
    /// owes nothing), so it alone never ends the turn on evidence.
    pub(super) fn signal_turn(&mut self, now_ms: u64, by: &'static str) -> bool {
        let in_turn = matches!(self.phase, Phase::Working { .. });
        let counted = self.signals.signal(by, in_turn, now_ms);
        if counted
            && let Phase::Working {
                signalled_by,
                signalled_ms,
                ran_signal_ms,
                saw_busy,
                saw_done,
                ..
            } = &mut self.phase
        {
            signalled_by.get_or_insert(by);
            signalled_ms.get_or_insert(now_ms);
            let ran = *saw_busy || *saw_done || self.signals.ran_by_its_source(by);
            if ran && self.signals.came_after_it_ran(by) {
                ran_signal_ms.get_or_insert(now_ms);
            }
        }
        counted
    }

    /// The agent's turn-complete hook fired.
    pub(super) fn on_turn_signal(
        &mut self,
        now_ms: u64,
        source: String,
        data: serde_json::Value,
        actions: &mut Vec<Action>,
    ) {
        let counted = self.signal_turn(now_ms, "hook");
        actions.push(Action::Record(Row::TurnSignal {
            source,
            turn: self.turns + 1,
            counted,
            data,
        }));
        self.advance(now_ms, actions);
    }
}
