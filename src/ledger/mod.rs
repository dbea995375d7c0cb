//! The ledger: the store (SQLite or PostgreSQL, numbered migrations) and the reads of a
//! goal's history: the prompts' digest, context counts, a usage-limit wait
//! carried over a restart, the claim inbox that `goalie mcp` writes to, and
//! the `--on-event` hooks that each row is sent to, and the report of what
//! happened to a goal (`goalie report`); the export format that carries goals
//! between databases (`goalie export`, `goalie import`) and the host name a
//! supervisor is recorded with.

pub mod claim_inbox;
pub mod context_counts;
pub mod digest;
pub mod event_hooks;
pub mod export;
pub mod host;
pub mod pending_wait;
pub mod report;
mod store;
pub mod wait_status;

pub use store::import::{ImportError, Imported};
pub use store::{
    Entry, Goal, Ledger, LedgerError, NewGoal, absolute_db, default_path, environment_redactor,
    handed_on_db, is_postgres, new_claim_code, now, shown_db,
};
