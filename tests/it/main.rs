//! goalie's integration tests, in one binary so that the shared support (the
//! sandbox, the fake model server, the agents' offline setups) is compiled and
//! linked once. Each module was a test file of its own; its tests are named
//! `MODULE::TEST` (`cargo test --test it run_headless::`).
//!
//! The `real_*` modules drive the real agent CLIs and are `#[ignore]`d: a plain
//! `cargo test` lists them as ignored, never as passed. `scripts/test` installs
//! the pinned CLIs, runs the tests of those it has and names the rest as not
//! run; `cargo test --test it -- --ignored real_` runs them all (a missing CLI
//! fails its tests). Each is named after its CLI (`codex_…`, `claude_…`,
//! `gemini_…`, `opencode_…`, `aider_…`): that first word is how `scripts/test`
//! knows which CLI a test needs.

mod support;

mod adapter_fixtures;
mod audit_sim;
mod config;
mod context_sim;
mod controls;
mod doctor;
mod errors;
mod export;
mod fake_model_protocols;
mod faults;
mod fuzz_corpus;
mod generated_docs;
mod goal_spec_cli;
mod hosts;
mod hosts_wait;
mod interactive;
mod launch_prompt_sim;
mod list;
mod mcp;
mod postgres;
mod postgres_password;
mod postgres_tls;
mod real_agents;
mod real_api_errors;
mod real_claude;
mod real_codex;
mod real_doctor;
mod real_lived_in;
mod real_mcp;
mod real_resume;
mod real_waits;
mod recording;
mod report;
mod rest_sim;
mod run_headless;
mod secrets;
mod session_tail_lived_in;
mod shell_completion;
mod sim_pty;
mod slurm;
mod stall_sim;
mod start_sim;
mod submit_sim;
mod supervisor_work_sim;
mod terminal_restore;
mod wait_sim;
