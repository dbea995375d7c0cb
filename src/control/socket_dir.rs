//! Where control sockets live: `$XDG_RUNTIME_DIR/goalie/`, or, without a
//! runtime dir, `goalie-UID/` in the temp dir. Either must be a directory of
//! ours that no one else can enter (mode 0700), or goalie refuses to use it.

use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::error::ControlError;

/// The directory for this user's control sockets, created if needed and checked.
pub fn socket_dir() -> Result<PathBuf, ControlError> {
    let uid = nix::unistd::geteuid().as_raw();
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty()) {
        Some(runtime) => PathBuf::from(runtime).join("goalie"),
        None => std::env::temp_dir().join(format!("goalie-{uid}")),
    };
    ensure_private(&dir, uid)?;
    Ok(dir)
}

/// The socket of goal `goal_id`.
pub fn socket_path(goal_id: &str) -> Result<PathBuf, ControlError> {
    Ok(socket_dir()?.join(format!("{goal_id}.sock")))
}

/// Creates `dir` (mode 0700) unless it exists; refuses one that is not ours
/// or that others may enter.
fn ensure_private(dir: &Path, uid: u32) -> Result<(), ControlError> {
    let fail = |source| ControlError::Dir {
        path: dir.to_path_buf(),
        source,
    };
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(fail(err)),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(fail)?;
    let mode = meta.mode() & 0o7777;
    if !meta.is_dir() || meta.uid() != uid || mode & 0o077 != 0 {
        return Err(ControlError::NotPrivate {
            path: dir.to_path_buf(),
            owner: meta.uid(),
            mode,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_new_directory_is_private_and_an_open_one_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let uid = nix::unistd::geteuid().as_raw();
        let dir = tmp.path().join("run/goalie");
        ensure_private(&dir, uid).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
        ensure_private(&dir, uid).unwrap();

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = ensure_private(&dir, uid).unwrap_err().to_string();
        assert!(err.contains("is not private"), "{err}");
        assert!(err.contains("mode 755"), "{err}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(ensure_private(&dir, uid + 1).is_err(), "someone else's");
    }
}
