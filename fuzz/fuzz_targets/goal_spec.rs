//! Fuzz target `goal_spec`: see `goalie::cli::fuzz_targets::goal_spec`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goalie::cli::fuzz_targets::goal_spec(data));
