//! A home of the agent's own for one run, for an agent that takes MCP servers
//! only from its settings files (gemini-cli, whose home folder a variable
//! names: `GEMINI_CLI_HOME`).
//!
//! The private home mirrors the person's: every entry of their home, and of
//! the agent's config folder in it (`.gemini`), is a symbolic link to the
//! real one, so what the agent reads and writes there (its chats, its
//! credentials, its trusted folders) is theirs. The one exception is the
//! settings file: a copy of theirs (comments allowed, as the agent allows
//! them) with goalie's registration merged in. Their own files are never
//! written.
//!
//! When the run ends the home is settled: an entry the agent created or
//! replaced (a new folder, a file saved by renaming over the link) is moved
//! into the real folder, a folder merged into one of the same name (never
//! replacing it); a file that would overwrite one that appeared there
//! meanwhile, and a settings file the agent changed, are kept beside the
//! real one as `NAME.goalie-GOAL`. A manifest in the home lets a later
//! run of the same goal settle a home that a killed goalie left behind.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::agent::session_log::sha256_hex as sha256;
use crate::core::row::Row;
use crate::goal::source_location::Located;

/// The adapter's rule for the private home (`mcp_home` in its YAML).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeRule {
    /// The variable that names the agent's home (`GEMINI_CLI_HOME`); when it
    /// is unset the home is `$HOME`.
    pub var: String,
    /// The agent's config folder inside its home (`.gemini`).
    pub dir: String,
    /// The settings file in that folder (`settings.json`).
    pub settings: String,
    /// JSON merged into the settings: objects key by key, anything else
    /// replaced. The placeholders of `mcp_args`.
    pub merge: String,
    /// Lists in the settings, by dotted path, that get these values added
    /// when the person has one (gemini-cli's `mcp.allowed`, an allowlist that
    /// would leave goalie's server out). No list, no change.
    #[serde(default)]
    pub extend: std::collections::BTreeMap<String, Vec<String>>,
}

/// Why the private home could not be made.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    /// The person's settings file is not JSON the agent could read either.
    #[error("{0}")]
    Settings(Located),
    /// A variable of the person's that goalie's registration is merged into
    /// is not a JSON object.
    #[error(
        "{name} is set but is not a JSON object goalie can add its server to ({message}): fix it, or unset it for goalie's runs"
    )]
    Variable { name: String, message: String },
    #[error("{context} {path}: {source}")]
    Io {
        context: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Turns an I/O error about `path` into a [`HomeError::Io`].
pub fn io(context: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> HomeError {
    let path = path.to_path_buf();
    move |source| HomeError::Io {
        context,
        path,
        source,
    }
}

/// What settling a home did, for the ledger and the person.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Settled {
    /// Entries the agent made during the run, now in the real folders.
    pub moved_back: Vec<PathBuf>,
    /// Entries kept beside the real ones (`NAME.goalie-GOAL`), which the
    /// person should look at: the settings the agent changed, or an entry
    /// that appeared in the real folder meanwhile.
    pub kept_beside: Vec<PathBuf>,
    /// Entries that could not be moved, and why.
    pub failed: Vec<String>,
}

impl Settled {
    pub fn is_empty(&self) -> bool {
        self.moved_back.is_empty() && self.kept_beside.is_empty() && self.failed.is_empty()
    }

    /// Its ledger row.
    pub fn row(&self) -> Row {
        let paths = |paths: &[PathBuf]| {
            paths
                .iter()
                .map(|path| path.to_string_lossy().into_owned())
                .collect()
        };
        Row::HomeSettled {
            moved_back: paths(&self.moved_back),
            kept_beside: paths(&self.kept_beside),
            failed: self.failed.clone(),
        }
    }
}

/// The manifest file inside a private home.
const MANIFEST: &str = ".goalie-home.json";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    /// The person's home, and the agent's config folder in it.
    real_home: PathBuf,
    dir: String,
    settings: String,
    /// SHA-256 of the settings text goalie wrote.
    written: String,
    /// The goal, for the names of entries kept beside the real ones.
    tag: String,
}

/// A private home for one run; settled (see the module) when dropped.
#[derive(Debug)]
pub struct AgentHome {
    root: PathBuf,
    settled: bool,
}

