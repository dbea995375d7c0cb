//! What the user may change about a goal (its status, objective and budgets),
//! and whether the goal's state allows it.
//!
//! Pure, and the one place that decides: the supervisor core uses it for a goal
//! it runs, the command line for a goal whose supervisor is gone, so both give
//! the same answers and the same messages.

use crate::goal::lifecycle::GoalState;
use crate::goal::limits::{LimitReason, Limits, Progress};
use crate::goal::units::format_duration;
use crate::goal::units::thousands;

/// What the user asks of a goal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    /// `goal/set`: status, objective, budgets.
    Change(GoalChange),
    /// `goal/clear`: stop the agent; the goal ends `cleared`.
    Clear,
}

/// The status the user asks for (`goal/set` `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Paused,
    Pursuing,
}

impl Status {
    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "paused" => Some(Status::Paused),
            "pursuing" => Some(Status::Pursuing),
            _ => None,
        }
    }
}

/// A change the user asks for. `None` leaves a field as it is; for a limit,
/// `Some(None)` removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoalChange {
    pub objective: Option<String>,
    pub status: Option<Status>,
    pub max_turns: Option<Option<u32>>,
    pub max_time_ms: Option<Option<u64>>,
    pub budget_tokens: Option<Option<u64>>,
}

impl GoalChange {
    pub fn status(status: Status) -> GoalChange {
        GoalChange {
            status: Some(status),
            ..GoalChange::default()
        }
    }

    pub fn objective(objective: String) -> GoalChange {
        GoalChange {
            objective: Some(objective),
            ..GoalChange::default()
        }
    }

    fn changes_limits(&self) -> bool {
        self.max_turns.is_some() || self.max_time_ms.is_some() || self.budget_tokens.is_some()
    }

    /// What a refusal says the goal cannot be.
    fn verb(&self) -> &'static str {
        match self.status {
            Some(Status::Pursuing) => "resumed",
            Some(Status::Paused) => "paused",
            None if self.objective.is_some() => "edited",
            None => "given a new budget",
        }
    }
}

/// Where the goal stands now.
#[derive(Debug, Clone, Copy)]
pub struct Standing<'a> {
    pub id: &'a str,
    pub state: GoalState,
    /// The person has taken over the agent's terminal.
    pub takeover: bool,
    pub objective: &'a str,
    pub limits: Limits,
    pub used: Progress,
    /// A supervisor runs the goal (the messages say what happens next).
    pub running: bool,
}

/// What to do: the transitions in order, the new limits and objective (when
/// they change), and what to tell the user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub transitions: Vec<GoalState>,
    pub limits: Option<Limits>,
    pub objective: Option<String>,
    pub ends_takeover: bool,
    pub messages: Vec<String>,
}

/// A change the goal's state does not allow; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// Decides what `change` does to the goal in `now`, or why it is refused.
pub fn plan(now: &Standing<'_>, change: &GoalChange) -> Result<Plan, Refusal> {
    let id = now.id;
    if now.state.is_final() && *change != GoalChange::default() {
        return Err(Refusal(format!(
            "goal {id} is {}, which is final: it cannot be {}",
            now.state,
            change.verb()
        )));
    }
    let mut plan = Plan::default();
    let mut state = now.state;
    if let Some(objective) = &change.objective {
        plan_objective(now, objective, &mut plan)?;
    }
    if change.changes_limits() {
        state = plan_limits(now, change, state, &mut plan)?;
    }
    if let Some(status) = change.status {
        plan_status(now, status, state, &mut plan)?;
    }
    Ok(plan)
}

/// A new objective: refused when empty, a message when unchanged.
fn plan_objective(now: &Standing<'_>, objective: &str, plan: &mut Plan) -> Result<(), Refusal> {
    let id = now.id;
    let objective = objective.trim();
    if objective.is_empty() {
        return Err(Refusal(
            "the objective is empty: say what the agent should achieve".into(),
        ));
    }
    if let Some(message) = crate::goal::spec::objective_too_long(objective) {
        return Err(Refusal(message));
    }
    if objective == now.objective.trim() {
        plan.messages
            .push(format!("goal {id}: the objective is unchanged"));
    } else {
        plan.objective = Some(objective.to_string());
        plan.messages.push(if now.running {
            format!("goal {id}: objective updated; the next prompt tells the agent what changed")
        } else {
            format!("goal {id}: objective updated")
        });
    }
    Ok(())
}

