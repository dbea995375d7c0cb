//! The Slurm recipe, for real: a Slurm cluster on localhost (`scripts/slurm
//! start`: Debian's slurm-wlm, slurmdbd and munge, a controller, one node
//! called `goalie-node`, and accounting on a MariaDB server) runs `deploy/slurm/goalie-array.sbatch` as a job array of
//! four goals on the simulated agent, all writing to one ledger. From this
//! process, which is not the jobs' parent and says it is another host
//! (`GOALIE_HOST=login-node`), one goal is paused and resumed while it runs:
//! through the ledger, as from a cluster's login node. Every figure checked
//! comes from the ledger (`goalie ls --json`, `goalie export --all`), and
//! each task's Slurm state and exit code, as `sacct` and `scontrol show job`
//! report them, must be the ones goalie stored.
//!
//! The ledger is a PostgreSQL database made for the test: on the server
//! `GOALIE_TEST_PG` names, else on one the test starts with `scripts/pg`.
//! With `GOALIE_SLURM_TEST_LEDGER=sqlite` it is a SQLite file in the sandbox
//! instead (the node is this machine, so its jobs and this test share it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{self, GOALIE, Outcome, Sandbox, eventually, path_str};

const LIMIT: Duration = Duration::from_secs(120);
const NODE: &str = "goalie-node";
const LOGIN: &str = "login-node";

/// The cluster, stopped when the test ends (passed or not).
struct Cluster {
    conf: String,
}

impl Cluster {
    fn start() -> Cluster {
        let out = Command::new(script())
            .arg("start")
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/slurm start");
        assert!(out.status.success(), "scripts/slurm start failed");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let conf = stdout
            .lines()
            .find_map(|line| line.strip_prefix("export SLURM_CONF="))
            .unwrap_or_else(|| panic!("no SLURM_CONF in {stdout:?}"))
            .to_string();
        Cluster { conf }
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("SLURM_CONF", &self.conf);
        cmd
    }

    fn output(&self, program: &str, args: &[&str]) -> String {
        let out = self.command(program).args(args).output().unwrap();
        assert!(out.status.success(), "{program} {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").status();
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/slurm")
}

/// The ledger the jobs and this test share: its `GOALIE_DB`, and what to
/// drop and stop when the test ends.
struct Ledger {
    url: String,
    /// The server's own database's URL and the database made for the test.
    made: Option<(String, String)>,
    /// The folder of the server this test started (`scripts/pg stop DIR`).
    server: Option<PathBuf>,
}

impl Ledger {
    fn new(sandbox: &Sandbox) -> Ledger {
        if std::env::var("GOALIE_SLURM_TEST_LEDGER").is_ok_and(|kind| kind == "sqlite") {
            return Ledger {
                url: path_str(&sandbox.db()),
                made: None,
                server: None,
            };
        }
        // Whatever fails from here on, the guard drops the database and
        // stops the server it has.
        let mut ledger = Ledger {
            url: String::new(),
            made: None,
            server: None,
        };
        let admin = match std::env::var("GOALIE_TEST_PG") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                // Not in the sandbox, which is 0700: as root the server runs as `postgres`.
                let dir =
                    std::env::temp_dir().join(format!("goalie-pg-slurm-{}", std::process::id()));
                ledger.server = Some(dir.clone());
                let out = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg"))
                    .arg("start")
                    .arg(&dir)
                    .stderr(Stdio::inherit())
                    .output()
                    .expect("run scripts/pg start");
                assert!(out.status.success(), "scripts/pg start failed");
                String::from_utf8(out.stdout).unwrap().trim().to_string()
            }
        };
        let name = format!("goalie_slurm_{}", std::process::id());
        let (base, query) = match admin.split_once('?') {
            Some((base, query)) => (base.to_string(), format!("?{query}")),
            None => (admin.clone(), String::new()),
        };
        let server_url = &base[..base.rfind('/').expect("a database in the URL")];
        let admin = format!("{server_url}/postgres{query}");
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("connect");
        // One statement each: neither runs inside a transaction.
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .expect("drop the database an earlier run left");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test's database");
        ledger.url = format!("{server_url}/{name}{query}");
        ledger.made = Some((admin, name));
        ledger
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.made
            && let Ok(mut client) = postgres::Client::connect(admin, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
        if let Some(dir) = &self.server {
            let _ = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg"))
                .arg("stop")
                .arg(dir)
                .status();
        }
    }
}

const HEAD: &str = "startup_ms: 100\ncursor_query_timeout_ms: 60000\n";

