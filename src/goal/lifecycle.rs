//! The goal's lifecycle: its states, who may move it between them, and the rules.
//!
//! Pure: no I/O. Every transition names its actor, and a transition that the
//! rules do not allow is an error, never a silent change.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a goal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GoalState {
    /// The agent is (or will be) working on it.
    Pursuing,
    /// Work is suspended; `goalie resume` continues it.
    Paused,
    /// A completion claim was accepted. Final.
    Achieved,
    /// The agent reported the goal blocked. Final.
    Unmet,
    /// A turn, time or token limit was reached. Raising the limit re-opens it.
    BudgetLimited,
    /// The user cleared it: the agent was stopped and nothing more happens. Final.
    Cleared,
}

impl GoalState {
    /// The name used in the database, the CLI and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            GoalState::Pursuing => "pursuing",
            GoalState::Paused => "paused",
            GoalState::Achieved => "achieved",
            GoalState::Unmet => "unmet",
            GoalState::BudgetLimited => "budget-limited",
            GoalState::Cleared => "cleared",
        }
    }

    /// Parses a name written by [`GoalState::as_str`].
    pub fn parse(name: &str) -> Option<GoalState> {
        [
            GoalState::Pursuing,
            GoalState::Paused,
            GoalState::Achieved,
            GoalState::Unmet,
            GoalState::BudgetLimited,
            GoalState::Cleared,
        ]
        .into_iter()
        .find(|state| state.as_str() == name)
    }

    /// Whether no further work happens in this state without the user.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            GoalState::Achieved | GoalState::Unmet | GoalState::Cleared
        )
    }
}

impl fmt::Display for GoalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who causes a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Actor {
    /// The person, from the terminal or a command.
    User,
    /// The agent, through a completion or blocked claim.
    Agent,
    /// goalie itself: limits, the agent's process ending.
    Runtime,
}

impl Actor {
    /// The name used in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::User => "user",
            Actor::Agent => "agent",
            Actor::Runtime => "runtime",
        }
    }
}

/// A transition the rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {actor} may not move a goal from {from} to {to}", actor = actor.as_str())]
pub struct TransitionError {
    pub from: GoalState,
    pub to: GoalState,
    pub actor: Actor,
}

/// Checks that `actor` may move a goal from `from` to `to`.
///
/// The rules:
/// - the user pauses and resumes a goal, and re-opens a budget-limited one;
/// - the agent can only end a pursued goal, as achieved or unmet (never pause,
///   resume or re-open anything);
/// - the runtime limits a pursued goal, and pauses one whose agent is gone;
/// - the user clears any goal that has not ended (the ledger keeps it);
/// - achieved, unmet and cleared are final.
pub fn check(from: GoalState, to: GoalState, actor: Actor) -> Result<(), TransitionError> {
    use Actor::*;
    use GoalState::*;
    let allowed = match (from, to) {
        (Pursuing, Paused) => matches!(actor, User | Runtime),
        (Paused, Pursuing) => actor == User,
        (Pursuing, Achieved) | (Pursuing, Unmet) => actor == Agent,
        (Pursuing, BudgetLimited) => actor == Runtime,
        (BudgetLimited, Pursuing) => actor == User,
        (Pursuing | Paused | BudgetLimited, Cleared) => actor == User,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(TransitionError { from, to, actor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Actor::*;
    use GoalState::*;

    const STATES: [GoalState; 6] = [Pursuing, Paused, Achieved, Unmet, BudgetLimited, Cleared];
    const ACTORS: [Actor; 3] = [User, Agent, Runtime];

    #[test]
    fn the_allowed_transitions_are_exactly_these() {
        let allowed: Vec<(GoalState, GoalState, Actor)> = vec![
            (Pursuing, Paused, User),
            (Pursuing, Paused, Runtime),
            (Paused, Pursuing, User),
            (Pursuing, Achieved, Agent),
            (Pursuing, Unmet, Agent),
            (Pursuing, BudgetLimited, Runtime),
            (BudgetLimited, Pursuing, User),
            (Pursuing, Cleared, User),
            (Paused, Cleared, User),
            (BudgetLimited, Cleared, User),
        ];
        for from in STATES {
            for to in STATES {
                for actor in ACTORS {
                    let expected = allowed.contains(&(from, to, actor));
                    assert_eq!(
                        check(from, to, actor).is_ok(),
                        expected,
                        "{from} -> {to} by {}",
                        actor.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn the_agent_can_never_pause_resume_or_reopen() {
        for from in STATES {
            for to in [Paused, Pursuing, BudgetLimited, Cleared] {
                assert!(check(from, to, Agent).is_err());
            }
        }
    }

    #[test]
    fn final_states_stay_final() {
        for from in [Achieved, Unmet, Cleared] {
            assert!(from.is_final());
            for to in STATES {
                for actor in ACTORS {
                    assert!(check(from, to, actor).is_err());
                }
            }
        }
    }

    #[test]
    fn names_round_trip_and_errors_read_well() {
        for state in STATES {
            assert_eq!(GoalState::parse(state.as_str()), Some(state));
        }
        assert_eq!(GoalState::parse("done"), None);
        let err = check(Achieved, Pursuing, Agent).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the agent may not move a goal from achieved to pursuing"
        );
    }
}
