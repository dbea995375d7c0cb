use super::*;
use crate::goal::spec::{Stop, VerifyCommand};

fn item(requirement: &str, evidence: &str) -> ChecklistItem {
    ChecklistItem {
        requirement: requirement.into(),
        evidence: evidence.into(),
    }
}

fn requirement(id: &str, text: &str) -> Requirement {
    Requirement {
        id: id.into(),
        text: text.into(),
    }
}

fn spec(verify: &[&str], protect: &[&str]) -> GoalSpec {
    GoalSpec {
        objective: "Do it:\n1. empty input parses\n2. a trailing comma is accepted".into(),
        behavior: Vec::new(),
        scope: Vec::new(),
        verify: verify
            .iter()
            .map(|run| VerifyCommand {
                run: run.to_string(),
                timeout_ms: 20_000,
            })
            .collect(),
        evidence: Vec::new(),
        stop: Stop::default(),
        protect: protect.iter().map(|p| p.to_string()).collect(),
        agent: None,
    }
}

#[test]
fn the_checklist_must_cover_every_requirement_by_id_or_text() {
    let requirements = [
        requirement("R1", "empty input parses"),
        requirement("R2", "a trailing comma is accepted"),
    ];
    let steps = checklist_steps(
        &requirements,
        &[
            item("r1", "tests/a.rs"),
            item("A trailing comma, is accepted.", "b"),
        ],
    );
    assert!(steps.iter().all(|s| s.passed), "{steps:?}");
    let steps = checklist_steps(&requirements, &[item("R1", "x"), item("R12", "y")]);
    let failed: Vec<&str> = steps
        .iter()
        .filter(|s| !s.passed)
        .map(|s| s.detail.as_str())
        .collect();
    assert_eq!(
        failed,
        vec!["the checklist does not cover R2 (a trailing comma is accepted)"]
    );
    let steps = checklist_steps(&requirements, &[item("R1", " "), item("R2", "ok")]);
    assert_eq!(
        steps
            .iter()
            .filter(|s| !s.passed)
            .map(|s| s.detail.as_str())
            .collect::<Vec<_>>(),
        vec!["the checklist item `R1` gives no evidence"]
    );
    let steps = checklist_steps(&[], &[]);
    assert_eq!(
        steps[0].detail,
        "the claim has no checklist: list each requirement with its evidence"
    );
}

#[test]
fn evidence_names_files_by_slash_or_backticked_extension() {
    assert_eq!(
        named_files(
            "see tests/parse.rs::empty and `Cargo.toml`, src/lib.rs:42:7, the src/ dir; and/or \
             https://x.org/a.html e.g. v1.2 `cargo test` Node.js 3/4 (docs/guide.md)."
        ),
        vec![
            "Cargo.toml",
            "tests/parse.rs",
            "src/lib.rs",
            "src/",
            "docs/guide.md"
        ]
    );
    assert!(named_files("cargo test: 14 passed, 0 failed").is_empty());
}

#[test]
fn evidence_naming_a_missing_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    std::fs::write(dir.path().join("tests/a.rs"), "").unwrap();
    let steps = evidence_steps(
        dir.path(),
        &[
            item("R1", "tests/a.rs passes"),
            item("R2", "see tests/b.rs"),
        ],
    );
    assert_eq!(steps.len(), 2);
    assert!(steps[0].passed);
    assert!(!steps[1].passed);
    assert_eq!(
        steps[1].detail,
        "the evidence for `R2` names `tests/b.rs`, which does not exist in the workspace"
    );
}

#[test]
fn fingerprints_see_any_change_to_a_file_or_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    std::fs::create_dir_all(w.join("tests/golden")).unwrap();
    std::fs::write(w.join("tests/golden/a.txt"), "one").unwrap();
    std::fs::write(w.join("spec.txt"), "spec").unwrap();
    let before = baseline(w, &["tests".into(), "spec.txt".into(), "new.txt".into()]);
    assert_eq!(before["new.txt"], "absent");
    assert!(before["tests"].starts_with("sha256:"));
    assert_eq!(
        before,
        baseline(w, &["tests".into(), "spec.txt".into(), "new.txt".into()])
    );
    std::fs::write(w.join("tests/golden/b.txt"), "").unwrap();
    assert_ne!(fingerprint(w, "tests"), before["tests"]);
    std::fs::remove_file(w.join("tests/golden/b.txt")).unwrap();
    assert_eq!(fingerprint(w, "tests"), before["tests"]);
    std::fs::write(w.join("spec.txt"), "spec!").unwrap();
    assert_ne!(fingerprint(w, "spec.txt"), before["spec.txt"]);
}

