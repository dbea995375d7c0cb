//! Goal spec files on disk: `run --goal FILE` and `goalie check FILE` read
//! one, `goalie init` writes the template. The spec itself, and its checks,
//! are pure (`goal::spec`); this is the only place that touches the file.

use std::path::Path;

use crate::goal::spec::{Finding, GoalSpec, SpecError, TEMPLATE, check};

/// Reads and checks a spec file.
pub fn load(path: &Path) -> Result<(GoalSpec, Vec<Finding>), SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    check(&text, path)
}

/// Writes the commented template to `path`; never overwrites.
pub fn init(path: &Path) -> Result<(), SpecError> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                SpecError::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                SpecError::Write {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
    file.write_all(TEMPLATE.as_bytes())
        .map_err(|source| SpecError::Write {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("goal.yaml");
        init(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), TEMPLATE);
        let err = init(&path).unwrap_err().to_string();
        assert!(
            err.ends_with(
                "already exists; goalie init never overwrites a file (give another path)"
            ),
            "{err}"
        );
    }
}
