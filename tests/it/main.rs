//! goalie's integration tests, in one binary so that the shared support (the
//! sandbox, the fake model server, the agents' offline setups) is compiled and
//! linked once. Each module was a test file of its own; its tests are named
//! `MODULE::TEST` (`cargo test --test it run_headless::`).

mod support;

mod adapter_fixtures;
mod audit_sim;
mod context_sim;
mod controls;
mod errors;
mod fake_model_protocols;
mod goal_spec_cli;
mod interactive;
mod mcp;
mod real_agents;
mod real_api_errors;
mod real_claude;
mod real_codex;
mod real_mcp;
mod real_resume;
mod run_headless;
mod sim_pty;
