//! Fuzz target `claim_block`: see `goalie::cli::fuzz_targets::claim_block`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goalie::cli::fuzz_targets::claim_block(data));
