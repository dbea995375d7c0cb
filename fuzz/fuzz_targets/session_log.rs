//! Fuzz target `session_log`: see `goalie::cli::fuzz_targets::session_log`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goalie::cli::fuzz_targets::session_log(data));
