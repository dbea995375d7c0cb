//! Finding this run's session files: the places of [`Places`] watched with
//! [`LogWatch`], the files that were there before the agent started set
//! apart, and each new file taken as this run's once its first line says so
//! (Codex: its `cwd`; gemini-cli: its `projectHash`; Claude Code: its
//! folder). Everything it reads or lists is counted in [`TailStats`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::agent::log_watch::{Change, LogWatch, Roles};
use crate::agent::session_log::{
    LogFormat, codex_session_cwd, gemini_hash_of, gemini_project_hash, session_id,
    session_id_from_path,
};
use crate::agent::session_places::{DirKind, Places};
use crate::agent::tail_stats::TailStats;

/// Files made this long before the agent started may still be its own (clocks).
pub const CLOCK_SLACK: Duration = Duration::from_secs(2);
/// At most this much of a file is read to find its first line.
const FIRST_LINE_MAX: usize = 256 * 1024;

/// How a folder's files are taken when it is listed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// When the tail starts: every file there is from before the run.
    Snapshot,
    /// A folder found during the run: files made before the run are not its.
    FoundLater,
    /// Again: a file not seen before is new.
    Rescan,
}

/// What a new file's first line is, so far.
enum FirstLine {
    Line(String),
    NotYet,
    Missing,
}
/// What is known of the session files of one run.
pub struct Discovery {
    format: LogFormat,
    workdir: String,
    started: SystemTime,
    pub places: Places,
    pub watch: LogWatch,
    /// The session folders found.
    session_dirs: BTreeSet<PathBuf>,
    /// Folders watched for the folders of this run that do not exist yet.
    ancestors: BTreeSet<PathBuf>,
    /// gemini-cli: the folder of its project registry, while it does not name this project.
    registry_watch: Option<PathBuf>,
    /// Files that were in the session folders before the agent started.
    pub preexisting: HashSet<PathBuf>,
    /// New files that are not this run's (another project's).
    pub rejected: HashSet<PathBuf>,
    /// New files whose first line is not written yet.
    pub pending: BTreeSet<PathBuf>,
    /// This run's files, in the order they were found.
    pub candidates: Vec<PathBuf>,
    /// When this run resumes a conversation: the session files already there
    /// and their sizes, whose lines are earlier runs' (a baseline only).
    pub resumed_sizes: HashMap<PathBuf, u64>,
    /// The agent continues one of this project's conversations, unknown which.
    pub continue_any: bool,
    /// The session this run resumes: a new file of the same session is its
    /// twin (gemini-cli may start one before it reopens the conversation's
    /// own file, where it then writes), never this run's file.
    pub resumed_id: Option<String>,
    /// The file being followed (watched for what is written to it).
    pub following: Option<PathBuf>,
    /// opencode: its database was written since the last query.
    pub db_dirty: bool,
    /// opencode: its database file was made anew.
    pub db_created: bool,
    pub stats: TailStats,
}

impl Discovery {
    /// Watches this run's places and takes note of what they hold already.
    pub fn start(
        format: LogFormat,
        root: &Path,
        workdir: &str,
        started: SystemTime,
        stats: TailStats,
    ) -> Discovery {
        let mut discovery = Discovery {
            format,
            workdir: workdir.to_string(),
            started,
            places: Places::new(format, root, workdir, started),
            watch: LogWatch::new(),
            session_dirs: BTreeSet::new(),
            ancestors: BTreeSet::new(),
            registry_watch: None,
            preexisting: HashSet::new(),
            rejected: HashSet::new(),
            pending: BTreeSet::new(),
            candidates: Vec::new(),
            resumed_sizes: HashMap::new(),
            continue_any: false,
            resumed_id: None,
            following: None,
            db_dirty: true,
            db_created: false,
            stats,
        };
        discovery
            .places
            .read_registry(&mut discovery.stats.files_opened);
        discovery.settle(Listing::Snapshot);
        discovery
    }

