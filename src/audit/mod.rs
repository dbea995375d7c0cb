//! The audit of a completion claim: goalie checks the claim itself.
//!
//! 1. every `protect` path is byte-identical to its state when the goal started
//!    (SHA-256 recorded at start, in the ledger);
//! 2. the checklist covers every requirement (the numbered items of the
//!    objective, each `behavior` and `evidence` entry), each with evidence;
//! 3. every file the evidence names exists in the workspace;
//! 4. every `verify` command, run for real in the workspace with its timeout,
//!    exits 0 (its output is kept, shortened, in the ledger).
//!
//! Every step runs, so a rejection lists every reason. This is the shell's
//! business (it runs commands and reads files); it runs on a blocking thread
//! and reports back to the core as an event. The checklist and evidence rules
//! are plain functions, tested on their own.

pub mod auditor;
mod command;
pub mod groups;
pub mod wait_check;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use regex::Regex;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::core::row::Row;
use crate::goal::claim::ChecklistItem;
use crate::goal::spec::{GoalSpec, Requirement};

pub use command::shorten;
use command::{collect, outcome, start, wait_or_kill};
pub use groups::VerifyGroups;

/// The protected paths' fingerprints: path → `sha256:…`, `absent` or `unreadable: …`.
pub type Baseline = BTreeMap<String, String>;

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// `protect`, `checklist`, `evidence` or `verify`.
    pub check: &'static str,
    /// What was checked: a path, a requirement, a command.
    pub subject: String,
    pub passed: bool,
    /// Why it failed, or what was seen.
    pub detail: String,
    /// A verify command's output, shortened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
}

/// The audit's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub steps: Vec<Step>,
}

impl Step {
    /// Its ledger row.
    pub fn row(&self) -> Row {
        Row::AuditStep {
            check: self.check.to_string(),
            subject: self.subject.clone(),
            passed: self.passed,
            detail: self.detail.clone(),
            output: self.output.clone(),
            exit_code: self.exit_code,
            duration_ms: self.duration_ms,
        }
    }
}

impl Report {
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|step| step.passed)
    }

    /// What the agent is told: one reason per failed step.
    pub fn reasons(&self) -> Vec<String> {
        self.steps
            .iter()
            .filter(|step| !step.passed)
            .map(|step| step.detail.clone())
            .collect()
    }
}

/// Everything one audit needs.
#[derive(Debug, Clone)]
pub struct Request {
    pub spec: GoalSpec,
    pub workdir: PathBuf,
    pub baseline: Baseline,
    pub checklist: Vec<ChecklistItem>,
    /// The shell commands the agent ran in this goal (its session log), if known.
    pub commands: Option<Vec<String>>,
}

/// Runs the whole audit (blocking: commands run, files are read).
pub fn run(request: &Request) -> Report {
    run_in(request, &VerifyGroups::default())
}

/// Runs the whole audit, its verify commands' groups in `groups` (which can
/// end them at once, and then starts no other).
pub fn run_in(request: &Request, groups: &VerifyGroups) -> Report {
    let mut steps = Vec::new();
    for (path, before) in &request.baseline {
        let started = Instant::now();
        let now = fingerprint(&request.workdir, path);
        let passed = &now == before;
        steps.push(Step {
            check: "protect",
            subject: path.clone(),
            passed,
            detail: if passed {
                format!("`{path}` is unchanged")
            } else {
                format!(
                    "the protected path `{path}` changed since the goal started ({before} → {now}); restore it"
                )
            },
            output: None,
            exit_code: None,
            duration_ms: elapsed_ms(started),
        });
    }
    steps.extend(checklist_steps(
        &request.spec.requirements(),
        &request.checklist,
    ));
    steps.extend(evidence_steps(&request.workdir, &request.checklist));
    if let Some(commands) = &request.commands {
        let verify: Vec<String> = request.spec.verify.iter().map(|v| v.run.clone()).collect();
        steps.extend(command_steps(&request.checklist, commands, &verify));
    }
    for command in &request.spec.verify {
        if groups.is_stopped() {
            break;
        }
        steps.push(verify_in(
            &request.workdir,
            &command.run,
            Duration::from_millis(command.timeout_ms),
            groups,
        ));
    }
    Report { steps }
}

/// The fingerprints of the protected paths, taken when the goal starts.
pub fn baseline(workdir: &Path, protect: &[String]) -> Baseline {
    protect
        .iter()
        .map(|path| (path.clone(), fingerprint(workdir, path)))
        .collect()
}

