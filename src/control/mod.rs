//! The control socket: how the user (never the agent) reaches a running goal.
//!
//! Each running supervisor listens on its own Unix socket, in a private
//! directory, mode 0600, and answers only peers with its own uid. The protocol
//! (JSON lines, modelled on the Codex app-server goal API) is in
//! `docs/control-protocol.md` and [`protocol`].

pub mod client;
mod error;
pub mod fanout;
pub mod line;
pub mod protocol;
pub mod server;
pub mod socket_dir;

pub use client::Client;
pub use error::ControlError;
pub use protocol::{GoalSnapshot, Method, Request, RpcError};
pub use server::{ControlServer, Notifier, Pending};
