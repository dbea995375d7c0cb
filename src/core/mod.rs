pub mod claim_block;
pub mod compaction;
pub mod observer;
pub mod supervisor;
pub mod usage_reset;
