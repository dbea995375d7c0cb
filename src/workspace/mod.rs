//! The workspace's state at each turn's end, and what changed since the last
//! look: the facts of [`core::progress`](crate::core::progress) about files.
//!
//! In a git repository the look is `git status --porcelain -z -uall` (what is
//! modified, added, deleted or untracked, untracked files included) with the
//! content of each of those files hashed (binary-safe, bounded), and `HEAD`
//! (a commit empties the status but moves it): the same as hashing the status
//! and the diff, but it also names the files. Elsewhere it is every file under
//! the working directory (bounded in count and depth) with its size, its
//! modification time and, for small files, a hash of its content, so a file
//! rewritten with what it had is only *touched*. goalie's own folder, `.git/`,
//! the agents' folders (`.codex/`, `.claude/`, `.gemini/`, `.aider*`) and
//! `node_modules/` are never looked at.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use crate::core::progress::{Change, Workspace};

pub mod baseline;
mod hash_cache;
use hash_cache::HashCache;

/// Folders (and, for `.aider`, prefixes of names) that are never looked at.
const SKIPPED: &[&str] = &[
    ".goalie",
    ".git",
    ".codex",
    ".claude",
    ".gemini",
    "node_modules",
];
const SKIPPED_PREFIXES: &[&str] = &[".aider"];
/// At most this many files are looked at.
const MAX_FILES: usize = 20_000;
/// Folders deeper than this are not walked.
const MAX_DEPTH: usize = 12;
/// Files up to this size have their content hashed…
const MAX_HASHED_FILE: u64 = 1 << 20;
/// …while the look has hashed less than this in all.
const MAX_HASHED_TOTAL: u64 = 64 << 20;
/// At most this much of git's output is read.
const MAX_GIT_OUTPUT: usize = 8 << 20;
/// git may take this long to answer.
const GIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// At most this many paths are named in the line of what changed.
const NAMED: usize = 3;

/// What is known of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sig {
    size: u64,
    /// Nanoseconds since the epoch (none in a git look: content is what counts).
    mtime_ns: Option<u128>,
    /// The first 16 bytes of the SHA-256 of its content, when hashed.
    hash: Option<[u8; 16]>,
}

/// One look at the workspace: path → what is known of it.
type Snapshot = BTreeMap<String, Sig>;

/// The workspace of a run, and its last look.
#[derive(Debug)]
pub struct Tracker {
    root: PathBuf,
    /// The repository's top level, when the root is in one.
    git: Option<PathBuf>,
    last: Snapshot,
    /// The content hashes of the last look, for files that did not change.
    hashes: HashCache,
}

impl Tracker {
    /// Looks at `root` now: the baseline the first turn is measured against.
    pub fn new(root: &Path) -> Tracker {
        let git = git_top_level(root);
        let mut tracker = Tracker {
            root: root.to_path_buf(),
            git,
            last: Snapshot::new(),
            hashes: HashCache::default(),
        };
        tracker.last = tracker.look();
        tracker
    }

    /// Files whose content was read to hash it, over every look (an
    /// unchanged file is read once).
    pub fn reads(&self) -> u64 {
        self.hashes.reads()
    }

    /// Whether the workspace is looked at through git.
    pub fn uses_git(&self) -> bool {
        self.git.is_some()
    }

    /// Looks again: what changed since the last look.
    pub fn measure(&mut self) -> Workspace {
        let git_before = self.git.is_some();
        let now = self.look();
        if git_before && self.git.is_none() {
            // git failed: the files are looked at from now on, this look the baseline.
            self.last = now;
            return Workspace {
                change: Change::None,
                what: "git did not answer; goalie looks at the files from now on".into(),
            };
        }
        let workspace = compare(&self.last, &now);
        self.last = now;
        workspace
    }

    /// The look, through git while it answers.
    fn look(&mut self) -> Snapshot {
        let snapshot = self.look_with_git();
        self.hashes.look_done();
        snapshot
    }

    fn look_with_git(&mut self) -> Snapshot {
        if let Some(top) = &self.git {
            if let Some(snapshot) = git_look(top, &mut self.hashes) {
                return snapshot;
            }
            self.git = None;
        }
        walk_look(&self.root, &mut self.hashes)
    }
}

