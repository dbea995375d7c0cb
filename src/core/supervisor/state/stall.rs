//! The no-progress breaker's memory: the last few replies, the commands of
//! the turn before and of this one, the last turn's error, and how many turns
//! in a row made no progress. After `N` of them the next prompt says so
//! (`no_progress.md`); after `N` more the goal pauses.

use std::collections::{BTreeSet, VecDeque};

use crate::core::progress::{self, Change, TurnFacts, Verdict, Workspace};
use crate::core::row::TurnError;

/// How many earlier replies a reply is compared with.
const REPLIES_KEPT: usize = 3;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StallWatch {
    /// The last few replies, normalised, newest last.
    replies: VecDeque<Vec<String>>,
    /// The commands of the turn before.
    last_commands: BTreeSet<String>,
    /// The commands of this turn.
    commands: Vec<String>,
    /// The error the turn before ended with.
    last_error: Option<TurnError>,
    /// Turns in a row without progress.
    without: u32,
    /// The workspace as the shell measured it for the turn ending now.
    measured: Option<Workspace>,
    /// The reply as the screen showed it at the measurement.
    screen_reply: Option<String>,
    /// A measurement was asked for and has not come.
    measuring: bool,
    /// The no-progress prompt is due.
    nudge: bool,
    /// What did not change in the turns without progress, for that prompt.
    unchanged: Vec<String>,
}

/// What the breaker asks for after a turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StallStep {
    Go,
    /// `turns` in a row made no progress: pause the goal.
    Pause {
        turns: u32,
    },
}

impl StallWatch {
    /// The agent ran `command` (its session log said so).
    pub fn command(&mut self, command: &str) {
        self.commands.push(command.to_string());
    }

    /// A measurement was asked for: whether one is still awaited (then the
    /// turn's end waits for it).
    pub fn awaiting(&self) -> bool {
        self.measuring
    }

    /// Whether the workspace of the turn ending now has been measured.
    pub fn measured(&self) -> bool {
        self.measured.is_some()
    }

    pub fn asked(&mut self) {
        self.measuring = true;
    }

    /// How the workspace changed, as measured for the turn ending now.
    pub fn change(&self) -> Change {
        self.measured.as_ref().map_or(Change::None, |w| w.change)
    }

    /// The turn ending now will not end (it hung): its measurement is void.
    pub fn drop_measurement(&mut self) {
        self.measured = None;
        self.screen_reply = None;
        self.measuring = false;
        self.commands.clear();
    }

    /// The shell measured the workspace.
    pub fn take_measurement(&mut self, workspace: Workspace, screen_reply: Option<String>) {
        self.measuring = false;
        self.measured = Some(workspace);
        self.screen_reply = screen_reply;
    }

    /// The turn ended with `reply` (else the screen's, from the measurement)
    /// and `error`: the verdict, and the breaker's step with `stall_turns` (0: off).
    pub fn turn_ended(
        &mut self,
        reply: Option<&str>,
        error: Option<TurnError>,
        stall_turns: u32,
    ) -> (Verdict, StallStep) {
        let screen_reply = self.screen_reply.take();
        let words = reply
            .or(screen_reply.as_deref())
            .map(progress::normalise)
            .unwrap_or_default();
        let reply_repeated = !words.is_empty()
            && self
                .replies
                .iter()
                .any(|old| progress::similar(old, &words));
        let commands = std::mem::take(&mut self.commands);
        let this_turn: BTreeSet<String> = commands.iter().cloned().collect();
        let facts = TurnFacts {
            workspace: self.measured.take(),
            new_commands: this_turn.difference(&self.last_commands).count(),
            commands: commands.len(),
            reply_repeated,
            no_reply: words.is_empty(),
            same_error: error
                .filter(|error| self.last_error == Some(*error))
                .map(TurnError::describe),
        };
        self.last_commands = this_turn;
        self.last_error = error;
        if !words.is_empty() {
            if self.replies.len() == REPLIES_KEPT {
                self.replies.pop_front();
            }
            self.replies.push_back(words);
        }
        let verdict = progress::judge(&facts);
        if verdict.progress {
            self.without = 0;
            self.nudge = false;
            self.unchanged.clear();
            return (verdict, StallStep::Go);
        }
        self.without += 1;
        if self.unchanged.len() < 10 {
            self.unchanged.push(verdict.what.clone());
        }
        let step = if stall_turns == 0 {
            StallStep::Go
        } else if self.without >= 2 * stall_turns {
            StallStep::Pause {
                turns: self.without,
            }
        } else {
            if self.without == stall_turns {
                self.nudge = true;
            }
            StallStep::Go
        };
        (verdict, step)
    }

