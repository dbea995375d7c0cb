//! How the run ends: the agent exits, goalie is signalled, something needs a
//! person (escalation), or a decision elsewhere stops it.

use crate::core::row::Row;
use crate::goal::exit_code;
use crate::goal::lifecycle::{Actor, GoalState};

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;

impl Supervisor {
    /// The agent's process ended: a goal still pursued is paused.
    pub(super) fn on_agent_exited(
        &mut self,
        now_ms: u64,
        status: String,
        actions: &mut Vec<Action>,
    ) {
        actions.push(Action::Record(Row::AgentExited {
            status: status.clone(),
        }));
        if self.state == GoalState::Pursuing {
            self.transition(
                GoalState::Paused,
                Actor::Runtime,
                format!("the agent exited ({status}) before the goal ended"),
                actions,
            );
        }
        let exit_code = exit_code::for_state(self.state);
        self.stop(
            now_ms,
            exit_code,
            format!("the agent exited ({status})"),
            actions,
        );
    }

    /// goalie was signalled to stop: a goal still pursued is paused, and the
    /// exit code is 128 + the signal.
    pub(super) fn on_interrupted(&mut self, now_ms: u64, signal: i32, actions: &mut Vec<Action>) {
        let reason = format!("goalie received signal {signal}");
        if self.state == GoalState::Pursuing {
            self.transition(GoalState::Paused, Actor::User, reason.clone(), actions);
        }
        self.stop(now_ms, exit_code::for_signal(signal), reason, actions);
    }

    /// Types nothing more: pauses the goal for a person to look, and stops.
    pub(super) fn escalate(&mut self, now_ms: u64, reason: String, actions: &mut Vec<Action>) {
        if self.state == GoalState::Pursuing {
            self.transition(GoalState::Paused, Actor::Runtime, reason.clone(), actions);
        }
        let exit_code = exit_code::for_state(self.state);
        self.stop(now_ms, exit_code, reason, actions);
    }

    /// The run ends with `exit_code`: open compactions are recorded, and the counters.
    pub(super) fn stop(
        &mut self,
        now_ms: u64,
        exit_code: i32,
        reason: String,
        actions: &mut Vec<Action>,
    ) {
        self.stopped_at_ms = now_ms;
        for row in self.context.close_all() {
            actions.push(Action::Record(Row::Compacted(row)));
        }
        actions.push(self.progress(now_ms));
        actions.push(Action::Stop { exit_code, reason });
        self.phase = Phase::Stopped;
    }
}
