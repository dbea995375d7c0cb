//! Fuzz target `prompt_vars`: see `goalie::cli::fuzz_targets::prompt_vars`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goalie::cli::fuzz_targets::prompt_vars(data));
