//! Fuzz target `adapter`: see `goalie::cli::fuzz_targets::adapter`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goalie::cli::fuzz_targets::adapter(data));