/// Task N's goal spec and the scenario in its workspace, and the state and
/// exit code it must end with.
fn tasks() -> [(&'static str, String, &'static str, i32); 4] {
    [
        (
            "stop: {turns: 6}\n",
            format!(
                "name: achieves\n{HEAD}claim_after_turns: 1\nevidence: \"see `fixed.txt`\"\nturns:\n  - work_ms: 300\n    reply: Created the fix.\n    run: touch fixed.txt\n"
            ),
            "achieved",
            0,
        ),
        (
            "stop: {turns: 6}\n",
            format!(
                "name: blocked\n{HEAD}claim_after_turns: 1\nclaim_mode: blocked\nblocked_reason: the deploy key is missing\nturns:\n  - work_ms: 300\n    reply: I cannot deploy.\n"
            ),
            "unmet",
            4,
        ),
        (
            "stop: {turns: 2, stall_turns: 0}\n",
            format!(
                "name: budget\n{HEAD}claim_after_turns: null\nturns:\n  - work_ms: 300\n    tokens: 1000\n    reply: Did one step.\n"
            ),
            "budget-limited",
            3,
        ),
        // Long enough to be paused and resumed while it runs: it claims in
        // turn 6, having made the fix in turn 5.
        (
            "stop: {turns: 20, stall_turns: 0}\n",
            format!(
                "name: long\n{HEAD}claim_after_turns: 6\nevidence: \"see `fixed.txt`\"\nturns:\n  - work_ms: 1200\n    tokens: 1000\n    reply: Did one step.\n  - work_ms: 1200\n    tokens: 1000\n    reply: Did one step.\n  - work_ms: 1200\n    tokens: 1000\n    reply: Did one step.\n  - work_ms: 1200\n    tokens: 1000\n    reply: Did one step.\n  - work_ms: 1200\n    reply: Created the fix.\n    run: touch fixed.txt\n  - work_ms: 300\n    reply: The build passes.\n"
            ),
            "achieved",
            0,
        ),
    ]
}

/// A goalie command from the "login node": another host than the jobs'.
fn goalie(sandbox: &Sandbox, db: &str, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(GOALIE);
    cmd.args(args)
        .env("GOALIE_DB", db)
        .env("GOALIE_HOST", LOGIN)
        .env("GOALIE_CONFIG_DIR", sandbox.dir.path().join("config"))
        .env("XDG_RUNTIME_DIR", sandbox.runtime_dir())
        .env("XDG_STATE_HOME", sandbox.state_dir())
        .current_dir(sandbox.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    support::finish(cmd.spawn().unwrap(), LIMIT)
}

/// The sandbox's goals, by task number (from their workspaces), as `ls --json` shows them.
fn listed(sandbox: &Sandbox, db: &str) -> BTreeMap<usize, Value> {
    let out = goalie(sandbox, db, &["ls", "--all", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let all: Value = serde_json::from_str(&out.stdout).unwrap();
    let workspaces = path_str(&sandbox.dir.path().join("workspaces"));
    let mut goals = BTreeMap::new();
    for goal in all.as_array().unwrap() {
        let workdir = goal["workdir"].as_str().unwrap();
        let Some(task) = workdir.strip_prefix(&format!("{workspaces}/")) else {
            continue;
        };
        let task: usize = task.parse().unwrap();
        assert!(
            goals.insert(task, goal.clone()).is_none(),
            "task {task} twice"
        );
    }
    goals
}

/// Every row of the goal `id`, from `goalie export`.
fn rows(sandbox: &Sandbox, db: &str, id: &str) -> Vec<Value> {
    let out = goalie(sandbox, db, &["export", id]);
    assert_eq!(out.code, 0, "{out:?}");
    out.stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line["type"] == "row")
        .collect()
}

fn of_kind<'a>(rows: &'a [Value], kind: &str) -> Vec<&'a Value> {
    rows.iter().filter(|row| row["kind"] == kind).collect()
}

/// Each array task's (State, ExitCode) as Slurm's accounting has it, once
/// it has all four ended.
fn sacct_states(cluster: &Cluster, job: &str) -> BTreeMap<usize, (String, String)> {
    let read = || -> BTreeMap<usize, (String, String)> {
        let text = cluster.output(
            "sacct",
            &["-j", job, "-X", "-n", "-P", "-o", "JobID,State,ExitCode"],
        );
        text.lines()
            .filter_map(|line| {
                let mut fields = line.split('|');
                let task = fields
                    .next()?
                    .strip_prefix(&format!("{job}_"))?
                    .parse()
                    .ok()?;
                Some((
                    task,
                    (fields.next()?.to_string(), fields.next()?.to_string()),
                ))
            })
            .collect()
    };
    let ended = |states: &BTreeMap<usize, (String, String)>| {
        states.len() == 4
            && states
                .values()
                .all(|(state, _)| state == "COMPLETED" || state == "FAILED")
    };
    assert!(eventually(LIMIT, || ended(&read())), "sacct: {:?}", read());
    read()
}