/// A path's fingerprint: a file's bytes, or a directory's every file (names,
/// kinds and contents, in sorted order), as SHA-256.
pub fn fingerprint(workdir: &Path, path: &str) -> String {
    let full = workdir.join(path);
    match std::fs::symlink_metadata(&full) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => "absent".to_string(),
        Err(err) => format!("unreadable: {err}"),
        Ok(_) => {
            let mut hasher = Sha256::new();
            match hash_into(&mut hasher, &full, Path::new("")) {
                Ok(()) => format!("sha256:{}", hex(&hasher.finalize())),
                Err(err) => format!("unreadable: {err}"),
            }
        }
    }
}

fn hash_into(hasher: &mut Sha256, full: &Path, relative: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(full)?;
    let name = relative.to_string_lossy();
    if meta.file_type().is_symlink() {
        hasher.update(format!("link {name}\0").as_bytes());
        hasher.update(std::fs::read_link(full)?.to_string_lossy().as_bytes());
    } else if meta.is_dir() {
        hasher.update(format!("dir {name}\0").as_bytes());
        let mut entries: Vec<_> = std::fs::read_dir(full)?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for entry in entries {
            hash_into(hasher, &full.join(&entry), &relative.join(&entry))?;
        }
    } else {
        let bytes = std::fs::read(full)?;
        hasher.update(format!("file {name} {}\0", bytes.len()).as_bytes());
        hasher.update(&bytes);
    }
    Ok(())
}

/// Does the checklist cover every requirement, each with evidence?
///
/// An item covers a requirement when it names the requirement's id (`R2`,
/// `R2: …`) or states its text (case, spacing and punctuation aside). With no
/// requirements at all, the checklist must still list something.
pub fn checklist_steps(requirements: &[Requirement], checklist: &[ChecklistItem]) -> Vec<Step> {
    let mut steps = Vec::new();
    if checklist.is_empty() {
        steps.push(checklist_step(
            "the checklist",
            false,
            "the claim has no checklist: list each requirement with its evidence".into(),
        ));
        return steps;
    }
    for item in checklist {
        if item.evidence.trim().is_empty() {
            steps.push(checklist_step(
                &item.requirement,
                false,
                format!(
                    "the checklist item `{}` gives no evidence",
                    item.requirement
                ),
            ));
        }
    }
    for requirement in requirements {
        let covered = checklist
            .iter()
            .any(|item| names_requirement(&item.requirement, requirement));
        steps.push(checklist_step(
            &requirement.id,
            covered,
            if covered {
                format!("{} is covered", requirement.id)
            } else {
                format!(
                    "the checklist does not cover {} ({})",
                    requirement.id, requirement.text
                )
            },
        ));
    }
    steps
}

fn checklist_step(subject: &str, passed: bool, detail: String) -> Step {
    Step {
        check: "checklist",
        subject: subject.to_string(),
        passed,
        detail,
        output: None,
        exit_code: None,
        duration_ms: 0,
    }
}

fn names_requirement(named: &str, requirement: &Requirement) -> bool {
    let named = named.trim();
    let id = &requirement.id;
    let by_id = named.len() >= id.len()
        && named[..id.len()].eq_ignore_ascii_case(id)
        && !named[id.len()..].starts_with(|c: char| c.is_ascii_digit());
    by_id || words(named) == words(&requirement.text)
}

