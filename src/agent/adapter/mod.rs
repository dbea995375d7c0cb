//! Agent adapters: how to launch an agent CLI, type into it and read its screen.
//!
//! Adapters are data (`adapters/*.yaml`). The built-in ones are compiled into the
//! binary; a file of the same name in the user's config dir, or `--adapter FILE`,
//! overrides them. A malformed adapter is an error that names file, line and column.
//!
//! The files split it by concern: `model.rs` is what an adapter is, and what
//! a run may change in it; `yaml.rs` loads and checks adapter files;
//! `launch.rs` makes the agent's arguments and fills in their placeholders;
//! `mcp.rs` registers `goalie mcp` with the agent for one run.

mod launch;
mod mcp;
mod model;
mod yaml;

pub use mcp::McpRegistration;
pub use model::{Adapter, AdapterError, BUILTIN, Dialog, SessionLogRule, Submit};
