//! The agent processes of a run: which one runs, its turns, its handoff
//! note, and when rotation asks for a new one.

use crate::core::config::Rotation;
use crate::core::prompt::PromptKind;

/// The file the agent writes its handoff note to, relative to its working directory.
pub fn handoff_file(goal_id: &str, process: u32) -> String {
    format!(".goalie/handoff-{goal_id}-{process}.md")
}

/// The agent processes of the run: which one runs, and where it is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processes {
    /// The agent process, from 1.
    number: u32,
    /// Turns that ended in this agent process.
    turns: u32,
    /// This process was asked for its handoff note.
    handoff_asked: bool,
    /// The first prompt to a new process is still to come, with this note if any.
    rotated: Option<Option<String>>,
}

/// What rotation asks for before the next prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationStep {
    /// End this process and start a new one (that reads this one's handoff note).
    Restart { handoff: bool },
    /// Ask this process for its handoff note: the context is `used_pct` full.
    AskHandoff { used_pct: u8, threshold: u8 },
}

impl Default for Processes {
    fn default() -> Processes {
        Processes {
            number: 1,
            turns: 0,
            handoff_asked: false,
            rotated: None,
        }
    }
}

impl Processes {
    /// The processes of a run whose first agent process is number `first`.
    pub fn starting_at(first: u32) -> Processes {
        Processes {
            number: first.max(1),
            ..Processes::default()
        }
    }

    /// The agent process, from 1.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// A turn ended in this process.
    pub fn turn_ended(&mut self) {
        self.turns += 1;
    }

    /// A new process runs; the old one left `handoff`, if any.
    pub fn restarted(&mut self, handoff: Option<String>) {
        self.number += 1;
        self.turns = 0;
        self.handoff_asked = false;
        self.rotated = Some(handoff);
    }

    /// The first prompt to a new process is still to come.
    pub fn rotated(&self) -> bool {
        self.rotated.is_some()
    }

    /// A prompt of `kind` is typed: the first to the process. The handoff
    /// note it carries, for the prompt after a rotation.
    pub fn prompted(&mut self, kind: PromptKind) -> Option<String> {
        let rotated = self.rotated.take();
        match kind {
            PromptKind::AfterRotation => rotated.flatten(),
            _ => None,
        }
    }

    /// Before the next prompt, by `rotation` and the context gauge: nothing
    /// (`None`) before the process has had a turn.
    pub fn step(&mut self, rotation: Rotation, gauge_pct: Option<u8>) -> Option<RotationStep> {
        if self.turns == 0 {
            return None;
        }
        match rotation {
            Rotation::Never => None,
            Rotation::EveryTurn => Some(RotationStep::Restart { handoff: false }),
            Rotation::At(_) if self.handoff_asked => Some(RotationStep::Restart { handoff: true }),
            Rotation::At(threshold) => {
                let used_pct = gauge_pct.filter(|used| *used >= threshold)?;
                self.handoff_asked = true;
                Some(RotationStep::AskHandoff {
                    used_pct,
                    threshold,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_rotates_without_a_rotation_or_before_a_turn() {
        let mut processes = Processes::default();
        assert_eq!(processes.step(Rotation::EveryTurn, Some(100)), None);
        processes.turn_ended();
        assert_eq!(processes.step(Rotation::Never, Some(100)), None);
    }

    #[test]
    fn fresh_context_restarts_after_every_turn_without_a_note() {
        let mut processes = Processes::default();
        processes.turn_ended();
        let step = processes.step(Rotation::EveryTurn, None);
        assert_eq!(step, Some(RotationStep::Restart { handoff: false }));
        processes.restarted(None);
        assert_eq!(processes.number(), 2);
        assert_eq!(processes.step(Rotation::EveryTurn, None), None);
    }

    #[test]
    fn a_full_context_asks_for_the_note_then_restarts() {
        let mut processes = Processes::default();
        processes.turn_ended();
        assert_eq!(processes.step(Rotation::At(80), Some(79)), None);
        assert_eq!(processes.step(Rotation::At(80), None), None);
        assert_eq!(
            processes.step(Rotation::At(80), Some(85)),
            Some(RotationStep::AskHandoff {
                used_pct: 85,
                threshold: 80
            })
        );
        processes.turn_ended(); // The handoff turn.
        assert_eq!(
            processes.step(Rotation::At(80), Some(10)),
            Some(RotationStep::Restart { handoff: true }),
            "once asked, the note ends the process whatever the gauge"
        );
    }

    #[test]
    fn the_first_prompt_after_a_rotation_carries_the_note_once() {
        let mut processes = Processes::default();
        assert!(!processes.rotated());
        processes.restarted(Some("the note".into()));
        assert!(processes.rotated());
        assert_eq!(
            processes.prompted(PromptKind::AfterRotation),
            Some("the note".to_string())
        );
        assert!(!processes.rotated());
        assert_eq!(processes.prompted(PromptKind::AfterRotation), None);
    }

    #[test]
    fn any_prompt_ends_the_wait_for_the_first_one() {
        let mut processes = Processes::default();
        processes.restarted(Some("the note".into()));
        assert_eq!(processes.prompted(PromptKind::BudgetLimit), None);
        assert!(!processes.rotated());
    }

    #[test]
    fn the_handoff_file_names_the_goal_and_the_process() {
        assert_eq!(handoff_file("g1", 3), ".goalie/handoff-g1-3.md");
    }
}
