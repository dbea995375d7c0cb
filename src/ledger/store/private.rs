//! The ledger's files are private: it holds the goals' secret claim codes and
//! what the agent showed. Folders goalie creates for it are 0700, the database
//! is created 0600 (SQLite gives its `-wal` and `-shm` files the database's
//! mode), and an existing database of ours that others could read is made 0600.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Creates `dir` and its missing parents with mode 0700 (folders that exist
/// are left as they are).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Creates the database file `path` with mode 0600 unless it exists; then
/// takes away others' access to it and its `-wal`/`-shm` files where they
/// are ours.
pub fn prepare_private_file(path: &Path) -> std::io::Result<()> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(err),
    }
    tighten(path);
    Ok(())
}

/// Makes the database's companion files private once SQLite made them.
pub fn tighten_companions(path: &Path) {
    for suffix in ["-wal", "-shm"] {
        tighten(&with_suffix(path, suffix));
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Clears group and other bits of a file of ours (a file that is not ours,
/// or that cannot be changed, is left as it is: reading it is still allowed).
fn tighten(path: &Path) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = meta.mode() & 0o7777;
    if meta.uid() == nix::unistd::geteuid().as_raw() && mode & 0o077 != 0 {
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700));
    }
}