#[test]
fn verify_commands_run_in_the_workspace_with_output_and_a_timeout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("marker"), "here").unwrap();
    let ok = verify(
        dir.path(),
        "cat marker; echo err >&2",
        Duration::from_secs(20),
    );
    assert!(ok.passed, "{ok:?}");
    assert_eq!(ok.output.as_deref(), Some("hereerr\n"));
    assert_eq!(ok.exit_code, Some(0));
    let failed = verify(
        dir.path(),
        "echo one; echo two; exit 3",
        Duration::from_secs(20),
    );
    assert!(!failed.passed);
    assert_eq!(
        failed.detail,
        "`echo one; echo two; exit 3` exited with status 3; the end of its output:\none\ntwo"
    );
    let started = Instant::now();
    let slow = verify(
        dir.path(),
        "sleep 30 & sleep 30",
        Duration::from_millis(300),
    );
    assert!(!slow.passed);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        slow.detail,
        "`sleep 30 & sleep 30` did not finish within 0s; it was stopped"
    );
}

#[test]
fn long_output_keeps_its_start_and_end() {
    let text = format!("{}{}", "a".repeat(5000), "z".repeat(7000));
    let short = shorten(&text);
    assert!(short.starts_with(&"a".repeat(2000)));
    assert!(short.ends_with(&"z".repeat(6000)));
    assert!(short.contains("… [4000 bytes cut] …"));
    assert_eq!(shorten("short"), "short");
}

#[test]
fn a_whole_audit_lists_every_failure() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    std::fs::write(w.join("golden.txt"), "keep").unwrap();
    let spec = spec(&["test -f fixed", "true"], &["golden.txt"]);
    let base = baseline(w, &spec.protect);
    std::fs::write(w.join("golden.txt"), "changed").unwrap();
    let request = Request {
        spec: spec.clone(),
        workdir: w.to_path_buf(),
        baseline: base.clone(),
        checklist: vec![item("R1", "see missing/file.rs")],
        commands: None,
    };
    let report = run(&request);
    assert!(!report.passed());
    let reasons = report.reasons();
    assert_eq!(reasons.len(), 4, "{reasons:#?}");
    assert!(
        reasons[0].starts_with("the protected path `golden.txt` changed since the goal started")
    );
    assert_eq!(
        reasons[1],
        "the checklist does not cover R2 (a trailing comma is accepted)"
    );
    assert!(reasons[2].contains("`missing/file.rs`, which does not exist"));
    assert_eq!(
        reasons[3],
        "`test -f fixed` exited with status 1 (no output)"
    );

    std::fs::write(w.join("golden.txt"), "keep").unwrap();
    std::fs::write(w.join("fixed"), "").unwrap();
    let request = Request {
        checklist: vec![item("R1", "see `fixed`"), item("R2", "ok")],
        ..request
    };
    let report = run(&request);
    assert!(report.passed(), "{:#?}", report.steps);
    assert_eq!(
        report.steps.iter().filter(|s| s.check == "verify").count(),
        2
    );
}

#[test]
fn evidence_citing_a_command_needs_the_command_to_have_run() {
    let checklist = vec![
        item(
            "R1",
            "`echo hi > proof.txt` wrote it; `cat proof.txt` shows hi",
        ),
        item("R2", "`cargo test -q` passes (see `src/lib.rs`)"),
    ];
    assert_eq!(
        cited_commands(&checklist[0].evidence),
        vec!["echo hi > proof.txt", "cat proof.txt"]
    );
    assert!(
        cited_commands("see `src/lib.rs` and `R1`").is_empty(),
        "paths and ids are not commands"
    );
    let ran = vec![
        "echo hi  > proof.txt".to_string(),
        "bash -lc 'cat proof.txt'".to_string(),
    ];
    let steps = command_steps(&checklist, &ran, &["cargo test -q".to_string()]);
    assert!(steps.iter().all(|s| s.passed), "{steps:?}");
    let steps = command_steps(&checklist, &ran[..1], &[]);
    let failed: Vec<_> = steps.iter().filter(|s| !s.passed).collect();
    assert_eq!(failed.len(), 2, "{steps:?}");
    assert_eq!(
        failed[0].detail,
        "the evidence for `R1` cites `cat proof.txt`, which the agent never ran in this goal; run it and cite its real output"
    );
}