/// What changed from `before` to `after`, in a line.
fn compare(before: &Snapshot, after: &Snapshot) -> Workspace {
    let mut changed = Vec::new();
    let mut touched = Vec::new();
    for (path, sig) in after {
        match before.get(path) {
            None => changed.push(path.as_str()),
            Some(old) if old == sig => {}
            Some(old) => {
                let same_content =
                    old.size == sig.size && old.hash.is_some() && old.hash == sig.hash;
                if same_content {
                    touched.push(path.as_str());
                } else {
                    changed.push(path.as_str());
                }
            }
        }
    }
    changed.extend(
        before
            .keys()
            .filter(|path| !after.contains_key(*path))
            .map(String::as_str),
    );
    if !changed.is_empty() {
        return Workspace {
            change: Change::Content,
            what: format!("{} changed: {}", files(changed.len()), named(&changed)),
        };
    }
    if !touched.is_empty() {
        return Workspace {
            change: Change::Touched,
            what: format!(
                "{} touched, content unchanged: {}",
                files(touched.len()),
                named(&touched)
            ),
        };
    }
    Workspace {
        change: Change::None,
        what: "workspace unchanged".into(),
    }
}

fn files(n: usize) -> String {
    if n == 1 {
        "1 file".into()
    } else {
        format!("{n} files")
    }
}

fn named(paths: &[&str]) -> String {
    let mut text = paths[..paths.len().min(NAMED)].join(", ");
    if paths.len() > NAMED {
        text.push_str(&format!(" (+{} more)", paths.len() - NAMED));
    }
    text
}

fn skipped(name: &str) -> bool {
    SKIPPED.contains(&name) || SKIPPED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Whether a path relative to the workspace lies in a skipped folder.
fn in_skipped(relative: &str) -> bool {
    let mut parts: Vec<&str> = relative.split('/').collect();
    parts.pop(); // the file itself
    parts.iter().any(|part| skipped(part))
}

/// Every file under `root`, bounded.
fn walk_look(root: &Path, cache: &mut HashCache) -> Snapshot {
    let mut snapshot = Snapshot::new();
    let mut hashed = 0u64;
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !skipped(&name) && depth < MAX_DEPTH {
                    stack.push((entry.path(), depth + 1));
                }
                continue;
            }
            if !kind.is_file() || skipped(&name) {
                continue;
            }
            if snapshot.len() >= MAX_FILES {
                return snapshot;
            }
            let path = entry.path();
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            if let Some(sig) = file_sig(&path, true, &mut hashed, cache) {
                snapshot.insert(relative, sig);
            }
        }
    }
    snapshot
}

/// What is known of the file at `path`: its size, its modification time
/// (`with_mtime`) and, while the look's budget lasts, its content's hash
/// (the budget counts a hash kept from the last look as one read, so the
/// same files are hashed whichever they are).
fn file_sig(path: &Path, with_mtime: bool, hashed: &mut u64, cache: &mut HashCache) -> Option<Sig> {
    let meta = std::fs::metadata(path).ok()?;
    let size = meta.len();
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map(|since| since.as_nanos());
    let hash = (size <= MAX_HASHED_FILE && *hashed + size <= MAX_HASHED_TOTAL)
        .then(|| {
            let hash = cache.hash(path, &meta)?;
            *hashed += size;
            Some(hash)
        })
        .flatten();
    Some(Sig {
        size,
        mtime_ns: if with_mtime || hash.is_none() {
            mtime_ns
        } else {
            None
        },
        hash,
    })
}

/// The repository's top level, when `root` is in a work tree.
fn git_top_level(root: &Path) -> Option<PathBuf> {
    let out = git(root, &["rev-parse", "--show-toplevel"])?;
    let text = String::from_utf8(out).ok()?;
    let top = text.trim();
    (!top.is_empty()).then(|| PathBuf::from(top))
}

