//! Finding every process that belongs to the agent, so none outlives goalie.
//!
//! The agent is a session leader (the PTY spawn calls `setsid`). Its processes
//! are those in its session or process group, plus any descendant that moved
//! to a session of its own (a daemon), found by following parent ids in /proc.

use std::collections::{BTreeSet, HashMap};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// What /proc/PID/stat says about one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: u32,
    pub ppid: u32,
    pub pgrp: u32,
    pub session: u32,
    /// `Z`: a zombie (exited, not yet reaped).
    pub state: char,
    /// When it started, in clock ticks since boot: with the pid, it names a
    /// process uniquely even after the pid is reused.
    pub start: u64,
}

impl ProcStat {
    /// The pid and start time: a name that cannot be reused.
    pub fn key(&self) -> (u32, u64) {
        (self.pid, self.start)
    }
}

/// Parses the text of /proc/PID/stat. The command name may hold spaces and
/// parentheses, so the fields are read after the last `)`.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let (head, tail) = text.rsplit_once(')')?;
    let pid = head.split_whitespace().next()?.parse().ok()?;
    let mut fields = tail.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    let session = fields.next()?.parse().ok()?;
    // starttime is field 22; session was field 6.
    let start = fields.nth(15)?.parse().ok()?;
    Some(ProcStat {
        pid,
        ppid,
        pgrp,
        session,
        state,
        start,
    })
}

/// utime + stime + cutime + cstime of a /proc/PID/stat text, in clock ticks.
pub fn parse_cpu(text: &str) -> Option<u64> {
    let (_, tail) = text.rsplit_once(')')?;
    // After the name: state is field 3; utime..cstime are fields 14 to 17.
    let fields: Vec<&str> = tail.split_whitespace().skip(11).take(4).collect();
    if fields.len() < 4 {
        return None;
    }
    fields
        .iter()
        .map(|field| field.parse::<u64>().ok())
        .sum::<Option<u64>>()
}

/// The CPU time used so far by the leader and the processes in `known` that
/// are still the same processes, in clock ticks.
pub fn cpu_ticks(leader: u32, known: &BTreeSet<(u32, u64)>) -> u64 {
    let mut buf = Vec::with_capacity(4096);
    let mut total = 0;
    let mut leader_seen = false;
    let read = |pid: u32, expect: Option<u64>, buf: &mut Vec<u8>| -> u64 {
        let Some(text) = read_small(&format!("/proc/{pid}/stat"), buf) else {
            return 0;
        };
        let same = expect.is_none_or(|start| parse_stat(text).is_some_and(|s| s.start == start));
        if same {
            parse_cpu(text).unwrap_or(0)
        } else {
            0
        }
    };
    for &(pid, start) in known {
        leader_seen |= pid == leader;
        total += read(pid, Some(start), &mut buf);
    }
    if !leader_seen {
        total += read(leader, None, &mut buf);
    }
    total
}

/// Every process on the machine that we may read.
pub fn all_processes() -> Vec<ProcStat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| {
        let entry = entry.ok()?;
        entry.file_name().to_str()?.parse::<u32>().ok()?;
        let text = std::fs::read_to_string(entry.path().join("stat")).ok()?;
        parse_stat(&text)
    })
    .collect()
}

/// The processes that belong to the agent whose leader is `leader`.
pub fn members(processes: &[ProcStat], leader: u32) -> BTreeSet<u32> {
    let mut found: BTreeSet<u32> = processes
        .iter()
        .filter(|p| p.pid == leader || p.session == leader || p.pgrp == leader)
        .map(|p| p.pid)
        .collect();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for p in processes {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut stack: Vec<u32> = found.iter().copied().collect();
    while let Some(pid) = stack.pop() {
        for &child in children.get(&pid).map(Vec::as_slice).unwrap_or(&[]) {
            if found.insert(child) {
                stack.push(child);
            }
        }
    }
    found
}

/// The agent's processes that are alive (zombies excluded), as (pid, start)
/// keys: its members now, and any process in `known` that still runs.
pub fn living_members(leader: u32, known: &BTreeSet<(u32, u64)>) -> BTreeSet<(u32, u64)> {
    let processes: Vec<ProcStat> = all_processes()
        .into_iter()
        .filter(|p| p.state != 'Z')
        .collect();
    let members = members(&processes, leader);
    processes
        .iter()
        .filter(|p| members.contains(&p.pid) || known.contains(&p.key()))
        .map(ProcStat::key)
        .collect()
}

/// What the agent's processes are now, found by walking down from its leader
/// through `/proc/PID/task/TID/children`, so that the cost is the agent's
/// tree, not the machine's process count: its living descendants, and any
/// process in `known` that still runs (one that escaped to a session of its
/// own and lost its parent). For the periodic look while the agent runs; its
/// end uses [`living_members`], which also finds session members that are no
/// descendants. `None` when the kernel has no children files.
pub fn living_descendants(
    leader: u32,
    known: &BTreeSet<(u32, u64)>,
) -> Option<BTreeSet<(u32, u64)>> {
    static CHILDREN_FILES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let supported = *CHILDREN_FILES.get_or_init(|| {
        let me = std::process::id();
        std::path::Path::new(&format!("/proc/{me}/task/{me}/children")).exists()
    });
    if !supported {
        return None;
    }
    let mut buf = Vec::with_capacity(4096);
    let mut found = BTreeSet::new();
    let mut seen = BTreeSet::new();
    walk_down(leader, None, &mut found, &mut seen, &mut buf);
    for &key in known {
        if !found.contains(&key) {
            walk_down(key.0, Some(key), &mut found, &mut seen, &mut buf);
        }
    }
    Some(found)
}

/// Adds `root` (when alive, and when it is still `expect`, if given) and its
/// living descendants to `found`.
fn walk_down(
    root: u32,
    expect: Option<(u32, u64)>,
    found: &mut BTreeSet<(u32, u64)>,
    seen: &mut BTreeSet<u32>,
    buf: &mut Vec<u8>,
) {
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        if !seen.insert(pid) {
            continue;
        }
        let Some(stat) = read_small(&format!("/proc/{pid}/stat"), buf).and_then(parse_stat) else {
            continue;
        };
        if stat.state == 'Z' || (pid == root && expect.is_some_and(|key| key != stat.key())) {
            continue;
        }
        found.insert(stat.key());
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            if let Some(text) = read_small(&task.path().join("children").to_string_lossy(), buf) {
                stack.extend(
                    text.split_whitespace()
                        .filter_map(|c| c.parse::<u32>().ok()),
                );
            }
        }
    }
}

