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

/// How often a running supervisor renews its heartbeat in the ledger: every
/// 10 s, or a third of [`lost_after`] when that is shorter, so a reader's
/// timeout always spans three heartbeats. Each renewal is a WAL commit (an
/// fsync), so it is not done more often than a reader needs.
pub fn heartbeat_every() -> std::time::Duration {
    heartbeat_for(lost_after())
}

fn heartbeat_for(timeout: std::time::Duration) -> std::time::Duration {
    std::time::Duration::from_secs(10).min(timeout / 3)
}

/// How old a heartbeat of a supervisor on another host may be before that
/// supervisor reads as lost: `GOALIE_HEARTBEAT_TIMEOUT` seconds, else 30
/// (three heartbeats, and room for the hosts' clocks to differ by seconds).
pub fn lost_after() -> std::time::Duration {
    let seconds = std::env::var("GOALIE_HEARTBEAT_TIMEOUT")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .filter(|seconds| *seconds > 0)
        .unwrap_or(30);
    std::time::Duration::from_secs(seconds)
}

/// A goal's supervisor on another host, as the ledger last heard of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Remote {
    pub host: String,
    /// Its last heartbeat (UTC), if it wrote one.
    pub last_seen: Option<String>,
    /// Whether that heartbeat is older than [`lost_after`]: the supervisor
    /// is gone (killed, its machine down or cut off).
    pub lost: bool,
}

/// The goal's supervisor when one is recorded on another host than this
/// one: its pid means nothing here, its heartbeat says whether it lives.
pub fn remote_supervisor(
    supervisor_pid: Option<u32>,
    host: Option<&str>,
    heartbeat_at: Option<&str>,
) -> Option<Remote> {
    supervisor_pid?;
    let host = host.filter(|host| *host != this_host())?;
    let age = heartbeat_at.and_then(|at| {
        let at = at.parse::<jiff::Timestamp>().ok()?;
        let age = jiff::Timestamp::now().duration_since(at);
        Some(std::time::Duration::try_from(age).unwrap_or_default())
    });
    Some(Remote {
        host: host.to_string(),
        last_seen: heartbeat_at.map(String::from),
        lost: age.is_none_or(|age| age > lost_after()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ELSEWHERE: &str = "a-host-that-is-not-this-one.invalid";

    #[test]
    fn only_a_recorded_supervisor_on_another_host_is_remote_and_its_heartbeat_says_if_it_lives() {
        let fresh = crate::ledger::now();
        assert_eq!(remote_supervisor(None, Some(ELSEWHERE), Some(&fresh)), None);
        assert_eq!(remote_supervisor(Some(7), None, Some(&fresh)), None);
        assert_eq!(
            remote_supervisor(Some(7), Some(&this_host()), Some(&fresh)),
            None
        );
        let alive = remote_supervisor(Some(7), Some(ELSEWHERE), Some(&fresh)).unwrap();
        assert_eq!(alive.host, ELSEWHERE);
        assert_eq!(alive.last_seen.as_deref(), Some(fresh.as_str()));
        assert!(!alive.lost);
        let old = "2020-01-01T00:00:00.000Z";
        assert!(
            remote_supervisor(Some(7), Some(ELSEWHERE), Some(old))
                .unwrap()
                .lost
        );
        assert!(
            remote_supervisor(Some(7), Some(ELSEWHERE), None)
                .unwrap()
                .lost
        );
        // A clock ahead of this one's is not a lost supervisor.
        let ahead = "2999-01-01T00:00:00.000Z";
        assert!(
            !remote_supervisor(Some(7), Some(ELSEWHERE), Some(ahead))
                .unwrap()
                .lost
        );
    }

    #[test]
    fn the_heartbeat_is_every_ten_seconds_and_three_fit_in_a_short_timeout() {
        use std::time::Duration;
        assert_eq!(
            heartbeat_for(Duration::from_secs(30)),
            Duration::from_secs(10)
        );
        assert_eq!(
            heartbeat_for(Duration::from_secs(600)),
            Duration::from_secs(10)
        );
        assert_eq!(
            heartbeat_for(Duration::from_secs(12)),
            Duration::from_secs(4)
        );
    }
}
