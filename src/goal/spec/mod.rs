//! The goal spec (`--goal goal.yaml`): what "done" means, checked by goalie.
//!
//! Five parts plus budgets: `objective`; `behavior` (what a user will observe);
//! `scope` (paths the agent may change); `verify` (commands that must pass);
//! `evidence` (what the agent must report); `stop` (tokens, time, turns, cost);
//! `protect` (paths that must not change); `agent`.
//!
//! [`check`] lints a spec: problems are [`Finding`]s naming file, line and
//! column, errors refuse the spec, warnings only advise. Parsing is pure (text
//! in, spec out); reading the file is the caller's business.
//!
//! The files split it by concern: `model.rs` is the checked spec and its
//! findings; `file.rs` the YAML shape before the checks; `check.rs` parses
//! and runs the checks, with those of the objective in `objective.rs` and of
//! the budgets in `stop.rs`.

mod check;
mod file;
mod model;
mod objective;
mod stop;

pub use check::check;
pub use model::{
    DEFAULT_VERIFY_TIMEOUT_MS, EXAMPLE, Finding, GoalSpec, Requirement, Severity, SpecError, Stop,
    TEMPLATE, VerifyCommand, numbered_items,
};
pub use objective::{MAX_OBJECTIVE_BYTES, objective_too_long};
