pub mod claim_inbox;
pub mod context_counts;
pub mod digest;
pub mod event_hooks;
pub mod pending_wait;
mod store;

pub use store::{Entry, Goal, Ledger, LedgerError, NewGoal, default_path, new_claim_code, now};
