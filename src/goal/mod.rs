//! The goal's vocabulary, shared by every layer: its lifecycle, limits and
//! progress, what a user may change, claims, the goal spec and its checks,
//! units and formatting, exit codes. Pure: no I/O; imports nothing of the crate.

pub mod change;
pub mod claim;
pub mod exit_code;
pub mod lifecycle;
pub mod limits;
pub mod source_location;
pub mod spec;
pub mod units;
pub mod wait;
pub mod yaml_input;