/// The text of a small /proc file, read at once into `buf`.
fn read_small<'a>(path: &str, buf: &'a mut Vec<u8>) -> Option<&'a str> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    buf.clear();
    buf.resize(4096, 0);
    let mut len = 0;
    loop {
        let n = file.read(&mut buf[len..]).ok()?;
        if n == 0 {
            break;
        }
        len += n;
        if len == buf.len() {
            buf.resize(len * 2, 0);
        }
    }
    std::str::from_utf8(&buf[..len]).ok()
}

/// Sends `signal` to the agent's process group and to every process in `pids`.
pub fn signal_all(leader: u32, pids: &BTreeSet<(u32, u64)>, signal: Signal) {
    if let Ok(leader) = i32::try_from(leader) {
        let _ = killpg(Pid::from_raw(leader), signal);
    }
    for &(pid, _) in pids {
        if let Ok(pid) = i32::try_from(pid)
            && pid > 1
            && pid != std::process::id() as i32
        {
            let _ = kill(Pid::from_raw(pid), signal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_from_stat_and_grows_while_a_process_works() {
        let line = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 20 10 20 0 1 0 999 0";
        assert_eq!(parse_cpu(line), Some(40));
        let me = std::process::id();
        let before = cpu_ticks(me, &BTreeSet::new());
        // Work until the kernel books a tick (10 ms at most on Linux's USER_HZ).
        let mut spins = 0u64;
        while cpu_ticks(me, &BTreeSet::new()) == before {
            spins = std::hint::black_box(spins.wrapping_add(1));
        }
        assert!(cpu_ticks(me, &BTreeSet::new()) > before);
    }

    #[test]
    fn stat_lines_with_awkward_names_parse() {
        let stat = parse_stat(
            "4242 (my (odd) name) S 1 4242 4242 34816 4242 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987654 0",
        )
        .unwrap();
        assert_eq!(
            stat,
            ProcStat {
                pid: 4242,
                ppid: 1,
                pgrp: 4242,
                session: 4242,
                state: 'S',
                start: 987654,
            }
        );
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S"), None);
        assert_eq!(parse_stat("1 (x) S 0 1 1 0 0 0"), None);
    }

    #[test]
    fn members_include_the_session_and_escaped_descendants() {
        let p = |pid, ppid, pgrp, session| ProcStat {
            pid,
            ppid,
            pgrp,
            session,
            state: 'S',
            start: 1,
        };
        let processes = vec![
            p(1, 0, 1, 1),
            p(100, 1, 100, 100),   // the agent
            p(101, 100, 100, 100), // its child
            p(102, 101, 102, 100), // a child in its own group, same session
            p(103, 102, 103, 103), // a daemon in a session of its own
            p(104, 103, 103, 103), // the daemon's child
            p(200, 1, 200, 200),   // unrelated
        ];
        let found: Vec<u32> = members(&processes, 100).into_iter().collect();
        assert_eq!(found, vec![100, 101, 102, 103, 104]);
    }

    #[test]
    fn descendants_are_found_by_walking_down() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & sleep 30 & wait"])
            .spawn()
            .unwrap();
        let pid = child.id();
        // Until sh has started both sleeps.
        let mut found = BTreeSet::new();
        for _ in 0..100 {
            found = living_descendants(pid, &BTreeSet::new()).expect("children files");
            if found.len() == 3 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let full = living_members(pid, &BTreeSet::new());
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
        for &(p, _) in &found {
            let _ = kill(Pid::from_raw(p as i32), Signal::SIGKILL);
        }
        let _ = child.wait();
        assert_eq!(found.len(), 3, "sh and its two sleeps: {found:?}");
        assert!(found.is_subset(&full), "{found:?} within {full:?}");
        // A known process that still runs is kept though no longer a descendant.
        let me = all_processes()
            .into_iter()
            .find(|p| p.pid == std::process::id())
            .unwrap();
        let known = BTreeSet::from([me.key()]);
        let kept = living_descendants(pid, &known).unwrap();
        assert!(kept.contains(&me.key()), "{kept:?}");
    }

    #[test]
    fn this_process_can_be_read() {
        let me = std::process::id();
        let mine = all_processes().into_iter().find(|p| p.pid == me).unwrap();
        assert!(mine.start > 0);
        let found = living_members(me, &BTreeSet::new());
        assert!(found.contains(&mine.key()));
    }
}
