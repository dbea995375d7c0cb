//! What holds up the agent's start: nothing goalie does for itself. Here the
//! workspace's baseline (`git status`, which takes seconds in a large
//! repository) is held up by a `git` that waits to be let go, and the sim asks
//! for the cursor position at start-up and waits for the answer: its first
//! turn must start while that `git status` still runs.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::{self, Sandbox, scenario};

const LIMIT: Duration = Duration::from_secs(90);

/// A `git` that runs the real one, except that `status` first writes its pid
/// and waits until `release` exists (or a minute has passed).
fn held_git(bin: &Path, real: &str, release: &Path, pid: &Path) {
    let script = format!(
        "#!/bin/sh\ncase \" $* \" in *\" status \"*)\n  echo $$ > '{pid}'\n  n=0\n  while [ ! -e '{release}' ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done;;\nesac\nexec '{real}' \"$@\"\n",
        pid = pid.display(),
        release = release.display(),
    );
    std::fs::create_dir_all(bin).unwrap();
    let path = bin.join("git");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn alive(pid: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(pid) else {
        return false;
    };
    let Ok(pid) = text.trim().parse::<u32>() else {
        return false;
    };
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| goalie::agent::process_tree::parse_stat(&stat))
        .is_some_and(|stat| stat.state != 'Z')
}

#[test]
fn the_first_turn_starts_while_the_workspace_baseline_is_still_taken() {
    let sandbox = Sandbox::new();
    let work = sandbox.workdir();
    let real = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .expect("sh")
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    assert!(!real.is_empty(), "git is needed");
    let init = Command::new(&real)
        .args(["init", "-q"])
        .current_dir(&work)
        .status()
        .expect("git init");
    assert!(init.success());
    std::fs::write(work.join("notes.txt"), "before").unwrap();
    let bin = sandbox.dir.path().join("bin");
    let release = sandbox.dir.path().join("release");
    let pid = sandbox.dir.path().join("status.pid");
    held_git(&bin, &real, &release, &pid);

    let mut cmd = sandbox.sim_command(&scenario(Some(2), "proper", 300), &[]);
    let path = std::env::var("PATH").unwrap_or_default();
    cmd.env("PATH", format!("{}:{path}", bin.display()));
    let child = cmd.spawn().expect("spawn goalie");
    // The sim answered its cursor query and took turn 1 …
    let started = support::eventually(LIMIT, || sandbox.has_entry("turn_started"));
    // … while the baseline's `git status` was still held.
    let held = alive(&pid);
    std::fs::write(&release, "").unwrap();
    let out = support::finish(child, LIMIT);
    assert!(started, "{out:?}");
    assert!(
        held,
        "turn 1 started only after the workspace baseline's git status ended: {out:?}"
    );
    assert_eq!(out.code, 0, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "achieved");
    // The baseline was still taken, through git, before the agent changed anything.
    let progress = sandbox.entries_of("progress");
    assert!(!progress.is_empty(), "{out:?}");
    assert_eq!(progress[0].data["change"], "none", "{:?}", progress[0].data);
}