    /// The session folders found so far.
    pub fn session_dirs(&self) -> &BTreeSet<PathBuf> {
        &self.session_dirs
    }

    /// Handles the kernel's reports; true when only a full look will do.
    pub fn take_changes(&mut self) -> bool {
        let changes = self.watch.drain();
        if !changes.is_empty() {
            self.stats.wakes += 1;
            self.stats.events += changes.len() as u64;
        }
        let mut rescan = false;
        for change in changes {
            rescan |= self.handle(change);
        }
        rescan
    }

    /// Handles one thing the kernel reported; true when only a full look will do.
    fn handle(&mut self, change: Change) -> bool {
        match change {
            Change::Overflow => return true,
            Change::Gone { path } => {
                if self.session_dirs.remove(&path) {
                    self.settle(Listing::FoundLater);
                }
            }
            Change::Created {
                dir,
                roles,
                name,
                is_dir,
            } => {
                let path = dir.join(&name);
                if !is_dir && name == "opencode.db" {
                    self.db_created = true;
                }
                if is_dir {
                    if roles.has(Roles::ANCESTOR) || roles.has(Roles::SESSIONS) {
                        self.new_dir(&path);
                    }
                } else {
                    if roles.has(Roles::SESSIONS)
                        && self.session_dirs.contains(&dir)
                        && self.places.is_session_file(&name)
                    {
                        self.found(path.clone());
                    }
                    if roles.has(Roles::WRITES) {
                        self.written(&path);
                    }
                }
            }
            Change::Written { path } => self.written(&path),
        }
        false
    }

    fn written(&mut self, path: &Path) {
        if self.format == LogFormat::OpencodeDb {
            if path
                .file_name()
                .is_some_and(|name| self.places.is_session_file(name))
            {
                self.db_dirty = true;
            }
            return;
        }
        if self.following.as_deref() == Some(path) {
            return;
        }
        if self.pending.contains(path) {
            self.classify(path);
        } else if self.resumed_sizes.contains_key(path)
            && !self.candidates.iter().any(|c| c == path)
        {
            self.candidates.push(path.to_path_buf());
        } else if path.file_name() == Some(OsStr::new("projects.json"))
            && self.places.read_registry(&mut self.stats.files_opened)
        {
            self.settle(Listing::FoundLater);
        }
    }

    /// A folder appeared: a session folder of this run, or one on the way to it.
    fn new_dir(&mut self, path: &Path) {
        match self.places.kind_of_dir(path) {
            DirKind::Sessions => {
                self.places.want(path);
                if !self.session_dirs.contains(path) {
                    self.add_session_dir(path, Listing::FoundLater);
                    // The folders watched until it appeared are not needed now.
                    self.settle(Listing::FoundLater);
                }
            }
            DirKind::Ancestor => {
                if self.ancestors.insert(path.to_path_buf()) {
                    self.watch.add(path, Roles::ANCESTOR);
                    // Folders made inside it before the watch was in place.
                    for child in self.subdirs(path) {
                        self.new_dir(&child);
                    }
                }
            }
            DirKind::Other => {}
        }
    }

    /// Watches what exists of this run's places: each session folder, or the
    /// nearest existing folder on the way to one that does not exist yet.
    pub fn settle(&mut self, listing: Listing) {
        let mut needed = BTreeSet::new();
        for dir in self.places.growing() {
            if dir.is_dir() {
                needed.insert(dir);
            }
        }
        for target in self.places.targets().to_vec() {
            if self.session_dirs.contains(&target) {
                continue;
            }
            if target.is_dir() {
                self.add_session_dir(&target, listing);
            } else if let Some(ancestor) = target.ancestors().skip(1).find(|dir| dir.is_dir()) {
                needed.insert(ancestor.to_path_buf());
            }
        }
        if self.format == LogFormat::CodexRollout {
            // Later years and months found during the run stay watched (not
            // the folders above the log folder, once it exists).
            let root = self.places.root();
            let inside = self.ancestors.iter().filter(|dir| dir.starts_with(root));
            needed.extend(inside.cloned().collect::<Vec<_>>());
        }
        for dir in needed.difference(&self.ancestors) {
            self.watch.add(dir, Roles::ANCESTOR);
        }
        for dir in self.ancestors.difference(&needed) {
            self.watch.remove(dir, Roles::ANCESTOR);
        }
        self.ancestors = needed;
        let registry = self.places.registry_dir().map(Path::to_path_buf);
        if registry != self.registry_watch {
            if let Some(old) = self.registry_watch.take() {
                self.watch.remove(&old, Roles::WRITES);
            }
            if let Some(dir) = &registry {
                self.watch.add(dir, Roles::WRITES);
            }
            self.registry_watch = registry;
        }
    }

