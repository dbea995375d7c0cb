//! Fuzz target `control`: see `goalie::cli::fuzz_targets::control`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goalie::cli::fuzz_targets::control(data));