    /// Turns in a row without progress.
    pub fn without(&self) -> u32 {
        self.without
    }

    /// The no-progress prompt is due.
    pub fn nudge_due(&self) -> bool {
        self.nudge
    }

    /// The no-progress prompt is typed: what did not change, for it.
    pub fn take_nudge(&mut self) -> Vec<String> {
        self.nudge = false;
        self.unchanged.clone()
    }

    /// The count starts again (the goal was resumed).
    pub fn fresh_count(&mut self) {
        self.without = 0;
        self.nudge = false;
        self.unchanged.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unchanged() -> Workspace {
        Workspace {
            change: Change::None,
            what: "workspace unchanged".into(),
        }
    }

    fn changed() -> Workspace {
        Workspace {
            change: Change::Content,
            what: "1 file changed: a.txt".into(),
        }
    }

    fn turn(watch: &mut StallWatch, workspace: Workspace, reply: &str) -> (bool, StallStep) {
        watch.asked();
        assert!(watch.awaiting());
        watch.take_measurement(workspace, None);
        assert!(watch.measured() && !watch.awaiting());
        let (verdict, step) = watch.turn_ended(Some(reply), None, 3);
        (verdict.progress, step)
    }

    #[test]
    fn three_turns_without_progress_nudge_and_six_pause() {
        let mut watch = StallWatch::default();
        for n in 1..=5 {
            let (progress, step) = turn(&mut watch, unchanged(), "Looked around.");
            assert!(!progress);
            assert_eq!(step, StallStep::Go);
            assert_eq!(watch.nudge_due(), n == 3, "turn {n}");
            if n == 3 {
                assert_eq!(watch.take_nudge().len(), 3);
            }
        }
        let (_, step) = turn(&mut watch, unchanged(), "Looked around.");
        assert_eq!(step, StallStep::Pause { turns: 6 });
    }

    #[test]
    fn progress_resets_the_count() {
        let mut watch = StallWatch::default();
        turn(&mut watch, unchanged(), "a");
        turn(&mut watch, unchanged(), "a");
        assert_eq!(watch.without(), 2);
        let (progress, _) = turn(&mut watch, changed(), "a");
        assert!(progress);
        assert_eq!(watch.without(), 0);
        watch.fresh_count();
        assert!(!watch.nudge_due());
    }

    #[test]
    fn a_touched_file_counts_only_with_a_new_reply() {
        let mut watch = StallWatch::default();
        let touched = || Workspace {
            change: Change::Touched,
            what: "1 file touched: notes.txt".into(),
        };
        assert!(turn(&mut watch, touched(), "Updated the notes.").0);
        assert!(!turn(&mut watch, touched(), "Updated the notes.").0);
        assert!(turn(&mut watch, touched(), "Now the changelog is done as well.").0);
    }

    #[test]
    fn commands_count_when_new_and_the_same_error_does_not() {
        let mut watch = StallWatch::default();
        watch.command("cargo test");
        watch.take_measurement(unchanged(), None);
        assert!(watch.turn_ended(Some("ran the tests"), None, 3).0.progress);
        watch.command("cargo test");
        watch.take_measurement(unchanged(), None);
        assert!(!watch.turn_ended(Some("ran them again"), None, 3).0.progress);
        let error = Some(TurnError::ApiError);
        watch.take_measurement(changed(), None);
        assert!(watch.turn_ended(None, error, 3).0.progress, "the first one");
        watch.take_measurement(changed(), None);
        assert!(!watch.turn_ended(None, error, 3).0.progress);
    }

    #[test]
    fn zero_turns_never_pauses() {
        let mut watch = StallWatch::default();
        for _ in 0..20 {
            watch.take_measurement(unchanged(), None);
            assert_eq!(watch.turn_ended(Some("same"), None, 0).1, StallStep::Go);
            assert!(!watch.nudge_due());
        }
    }
}
