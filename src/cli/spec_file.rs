//! Goal spec files on disk: `run --goal FILE` and `goalie check FILE` read
//! one, `goalie init` writes the template. The spec itself, and its checks,
//! are pure (`goal::spec`); this is the only place that touches the file.

use std::path::Path;

use crate::goal::source_location::locate_value;
use crate::goal::spec::{Finding, GoalSpec, SpecError, TEMPLATE, check};

/// Reads and checks a spec file.
pub fn load(path: &Path) -> Result<(GoalSpec, Vec<Finding>), SpecError> {
    let bytes = std::fs::read(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = crate::goal::yaml_input::text_of(path, &bytes).map_err(|at| {
        SpecError::Invalid(vec![Finding {
            severity: crate::goal::spec::Severity::Error,
            at,
        }])
    })?;
    check(text, path)
}

/// Reads and checks a spec file, then what only the world can say: that
/// its `agent` names an adapter (when `agent_used`: `--agent` or
/// `--adapter` overrides it) and that each `protect` path exists in
/// `workdir`. `goalie check` and `goalie run` both call this, so `check`
/// refuses what `run` would.
pub fn load_in(
    path: &Path,
    workdir: &Path,
    config_dir: Option<&Path>,
    agent_used: bool,
) -> Result<(GoalSpec, Vec<Finding>), SpecError> {
    let (spec, warnings) = load(path)?;
    // The file was read above; read again only to place the errors.
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut errors = Vec::new();
    if let Some(agent) = spec.agent.as_deref().filter(|_| agent_used)
        && let Err(err) = crate::agent::adapter::Adapter::named(agent, config_dir)
    {
        errors.push(locate_value(
            path,
            &text,
            agent,
            format!("`agent: {agent}`: {err}"),
        ));
    }
    for protected in &spec.protect {
        if !workdir.join(protected).exists() {
            errors.push(locate_value(
                path,
                &text,
                protected,
                format!(
                    "`protect: {protected}` does not exist in {}: nothing there to keep unchanged \
                     (a typo?)",
                    workdir.display()
                ),
            ));
        }
    }
    if errors.is_empty() {
        return Ok((spec, warnings));
    }
    Err(SpecError::Invalid(
        errors
            .into_iter()
            .map(|at| Finding {
                severity: crate::goal::spec::Severity::Error,
                at,
            })
            .collect(),
    ))
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