/// New limits: refused at or below what is used; they re-open a
/// budget-limited goal that is no longer over them. Returns the goal's state.
fn plan_limits(
    now: &Standing<'_>,
    change: &GoalChange,
    mut state: GoalState,
    plan: &mut Plan,
) -> Result<GoalState, Refusal> {
    let id = now.id;
    let limits = Limits {
        max_turns: change.max_turns.unwrap_or(now.limits.max_turns),
        max_time_ms: change.max_time_ms.unwrap_or(now.limits.max_time_ms),
        budget_tokens: change.budget_tokens.unwrap_or(now.limits.budget_tokens),
    };
    check_not_spent(id, change, &now.used)?;
    plan.messages.push(format!(
        "goal {id}: limits now {}",
        describe_limits(&limits)
    ));
    if state == GoalState::BudgetLimited {
        match reached(&limits, &now.used) {
            None => {
                state = GoalState::Pursuing;
                plan.transitions.push(state);
                plan.messages.push(if now.running {
                    format!("goal {id} re-opened: goalie continues after the wrap-up turn")
                } else {
                    format!("goal {id} re-opened: `goalie resume {id}` continues it")
                });
            }
            Some(reason) => plan.messages.push(format!(
                "goal {id} stays budget-limited: its {} limit is still reached",
                reason.as_str()
            )),
        }
    }
    if limits != now.limits {
        plan.limits = Some(limits);
    }
    Ok(state)
}

/// Pausing or resuming the goal, in `state` (after any new limits).
fn plan_status(
    now: &Standing<'_>,
    status: Status,
    state: GoalState,
    plan: &mut Plan,
) -> Result<(), Refusal> {
    let id = now.id;
    match status {
        Status::Paused => match state {
            GoalState::Pursuing => {
                plan.transitions.push(GoalState::Paused);
                plan.messages.push(if now.running {
                    format!(
                        "goal {id} paused: the current turn finishes, then goalie types nothing until `goalie resume {id}`"
                    )
                } else {
                    format!("goal {id} paused")
                });
            }
            GoalState::Paused if now.takeover => plan
                .messages
                .push(format!("goal {id} is already paused (takeover)")),
            GoalState::Paused => plan.messages.push(format!("goal {id} is already paused")),
            _ => {
                return Err(Refusal(format!(
                    "goal {id} is {state}: there is nothing to pause"
                )));
            }
        },
        Status::Pursuing => match state {
            GoalState::Paused => {
                plan.transitions.push(GoalState::Pursuing);
                plan.ends_takeover = now.takeover;
                plan.messages.push(if now.running {
                    format!("goal {id} resumed: goalie continues at the next idle turn")
                } else {
                    format!("goal {id} resumed")
                });
            }
            GoalState::Pursuing if plan.transitions.is_empty() => plan
                .messages
                .push(format!("goal {id} is already being pursued")),
            GoalState::Pursuing => {}
            _ => {
                let reason = reached(&now.limits, &now.used)
                    .map(|reason| format!("its {} limit is reached", reason.as_str()))
                    .unwrap_or_else(|| "a limit was reached".into());
                return Err(Refusal(format!(
                    "goal {id} is budget-limited ({reason}): raise the limit first, e.g. `goalie budget {id} --max-turns N`"
                )));
            }
        },
    }
    Ok(())
}

/// Refuses a limit at or below what the goal has already used.
fn check_not_spent(id: &str, change: &GoalChange, used: &Progress) -> Result<(), Refusal> {
    let refuse = |used: String, limit: String, more: String| {
        Err(Refusal(format!(
            "goal {id} has used {used}: a limit of {limit} would end it at once (give more than {more})"
        )))
    };
    if let Some(Some(max)) = change.max_turns
        && max <= used.turns
    {
        return refuse(
            format!("{} turns", used.turns),
            format!("{max} turns"),
            used.turns.to_string(),
        );
    }
    if let Some(Some(max)) = change.max_time_ms
        && max <= used.time_used_ms
    {
        return refuse(
            format_duration(used.time_used_ms),
            format_duration(max),
            format_duration(used.time_used_ms),
        );
    }
    if let Some(Some(max)) = change.budget_tokens
        && max <= used.tokens_used
    {
        return refuse(
            format!("{} tokens", thousands(used.tokens_used)),
            format!("{} tokens", thousands(max)),
            thousands(used.tokens_used),
        );
    }
    Ok(())
}

