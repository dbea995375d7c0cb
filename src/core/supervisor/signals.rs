//! The agent's own word that its turn is complete, from its session log or its hook.

use super::*;

impl Supervisor {
    /// The agent says its turn is complete. Whether it counts for the turn
    /// under way: not when none is, nor when it is the previous turn's, late.
    pub(super) fn signal_turn(&mut self, by: &'static str) -> bool {
        let owed = match self.owed_signals.iter().position(|source| *source == by) {
            Some(index) => {
                self.owed_signals.remove(index);
                true
            }
            None => false,
        };
        match &mut self.phase {
            Phase::Working { signalled_by, .. } => {
                if owed {
                    return false;
                }
                signalled_by.get_or_insert(by);
                if !self.turn_signals.contains(&by) {
                    self.turn_signals.push(by);
                }
                if !self.signal_sources.contains(&by) {
                    self.signal_sources.push(by);
                }
                true
            }
            _ => false,
        }
    }
}
