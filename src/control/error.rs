//! The control socket's errors.

use super::protocol::RpcError;

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