/// The first limit that `used` has reached, if any.
pub fn reached(limits: &Limits, used: &Progress) -> Option<LimitReason> {
    if limits.max_turns.is_some_and(|max| used.turns >= max) {
        Some(LimitReason::Turns)
    } else if limits
        .budget_tokens
        .is_some_and(|max| used.tokens_used >= max)
    {
        Some(LimitReason::Tokens)
    } else if limits
        .max_time_ms
        .is_some_and(|max| used.time_used_ms >= max)
    {
        Some(LimitReason::Time)
    } else {
        None
    }
}

/// Why the user moved a goal from `from` to `to`, as the ledger says it.
pub fn reason(from: GoalState, to: GoalState) -> &'static str {
    match (from, to) {
        (_, GoalState::Paused) => "the user paused the goal",
        (_, GoalState::Cleared) => "the user cleared the goal",
        (GoalState::BudgetLimited, GoalState::Pursuing) => "the user raised a limit",
        _ => "the user resumed the goal",
    }
}

/// Clearing a goal that has ended is refused.
pub fn check_clear(id: &str, state: GoalState) -> Result<(), Refusal> {
    if state.is_final() {
        return Err(Refusal(format!(
            "goal {id} is {state}, which is final: it cannot be cleared"
        )));
    }
    Ok(())
}

