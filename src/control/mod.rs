//! The control socket: how the user (never the agent) reaches a running goal.
//!
//! Each running supervisor listens on its own Unix socket, in a private
//! directory, mode 0600, and answers only peers with its own uid. The protocol
//! (JSON lines, modelled on the Codex app-server goal API) is in
//! `docs/control-protocol.md` and [`protocol`].

pub mod client;
pub mod protocol;
pub mod server;
pub mod socket_dir;

pub use client::Client;
pub use protocol::{GoalSnapshot, Method, Request, RpcError};
pub use server::{ControlServer, Notifier, Pending};

/// A problem with the control socket.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("cannot create the control socket directory {path}: {source}")]
    Dir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the control socket directory {path} is not private (owner uid {owner}, mode {mode:o}): other users could reach goalie through it; remove it or make it yours with mode 0700"
    )]
    NotPrivate {
        path: std::path::PathBuf,
        owner: u32,
        mode: u32,
    },
    #[error("cannot listen on the control socket {path}: {source}")]
    Bind {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the supervisor answered: {0} (code {code})", code = .0.code)]
    Answer(RpcError),
    #[error("goal {goal}'s supervisor (pid {pid}) runs but does not answer on {path}: {source}")]
    NoAnswer {
        goal: String,
        pid: u32,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the supervisor sent something that is not the control protocol: {0}")]
    Protocol(String),
}
