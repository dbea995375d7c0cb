pub mod claim_inbox;
pub mod context_counts;
pub mod digest;
pub mod event_hooks;
mod store;

pub use store::{Entry, Goal, Ledger, LedgerError, NewGoal, default_path, now};
