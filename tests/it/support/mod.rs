//! Shared helpers for the integration tests: run the real goalie binary (with a
//! timeout, always), write scenario and adapter files, read the ledger.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod agents;
pub mod browser;
pub mod fake_model;
pub mod http;
pub mod lived_in;
pub mod pg;
pub mod real;

use goalie::ledger::{Entry, Goal, Ledger};

pub const GOALIE: &str = env!("CARGO_BIN_EXE_goalie");

/// A scratch directory with a database path and a working directory; the
/// database is a PostgreSQL one of the test's own in [`Sandbox::postgres`].
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub pg: Option<pg::PgDb>,
}

/// What a finished goalie run left.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("work")).expect("workdir");
        Sandbox { dir, pg: None }
    }

    /// A sandbox whose ledger is a PostgreSQL database of its own (see [`pg`]).
    pub fn postgres() -> Sandbox {
        Sandbox {
            pg: Some(pg::PgDb::new()),
            ..Sandbox::new()
        }
    }

    /// The database: the SQLite file, or the PostgreSQL URL.
    pub fn db(&self) -> PathBuf {
        match &self.pg {
            Some(pg) => PathBuf::from(pg.url()),
            None => self.dir.path().join("goalie.db"),
        }
    }

    /// The ledger, once a goalie made it (before: none).
    pub fn try_ledger(&self) -> Option<Ledger> {
        if self.pg.is_none() && !self.db().exists() {
            return None;
        }
        Ledger::open_existing(&self.db()).ok()
    }

    pub fn workdir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// `XDG_RUNTIME_DIR` for goalie: its control sockets go in `goalie/` there.
    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// `XDG_STATE_HOME` for goalie: its recordings go in `goalie/recordings/` there.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Writes a file in the sandbox and returns its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// A goalie command with this sandbox's database, config dir and workdir.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(GOALIE);
        cmd.args(args)
            .env("GOALIE_DB", self.db())
            .env("GOALIE_CONFIG_DIR", self.dir.path().join("config"))
            .env("XDG_RUNTIME_DIR", self.runtime_dir())
            .env("XDG_STATE_HOME", self.state_dir())
            .current_dir(self.workdir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs goalie to its end (headless: no terminal), failing the test after `limit`.
    pub fn run(&self, args: &[&str], limit: Duration) -> Outcome {
        let child = self.command(args).spawn().expect("spawn goalie");
        finish(child, limit)
    }

    /// `goalie run --agent sim OBJECTIVE [extra…] -- --scenario FILE`, to its end.
    pub fn run_sim(&self, scenario: &str, extra: &[&str], limit: Duration) -> Outcome {
        let child = self
            .sim_command(scenario, extra)
            .spawn()
            .expect("spawn goalie");
        finish(child, limit)
    }

    /// The command `run_sim` runs, for a test that sets more on it first.
    pub fn sim_command(&self, scenario: &str, extra: &[&str]) -> Command {
        let scenario = self.file("scenario.yaml", scenario);
        let scenario = scenario.to_string_lossy().to_string();
        let mut args = vec!["run", "--agent", "sim", "Make the tests pass"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "--scenario", &scenario]);
        self.command(&args)
    }

    /// Whether the first goal has a row of `kind` yet (false while there is no
    /// ledger or no goal).
    pub fn has_entry(&self, kind: &str) -> bool {
        let Some(ledger) = self.try_ledger() else {
            return false;
        };
        let goals = ledger.goals().unwrap_or_default();
        goals.first().is_some_and(|goal| {
            ledger
                .entries(&goal.id)
                .unwrap_or_default()
                .iter()
                .any(|e| e.kind == kind)
        })
    }

    pub fn ledger(&self) -> Ledger {
        Ledger::open_existing(&self.db()).expect("ledger")
    }

    /// The only goal in the database.
    pub fn goal(&self) -> Goal {
        let goals = self.ledger().goals().expect("goals");
        assert_eq!(goals.len(), 1, "one goal expected");
        goals.into_iter().next().unwrap()
    }

    pub fn entries(&self) -> Vec<Entry> {
        let goal = self.goal();
        self.ledger().entries(&goal.id).expect("entries")
    }

    pub fn entries_of(&self, kind: &str) -> Vec<Entry> {
        self.entries()
            .into_iter()
            .filter(|e| e.kind == kind)
            .collect()
    }

    /// The agent's pid, from the ledger.
    pub fn agent_pid(&self) -> u32 {
        let started = self.entries_of("agent_started");
        started[0].data["pid"].as_u64().expect("pid") as u32
    }
}

