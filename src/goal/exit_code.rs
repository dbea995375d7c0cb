//! The process exit codes goalie documents, one place for all of them.

use crate::goal::lifecycle::GoalState;

/// The goal was achieved (its claim was accepted).
pub const ACHIEVED: i32 = 0;
/// Internal error: a bug, or the machine failed under us (I/O, database).
pub const INTERNAL: i32 = 1;
/// Bad usage or a bad input file (adapter, prompt template, scenario).
pub const USAGE: i32 = 2;
/// A limit (turns, time, tokens) was reached; the agent wrapped up.
pub const BUDGET_LIMITED: i32 = 3;
/// The goal ended unmet (the agent reported it blocked).
pub const UNMET: i32 = 4;
/// The goal is paused or cleared: stopped by the user, or the agent exited before the goal ended.
pub const PAUSED: i32 = 5;
/// A control command (pause, resume, clear, edit, budget, watch) was refused:
/// the goal's state does not allow it, or a budget is below what is already used.
pub const REFUSED: i32 = 6;
/// `goalie doctor`: the chosen agent is not ready (missing, its `--version`
/// fails, or a path goalie needs is unusable).
pub const NOT_READY: i32 = 7;
/// The ledger cannot take more rows: the disk that holds it is full, or the
/// file is damaged. goalie wrote nothing more (and printed nothing it did
/// not store); the message says how to recover.
pub const LEDGER: i32 = 8;

/// Exit code for a process ended by signal `n`, as shells report it.
pub fn for_signal(signal: i32) -> i32 {
    128 + signal
}

/// Exit code for a goal that ended in `state`.
pub fn for_state(state: GoalState) -> i32 {
    match state {
        GoalState::Achieved => ACHIEVED,
        GoalState::BudgetLimited => BUDGET_LIMITED,
        GoalState::Unmet => UNMET,
        GoalState::Paused | GoalState::Pursuing | GoalState::Cleared => PAUSED,
    }
}

/// The table shown in `--help` and the README.
pub const TABLE: &str = "\
Exit codes:
  0        the goal was achieved
  1        internal error
  2        bad usage or a bad input file (adapter, template, scenario, goal spec,
           or the agent's own settings goalie adds its MCP server to)
  3        budget-limited: a turn, time or token limit was reached
  4        unmet: the agent reported the goal blocked
  5        paused or cleared: stopped by the user, or the agent exited before the goal ended
  6        refused: the goal's state does not allow the command (resuming an achieved
           goal, a budget below what is already used); nothing was changed
  7        goalie doctor: the chosen agent is not ready (not installed, its --version
           fails, or a path goalie needs is unusable)
  8        the ledger cannot take more rows: its disk is full or the file is damaged;
           goalie wrote nothing more, and the message says how to recover
  128+n    goalie was stopped by signal n (the goal is left paused)";
