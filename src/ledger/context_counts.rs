//! How often a goal's context was lost and restored: compactions, the prompts
//! that restored the goal after them, and context rotations (new agent
//! processes). Pure: read from the goal's ledger rows.

use serde::Serialize;

use crate::core::row::RowKind;
use crate::ledger::Entry;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ContextCounts {
    /// `compacted` rows: one per compaction, whatever saw it.
    pub compactions: u64,
    /// Prompts that restored the goal after a compaction (`goal_restored` rows).
    pub reinjections: u64,
    /// New agent processes started for the goal within a run (`--fresh`, `--rotate-at`).
    pub rotations: u64,
    /// Agent processes started for the goal, resumes included.
    pub agent_processes: u64,
}

impl ContextCounts {
    pub fn from_entries(entries: &[Entry]) -> ContextCounts {
        // By kind alone: the first goalies' `compacted` rows have another shape.
        let count = |kind: RowKind| entries.iter().filter(|e| e.is(kind)).count() as u64;
        ContextCounts {
            compactions: count(RowKind::Compacted),
            reinjections: count(RowKind::GoalRestored),
            rotations: count(RowKind::Rotated),
            agent_processes: count(RowKind::AgentStarted),
        }
    }

    /// One line for people.
    pub fn line(&self) -> String {
        format!(
            "compactions {} · goal restored {} · rotations {} ({} agent process{})",
            self.compactions,
            self.reinjections,
            self.rotations,
            self.agent_processes,
            if self.agent_processes == 1 { "" } else { "es" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_counted_by_kind() {
        let entry = |kind: &str| Entry {
            seq: 1,
            goal_id: "g".into(),
            at: String::new(),
            kind: kind.into(),
            data: json!({}),
        };
        let entries: Vec<Entry> = [
            "agent_started",
            "compacted",
            "compacted",
            "goal_restored",
            "rotated",
            "agent_started",
        ]
        .iter()
        .map(|kind| entry(kind))
        .collect();
        let counts = ContextCounts::from_entries(&entries);
        assert_eq!(
            counts,
            ContextCounts {
                compactions: 2,
                reinjections: 1,
                rotations: 1,
                agent_processes: 2
            }
        );
        assert_eq!(
            counts.line(),
            "compactions 2 · goal restored 1 · rotations 1 (2 agent processes)"
        );
    }
}
