//! Fuzz target `redact`: see `goalie::cli::fuzz_targets::redact`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goalie::cli::fuzz_targets::redact(data));
