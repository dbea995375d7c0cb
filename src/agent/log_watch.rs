//! The inotify watches of a session log: a few folders, each watched on its
//! own (never a whole tree), and the file being followed. The kernel is asked
//! only for what can matter — entries created or renamed into a folder, data
//! written to a file — so reading a file (goalie's own reads above all) wakes
//! nobody. Events are read without blocking: the tail drains them when it
//! looks, and the run's event loop awaits [`LogWatch::ready`] in between.
//! Linux only, like the rest of goalie.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask};
use tokio::io::unix::AsyncFd;

/// What a watch is for (a folder or file may be watched for several things).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles(u8);

impl Roles {
    /// A folder where session files are created.
    pub const SESSIONS: Roles = Roles(1);
    /// A folder on the way to one that may hold session files: its new sub-folders.
    pub const ANCESTOR: Roles = Roles(2);
    /// The followed file, or a new one not yet known to be this run's: what is written to it.
    pub const FILE: Roles = Roles(4);
    /// A folder whose files' writes matter (gemini-cli's project registry,
    /// opencode's database, a resumed conversation's session folder).
    pub const WRITES: Roles = Roles(8);

    pub fn has(self, other: Roles) -> bool {
        self.0 & other.0 != 0
    }

    pub fn with(self, other: Roles) -> Roles {
        Roles(self.0 | other.0)
    }

    fn without(self, other: Roles) -> Roles {
        Roles(self.0 & !other.0)
    }

    fn mask(self) -> WatchMask {
        let mut mask = WatchMask::empty();
        if self.has(Roles(
            Roles::SESSIONS.0 | Roles::ANCESTOR.0 | Roles::WRITES.0,
        )) {
            mask |= WatchMask::CREATE | WatchMask::MOVED_TO | WatchMask::ONLYDIR;
        }
        if self.has(Roles::SESSIONS) {
            mask |= WatchMask::DELETE_SELF;
        }
        if self.has(Roles(Roles::FILE.0 | Roles::WRITES.0)) {
            mask |= WatchMask::MODIFY;
        }
        mask
    }
}

/// One thing the kernel reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `name` was created in (or renamed into) the watched folder `dir`.
    Created {
        dir: PathBuf,
        roles: Roles,
        name: OsString,
        is_dir: bool,
    },
    /// Data was written to `path` (a watched file, or a file in a folder watched for writes).
    Written { path: PathBuf },
    /// A watched folder or file is gone.
    Gone { path: PathBuf },
    /// The kernel's queue overflowed: events were lost.
    Overflow,
}

struct Watched {
    path: PathBuf,
    roles: Roles,
}

/// The inotify instance, registered with tokio's reactor once the event loop waits on it.
enum Fd {
    Plain(Inotify),
    Registered(AsyncFd<Inotify>),
}

/// The watches of one session tail.
pub struct LogWatch {
    inotify: Option<Fd>,
    watches: HashMap<WatchDescriptor, Watched>,
    by_path: HashMap<PathBuf, WatchDescriptor>,
    /// A watch could not be added (the user's inotify limits): the tail must poll.
    failed: bool,
    buffer: Vec<u8>,
}

impl LogWatch {
    /// Watches nothing yet. Without inotify (a kernel or sandbox without it)
    /// every watch fails and the tail polls instead.
    pub fn new() -> LogWatch {
        let inotify = Inotify::init()
            .inspect_err(|err| tracing::warn!(%err, "no inotify: the session log is polled"))
            .ok();
        LogWatch {
            failed: inotify.is_none(),
            inotify: inotify.map(Fd::Plain),
            watches: HashMap::new(),
            by_path: HashMap::new(),
            buffer: vec![0; 16 * 1024],
        }
    }

    /// Whether every watch asked for is in place (else the tail must poll).
    pub fn complete(&self) -> bool {
        !self.failed
    }

    pub fn is_watched(&self, path: &Path, roles: Roles) -> bool {
        self.by_path
            .get(path)
            .and_then(|wd| self.watches.get(wd))
            .is_some_and(|w| w.roles.has(roles))
    }