impl AgentHome {
    /// Makes the private home at `root` (a new, private folder the caller
    /// owns) mirroring `real_home`, with `merge` (filled in) merged into the
    /// settings. `tag` names kept entries.
    pub fn create(
        rule: &HomeRule,
        real_home: &Path,
        root: &Path,
        merge: &Value,
        tag: &str,
    ) -> Result<AgentHome, HomeError> {
        let real_dir = real_home.join(&rule.dir);
        // The agent would make its folder itself; made here, what it puts
        // there during the run goes straight to the person's folder.
        fs::create_dir_all(&real_dir).map_err(io("cannot create", &real_dir))?;
        let settings_path = real_dir.join(&rule.settings);
        let mut settings = read_settings(&settings_path)?;
        merge_into(&mut settings, merge);
        for (path, values) in &rule.extend {
            extend_list(&mut settings, path, values);
        }
        let mut text = serde_json::to_string_pretty(&settings).unwrap_or_default();
        text.push('\n');

        let home = AgentHome {
            root: root.to_path_buf(),
            settled: false,
        };
        let manifest = Manifest {
            real_home: real_home.to_path_buf(),
            dir: rule.dir.clone(),
            settings: rule.settings.clone(),
            written: sha256(text.as_bytes()),
            tag: tag.to_string(),
        };
        write_private(
            &root.join(MANIFEST),
            serde_json::to_string(&manifest)
                .unwrap_or_default()
                .as_bytes(),
        )?;
        link_entries(real_home, root, &[rule.dir.as_str(), MANIFEST])?;
        let dir = root.join(&rule.dir);
        fs::create_dir(&dir).map_err(io("cannot create", &dir))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
            .map_err(io("cannot set the mode of", &dir))?;
        link_entries(&real_dir, &dir, &[rule.settings.as_str()])?;
        write_private(&dir.join(&rule.settings), text.as_bytes())?;
        Ok(home)
    }

    /// The private home: the value of the adapter's variable for the agent.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Settles the home now (see the module) and says what that did.
    pub fn settle(mut self) -> Settled {
        self.settled = true;
        settle_dir(&self.root)
    }
}

impl Drop for AgentHome {
    fn drop(&mut self) {
        if !self.settled {
            settle_dir(&self.root);
        }
    }
}

/// Settles the private home at `root` from its manifest: entries the agent
/// made go to the real folders, and the home's links and manifest are
/// removed (the folders themselves are the caller's). A folder with no
/// readable manifest is left as it is.
pub fn settle_dir(root: &Path) -> Settled {
    let mut settled = Settled::default();
    let Some(manifest) = fs::read(root.join(MANIFEST))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Manifest>(&bytes).ok())
    else {
        return settled;
    };
    // A name beside the real entry that nothing has yet (a later run of the
    // same goal keeps its own copy too).
    let beside = |to: &Path, name: &str| -> PathBuf {
        let base = format!("{name}.goalie-{}", manifest.tag);
        (1..)
            .map(|n| match n {
                1 => to.join(&base),
                n => to.join(format!("{base}-{n}")),
            })
            .find(|path| fs::symlink_metadata(path).is_err())
            .unwrap_or_else(|| to.join(&base))
    };
    let dir = root.join(&manifest.dir);
    let real_dir = manifest.real_home.join(&manifest.dir);

    let settings = dir.join(&manifest.settings);
    if let Ok(bytes) = fs::read(&settings) {
        if sha256(&bytes) != manifest.written {
            let kept = beside(&real_dir, &manifest.settings);
            match move_entry(&settings, &kept) {
                Ok(()) => settled.kept_beside.push(kept),
                Err(err) => settled
                    .failed
                    .push(format!("{}: {err}", settings.display())),
            }
        } else {
            let _ = fs::remove_file(&settings);
        }
    }
    let skip_dir = [manifest.settings.as_str(), LINKED];
    settle_entries(&dir, &real_dir, &skip_dir, &beside, &mut settled);
    let _ = fs::remove_file(dir.join(LINKED));
    let _ = fs::remove_dir(&dir);
    let skip_root = [manifest.dir.as_str(), MANIFEST, LINKED];
    settle_entries(root, &manifest.real_home, &skip_root, &beside, &mut settled);
    let _ = fs::remove_file(root.join(LINKED));
    let _ = fs::remove_file(root.join(MANIFEST));
    settled
}

/// Each entry of `from` but `skip`: a link to its namesake in `to` is
/// removed; anything else the agent made is settled into `to` (see
/// [`settle_entry`]).
fn settle_entries(
    from: &Path,
    to: &Path,
    skip: &[&str],
    beside: &dyn Fn(&Path, &str) -> PathBuf,
    settled: &mut Settled,
) {
    let Ok(entries) = fs::read_dir(from) else {
        return;
    };
    // The names the home linked here when it was made.
    let linked = fs::read_to_string(from.join(LINKED)).unwrap_or_default();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(text) = name.to_str() else { continue };
        if skip.contains(&text) {
            continue;
        }
        let path = entry.path();
        let real = to.join(&name);
        if fs::read_link(&path).is_ok_and(|target| target == real) {
            let _ = fs::remove_file(&path);
            continue;
        }
        let was_linked = linked.lines().any(|line| line == text);
        settle_entry(&path, to, text, was_linked, beside, settled);
    }
}

