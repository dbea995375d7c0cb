//! Fuzz target `screen`: see `goalie::cli::fuzz_targets::screen`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goalie::cli::fuzz_targets::screen(data));
