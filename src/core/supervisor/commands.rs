//! The user's commands (pause, resume, edit, budgets, clear) and the
//! takeover chord.

use crate::core::prompt::PromptKind;
use crate::core::row::{Row, TakeoverBy};
use crate::goal::change::{self as goal_change, Refusal, Standing, UserCommand};
use crate::goal::exit_code;
use crate::goal::lifecycle::{Actor, GoalState};

use super::Supervisor;
use super::action::Action;

impl Supervisor {
    pub(super) fn on_command(
        &mut self,
        now_ms: u64,
        command: UserCommand,
        actions: &mut Vec<Action>,
    ) -> Result<Vec<String>, Refusal> {
        let id = self.config.goal_id.clone();
        let change = match command {
            UserCommand::Clear => {
                goal_change::check_clear(&id, self.state)?;
                let reason = goal_change::reason(self.state, GoalState::Cleared).to_string();
                self.takeover = false;
                self.transition(GoalState::Cleared, Actor::User, reason.clone(), actions);
                self.stop(now_ms, exit_code::PAUSED, reason, actions);
                return Ok(vec![format!("goal {id} cleared: the agent is stopped")]);
            }
            UserCommand::Change(change) => change,
        };
        if change.status == Some(goal_change::Status::Pursuing)
            && self.state == GoalState::Pursuing
            && self.user_ends_wait(now_ms, actions)
        {
            self.updated = true;
            return Ok(vec![format!(
                "goal {id} was waiting: the wait is over, goalie types the next prompt"
            )]);
        }
        let standing = Standing {
            id: &id,
            state: self.state,
            takeover: self.takeover,
            objective: &self.config.objective,
            limits: self.config.limits,
            used: self.used(now_ms),
            running: true,
        };
        let plan = goal_change::plan(&standing, &change)?;
        if let Some(objective) = plan.objective {
            let from = std::mem::replace(&mut self.config.objective, objective.clone());
            actions.push(Action::Record(Row::ObjectiveUpdated {
                from: from.clone(),
                to: objective.clone(),
            }));
            // The agent hears what changed from the objective it knew.
            if self.started || self.config.first_prompt != PromptKind::Start {
                self.config.objective_changed_from.get_or_insert(from);
            }
            actions.push(Action::SetObjective { objective });
            self.updated = true;
        }
        if let Some(limits) = plan.limits {
            actions.push(Action::Record(Row::LimitsUpdated {
                from: self.config.limits,
                to: limits,
            }));
            self.config.limits = limits;
            self.wait_cut_at_time_limit(now_ms);
            actions.push(Action::SetLimits { limits });
            self.updated = true;
        }
        if plan.ends_takeover {
            self.takeover = false;
            actions.push(Action::Record(Row::TakeoverEnded {
                by: TakeoverBy::Command,
            }));
        }
        for to in plan.transitions {
            let reason = goal_change::reason(self.state, to).to_string();
            self.transition(to, Actor::User, reason, actions);
        }
        Ok(plan.messages)
    }
    /// Ctrl-] t: the first press hands the agent to the person (the goal
    /// pauses), the second hands it back (the goal continues at the next idle turn).
    pub(super) fn on_takeover_chord(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        self.screen.user_typed(now_ms);
        if self.takeover {
            self.takeover = false;
            self.updated = true;
            actions.push(Action::Record(Row::TakeoverEnded {
                by: TakeoverBy::Chord,
            }));
            if self.state == GoalState::Paused {
                let reason = "the user handed the terminal back".to_string();
                self.transition(GoalState::Pursuing, Actor::User, reason, actions);
            }
            return;
        }
        match self.state {
            GoalState::Pursuing | GoalState::Paused => {
                self.takeover = true;
                self.updated = true;
                actions.push(Action::Record(Row::TakeoverStarted {}));
                if self.state == GoalState::Pursuing {
                    let reason = "the user took over the terminal".to_string();
                    self.transition(GoalState::Paused, Actor::User, reason, actions);
                }
            }
            state => actions.push(Action::Record(Row::TakeoverRefused { state })),
        }
    }
}
