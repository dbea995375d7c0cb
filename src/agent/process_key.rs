//! A process named so that the name cannot be reused: its pid and its start
//! time (field 22 of `/proc/PID/stat`, clock ticks since boot). goalie
//! records such keys in the ledger (its own as the goal's supervisor, the
//! agent's session and each verify command's process group) so that a later
//! goalie can tell a live supervisor from a dead one whose pid is a zombie
//! or was given to another process, and can end exactly what a killed goalie
//! left running, never an unrelated process that got a recorded pid again.

use std::collections::BTreeSet;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::process_tree::{self, ProcStat};

/// A process's pid and start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProcessKey {
    pub pid: u32,
    pub start: u64,
}

/// What `/proc/PID/stat` says now, if the process exists.
pub fn stat(pid: u32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    process_tree::parse_stat(&text)
}

/// The key of process `pid` as it is now (a zombie has none: it has ended).
pub fn key_of(pid: u32) -> Option<ProcessKey> {
    stat(pid)
        .filter(|stat| stat.state != 'Z')
        .map(|stat| ProcessKey {
            pid,
            start: stat.start,
        })
}

/// This process's key.
pub fn this_process() -> ProcessKey {
    let pid = std::process::id();
    key_of(pid).unwrap_or(ProcessKey { pid, start: 0 })
}

/// Whether process `pid` runs (not a zombie) and, when `start` is known,
/// is still the process that started then (not a reuse of its pid).
pub fn is_running(pid: u32, start: Option<u64>) -> bool {
    match key_of(pid) {
        None => false,
        Some(now) => start.is_none_or(|start| start == now.start),
    }
}

/// A process group or session goalie started: its leader's key. Its
/// members are the processes whose group or session id is the leader's pid.
/// While any such process exists, Linux gives the pid to no other process,
/// so a member that started after the leader belongs to it.
pub fn group_members(leader: ProcessKey) -> BTreeSet<ProcessKey> {
    let processes = process_tree::all_processes();
    // The leader's pid is another process's now: then no process of the
    // recorded group is left (the pid was free), and any group of that id is
    // the new process's.
    if processes
        .iter()
        .any(|p| p.pid == leader.pid && p.start != leader.start)
    {
        return BTreeSet::new();
    }
    processes
        .iter()
        .filter(|p| {
            p.state != 'Z'
                && (p.pgrp == leader.pid || p.session == leader.pid)
                && p.start >= leader.start
                && p.pid != std::process::id()
        })
        .map(|p| ProcessKey {
            pid: p.pid,
            start: p.start,
        })
        .collect()
}

/// The processes of this user, other than this one, whose environment holds
/// `entry` (`NAME=VALUE`) and that started at `since` or later (clock
/// ticks since boot): the descendants of a process goalie gave that mark,
/// wherever they moved (another session, a parent of 1).
pub fn marked(entry: &[u8], since: u64) -> BTreeSet<ProcessKey> {
    use std::os::unix::fs::MetadataExt;
    let uid = nix::unistd::geteuid().as_raw();
    process_tree::all_processes()
        .into_iter()
        .filter(|p| p.state != 'Z' && p.start >= since && p.pid != std::process::id())
        .filter(|p| {
            let dir = format!("/proc/{}", p.pid);
            std::fs::metadata(&dir).is_ok_and(|meta| meta.uid() == uid)
                && std::fs::read(format!("{dir}/environ"))
                    .is_ok_and(|environ| environ.split(|&b| b == 0).any(|var| var == entry))
        })
        .map(|p| ProcessKey {
            pid: p.pid,
            start: p.start,
        })
        .collect()
}

/// Ends `processes` (SIGTERM, up to `grace`, then SIGKILL), each only while
/// it is still the process its key names; returns those that were running.
pub fn end_all(processes: &BTreeSet<ProcessKey>, grace: Duration) -> Vec<ProcessKey> {
    let running: Vec<ProcessKey> = processes
        .iter()
        .copied()
        .filter(|key| is_running(key.pid, Some(key.start)))
        .collect();
    signal(&running, Signal::SIGTERM);
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline
        && running
            .iter()
            .any(|key| is_running(key.pid, Some(key.start)))
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&running, Signal::SIGKILL);
    running
}

fn signal(processes: &[ProcessKey], signal: Signal) {
    for key in processes {
        if key.pid > 1
            && key.pid != std::process::id()
            && is_running(key.pid, Some(key.start))
            && let Ok(pid) = i32::try_from(key.pid)
        {
            let _ = kill(Pid::from_raw(pid), signal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zombie_and_a_reused_pid_do_not_run() {
        let me = this_process();
        assert!(me.start > 0);
        assert!(is_running(me.pid, Some(me.start)));
        assert!(is_running(me.pid, None));
        // The same pid with another start time is another process.
        assert!(!is_running(me.pid, Some(me.start + 1)));
        // A child that exited and was never reaped is a zombie: ended.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        for _ in 0..200 {
            if stat(pid).is_some_and(|s| s.state == 'Z') {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(stat(pid).map(|s| s.state), Some('Z'));
        assert!(!is_running(pid, None));
        let _ = child.wait();
    }

    #[test]
    fn a_group_is_ended_whole_and_only_while_its_keys_match() {
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & sleep 30 & wait"])
            .process_group(0)
            .spawn()
            .unwrap();
        let leader = key_of(child.id()).unwrap();
        let mut members = BTreeSet::new();
        for _ in 0..200 {
            members = group_members(leader);
            if members.len() == 3 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(members.len(), 3, "{members:?}");
        // A leader key with a later start time names no process of this group.
        let later = ProcessKey {
            start: leader.start + 1_000_000,
            ..leader
        };
        assert!(group_members(later).is_empty());
        let ended = end_all(&members, Duration::from_secs(2));
        assert_eq!(ended.len(), 3);
        let _ = child.wait();
        assert!(group_members(leader).is_empty());
    }
}
