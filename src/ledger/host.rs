//! The name of the machine goalie runs on, as the ledger records it beside a
//! goal's supervisor: `GOALIE_HOST` when it is set (a job scheduler's node
//! name, or two "machines" on one for a test), else the system's host name.

/// This machine's name for the ledger.
pub fn this_host() -> String {
    if let Some(name) = std::env::var("GOALIE_HOST")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
    {
        return name;
    }
    nix::unistd::gethostname()
        .ok()
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
