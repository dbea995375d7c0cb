//! `goalie sim`: a simulated coding-agent TUI, driven by a scenario file.
//!
//! goalie's demo, integration tests and benchmarks run it in a PTY in place
//! of a real agent. No network, no model: [`Scenario`] scripts every turn.
//!
//! # Screen contract (R rows × C columns, at least 10 × 20; main screen)
//!
//! | row     | content                                                          |
//! |---------|------------------------------------------------------------------|
//! | 1       | `  >_ Sim Agent (v1.0)`                                          |
//! | 3..R-4  | transcript, last lines that fit, wrapped with a 2-column hanging indent |
//! | R-3     | `⠋ Working (3s • esc to interrupt)` / `◦ Compacting context (2s • esc to interrupt)` / blank when idle |
//! | R-2     | `› ` + input, or `› Ask the sim to do anything` when empty       |
//! | R-1     | `  sim-model · 12,345 tokens used · Context 93% left`            |
//!
//! Transcript entries are separated by a blank line: `› prompt` (further
//! prompt lines indented by two spaces), `• reply` (further lines indented),
//! then for a claim the block `  GOALIE-CLAIM {nonce} complete`, one line per
//! requirement of the prompt, `  GOALIE-END {nonce}` (see `claim.rs` for the
//! forgery modes), then `  Worked for Ns`.
//! Other lines: `• Context compacted`, `■ Conversation interrupted`,
//! `! terminal did not answer the cursor query`,
//! `• (no claim nonce in the prompt; not claiming)`.
//!
//! Exit codes: 0 for `/quit`, Ctrl-D on an empty input or Ctrl-C while idle
//! (or stdin closed); 1 after `exit_after_turns`; 128+N on signal N
//! (SIGTERM, SIGHUP, SIGINT). The terminal is restored on every exit.
//!
//! With `GOALIE_SIM_INPUT_LOG=FILE`, every byte the sim reads is appended to
//! FILE: what reached the agent, for tests. With `--mcp-config JSON` it starts
//! that MCP server and lists its tools, as a real agent does (`mcp.rs`).

mod app;
mod builtin;
mod claim;
mod effects;
mod handoff;
mod input;
mod mcp;
mod prompt;
mod runner;
mod scenario;
mod screen;
mod signals;
mod term;
mod text;
mod turn;
mod ui;

pub use scenario::{ClaimMode, RandomCompactions, Scenario, ScenarioError, Turn};

/// Runs the simulated agent on the process's controlling terminal (stdin/stdout are a PTY).
/// `first_prompt`: its first turn's prompt, from its command line (an
/// agent's initial prompt). `mcp_config`: an MCP server to start and list
/// the tools of (`mcp.rs`). Returns the exit code.
pub fn run(
    scenario: Scenario,
    first_prompt: Option<String>,
    mcp_config: Option<String>,
) -> std::io::Result<i32> {
    runner::run(scenario, first_prompt, mcp_config)
}
