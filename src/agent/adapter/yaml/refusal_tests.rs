//! Adapter values YAML reads fine but goalie cannot work with are refused,
//! each at its place.

use std::path::{Path, PathBuf};

use crate::agent::adapter::Adapter;

const BASE: &str = "name: x\ncommand: y\nscreen:\n  busy: [a]\n  idle: [b]\n";

fn refused(text: &str) -> String {
    Adapter::from_yaml(text, Path::new("my.yaml"))
        .err()
        .map(|err| err.to_string())
        .unwrap_or_else(|| panic!("accepted: {text}"))
}

#[test]
fn enter_must_be_text() {
    let err = refused(&format!("{BASE}submit:\n  enter: 42\n"));
    assert!(
        err.starts_with("my.yaml:7:10: submit.enter: invalid type: integer `42`, expected text"),
        "{err}"
    );
    let quoted = format!("{BASE}submit:\n  enter: \"\\r\"\n");
    assert!(Adapter::from_yaml(&quoted, Path::new("my.yaml")).is_ok());
}

#[test]
fn a_zero_startup_timeout_is_refused() {
    let err = refused(&format!("{BASE}timing:\n  startup_timeout_ms: 0\n"));
    assert!(
        err.starts_with("my.yaml:7:3: `timing.startup_timeout_ms` must be above 0"),
        "{err}"
    );
}

#[test]
fn an_empty_pattern_is_refused() {
    let err = refused("name: x\ncommand: y\nscreen:\n  busy: [a]\n  idle: ['']\n");
    assert!(
        err.starts_with("my.yaml:5:10: an empty pattern matches every screen"),
        "{err}"
    );
    let err = refused(&format!("{BASE}  done: [\"  \"]\n"));
    assert!(
        err.contains("an empty pattern matches every screen"),
        "{err}"
    );
}

#[test]
fn a_deeply_nested_or_binary_adapter_file_is_refused_at_its_place() {
    let err = refused(&format!("{BASE}args: {}", "[".repeat(200 * 1024)));
    assert!(err.starts_with("my.yaml:6:"), "{err}");
    assert!(err.contains("nested more than 64 levels deep"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("bin.yaml");
    std::fs::write(&path, b"name: x\ncommand: \0y\n").unwrap();
    let err = Adapter::from_file(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}:2:10: this is not a text file", path.display())),
        "{err}"
    );
}