/// `turns 5, time 1h 0m 0s, tokens unlimited`.
pub fn describe_limits(limits: &Limits) -> String {
    let or_none = |value: Option<String>| value.unwrap_or_else(|| "unlimited".into());
    format!(
        "turns {}, time {}, tokens {}",
        or_none(limits.max_turns.map(|n| n.to_string())),
        or_none(limits.max_time_ms.map(format_duration)),
        or_none(limits.budget_tokens.map(thousands)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use GoalState::*;

    fn standing(state: GoalState) -> Standing<'static> {
        Standing {
            id: "abcd1234",
            state,
            takeover: false,
            objective: "Make the tests pass",
            limits: Limits {
                max_turns: Some(3),
                ..Limits::default()
            },
            used: Progress {
                turns: 3,
                tokens_used: 3000,
                time_used_ms: 65_000,
            },
            running: true,
        }
    }

    fn turns(max: u32) -> GoalChange {
        GoalChange {
            max_turns: Some(Some(max)),
            ..GoalChange::default()
        }
    }

    #[test]
    fn pause_and_resume_move_between_pursuing_and_paused() {
        let pause = GoalChange::status(Status::Paused);
        let plan = plan(&standing(Pursuing), &pause).unwrap();
        assert_eq!(plan.transitions, vec![Paused]);
        assert_eq!(
            plan.messages,
            vec![
                "goal abcd1234 paused: the current turn finishes, then goalie types nothing until `goalie resume abcd1234`"
            ]
        );
        let resume = GoalChange::status(Status::Pursuing);
        let plan = super::plan(&standing(Paused), &resume).unwrap();
        assert_eq!(plan.transitions, vec![Pursuing]);
        assert!(!plan.ends_takeover);
    }

    #[test]
    fn pausing_a_paused_goal_or_resuming_a_pursued_one_changes_nothing() {
        let plan = plan(&standing(Paused), &GoalChange::status(Status::Paused)).unwrap();
        assert_eq!(plan.transitions, vec![]);
        assert_eq!(plan.messages, vec!["goal abcd1234 is already paused"]);
        let mut taken = standing(Paused);
        taken.takeover = true;
        let plan = super::plan(&taken, &GoalChange::status(Status::Paused)).unwrap();
        assert_eq!(
            plan.messages,
            vec!["goal abcd1234 is already paused (takeover)"]
        );
        let plan = super::plan(&standing(Pursuing), &GoalChange::status(Status::Pursuing)).unwrap();
        assert_eq!(
            plan.messages,
            vec!["goal abcd1234 is already being pursued"]
        );
    }

    #[test]
    fn resuming_hands_a_takeover_back() {
        let mut taken = standing(Paused);
        taken.takeover = true;
        let plan = plan(&taken, &GoalChange::status(Status::Pursuing)).unwrap();
        assert!(plan.ends_takeover);
        assert_eq!(plan.transitions, vec![Pursuing]);
    }

    #[test]
    fn final_goals_refuse_every_change() {
        for state in [Achieved, Unmet, Cleared] {
            let err = plan(&standing(state), &GoalChange::status(Status::Pursuing)).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("goal abcd1234 is {state}, which is final: it cannot be resumed")
            );
            assert!(plan(&standing(state), &turns(10)).is_err());
        }
    }

    #[test]
    fn a_budget_at_or_below_what_is_used_is_refused() {
        let err = plan(&standing(Pursuing), &turns(3)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "goal abcd1234 has used 3 turns: a limit of 3 turns would end it at once (give more than 3)"
        );
        let tokens = GoalChange {
            budget_tokens: Some(Some(2000)),
            ..GoalChange::default()
        };
        assert_eq!(
            plan(&standing(Pursuing), &tokens).unwrap_err().to_string(),
            "goal abcd1234 has used 3,000 tokens: a limit of 2,000 tokens would end it at once (give more than 3,000)"
        );
        let time = GoalChange {
            max_time_ms: Some(Some(60_000)),
            ..GoalChange::default()
        };
        assert!(
            plan(&standing(Pursuing), &time)
                .unwrap_err()
                .to_string()
                .starts_with("goal abcd1234 has used 1m 5s: a limit of 1m 0s")
        );
    }

    #[test]
    fn raising_the_budget_reopens_a_budget_limited_goal() {
        let plan = plan(&standing(BudgetLimited), &turns(5)).unwrap();
        assert_eq!(plan.transitions, vec![Pursuing]);
        assert_eq!(plan.limits.unwrap().max_turns, Some(5));
        assert_eq!(
            plan.messages,
            vec![
                "goal abcd1234: limits now turns 5, time unlimited, tokens unlimited",
                "goal abcd1234 re-opened: goalie continues after the wrap-up turn"
            ]
        );
    }

    #[test]
    fn a_budget_limited_goal_stays_so_while_another_limit_is_reached() {
        let mut now = standing(BudgetLimited);
        now.limits.budget_tokens = Some(3000);
        let plan = plan(&now, &turns(5)).unwrap();
        assert_eq!(plan.transitions, vec![]);
        assert!(plan.messages[1].contains("its token limit is still reached"));
    }

    #[test]
    fn resuming_or_pausing_a_budget_limited_goal_is_refused() {
        let err = plan(
            &standing(BudgetLimited),
            &GoalChange::status(Status::Pursuing),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "goal abcd1234 is budget-limited (its turn limit is reached): raise the limit first, e.g. `goalie budget abcd1234 --max-turns N`"
        );
        assert!(
            plan(
                &standing(BudgetLimited),
                &GoalChange::status(Status::Paused)
            )
            .is_err()
        );
        // Raising the budget and resuming in one request is fine.
        let both = GoalChange {
            status: Some(Status::Pursuing),
            ..turns(4)
        };
        assert_eq!(
            plan(&standing(BudgetLimited), &both).unwrap().transitions,
            vec![Pursuing]
        );
    }

    #[test]
    fn an_edited_objective_is_held_to_16_kib() {
        let long = "Make one more test pass. ".repeat(700);
        let err = plan(&standing(Paused), &GoalChange::objective(long.clone())).unwrap_err();
        assert!(
            err.to_string().starts_with(&format!(
                "the objective is {} bytes; the most goalie takes is 16384 (16 KiB)",
                long.trim().len()
            )),
            "{err}"
        );
        let fits = "x".repeat(crate::goal::spec::MAX_OBJECTIVE_BYTES);
        assert!(plan(&standing(Paused), &GoalChange::objective(fits)).is_ok());
    }

    #[test]
    fn objectives_must_say_something_and_may_be_unchanged() {
        let err = plan(&standing(Paused), &GoalChange::objective("  ".into())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the objective is empty: say what the agent should achieve"
        );
        let same = plan(
            &standing(Paused),
            &GoalChange::objective("Make the tests pass\n".into()),
        )
        .unwrap();
        assert_eq!(same.objective, None);
        let new = plan(&standing(Paused), &GoalChange::objective("Ship it".into())).unwrap();
        assert_eq!(new.objective.as_deref(), Some("Ship it"));
    }
}