    /// Watches `path` for `roles` too. False when it cannot be watched (gone, or a limit).
    pub fn add(&mut self, path: &Path, roles: Roles) -> bool {
        let Some(inotify) = inotify_of(&mut self.inotify) else {
            return false;
        };
        let current = self
            .by_path
            .get(path)
            .and_then(|wd| self.watches.get(wd))
            .map_or(Roles::default(), |w| w.roles);
        if current != Roles::default() && current.with(roles) == current {
            return true;
        }
        let all = current.with(roles);
        match inotify
            .watches()
            .add(path, all.mask() | WatchMask::MASK_ADD)
        {
            Ok(wd) => {
                // The same folder under another name (moved, or a link): one
                // watch, now known by this name, for both purposes.
                let watched = self.watches.entry(wd.clone()).or_insert(Watched {
                    path: path.to_path_buf(),
                    roles: Roles::default(),
                });
                if watched.path != path {
                    self.by_path.remove(&watched.path);
                    watched.path = path.to_path_buf();
                }
                watched.roles = watched.roles.with(all);
                self.by_path.insert(path.to_path_buf(), wd);
                true
            }
            Err(err) => {
                // Gone meanwhile is normal; anything else (ENOSPC: the user's
                // max_user_watches) means events will be missed.
                if err.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(%err, path = %path.display(), "cannot watch: the session log is polled");
                    self.failed = true;
                }
                false
            }
        }
    }

    /// Stops watching `path` for `roles` (and altogether when nothing is left).
    pub fn remove(&mut self, path: &Path, roles: Roles) {
        let Some(wd) = self.by_path.get(path).cloned() else {
            return;
        };
        let Some(watched) = self.watches.get_mut(&wd) else {
            return;
        };
        let left = watched.roles.without(roles);
        let Some(inotify) = inotify_of(&mut self.inotify) else {
            return;
        };
        if left == Roles::default() {
            let _ = inotify.watches().remove(wd.clone());
            self.watches.remove(&wd);
            self.by_path.remove(path);
        } else if left != watched.roles {
            watched.roles = left;
            let _ = inotify.watches().add(path, left.mask());
        }
    }

    /// What happened since the last call (never blocks).
    pub fn drain(&mut self) -> Vec<Change> {
        let mut changes = Vec::new();
        let Some(inotify) = inotify_of(&mut self.inotify) else {
            return changes;
        };
        loop {
            let events = match inotify.read_events(&mut self.buffer) {
                Ok(events) => events,
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(err) => {
                    tracing::warn!(%err, "reading inotify events");
                    break;
                }
            };
            for event in events {
                if event.mask.contains(EventMask::Q_OVERFLOW) {
                    changes.push(Change::Overflow);
                    continue;
                }
                let Some(watched) = self.watches.get(&event.wd) else {
                    continue;
                };
                if event
                    .mask
                    .intersects(EventMask::IGNORED | EventMask::DELETE_SELF)
                {
                    let path = watched.path.clone();
                    if event.mask.contains(EventMask::IGNORED) {
                        self.watches.remove(&event.wd);
                        if self.by_path.get(&path) == Some(&event.wd) {
                            self.by_path.remove(&path);
                        }
                    }
                    changes.push(Change::Gone { path });
                    continue;
                }
                match event.name {
                    Some(name)
                        if event
                            .mask
                            .intersects(EventMask::CREATE | EventMask::MOVED_TO) =>
                    {
                        changes.push(Change::Created {
                            dir: watched.path.clone(),
                            roles: watched.roles,
                            name: name.to_os_string(),
                            is_dir: event.mask.contains(EventMask::ISDIR),
                        });
                    }
                    Some(name) if event.mask.contains(EventMask::MODIFY) => {
                        changes.push(Change::Written {
                            path: watched.path.join(name),
                        });
                    }
                    None if event.mask.contains(EventMask::MODIFY) => {
                        changes.push(Change::Written {
                            path: watched.path.clone(),
                        });
                    }
                    _ => {}
                }
            }
        }
        // A file written many times between two looks is one change.
        changes.dedup();
        changes
    }

    /// Waits until the kernel has something to report; never returns when
    /// nothing is watched. Call [`LogWatch::drain`] afterwards.
    pub async fn ready(&mut self) {
        if self.watches.is_empty() {
            return std::future::pending().await;
        }
        if let Some(Fd::Plain(_)) = &self.inotify
            && let Some(Fd::Plain(inotify)) = self.inotify.take()
        {
            // SAFETY: the `Inotify` owns its descriptor and keeps it open until
            // it is dropped, which the `AsyncFd` owning it does only after
            // deregistering it; nothing else closes or replaces it.
            let registered =
                unsafe { AsyncFd::register_with_interest(inotify, tokio::io::Interest::READABLE) };
            self.inotify = Some(match registered {
                Ok(fd) => Fd::Registered(fd),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot wait for inotify events");
                    Fd::Plain(err.into_parts().0)
                }
            });
        }
        match &self.inotify {
            Some(Fd::Registered(fd)) => match fd.readable().await {
                Ok(mut guard) => guard.clear_ready(),
                Err(_) => std::future::pending().await,
            },
            _ => std::future::pending().await,
        }
    }
}

fn inotify_of(fd: &mut Option<Fd>) -> Option<&mut Inotify> {
    match fd.as_mut()? {
        Fd::Plain(inotify) => Some(inotify),
        Fd::Registered(fd) => Some(fd.get_mut()),
    }
}

impl Default for LogWatch {
    fn default() -> Self {
        LogWatch::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_do_not_wake_writes_and_creations_do() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.jsonl");
        std::fs::write(&file, "x\n").unwrap();
        let mut watch = LogWatch::new();
        assert!(watch.add(dir.path(), Roles::SESSIONS));
        assert!(watch.add(&file, Roles::FILE));
        // Reading, listing and statting are not changes.
        let _ = std::fs::read(&file).unwrap();
        let _ = std::fs::read_dir(dir.path()).unwrap().count();
        let _ = std::fs::metadata(&file).unwrap();
        assert_eq!(watch.drain(), vec![]);
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        writeln!(f, "y").unwrap();
        writeln!(f, "z").unwrap();
        std::fs::write(dir.path().join("b.jsonl"), "").unwrap();
        let changes = watch.drain();
        assert_eq!(
            changes,
            vec![
                Change::Written { path: file.clone() },
                Change::Created {
                    dir: dir.path().to_path_buf(),
                    roles: Roles::SESSIONS,
                    name: "b.jsonl".into(),
                    is_dir: false
                },
            ]
        );
        // A write to another file of the folder is nobody's business.
        std::fs::write(dir.path().join("b.jsonl"), "more").unwrap();
        assert_eq!(watch.drain(), vec![]);
        watch.remove(&file, Roles::FILE);
        writeln!(f, "w").unwrap();
        assert_eq!(watch.drain(), vec![]);
    }
}