/// The files git sees changed (with their content) and `HEAD`.
fn git_look(top: &Path, cache: &mut HashCache) -> Option<Snapshot> {
    let status = git(top, &["status", "--porcelain=v1", "-z", "-uall"])?;
    let mut snapshot = Snapshot::new();
    let head = git(top, &["rev-parse", "--verify", "-q", "HEAD"]).unwrap_or_default();
    snapshot.insert(
        "(HEAD)".into(),
        Sig {
            size: 0,
            mtime_ns: None,
            hash: Some(short_hash(&head)),
        },
    );
    let mut hashed = 0u64;
    let mut records = status.split(|byte| *byte == 0);
    while let Some(record) = records.next() {
        if record.len() < 4 {
            continue;
        }
        let code = &record[..2];
        if code[0] == b'R' || code[0] == b'C' {
            records.next(); // the path it was renamed or copied from
        }
        let path = String::from_utf8_lossy(&record[3..]).into_owned();
        if in_skipped(&path) || snapshot.len() > MAX_FILES {
            continue;
        }
        let full = top.join(&path);
        let sig = file_sig(&full, false, &mut hashed, cache).unwrap_or(Sig {
            // Deleted: its absence is what is known.
            size: u64::MAX,
            mtime_ns: None,
            hash: Some([0; 16]),
        });
        snapshot.insert(path, sig);
    }
    Some(snapshot)
}

fn short_hash(bytes: &[u8]) -> [u8; 16] {
    let digest = Sha256::digest(bytes);
    let mut short = [0u8; 16];
    short.copy_from_slice(&digest[..16]);
    short
}

