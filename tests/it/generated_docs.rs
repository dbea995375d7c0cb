//! The man page and the completion scripts in docs/ are what this binary
//! generates (`scripts/gen-docs` rewrites them), and the completion they
//! register completes subcommands, goal ids from the database and adapter
//! names, run through bash itself.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::{GOALIE, Sandbox};

fn generated(args: &[&str]) -> String {
    let out = Command::new(GOALIE)
        .args(args)
        .output()
        .expect("run goalie");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn checked_in(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|err| panic!("{path}: {err} (run scripts/gen-docs)"))
}

#[test]
fn the_man_page_and_completion_scripts_in_docs_are_current() {
    let man = generated(&["man"]);
    assert!(
        man == checked_in("docs/man/goalie.1"),
        "docs/man/goalie.1 is not what `goalie man` prints: run scripts/gen-docs"
    );
    // Every page, and no page that is not generated any more.
    let dir = tempfile::tempdir().unwrap();
    generated(&["man", "--dir", &crate::support::path_str(dir.path())]);
    let names = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
    assert_eq!(names(dir.path()), names(&docs), "run scripts/gen-docs");
    for name in names(dir.path()) {
        assert!(
            std::fs::read(dir.path().join(&name)).unwrap()
                == std::fs::read(docs.join(&name)).unwrap(),
            "docs/man/{name} is not current: run scripts/gen-docs"
        );
    }
    for sub in ["run", "report", "doctor", "completions", "watch"] {
        assert!(man.contains(&format!("goalie\\-{sub}(1)")), "{sub}");
        assert!(
            names(dir.path()).contains(&format!("goalie-{sub}.1")),
            "{sub}"
        );
    }
    for shell in ["bash", "zsh", "fish"] {
        let script = generated(&["completions", shell]);
        assert!(script.contains("GOALIE_COMPLETE"), "{shell}: {script}");
        assert!(
            script == checked_in(&format!("docs/completions/goalie.{shell}")),
            "docs/completions/goalie.{shell} is not what `goalie completions {shell}` prints: run scripts/gen-docs"
        );
    }
    let bad = Command::new(GOALIE)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// What bash offers for `words` (the last one being completed), with the
/// registration script sourced and goalie on PATH.
fn bash_completes(sandbox: &Sandbox, words: &[&str]) -> Vec<String> {
    let bin = Path::new(GOALIE).parent().unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <(goalie completions bash)\n\
         COMP_WORDS=({words})\nCOMP_CWORD={cword}\nCOMP_TYPE=9\n\
         _clap_complete_goalie goalie '{current}' '{previous}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words = quoted.join(" "),
        cword = words.len() - 1,
        current = words[words.len() - 1],
        previous = words[words.len() - 2],
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("GOALIE_DB", sandbox.db())
        .env("GOALIE_CONFIG_DIR", sandbox.dir.path().join("config"))
        .output()
        .expect("bash");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| line.trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn bash_completes_subcommands_goal_ids_and_agent_names() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(
        &["demo", "--headless", "--max-turns", "1"],
        Duration::from_secs(90),
    );
    assert_eq!(out.code, 3, "{out:?}");
    let id = sandbox.goal().id;

    let subcommands = bash_completes(&sandbox, &["goalie", "re"]);
    assert_eq!(
        subcommands,
        ["report", "replay", "resume"],
        "{subcommands:?}"
    );
    let goals = bash_completes(&sandbox, &["goalie", "report", ""]);
    assert!(goals.contains(&id), "{goals:?}");
    // The database named on the command line is the one read.
    let elsewhere = sandbox.dir.path().join("none.db");
    let none = bash_completes(
        &sandbox,
        &[
            "goalie",
            "--db",
            &crate::support::path_str(&elsewhere),
            "report",
            "",
        ],
    );
    assert!(!none.contains(&id), "{none:?}");
    let prefix = &id[..2];
    let goals = bash_completes(&sandbox, &["goalie", "status", prefix]);
    assert_eq!(goals, vec![id.clone()], "{goals:?}");
    let agents = bash_completes(&sandbox, &["goalie", "run", "--agent", ""]);
    for name in ["codex", "claude", "gemini", "opencode", "aider", "sim"] {
        assert!(agents.iter().any(|a| a == name), "{name}: {agents:?}");
    }
    // An override in the config's adapters/ is an agent name too.
    let adapters = sandbox.dir.path().join("config/adapters");
    std::fs::create_dir_all(&adapters).unwrap();
    std::fs::write(adapters.join("mine.yaml"), "name: mine\n").unwrap();
    let agents = bash_completes(&sandbox, &["goalie", "doctor", "--agent", "mi"]);
    assert_eq!(agents, ["mine"], "{agents:?}");
}
