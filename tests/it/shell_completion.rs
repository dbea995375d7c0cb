//! The zsh and fish completion scripts, run by the shells themselves (bash's:
//! generated_docs.rs): each loads `goalie completions SHELL` without a word on
//! stderr and completes a subcommand, a goal id from the database (and none
//! from another database named with --db) and an agent name, by asking the
//! goalie binary as it would at a Tab. The shells are Debian's `zsh` and
//! `fish`, which scripts/test installs when they are missing; without them
//! these tests fail, they do not pass untried.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::{GOALIE, Sandbox, path_str};

/// A goalie database with one goal in it (a one-turn demo): the sandbox and
/// the goal's id.
fn sandbox_with_a_goal() -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    let out = sandbox.run(
        &["demo", "--headless", "--max-turns", "1"],
        Duration::from_secs(90),
    );
    assert_eq!(out.code, 3, "{out:?}");
    let id = sandbox.goal().id;
    (sandbox, id)
}

/// Runs `script` in `shell` (its arguments first) with goalie on PATH, the
/// sandbox's database and config, and a home of its own; returns stdout,
/// after checking that the shell exited 0 and wrote nothing on stderr.
fn in_shell(sandbox: &Sandbox, shell: &str, args: &[&str], script: &str) -> String {
    let bin = Path::new(GOALIE).parent().unwrap();
    let home = sandbox.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new(shell)
        .args(args)
        .arg(script)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("GOALIE_DB", sandbox.db())
        .env("GOALIE_CONFIG_DIR", sandbox.dir.path().join("config"))
        .output()
        .unwrap_or_else(|err| {
            panic!("cannot run {shell} ({err}): install it (apt-get install {shell}; scripts/test does)")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{shell}: {out:?}");
    assert!(stderr.is_empty(), "{shell} wrote on stderr: {stderr}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The values of completion lines `VALUE<sep>DESCRIPTION` (or just `VALUE`).
fn values(stdout: &str, separator: char) -> Vec<String> {
    stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split(separator).next().unwrap().trim().to_string())
        .collect()
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What zsh offers for `words` (the last one being completed): compinit run
/// (no zpty, no terminal), the script sourced as `source <(goalie
/// completions zsh)` registers its function with compdef, which the script
/// checks, then that function runs with the line in `words` and `CURRENT`.
/// `_describe` needs a live completion widget, so it is replaced by one that
/// prints the candidates the script hands it.
fn zsh_completes(sandbox: &Sandbox, words: &[&str]) -> Vec<String> {
    let script = format!(
        "autoload -Uz compinit && compinit -u -D\n\
         source <(goalie completions zsh)\n\
         [[ $_comps[goalie] == _clap_dynamic_completer_goalie ]] || {{ print -u2 'not registered'; exit 1; }}\n\
         _describe() {{ print -rl -- \"${{(@P)3}}\"; }}\n\
         words=({words})\nCURRENT={current}\n\
         _clap_dynamic_completer_goalie\n",
        words = quoted(words),
        current = words.len(),
    );
    values(&in_shell(sandbox, "zsh", &["-f", "-c"], &script), ':')
}

/// What fish offers for the line `words` (the last one being completed):
/// `goalie completions fish | source`, then `complete -C LINE`, which is
/// what fish runs at a Tab.
fn fish_completes(sandbox: &Sandbox, words: &[&str]) -> Vec<String> {
    let script = format!(
        "goalie completions fish | source\ncomplete -C {line}\n",
        line = quoted(&[&words.join(" ")]),
    );
    values(
        &in_shell(sandbox, "fish", &["--no-config", "-c"], &script),
        '\t',
    )
}

/// The checks both shells must pass, with `completes` the shell's.
fn completes_subcommands_goal_ids_and_agents(completes: fn(&Sandbox, &[&str]) -> Vec<String>) {
    let (sandbox, id) = sandbox_with_a_goal();
    let subcommands = completes(&sandbox, &["goalie", "re"]);
    assert_eq!(
        subcommands,
        ["report", "replay", "resume"],
        "{subcommands:?}"
    );
    let goals = completes(&sandbox, &["goalie", "report", ""]);
    assert!(goals.contains(&id), "{id}: {goals:?}");
    let goals = completes(&sandbox, &["goalie", "status", &id[..2]]);
    assert_eq!(goals, vec![id.clone()], "{goals:?}");
    // The database named on the line is the one read.
    let elsewhere = path_str(&sandbox.dir.path().join("none.db"));
    let none = completes(&sandbox, &["goalie", "--db", &elsewhere, "report", ""]);
    assert!(!none.contains(&id), "{none:?}");
    let agents = completes(&sandbox, &["goalie", "run", "--agent", ""]);
    for name in ["codex", "claude", "gemini", "opencode", "aider", "sim"] {
        assert!(agents.iter().any(|a| a == name), "{name}: {agents:?}");
    }
}

#[test]
fn zsh_loads_the_script_and_completes_subcommands_goal_ids_and_agent_names() {
    completes_subcommands_goal_ids_and_agents(zsh_completes);
}

#[test]
fn fish_loads_the_script_and_completes_subcommands_goal_ids_and_agent_names() {
    completes_subcommands_goal_ids_and_agents(fish_completes);
}