/// Settles `path`, which the agent made or replaced, into the folder `to`
/// under `name`: moved there when nothing has that name; a folder where a
/// folder has it is merged into it, entry by entry (a folder is never
/// replaced); a file saved over a link the home made (`linked`) replaces the
/// real file; anything else is kept beside it.
fn settle_entry(
    path: &Path,
    to: &Path,
    name: &str,
    linked: bool,
    beside: &dyn Fn(&Path, &str) -> PathBuf,
    settled: &mut Settled,
) {
    let real = to.join(name);
    let is_dir = fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir());
    let result = match fs::symlink_metadata(&real) {
        Err(_) => move_entry(path, &real).map(|()| settled.moved_back.push(real)),
        Ok(_) if is_dir && real.is_dir() => {
            if let Ok(entries) = fs::read_dir(path) {
                for entry in entries.flatten() {
                    if let Some(child) = entry.file_name().to_str() {
                        settle_entry(&entry.path(), &real, child, false, beside, settled);
                    }
                }
            }
            let _ = fs::remove_dir(path);
            Ok(())
        }
        Ok(meta) if linked && !is_dir && !meta.is_dir() => fs::remove_file(&real)
            .and_then(|()| move_entry(path, &real))
            .map(|()| settled.moved_back.push(real)),
        Ok(_) => {
            let kept = beside(to, name);
            move_entry(path, &kept).map(|()| settled.kept_beside.push(kept))
        }
    };
    if let Err(err) = result {
        settled.failed.push(format!("{}: {err}", path.display()));
    }
}

/// The names a folder of the home linked when it was made, one per line.
const LINKED: &str = ".goalie-linked";

/// Links every entry of `real` but `skip` into `into`, and lists them.
fn link_entries(real: &Path, into: &Path, skip: &[&str]) -> Result<(), HomeError> {
    let mut linked = String::new();
    if let Ok(entries) = fs::read_dir(real) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name
                .to_str()
                .is_some_and(|n| skip.contains(&n) || n == LINKED)
            {
                continue;
            }
            let link = into.join(&name);
            symlink(entry.path(), &link).map_err(io("cannot link", &link))?;
            if let Some(name) = name.to_str() {
                linked.push_str(name);
                linked.push('\n');
            }
        }
    }
    write_private(&into.join(LINKED), linked.as_bytes())
}

/// Checks that the person's settings in `real_home` can be read (a home
/// made from them now would be): nothing is written.
pub fn check_settings(rule: &HomeRule, real_home: &Path) -> Result<(), HomeError> {
    read_settings(&real_home.join(&rule.dir).join(&rule.settings)).map(drop)
}

/// The person's settings: `{}` when there is no file; an error naming the
/// line and column when it is not a JSON object (with comments allowed).
fn read_settings(path: &Path) -> Result<Value, HomeError> {
    let mut text = String::new();
    match fs::File::open(path) {
        Ok(file) => json_comments::StripComments::new(file)
            .read_to_string(&mut text)
            .map_err(io("cannot read", path))?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(json!({})),
        Err(err) => return Err(io("cannot read", path)(err)),
    };
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    let located = |line: usize, column: usize, message: String| {
        HomeError::Settings(Located {
            path: path.to_path_buf(),
            line: line.max(1),
            column: column.max(1),
            message,
        })
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(located(1, 1, "the settings must be a JSON object".into())),
        Err(err) => {
            let message = err.to_string();
            let message = match message.find(" at line ") {
                Some(cut) => message[..cut].to_string(),
                None => message,
            };
            Err(located(err.line(), err.column(), message))
        }
    }
}

/// `add` merged into `into`: objects key by key, anything else replaced.
pub fn merge_into(into: &mut Value, add: &Value) {
    match (into, add) {
        (Value::Object(into), Value::Object(add)) => {
            for (key, value) in add {
                match into.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge_into(existing, value);
                    }
                    _ => {
                        into.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (into, add) => *into = add.clone(),
    }
}

/// Adds `values` (those it lacks) to the list at dotted `path` in
/// `settings`, if there is one.
fn extend_list(settings: &mut Value, path: &str, values: &[String]) {
    let list = path
        .split('.')
        .try_fold(settings, |at, key| at.get_mut(key))
        .and_then(Value::as_array_mut);
    if let Some(list) = list {
        for value in values {
            if !list.iter().any(|v| v == value) {
                list.push(json!(value));
            }
        }
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), HomeError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io("cannot write", path))?;
    file.write_all(bytes).map_err(io("cannot write", path))
}

/// Removes whatever is at `path` (a link is removed, never followed).
fn remove_any(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
    }
}

/// Moves `from` to `to` (which does not exist): a rename, or a copy and a
/// removal across file systems (the home lives in the runtime folder).
fn move_entry(from: &Path, to: &Path) -> std::io::Result<()> {
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(err) if err.raw_os_error() == Some(libc::EXDEV) => {
            copy_entry(from, to)?;
            remove_any(from)
        }
        Err(err) => Err(err),
    }
}

fn copy_entry(from: &Path, to: &Path) -> std::io::Result<()> {
    let meta = fs::symlink_metadata(from)?;
    if meta.file_type().is_symlink() {
        symlink(fs::read_link(from)?, to)
    } else if meta.is_dir() {
        fs::create_dir(to)?;
        fs::set_permissions(to, meta.permissions())?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            copy_entry(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        fs::copy(from, to).map(drop)
    }
}

#[cfg(test)]
mod tests;
