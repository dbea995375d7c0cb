//! What the run is doing at a moment ([`Activity`]), read from the
//! supervisor's phase, the goal's state and the person's keys.

use crate::core::config::DialogPolicy;
use crate::goal::lifecycle::GoalState;

use super::Supervisor;
use super::activity::Activity;
use super::phase::Phase;

impl Supervisor {
    /// What the run is doing at `now_ms`.
    pub fn activity(&self, now_ms: u64) -> Activity {
        if self.phase == Phase::Stopped {
            return Activity::Stopped;
        }
        if self.takeover {
            return Activity::TakenOver;
        }
        let escalated = self
            .dialog
            .shown()
            .and_then(|index| self.config.dialogs.get(index))
            .is_some_and(|dialog| dialog.policy == DialogPolicy::Escalate);
        if escalated {
            return Activity::WaitingForKeys;
        }
        let seen = self.screen.seen();
        let person_typing = self
            .screen
            .user_typed_within(now_ms, self.config.user_quiet_ms);
        match self.phase {
            Phase::Auditing => Activity::Auditing,
            Phase::Backoff { until_ms, .. } => Activity::BackingOff { until_ms },
            Phase::Injecting { .. } => Activity::Typing,
            Phase::Waiting => Activity::Waiting {
                until_ms: self.wait.as_ref().map_or(now_ms, |wait| wait.deadline_ms),
            },
            Phase::Restarting => Activity::Restarting,
            Phase::Starting { .. } => Activity::Starting,
            _ if self.state == GoalState::Paused => Activity::Paused,
            // The turn looks over, but the person's keys hold goalie back.
            Phase::Working { .. } | Phase::Idle if person_typing && seen.idle && !seen.busy => {
                Activity::WaitingForKeys
            }
            Phase::Working { .. } => Activity::Working,
            Phase::Idle | Phase::Stopped => Activity::Idle,
        }
    }

    /// Whether a turn is under way whose screen has shown that the agent
    /// took the prompt (its busy sign, or its own finished-turn line). Until
    /// then a brief busy sign could be missed by a screen looked at only now
    /// and then; after it, nothing the turn's end needs is that brief.
    pub fn turn_showed_work(&self) -> bool {
        matches!(
            self.phase,
            Phase::Working { saw_busy, saw_done, .. } if saw_busy || saw_done
        )
    }

    /// Whether the agent has said that the turn under way ended (its hook,
    /// or its session log). Its end then waits only for a screen drawn after
    /// the word that shows the input box: a look as soon as such a screen
    /// comes, not once the output has paused.
    pub fn turn_signalled(&self) -> bool {
        matches!(
            self.phase,
            Phase::Working {
                signalled_ms: Some(_),
                ..
            }
        )
    }

    /// After the agent said the turn ended, on a screen that already showed
    /// its input box: the next moment after `now_ms` at which the short
    /// settle that such a screen needs is over (see `advance.rs`), when the
    /// clock must look again, not at its next regular tick. Asking for a
    /// tick that then changes nothing (the screen changed, or a condition
    /// other than time holds the end back) costs only that tick.
    pub fn signal_settles_ms(&self, now_ms: u64) -> Option<u64> {
        let Phase::Working {
            signalled_ms,
            ran_signal_ms,
            ..
        } = self.phase
        else {
            return None;
        };
        let settle = self.signal_settle_ms();
        [signalled_ms, ran_signal_ms]
            .into_iter()
            .flatten()
            .map(|at| at.saturating_add(settle))
            .filter(|&at| at > now_ms)
            .min()
    }
}