/// Each array task's (JobState, ExitCode) as Slurm's controller keeps it.
fn slurm_states(cluster: &Cluster, job: &str) -> BTreeMap<usize, (String, String)> {
    let text = cluster.output("scontrol", &["show", "job", job, "--oneliner"]);
    let field = |line: &str, name: &str| {
        line.split_whitespace()
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {line}"))
            .to_string()
    };
    text.lines()
        .map(|line| {
            (
                field(line, "ArrayTaskId").parse().unwrap(),
                (field(line, "JobState"), field(line, "ExitCode")),
            )
        })
        .collect()
}

#[test]
#[ignore = "a suite: starts a Slurm cluster and PostgreSQL on localhost (scripts/slurm, scripts/pg; installs Debian's packages as root); run by scripts/test"]
fn suite_slurm_a_job_array_of_four_goals_ends_as_the_ledger_says_and_one_is_paused_and_resumed_from_outside_the_job()
 {
    let sandbox = Sandbox::new();
    let ledger = Ledger::new(&sandbox);
    let db = ledger.url.clone();
    eprintln!(
        "the ledger: {}",
        if ledger.made.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let root = sandbox.dir.path();
    let goals = root.join("goals");
    std::fs::create_dir(&goals).unwrap();
    let tasks = tasks();
    for (task, (stop, scenario, _, _)) in tasks.iter().enumerate() {
        let spec = format!(
            "objective: |\n  Make the build pass:\n  1. the file fixed.txt exists\nverify:\n  - test -f fixed.txt\n{stop}agent: sim\n"
        );
        std::fs::write(goals.join(format!("{task}.yaml")), spec).unwrap();
        let workspace = root.join("workspaces").join(task.to_string());
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::write(workspace.join("scenario.yaml"), scenario).unwrap();
    }
    let cluster = Cluster::start();
    let submitted = cluster
        .command("sbatch")
        .args([
            "--parsable",
            "--array=0-3",
            &format!("--output={}/goalie-%A_%a.out", path_str(root)),
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/slurm/goalie-array.sbatch"))
        .args(["--", "--scenario", "scenario.yaml"])
        .current_dir(root)
        .env("GOALIE_DB", &db)
        .env("GOALIE_GOALS", &goals)
        .env("GOALIE_WORKSPACES", root.join("workspaces"))
        .env("GOALIE_BIN", GOALIE)
        .env("GOALIE_CONFIG_DIR", root.join("config"))
        .env("XDG_RUNTIME_DIR", sandbox.runtime_dir())
        .env("XDG_STATE_HOME", sandbox.state_dir())
        .env_remove("GOALIE_HOST")
        .output()
        .unwrap();
    assert!(submitted.status.success(), "{submitted:?}");
    let job = String::from_utf8(submitted.stdout)
        .unwrap()
        .trim()
        .to_string();
    let logs = || {
        let mut all = String::new();
        for task in 0..4 {
            let path = root.join(format!("goalie-{job}_{task}.out"));
            all += &format!(
                "--- task {task}:\n{}\n",
                std::fs::read_to_string(path).unwrap_or_default()
            );
        }
        all
    };

    // The long goal runs on the node, and this "host" sees it there.
    let long = |sandbox: &Sandbox| listed(sandbox, &db).get(&3).cloned();
    assert!(
        eventually(LIMIT, || long(&sandbox).is_some_and(|goal| goal["turns"]
            .as_u64()
            .is_some_and(|turns| turns >= 1)
            && goal["state"] == "pursuing")),
        "the long goal never got going: {}",
        logs()
    );
    let goal = long(&sandbox).unwrap();
    let id = goal["id"].as_str().unwrap().to_string();
    assert_eq!(goal["remote"]["host"], NODE, "{goal}");
    assert_eq!(goal["remote"]["lost"], false, "{goal}");

    // Paused from here: through the ledger, answered by the job's supervisor.
    let paused = goalie(&sandbox, &db, &["pause", &id]);
    assert_eq!(paused.code, 0, "{paused:?}");
    assert!(
        paused.stdout.starts_with(&format!("goal {id} paused")),
        "{paused:?}"
    );
    assert_eq!(listed(&sandbox, &db)[&3]["state"], "paused");
    // The turn in progress ends; then goalie types nothing while it is paused.
    let pause_seq = |rows: &[Value]| {
        of_kind(rows, "transition")
            .into_iter()
            .find(|row| row["data"]["to"] == "paused")
            .map(|row| row["seq"].as_i64().unwrap())
    };
    assert!(eventually(LIMIT, || {
        let rows = rows(&sandbox, &db, &id);
        let Some(at) = pause_seq(&rows) else {
            return false;
        };
        of_kind(&rows, "turn_ended")
            .iter()
            .any(|row| row["seq"].as_i64().unwrap() > at)
    }));
    let turns_paused = listed(&sandbox, &db)[&3]["turns"].clone();
    // Held paused a little while, which must not move it on.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(listed(&sandbox, &db)[&3]["turns"], turns_paused);
    let resumed = goalie(&sandbox, &db, &["resume", &id, "--headless"]);
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert!(
        resumed.stdout.starts_with(&format!("goal {id} resumed")),
        "{resumed:?}"
    );

    // All four tasks end.
    assert!(
        eventually(LIMIT, || cluster
            .output("squeue", &["--noheader", "--jobs", &job])
            .trim()
            .is_empty()),
        "the job array did not end: {}",
        logs()
    );

    let goals = listed(&sandbox, &db);
    assert_eq!(goals.len(), 4, "{goals:?}\n{}", logs());
    let states = slurm_states(&cluster, &job);
    assert_eq!(states.len(), 4, "{states:?}");
    // The accounting says what the controller says.
    assert_eq!(sacct_states(&cluster, &job), states);
    for (task, (_, _, state, code)) in tasks.iter().enumerate() {
        let goal = &goals[&task];
        let id = goal["id"].as_str().unwrap();
        assert_eq!(goal["state"], *state, "task {task}: {goal}\n{}", logs());
        assert_eq!(goal["host"], NODE, "task {task}: {goal}");
        assert_eq!(goal["running"], false, "task {task}: {goal}");
        let rows = rows(&sandbox, &db, id);
        let stopped = of_kind(&rows, "stopped");
        assert_eq!(stopped.len(), 1, "task {task}: {stopped:?}");
        let stored = stopped[0]["data"]["exit_code"].as_i64().unwrap();
        assert_eq!(stored, i64::from(*code), "task {task}: {stopped:?}");
        // Slurm's record of the task says what goalie stored.
        let (job_state, exit_code) = &states[&task];
        assert_eq!(exit_code, &format!("{stored}:0"), "task {task}");
        let expected = if stored == 0 { "COMPLETED" } else { "FAILED" };
        assert_eq!(job_state, expected, "task {task}");
        // The control rows are the long goal's only.
        let requests = of_kind(&rows, "control_requested");
        let answers = of_kind(&rows, "control_answered");
        if task != 3 {
            assert!(requests.is_empty() && answers.is_empty(), "task {task}");
            continue;
        }
        assert_eq!(requests.len(), 2, "{requests:?}");
        assert_eq!(answers.len(), 2, "{answers:?}");
        for ((request, answer), command) in requests.iter().zip(&answers).zip(["set", "set"]) {
            assert_eq!(request["data"]["command"], command);
            assert_eq!(request["data"]["host"], LOGIN);
            assert_eq!(answer["data"]["host"], NODE);
            assert_eq!(answer["data"]["ok"], true);
            assert_eq!(answer["data"]["request"], request["seq"]);
        }
        assert_eq!(requests[0]["data"]["params"]["status"], "paused");
        assert_eq!(requests[1]["data"]["params"]["status"], "pursuing");
        // Paused by the user, then resumed by the user, in that order, and
        // nothing typed in between.
        let by_user: Vec<(i64, &str, &str)> = of_kind(&rows, "transition")
            .into_iter()
            .filter(|row| row["data"]["actor"] == "user")
            .map(|row| {
                (
                    row["seq"].as_i64().unwrap(),
                    row["data"]["from"].as_str().unwrap(),
                    row["data"]["to"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            by_user
                .iter()
                .map(|(_, from, to)| (*from, *to))
                .collect::<Vec<_>>(),
            [("pursuing", "paused"), ("paused", "pursuing")],
            "{by_user:?}"
        );
        let (from, to) = (by_user[0].0, by_user[1].0);
        assert!(
            of_kind(&rows, "injection")
                .iter()
                .all(|row| !(from..to).contains(&row["seq"].as_i64().unwrap())),
            "typed while paused"
        );
        assert!(
            of_kind(&rows, "injection")
                .iter()
                .any(|row| row["seq"].as_i64().unwrap() > to),
            "nothing typed after the resume"
        );
    }
}
