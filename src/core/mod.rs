//! The pure supervisor core: the [`supervisor`] (events in, actions out) and
//! what it reads the world with: the screen [`observer`] and its
//! [`screen_rules`], the [`claim_block`] reader, [`compaction`] dedupe, the
//! [`usage_reset`] parser, session-log events ([`log_event`]), the prompt
//! kinds and variables ([`prompt`]), the config it is given ([`config`]), and
//! the ledger rows it and the edges write ([`row`]).
//! No I/O, no clock, no threads; imports `goal` only.

pub mod claim_block;
pub mod compaction;
pub mod config;
pub mod log_event;
pub mod observer;
pub mod progress;
pub mod prompt;
pub mod quota;
pub mod redact;
pub mod row;
pub mod screen_rules;
pub mod supervisor;
pub mod usage_reset;
pub mod wait;
