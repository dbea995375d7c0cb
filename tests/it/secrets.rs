//! Secrets the agent shows (on its screen, in its replies and its claim's
//! evidence) never reach what goalie stores or hands on: the database's bytes
//! (with its `-wal` and `-shm`), the log, and an `--on-event` hook's input.
//! And what goalie stores is private: the data folder 0700, the database 0600.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::support::{self, Sandbox, path_str};

const LIMIT: Duration = Duration::from_secs(90);
const CORPUS: &str = include_str!("../fixtures/secrets/corpus.tsv");
const PEM: &str = include_str!("../fixtures/secrets/private_key.pem");
/// A secret of the agent's environment, by its variable's name only.
const ENV_SECRET: (&str, &str) = ("MY_SERVICE_TOKEN", "plain-looking-value-42");

fn secrets() -> Vec<String> {
    let mut secrets: Vec<String> = CORPUS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split_once('\t').unwrap().1.to_string())
        .collect();
    secrets.push(ENV_SECRET.1.to_string());
    secrets
}

/// Each of `files` (that exists), read as bytes: which secrets it holds.
fn leaks(secrets: &[String], files: &[std::path::PathBuf]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        for secret in secrets {
            let needle = secret.as_bytes();
            if bytes.windows(needle.len()).any(|w| w == needle) {
                found.push(format!("{} in {}", secret, file.display()));
            }
        }
        // The private key's body, line by line.
        for line in PEM.lines().filter(|line| !line.starts_with("-----")) {
            if bytes.windows(line.len()).any(|w| w == line.as_bytes()) {
                found.push(format!("a private key line in {}", file.display()));
            }
        }
    }
    found
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn secrets_on_screen_and_in_replies_never_reach_the_database_the_log_or_a_hook() {
    let sandbox = Sandbox::new();
    let secrets = secrets();
    let all = secrets.join(" ");
    let pem = PEM.replace('\n', "\\n");
    let scenario = format!(
        "name: secrets\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\n\
         claim_after_turns: 3\nclaim_mode: proper\nevidence: \"checked with key {first}\"\n\
         turns:\n  - work_ms: 300\n    tokens: 1000\n    reply: \"Here are the keys: {all}\"\n\
         \x20 - work_ms: 300\n    tokens: 1000\n    reply: \"And the private key:\\n{pem}done\"\n",
        first = secrets[0],
    );
    let scenario = sandbox.file("scenario.yaml", &scenario);
    let hook_input = sandbox.dir.path().join("hook-input.jsonl");
    let hook = format!("cat >> {}", hook_input.display());
    // A fresh data folder, two levels deep: goalie creates both.
    let db = sandbox.dir.path().join("data/goalie/goalie.db");
    let child = sandbox
        .command(&[
            "-vv",
            "run",
            "--agent",
            "sim",
            "Make the tests pass",
            "--on-event",
            &hook,
            "--",
            "--scenario",
            &path_str(&scenario),
        ])
        .env("GOALIE_DB", &db)
        .env("GOALIE_LOG", "goalie=trace")
        .env(ENV_SECRET.0, ENV_SECRET.1)
        .spawn()
        .expect("run goalie");
    let out = support::finish(child, LIMIT);
    let stderr = out.stderr.clone();
    assert_eq!(out.code, 0, "{stderr}");

    // The replies were stored, redacted, with the marker that says what was there.
    let ledger = goalie::ledger::Ledger::open_existing(&db).unwrap();
    let goal = ledger.goals().unwrap().remove(0);
    let entries = ledger.entries(&goal.id).unwrap();
    let text: String = entries.iter().map(|e| e.data.to_string()).collect();
    for marker in [
        "[redacted:openai-key]",
        "[redacted:anthropic-key]",
        "[redacted:aws-key]",
        "[redacted:github-token]",
        "[redacted:slack-token]",
        "[redacted:private-key]",
        "[redacted:env:MY_SERVICE_TOKEN]",
    ] {
        assert!(text.contains(marker), "{marker} missing from the ledger");
    }
    // The agent's screen was recorded, redacted as the ledger is.
    let recording: Vec<std::path::PathBuf> = entries
        .iter()
        .filter(|e| e.kind == "recording")
        .map(|e| e.data["path"].as_str().unwrap().into())
        .collect();
    assert_eq!(recording.len(), 1, "one agent process, one recording");
    let cast = std::fs::read_to_string(&recording[0]).unwrap();
    assert!(cast.contains("[redacted:openai-key]"), "{cast}");
    drop(ledger);

    let log = sandbox.dir.path().join("stderr.log");
    std::fs::write(&log, &out.stderr).unwrap();
    assert!(
        stderr.contains("DEBUG") || stderr.contains("TRACE"),
        "no log: {stderr}"
    );
    let hook_text = std::fs::read_to_string(&hook_input).unwrap();
    assert!(hook_text.contains("turn_ended"), "{hook_text}");
    let files = [
        db.clone(),
        db.with_extension("db-wal"),
        db.with_extension("db-shm"),
        log,
        hook_input,
        db.with_file_name("goalie.log"),
        recording[0].clone(),
    ];
    let found = leaks(&secrets, &files);
    assert!(found.is_empty(), "leaked: {found:#?}");

    // Private files.
    assert_eq!(mode(&sandbox.dir.path().join("data")), 0o700);
    assert_eq!(mode(db.parent().unwrap()), 0o700);
    for file in [
        db.clone(),
        db.with_extension("db-wal"),
        db.with_extension("db-shm"),
    ] {
        if file.exists() {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
    assert_eq!(mode(&db), 0o600);
}

#[test]
fn an_existing_database_others_could_read_is_made_private() {
    let sandbox = Sandbox::new();
    let db = sandbox.db();
    drop(goalie::ledger::Ledger::open(&db).unwrap());
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(goalie::ledger::Ledger::open(&db).unwrap());
    assert_eq!(mode(&db), 0o600);
}
