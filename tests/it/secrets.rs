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

/// Pieces of `secret` (every run of 10 characters after its first 3) that
/// each of `files` holds.
fn pieces_in(secret: &str, files: &[std::path::PathBuf]) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    let mut found = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for start in 3..chars.len().saturating_sub(10) {
            let piece: String = chars[start..start + 10].iter().collect();
            if text.contains(&piece) {
                found.push(format!("{piece} in {}", file.display()));
                break;
            }
        }
    }
    found
}

/// Runs the sim (or the adapter `agent`) on `scenario` headless with a
/// hook and a trace log, `env` set for goalie and its agent; the files
/// goalie wrote: the database's, the log, the hook's input, the recording.
fn run_and_collect(
    sandbox: &Sandbox,
    agent: &str,
    scenario: &str,
    env: &[(&str, &str)],
) -> Vec<std::path::PathBuf> {
    let scenario = sandbox.file("scenario.yaml", scenario);
    let hook_input = sandbox.dir.path().join("hook-input.jsonl");
    let hook = format!("cat >> {}", hook_input.display());
    let mut command = sandbox.command(&[
        "-vv",
        "run",
        "--agent",
        agent,
        "--headless",
        "Make the tests pass",
        "--on-event",
        &hook,
        "--",
        "--scenario",
        &path_str(&scenario),
    ]);
    command.env("GOALIE_LOG", "goalie=trace");
    for (name, value) in env {
        command.env(name, value);
    }
    let out = support::finish(command.spawn().expect("run goalie"), LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let log = sandbox.dir.path().join("stderr.log");
    std::fs::write(&log, &out.stderr).unwrap();
    let db = sandbox.db();
    let ledger = goalie::ledger::Ledger::open_existing(&db).unwrap();
    let goal = ledger.goals().unwrap().remove(0);
    let recordings: Vec<std::path::PathBuf> = ledger
        .entries(&goal.id)
        .unwrap()
        .iter()
        .filter(|e| e.kind == "recording")
        .map(|e| e.data["path"].as_str().unwrap().into())
        .collect();
    assert_eq!(recordings.len(), 1, "one agent process, one recording");
    assert!(
        std::fs::read_to_string(&hook_input)
            .unwrap()
            .contains("turn_ended")
    );
    let mut files = vec![
        db.clone(),
        db.with_extension("db-wal"),
        log,
        hook_input,
        db.with_file_name("goalie.log"),
    ];
    files.extend(recordings);
    files
}

/// The whole ledger's rows as text.
fn ledger_text(sandbox: &Sandbox) -> String {
    sandbox
        .entries()
        .iter()
        .map(|e| e.data.to_string())
        .collect()
}

#[test]
fn a_key_wrapped_across_two_screen_rows_is_redacted_whole() {
    let sandbox = Sandbox::new();
    // Longer than the sim's 80 columns: it fills one row to the edge and
    // goes on, after a hanging indent, on the next two.
    let key = format!("sk-{}", "Qx7RmT2vLp9WzK4nB8cY3hJ6dF1gA5sE0uIoPa".repeat(5));
    let scenario = format!(
        "name: wrapped\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\n\
         claim_after_turns: 2\nclaim_mode: proper\n\
         turns:\n  - work_ms: 300\n    tokens: 1000\n    reply: \"The key is {key} as asked.\"\n"
    );
    let files = run_and_collect(&sandbox, "sim", &scenario, &[]);
    let text = ledger_text(&sandbox);
    assert!(text.contains("[redacted:openai-key]"), "{text}");
    assert!(
        text.contains("as asked."),
        "the reply was read from the screen: {text}"
    );
    // The recording too, where the sim draws each row's piece after a cursor move.
    let cast = std::fs::read_to_string(files.last().unwrap()).unwrap();
    assert!(cast.contains("[redacted:openai-key]"), "{cast}");
    let found = pieces_in(&key, &files);
    assert!(found.is_empty(), "leaked: {found:#?}");
}

#[test]
fn a_key_cut_in_two_by_the_pty_s_reads_is_redacted_whole_in_the_recording() {
    let sandbox = Sandbox::new();
    let key = "sk-Qx7RmT2vLp9WzK4nB8cY3hJ6dF1gA5sE0uIoPa";
    // The sim, after a shell showed the key in two writes half a second
    // apart (from files: the agent's command line is in the ledger).
    let first = sandbox.file("key-1", &format!("the key: {}", &key[..11]));
    let rest = sandbox.file("key-2", &format!("{} ok\r\n", &key[11..]));
    let sim = include_str!("../../adapters/sim.yaml")
        .replace("name: sim", "name: simsplit")
        .replace(
            "command: \"{goalie}\"\nargs: [sim]",
            &format!(
                "command: sh\nargs: ['-c', 'cat {}; sleep 0.5; cat {}; exec \"$0\" sim \"$@\"', '{{goalie}}']",
                first.display(),
                rest.display()
            ),
        );
    assert!(sim.contains("command: sh"), "{sim}");
    sandbox.user_adapter("simsplit", &sim);
    let scenario = support::scenario(Some(1), "proper", 200);
    let files = run_and_collect(&sandbox, "simsplit", &scenario, &[]);
    let recording = files.last().unwrap();
    let cast = std::fs::read_to_string(recording).unwrap();
    assert!(cast.contains("[redacted:openai-key] ok"), "{cast}");
    let found = pieces_in(key, &files);
    assert!(found.is_empty(), "leaked: {found:#?}");
}

#[test]
fn a_secret_variable_s_value_is_redacted_as_it_reads_inside_json() {
    let sandbox = Sandbox::new();
    let value = "pa\"ss\\wörd-7-of-ours";
    let scenario = format!(
        "name: json\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\n\
         claim_after_turns: 1\nclaim_mode: proper\n\
         turns:\n  - work_ms: 300\n    tokens: 1000\n    reply: \"The password is {} here.\"\n",
        value.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let files = run_and_collect(&sandbox, "sim", &scenario, &[("SERVICE_PASSWORD", value)]);
    let text = ledger_text(&sandbox);
    assert!(text.contains("[redacted:env:SERVICE_PASSWORD]"), "{text}");
    let cast = std::fs::read_to_string(files.last().unwrap()).unwrap();
    assert!(cast.contains("[redacted:env:SERVICE_PASSWORD]"), "{cast}");
    // Neither as it is nor as JSON writes it (escaped, or escaped to ASCII).
    let json = serde_json::to_string(value).unwrap();
    let json = &json[1..json.len() - 1];
    let forms = [
        value.to_string(),
        json.to_string(),
        json.replace('ö', "\\u00f6"),
    ];
    let found = leaks(&forms, &files);
    assert!(found.is_empty(), "leaked: {found:#?}");
    assert!(
        !String::from_utf8_lossy(&std::fs::read(files.last().unwrap()).unwrap())
            .contains("rd-7-of")
    );
}