    fn add_session_dir(&mut self, dir: &Path, listing: Listing) {
        self.session_dirs.insert(dir.to_path_buf());
        if self.format == LogFormat::OpencodeDb {
            // The database's folder: what is written to its files.
            self.watch.add(dir, Roles::WRITES);
            self.db_dirty = true;
            return;
        }
        let mut roles = Roles::SESSIONS;
        if self.continue_any {
            roles = Roles::SESSIONS.with(Roles::WRITES);
        }
        self.watch.add(dir, roles);
        self.list(dir, listing);
    }

    /// The sub-folders of `dir` (one listing).
    fn subdirs(&mut self, dir: &Path) -> Vec<PathBuf> {
        self.stats.dir_scans += 1;
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
            .map(|entry| entry.path())
            .collect()
    }

    /// Lists a session folder: its files are from before the run, or new.
    fn list(&mut self, dir: &Path, listing: Listing) {
        self.stats.dir_scans += 1;
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            if !self.places.is_session_file(&entry.file_name())
                || !entry.file_type().is_ok_and(|t| t.is_file())
            {
                continue;
            }
            let path = entry.path();
            if self.known(&path) {
                continue;
            }
            let new = match listing {
                Listing::Snapshot => false,
                Listing::Rescan => true,
                Listing::FoundLater => entry.metadata().is_ok_and(|meta| {
                    let made = meta.created().or_else(|_| meta.modified());
                    made.is_ok_and(|made| made + CLOCK_SLACK >= self.started)
                }),
            };
            if new {
                self.found(path);
            } else {
                self.preexisting.insert(path);
            }
        }
    }

    fn known(&self, path: &Path) -> bool {
        self.preexisting.contains(path)
            || self.rejected.contains(path)
            || self.pending.contains(path)
            || self.candidates.iter().any(|c| c == path)
    }

    /// A file made since the agent started: this run's once its first line says so.
    fn found(&mut self, path: PathBuf) {
        if self.known(&path) {
            return;
        }
        if self.format == LogFormat::ClaudeTranscript {
            // This project's folder holds only this project's sessions.
            self.candidates.push(path);
            return;
        }
        self.watch.add(&path, Roles::FILE);
        self.pending.insert(path.clone());
        self.classify(&path);
    }

    fn classify(&mut self, path: &Path) {
        let ours = match self.read_first_line(path) {
            FirstLine::NotYet => return,
            FirstLine::Missing => None,
            FirstLine::Line(line) => {
                let twin =
                    self.resumed_id.is_some() && self.session_of(path, &line) == self.resumed_id;
                if twin {
                    tracing::debug!(path = %path.display(), "a new file of the resumed session: not followed");
                }
                Some(self.line_belongs(&line) && !twin)
            }
        };
        self.pending.remove(path);
        match ours {
            Some(true) => self.candidates.push(path.to_path_buf()),
            Some(false) => {
                self.rejected.insert(path.to_path_buf());
            }
            None => {}
        }
        if self.following.as_deref() != Some(path) {
            self.watch.remove(path, Roles::FILE);
        }
    }

    /// Whether a file is this working directory's (`None`: cannot tell yet).
    pub fn belongs(&mut self, path: &Path) -> Option<bool> {
        if self.format == LogFormat::ClaudeTranscript {
            return Some(true);
        }
        match self.read_first_line(path) {
            FirstLine::Line(line) => Some(self.line_belongs(&line)),
            _ => None,
        }
    }

    /// The session id of a new file (gemini-cli: its first line's `sessionId`).
    fn session_of(&self, path: &Path, line: &str) -> Option<String> {
        match self.format {
            LogFormat::GeminiChat => {
                serde_json::from_str::<serde_json::Value>(line).ok()?["sessionId"]
                    .as_str()
                    .map(str::to_string)
            }
            _ => session_id_from_path(path),
        }
    }

    fn line_belongs(&self, line: &str) -> bool {
        match self.format {
            LogFormat::CodexRollout => {
                codex_session_cwd(line).is_some_and(|cwd| cwd == self.workdir)
            }
            LogFormat::GeminiChat => {
                gemini_project_hash(line).is_some_and(|hash| hash == gemini_hash_of(&self.workdir))
            }
            LogFormat::ClaudeTranscript => true,
            LogFormat::OpencodeDb => false,
        }
    }

    /// A file's first line once it is written whole.
    fn read_first_line(&mut self, path: &Path) -> FirstLine {
        self.stats.files_opened += 1;
        let Ok(file) = File::open(path) else {
            return FirstLine::Missing;
        };
        let mut bytes = Vec::new();
        if file
            .take(FIRST_LINE_MAX as u64)
            .read_to_end(&mut bytes)
            .is_err()
        {
            return FirstLine::NotYet;
        }
        match bytes.iter().position(|b| *b == b'\n') {
            Some(end) => FirstLine::Line(String::from_utf8_lossy(&bytes[..end]).into_owned()),
            // A line this long is no session header.
            None if bytes.len() >= FIRST_LINE_MAX => FirstLine::Line(String::new()),
            None => FirstLine::NotYet,
        }
    }

    /// The session file with this id (Codex: `rollout-<time>-<id>.jsonl`;
    /// Claude Code: `<id>.jsonl`; gemini-cli: its first line's `sessionId`),
    /// among the files of the session folders.
    pub fn find_by_id(&mut self, id: &str) -> Option<PathBuf> {
        let format = self.format;
        let matches = |path: &Path| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|name| match format {
                LogFormat::CodexRollout => name.ends_with(&format!("-{id}.jsonl")),
                LogFormat::ClaudeTranscript => name == format!("{id}.jsonl"),
                LogFormat::GeminiChat => id
                    .get(..8)
                    .is_some_and(|short| name.ends_with(&format!("-{short}.jsonl"))),
                LogFormat::OpencodeDb => false,
            })
        };
        let mut known: Vec<PathBuf> = self
            .candidates
            .iter()
            .chain(self.pending.iter())
            .chain(self.preexisting.iter())
            .chain(self.rejected.iter())
            .filter(|path| matches(path))
            .cloned()
            .collect();
        if known.is_empty() {
            // Made a moment ago: its event may not have been handled yet.
            for dir in self.session_dirs.clone() {
                self.list(&dir, Listing::Rescan);
            }
            known = self
                .candidates
                .iter()
                .chain(self.pending.iter())
                .filter(|path| matches(path))
                .cloned()
                .collect();
        }
        known.sort();
        known.into_iter().find(|path| {
            format != LogFormat::GeminiChat || session_id(format, path).as_deref() == Some(id)
        })
    }

    /// Looks again at everything, as if events had been lost.
    pub fn rescan(&mut self) {
        self.stats.rescans += 1;
        if self.places.read_registry(&mut self.stats.files_opened) {
            tracing::debug!("gemini-cli's registry names this project's folder");
        }
        self.settle(Listing::FoundLater);
        if self.format == LogFormat::OpencodeDb {
            self.db_dirty = true;
            return;
        }
        for dir in self.session_dirs.clone() {
            self.list(&dir, Listing::Rescan);
        }
        for path in self.pending.clone() {
            self.classify(&path);
        }
    }
}