fn words(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Does every file the evidence names exist?
///
/// A word names a file when it contains a `/` and its last part has an
/// extension or it ends in `/` (`tests/parse.rs`, `src/`), or when it is a
/// backticked name with an extension (`` `Cargo.toml` ``). A `:line` suffix
/// and trailing punctuation are ignored; URLs are not files. Paths are taken
/// relative to the workspace unless absolute.
pub fn evidence_steps(workdir: &Path, checklist: &[ChecklistItem]) -> Vec<Step> {
    let mut steps = Vec::new();
    for item in checklist {
        for path in named_files(&item.evidence) {
            let exists = workdir.join(&path).exists();
            steps.push(Step {
                check: "evidence",
                subject: path.clone(),
                passed: exists,
                detail: if exists {
                    format!("`{path}` exists")
                } else {
                    format!(
                        "the evidence for `{}` names `{path}`, which does not exist in the workspace",
                        item.requirement
                    )
                },
                output: None,
                exit_code: None,
                duration_ms: 0,
            });
        }
    }
    steps
}

/// Was every command the evidence cites really run? A backticked span whose
/// first word is a program on PATH (`cargo test -q`) cites a command; it must
/// match a command the agent ran in this goal (its session log), or be one of
/// the goal's verify commands, which the audit runs itself.
pub fn command_steps(checklist: &[ChecklistItem], ran: &[String], verify: &[String]) -> Vec<Step> {
    let ran: Vec<String> = ran.iter().map(|c| squash(c)).collect();
    let verify: Vec<String> = verify.iter().map(|c| squash(c)).collect();
    let mut steps = Vec::new();
    for item in checklist {
        for cited in cited_commands(&item.evidence) {
            let passed = verify.contains(&cited)
                || ran
                    .iter()
                    .any(|command| command.contains(&cited) || cited.contains(command.as_str()));
            steps.push(Step {
                check: "evidence",
                subject: cited.clone(),
                passed,
                detail: if passed {
                    format!("`{cited}` was run")
                } else {
                    format!(
                        "the evidence for `{}` cites `{cited}`, which the agent never ran in this goal; run it and cite its real output",
                        item.requirement
                    )
                },
                output: None,
                exit_code: None,
                duration_ms: 0,
            });
        }
    }
    steps
}

/// The commands an evidence text cites (see [`command_steps`]).
pub fn cited_commands(evidence: &str) -> Vec<String> {
    static SPAN: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"`([^`]+)`").expect("span pattern is valid"));
    let mut found = Vec::new();
    for caps in SPAN.captures_iter(evidence) {
        let span = squash(caps[1].trim().trim_start_matches("$ "));
        let Some(program) = span.split_whitespace().next() else {
            continue;
        };
        if !program.contains('/') && on_path(program) && !found.contains(&span) {
            found.push(span);
        }
    }
    found
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .any(|dir| dir.join(program).is_file())
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The file paths an evidence text names (see [`evidence_steps`]).
pub fn named_files(evidence: &str) -> Vec<String> {
    static BACKTICKED: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"`([^`\s]+)`").expect("backtick pattern is valid"));
    static EXTENSION: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"^[^/]*[A-Za-z0-9_-]\.[A-Za-z][A-Za-z0-9]{0,9}$")
            .expect("extension pattern is valid")
    });
    let clean = |word: &str| -> Option<String> {
        let word = word
            .trim_start_matches(|c: char| "\"'([{<".contains(c))
            .trim_end_matches(|c: char| "\"')]}>,;.:!?".contains(c));
        if word.contains("://") || word.contains("::") && !word.contains('/') {
            return None;
        }
        // `src/lib.rs:42:7` → `src/lib.rs`; `tests/a.rs::name` → `tests/a.rs`.
        let word = word.split("::").next().unwrap_or(word);
        let word = match word.split_once(':') {
            Some((path, rest)) if rest.chars().all(|c| c.is_ascii_digit() || c == ':') => path,
            _ => word,
        };
        (!word.is_empty()).then(|| word.to_string())
    };
    let mut found: Vec<String> = Vec::new();
    let mut add = |path: String| {
        if !found.contains(&path) {
            found.push(path);
        }
    };
    for caps in BACKTICKED.captures_iter(evidence) {
        if let Some(word) = clean(&caps[1])
            && !word.contains('/')
            && EXTENSION.is_match(&word)
        {
            add(word);
        }
    }
    for word in evidence.split_whitespace() {
        let Some(word) = clean(word.trim_matches('`')) else {
            continue;
        };
        if !word.contains('/') || word.starts_with("//") {
            continue;
        }
        let last = word.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        if word.ends_with('/') && !last.is_empty() || EXTENSION.is_match(last) {
            add(word);
        }
    }
    found
}

/// Runs one verify command with `sh -c` in the workspace, in its own process
/// group (killed whole at the timeout).
pub fn verify(workdir: &Path, run: &str, timeout: Duration) -> Step {
    verify_in(workdir, run, timeout, &VerifyGroups::default())
}

/// [`verify`], its process group told to `groups` while it runs.
fn verify_in(workdir: &Path, run: &str, timeout: Duration, groups: &VerifyGroups) -> Step {
    let started = Instant::now();
    let (mut child, reader) = match start(workdir, run, groups.env()) {
        Ok(started) => started,
        Err(err) => {
            return Step {
                check: "verify",
                subject: run.to_string(),
                passed: false,
                detail: format!("`{run}` could not be started: {err}"),
                output: None,
                exit_code: None,
                duration_ms: elapsed_ms(started),
            };
        }
    };
    let (output, done_rx) = collect(reader);
    if !groups.started(child.id()) {
        groups::kill_group(child.id());
    }
    let status = wait_or_kill(&mut child, started + timeout);
    groups.ended(child.id());
    // A background process may hold the pipe open: wait a moment, then take what came.
    let _ = done_rx.recv_timeout(Duration::from_secs(1));
    let bytes = output.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let kept = shorten(&text);
    let (passed, exit_code, detail) = outcome(run, status, timeout, &text);
    Step {
        check: "verify",
        subject: run.to_string(),
        passed,
        detail,
        output: Some(kept),
        exit_code,
        duration_ms: elapsed_ms(started),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