/// [`finish`] for a child whose stdout was sent to the file `stdout` (so a
/// test could read its lines while it ran): the outcome carries that file.
pub fn finish_to_file(child: Child, stdout: &Path, limit: Duration) -> Outcome {
    let mut outcome = finish_streams(child, None, limit);
    outcome.stdout = std::fs::read_to_string(stdout).unwrap_or_default();
    outcome
}

/// Waits for `child` with a deadline; kills it and fails the test past it.
pub fn finish(mut child: Child, limit: Duration) -> Outcome {
    let stdout = child.stdout.take().expect("stdout");
    finish_streams(child, Some(stdout), limit)
}

fn finish_streams(
    mut child: Child,
    stdout: Option<std::process::ChildStdout>,
    limit: Duration,
) -> Outcome {
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stdout) = stdout {
            let _ = stdout.read_to_string(&mut text);
        }
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "goalie did not finish within {limit:?}\nstdout:\n{}\nstderr:\n{}",
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Outcome {
        code,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Processes still alive (not zombies) in the session or process group led by `leader`.
/// Fails unless no process of `leader`'s group or session is left within 5 s.
pub fn assert_no_process_left(leader: u32) {
    assert!(
        eventually(Duration::from_secs(5), || leftover_processes(leader)
            .is_empty()),
        "{:?}",
        leftover_processes(leader)
    );
}

pub fn leftover_processes(leader: u32) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(stat) = goalie::agent::process_tree::parse_stat(&text)
            && stat.state != 'Z'
            && (stat.pgrp == leader || stat.session == leader || stat.pid == leader)
        {
            found.push(text);
        }
    }
    found
}

/// Polls `check` until it is true or `limit` passes.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    check()
}

/// A sim scenario: quick turns, claiming on turn `claim` (or never), in `mode`.
/// The sim asks for the cursor position at start and waits a minute for the
/// answer, so every run with it shows that someone (goalie headless, the
/// terminal interactive) answered.
pub fn scenario(claim: Option<u32>, mode: &str, work_ms: u64) -> String {
    let claim = claim.map_or("null".to_string(), |n| n.to_string());
    format!(
        "name: test\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\nclaim_after_turns: {claim}\nclaim_mode: {mode}\nturns:\n  - work_ms: {work_ms}\n    tokens: 1000\n    reply: \"Did one step of the work.\"\n"
    )
}

pub fn path_str(path: &Path) -> String {
    path.to_string_lossy().to_string()
}

/// The sim's built-in adapter with a shorter quiet window (`quiet_ms`, from
/// 800) and pause before Enter (`pause_ms`, from 200), for the long runs: every
/// turn end waits out the quiet window. Install it with [`Sandbox::user_adapter`].
pub fn quick_sim_adapter(quiet_ms: u64, pause_ms: u64) -> String {
    let sim = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/adapters/sim.yaml"))
        .expect("the sim's adapter");
    assert!(sim.contains("pause_ms: 200") && sim.contains("quiet_ms: 800"));
    sim.replace("pause_ms: 200", &format!("pause_ms: {pause_ms}"))
        .replace("quiet_ms: 800", &format!("quiet_ms: {quiet_ms}"))
}

impl Sandbox {
    /// Installs `text` as the user's own adapter `name` (it overrides the built-in one).
    pub fn user_adapter(&self, name: &str, text: &str) {
        let adapters = self.dir.path().join("config/adapters");
        std::fs::create_dir_all(&adapters).expect("adapters dir");
        std::fs::write(adapters.join(format!("{name}.yaml")), text).expect("adapter file");
    }
}

/// An adapter's YAML without its `session_log` section (from its comment to `timing:`):
/// the agent's screen and hooks are then goalie's only sources.
pub fn without_session_log(adapter: &str) -> String {
    let cut = adapter
        .find("# The exact source of token usage")
        .expect("session_log section");
    let end = adapter[cut..].find("timing:").expect("timing section") + cut;
    format!("{}{}", &adapter[..cut], &adapter[end..])
}
