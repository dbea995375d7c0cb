pub mod change;
pub mod claim;
pub mod exit_code;
pub mod lifecycle;
pub mod limits;
pub mod source_location;
pub mod spec;
pub mod units;