/// git's output for `args` in `dir` (at most [`MAX_GIT_OUTPUT`], within
/// [`GIT_TIMEOUT`]), if it succeeded. `GIT_OPTIONAL_LOCKS=0`: looking never
/// takes the index lock from the agent.
fn git(dir: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let read = stdout
            .take(MAX_GIT_OUTPUT as u64 + 1)
            .read_to_end(&mut out)
            .is_ok();
        let _ = tx.send((read, out));
    });
    let Ok((read, mut out)) = rx.recv_timeout(GIT_TIMEOUT) else {
        // A repository too big (or a git that hangs): no git look this time.
        let _ = child.kill();
        let _ = child.wait();
        return None;
    };
    if out.len() > MAX_GIT_OUTPUT {
        let _ = child.kill();
        let _ = child.wait();
        out.truncate(MAX_GIT_OUTPUT);
        return Some(out);
    }
    let status = child.wait().ok()?;
    (read && status.success()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    /// Moves a file's modification time on, as a later write would.
    fn age(root: &Path, path: &str, secs: u64) {
        let file = std::fs::File::options()
            .write(true)
            .open(root.join(path))
            .unwrap();
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(secs);
        file.set_modified(later).unwrap();
    }

    #[test]
    fn a_plain_folder_tells_new_changed_touched_and_skipped_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a.txt", "one");
        let mut tracker = Tracker::new(root);
        assert!(!tracker.uses_git() || git_top_level(root).is_some());
        assert_eq!(tracker.measure().change, Change::None);
        write(root, "b.txt", "two");
        let seen = tracker.measure();
        assert_eq!(seen.change, Change::Content);
        assert_eq!(seen.what, "1 file changed: b.txt");
        write(root, "b.txt", "two");
        age(root, "b.txt", 100);
        let seen = tracker.measure();
        if !tracker.uses_git() {
            assert_eq!(seen.change, Change::Touched, "{}", seen.what);
        }
        for skipped in [
            ".goalie/n.md",
            ".codex/x",
            ".aider.chat",
            "node_modules/m/i.js",
        ] {
            write(root, skipped, "x");
        }
        let seen = tracker.measure();
        assert_eq!(seen.change, Change::None, "{}", seen.what);
        write(root, "a.txt", "uno");
        assert_eq!(tracker.measure().change, Change::Content);
    }

    /// Sets a file's modification time `secs` in the past.
    fn backdate(root: &Path, path: &str, secs: u64) {
        let file = std::fs::File::options()
            .write(true)
            .open(root.join(path))
            .unwrap();
        let earlier = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
        file.set_modified(earlier).unwrap();
    }

    #[test]
    fn an_unchanged_file_is_read_once_and_a_changed_or_fresh_one_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in ["a.txt", "b.txt", "c/d.txt"] {
            write(root, name, name);
            backdate(root, name, 60);
        }
        let mut tracker = Tracker::new(root);
        assert_eq!(tracker.reads(), 3, "the baseline reads each file");
        for _ in 0..5 {
            assert_eq!(tracker.measure().change, Change::None);
        }
        assert_eq!(tracker.reads(), 3, "unchanged files are not read again");
        // Rewritten with the same content and an older time: read again
        // (its time changed), and only touched.
        write(root, "b.txt", "b.txt");
        backdate(root, "b.txt", 30);
        let seen = tracker.measure();
        assert_eq!(tracker.reads(), 4);
        if !tracker.uses_git() {
            assert_eq!(seen.change, Change::Touched, "{}", seen.what);
        }
        // Written just now: read at each look until it is a second old (a
        // rewrite within the same tick would not show in its metadata).
        write(root, "a.txt", "new");
        assert_eq!(tracker.measure().change, Change::Content);
        assert_eq!(tracker.reads(), 5);
        write(root, "a.txt", "neW");
        assert_eq!(
            tracker.measure().change,
            Change::Content,
            "same size, same tick"
        );
        assert_eq!(tracker.reads(), 6);
        backdate(root, "a.txt", 10);
        tracker.measure();
        assert_eq!(tracker.reads(), 7);
        tracker.measure();
        assert_eq!(tracker.reads(), 7, "old enough now");
        // A file that is gone is forgotten.
        std::fs::remove_file(root.join("c/d.txt")).unwrap();
        assert_eq!(tracker.measure().change, Change::Content);
        write(root, "c/d.txt", "c/d.txt");
        backdate(root, "c/d.txt", 60);
        assert_eq!(tracker.measure().change, Change::Content);
        assert_eq!(tracker.reads(), 8);
    }

    #[test]
    fn a_git_repository_is_looked_at_through_its_status_and_head() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let run = |args: &[&str]| {
            let ok = Command::new("git")
                .arg("-C")
                .arg(root)
                .args(args)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@t")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@t")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap()
                .success();
            assert!(ok, "git {args:?}");
        };
        run(&["init", "-q"]);
        write(root, "src/lib.rs", "fn a() {}");
        run(&["add", "."]);
        run(&["commit", "-q", "-m", "first"]);
        let mut tracker = Tracker::new(root);
        assert!(tracker.uses_git());
        write(root, "src/lib.rs", "fn a() {}");
        age(root, "src/lib.rs", 100);
        assert_eq!(tracker.measure().change, Change::None, "same content");
        write(root, "src/lib.rs", "fn b() {}");
        let seen = tracker.measure();
        assert_eq!(seen.change, Change::Content);
        assert_eq!(seen.what, "1 file changed: src/lib.rs");
        write(root, "src/lib.rs", "fn c() {}");
        assert_eq!(tracker.measure().change, Change::Content, "changed again");
        write(root, "new/untracked.bin", "\u{0}\u{1}");
        assert!(tracker.measure().what.contains("new/untracked.bin"));
        write(root, ".goalie/handoff.md", "note");
        assert_eq!(tracker.measure().change, Change::None);
        run(&["add", "src", "new"]);
        run(&["commit", "-q", "-m", "second"]);
        let seen = tracker.measure();
        assert_eq!(seen.change, Change::Content, "a commit: {}", seen.what);
        assert!(seen.what.contains("(HEAD)"));
        // git stops answering (here: the repository is gone): the files, from then on.
        std::fs::remove_dir_all(root.join(".git")).unwrap();
        let seen = tracker.measure();
        assert_eq!(seen.change, Change::None);
        assert!(seen.what.contains("git did not answer"), "{}", seen.what);
        assert!(!tracker.uses_git());
        write(root, "src/lib.rs", "fn d() {}");
        let seen = tracker.measure();
        assert_eq!(seen.what, "1 file changed: src/lib.rs");
    }
}
