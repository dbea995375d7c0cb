//! The user's controls, from a second process, against real running goals
//! (the real binary, the simulated agent in a real PTY): pause, resume, budget,
//! edit, clear, watch, the control socket's protocol and its guards, and the
//! same commands on the database when no supervisor runs.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::support;
use goalie::ledger::{Entry, Goal};
use serde_json::{Value, json};
use support::{Outcome, Sandbox, eventually, finish, leftover_processes, path_str};

const LIMIT: Duration = Duration::from_secs(90);
const WAIT: Duration = Duration::from_secs(30);

/// A sim scenario whose turns take `work_ms` each (the last entry repeats), never claiming.
fn turns(work_ms: &[u64]) -> String {
    let mut text = "name: controls\nstartup_ms: 100\nclaim_after_turns: null\nturns:\n".to_string();
    for ms in work_ms {
        text.push_str(&format!(
            "  - work_ms: {ms}\n    tokens: 1000\n    reply: \"Did one step.\"\n"
        ));
    }
    text
}

/// A goal running in the background: `goalie run --agent sim … -- --scenario FILE`.
struct Running {
    child: Child,
    workdir: PathBuf,
}

impl Running {
    fn start(sandbox: &Sandbox, scenario: &str, extra: &[&str]) -> Running {
        Running::start_in(sandbox, &sandbox.workdir(), scenario, extra)
    }

    fn start_in(sandbox: &Sandbox, workdir: &Path, scenario: &str, extra: &[&str]) -> Running {
        std::fs::create_dir_all(workdir).unwrap();
        let file = workdir.with_extension("scenario.yaml");
        std::fs::write(&file, scenario).unwrap();
        let mut args = vec!["run", "--agent", "sim", "Make the tests pass"];
        args.extend_from_slice(extra);
        let file = path_str(&file);
        args.extend_from_slice(&["--", "--scenario", &file]);
        let child = sandbox
            .command(&args)
            .current_dir(workdir)
            .spawn()
            .expect("spawn goalie run");
        Running {
            child,
            workdir: workdir.to_path_buf(),
        }
    }

    fn finish(self) -> Outcome {
        finish(self.child, LIMIT)
    }
}

/// A goalie command run to its end, in `dir`.
fn goalie_in(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> Outcome {
    let child = sandbox.command(args).current_dir(dir).spawn().unwrap();
    finish(child, LIMIT)
}

fn goalie(sandbox: &Sandbox, args: &[&str]) -> Outcome {
    goalie_in(sandbox, &sandbox.workdir(), args)
}

/// The goal started in `workdir` (waits for it to appear).
fn goal_in(sandbox: &Sandbox, workdir: &Path) -> Goal {
    let workdir = path_str(workdir);
    let mut found = None;
    let appeared = eventually(WAIT, || {
        found = sandbox.db().exists().then(|| {
            sandbox
                .ledger()
                .goals()
                .ok()?
                .into_iter()
                .find(|g| g.workdir == workdir && g.control_socket.is_some())
        });
        found.as_ref().is_some_and(Option::is_some)
    });
    assert!(appeared, "no running goal in {workdir}");
    found.unwrap().unwrap()
}

fn refresh(sandbox: &Sandbox, goal: &Goal) -> Goal {
    sandbox.ledger().goal(&goal.id).unwrap()
}

fn entries(sandbox: &Sandbox, goal: &Goal, kind: &str) -> Vec<Entry> {
    sandbox
        .ledger()
        .entries(&goal.id)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

fn prompts(sandbox: &Sandbox, goal: &Goal) -> Vec<String> {
    entries(sandbox, goal, "injection")
        .iter()
        .map(|e| e.data["prompt"].as_str().unwrap().to_string())
        .collect()
}

fn wait_for_entries(sandbox: &Sandbox, goal: &Goal, kind: &str, count: usize) {
    let seen = eventually(WAIT, || entries(sandbox, goal, kind).len() >= count);
    assert!(
        seen,
        "fewer than {count} `{kind}` rows: {:?}",
        sandbox.ledger().entries(&goal.id).unwrap()
    );
}

fn status_json(sandbox: &Sandbox, id: &str) -> Value {
    let out = goalie(sandbox, &["status", id, "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    serde_json::from_str(&out.stdout).unwrap()
}

/// A raw protocol connection, as any script would open one.
struct Raw {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Raw {
    fn connect(path: &str) -> Raw {
        let writer = UnixStream::connect(path).expect("connect to the control socket");
        writer
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Raw {
            reader: BufReader::new(writer.try_clone().unwrap()),
            writer,
        }
    }

    /// Sends a line; returns the next line that is not a notification.
    fn ask(&mut self, line: &str) -> Value {
        writeln!(self.writer, "{line}").unwrap();
        loop {
            let mut text = String::new();
            self.reader.read_line(&mut text).unwrap();
            let value: Value = serde_json::from_str(&text).expect("one JSON object per line");
            if value.get("method").is_none() {
                return value;
            }
        }
    }
}

fn assert_gone(sandbox: &Sandbox, goal: &Goal) {
    let agent = entries(sandbox, goal, "agent_started")[0].data["pid"]
        .as_u64()
        .unwrap() as u32;
    assert!(
        eventually(Duration::from_secs(5), || leftover_processes(agent)
            .is_empty()),
        "left behind: {:?}",
        leftover_processes(agent)
    );
    let socket = goal.control_socket.as_deref().expect("socket path");
    assert!(!Path::new(socket).exists(), "socket file left: {socket}");
    assert_eq!(refresh(sandbox, goal).control_socket, None);
}

#[test]
fn pause_stops_injections_resume_continues_and_clear_stops_the_agent() {
    let sandbox = Sandbox::new();
    let run = Running::start(
        &sandbox,
        &turns(&[1500, 600]),
        &["--max-turns", "20", "--stall-turns", "0"],
    );
    let goal = goal_in(&sandbox, &run.workdir);
    wait_for_entries(&sandbox, &goal, "turn_started", 1);

    // GOAL omitted: the one goal running in this directory.
    let out = goalie(&sandbox, &["pause"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "goal {0} paused: the current turn finishes, then goalie types nothing until `goalie resume {0}`\n",
            goal.id
        )
    );
    let again = goalie(&sandbox, &["pause", &goal.id[..5]]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(
        again.stdout,
        format!("goal {} is already paused\n", goal.id)
    );

    // The turn in progress finishes; then nothing is typed.
    wait_for_entries(&sandbox, &goal, "turn_ended", 1);
    let typed = prompts(&sandbox, &goal).len();
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(prompts(&sandbox, &goal).len(), typed, "typed while paused");
    let status = status_json(&sandbox, &goal.id);
    assert_eq!(status["state"], "paused");
    assert_eq!(status["running"], true);
    // A paused goal says how to resume it.
    let text = goalie(&sandbox, &["status", &goal.id]);
    assert!(
        text.stdout
            .contains(&format!("\n  resume     goalie resume {}\n", goal.id)),
        "{text:?}"
    );

    let out = goalie(&sandbox, &["resume"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "goal {} resumed: goalie continues at the next idle turn\n",
            goal.id
        )
    );
    wait_for_entries(&sandbox, &goal, "injection", typed + 1);
    assert_eq!(prompts(&sandbox, &goal)[typed], "continuation");

    let out = goalie(&sandbox, &["clear"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        format!("goal {} cleared: the agent is stopped\n", goal.id)
    );
    // `goalie clear` returns once the agent is stopped.
    let agent = entries(&sandbox, &goal, "agent_started")[0].data["pid"]
        .as_u64()
        .unwrap() as u32;
    assert!(
        leftover_processes(agent).is_empty(),
        "{:?}",
        leftover_processes(agent)
    );
    let out = run.finish();
    assert_eq!(out.code, 5, "{out:?}");
    let goal = refresh(&sandbox, &goal);
    assert_eq!(goal.state.as_str(), "cleared");
    assert_gone(&sandbox, &entries_goal(&sandbox, &goal));
    let transitions: Vec<(String, String)> = entries(&sandbox, &goal, "transition")
        .iter()
        .map(|e| {
            (
                e.data["to"].as_str().unwrap().to_string(),
                e.data["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        transitions,
        vec![
            ("paused".to_string(), "user".to_string()),
            ("pursuing".to_string(), "user".to_string()),
            ("cleared".to_string(), "user".to_string())
        ]
    );
}

/// The goal as it was while it ran (its socket path), for the checks after it ended.
fn entries_goal(sandbox: &Sandbox, goal: &Goal) -> Goal {
    let mut goal = goal.clone();
    let socket = sandbox
        .runtime_dir()
        .join("goalie")
        .join(format!("{}.sock", goal.id));
    goal.control_socket = Some(path_str(&socket));
    goal
}

#[test]
fn raising_the_budget_reopens_a_running_goal_during_its_wrap_up() {
    let sandbox = Sandbox::new();
    // Turns 1 and 2 are short; turn 3, the wrap-up, is long enough to act in.
    let run = Running::start(
        &sandbox,
        &turns(&[500, 500, 5000, 500]),
        &["--max-turns", "2"],
    );
    let goal = goal_in(&sandbox, &run.workdir);
    let limited = eventually(WAIT, || {
        refresh(&sandbox, &goal).state.as_str() == "budget-limited"
    });
    assert!(limited);
    let out = goalie(&sandbox, &["budget", &goal.id, "--max-turns", "4"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "goal {0}: limits now turns 4, time unlimited, tokens unlimited\ngoal {0} re-opened: goalie continues after the wrap-up turn\n",
            goal.id
        )
    );
    let out = run.finish();
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        prompts(&sandbox, &goal),
        vec![
            "start",
            "continuation",
            "budget_limit",
            "continuation",
            "budget_limit"
        ]
    );
    let goal = refresh(&sandbox, &goal);
    assert_eq!((goal.turns, goal.max_turns), (5, Some(4)));
}

#[test]
fn edit_types_the_objective_updated_prompt_and_watchers_see_every_notification_in_order() {
    let sandbox = Sandbox::new();
    let run = Running::start(
        &sandbox,
        &turns(&[1200]),
        &["--max-turns", "20", "--stall-turns", "0"],
    );
    let goal = goal_in(&sandbox, &run.workdir);
    wait_for_entries(&sandbox, &goal, "turn_started", 1);
    let watch = sandbox
        .command(&["watch", &goal.id, "--json"])
        .spawn()
        .unwrap();
    let text_watch = sandbox.command(&["watch", &goal.id]).spawn().unwrap();
    let history_watch = sandbox
        .command(&["watch", &goal.id, "--json", "--since", "0"])
        .spawn()
        .unwrap();
    // The watchers are connected once they have asked for the goal; give them a moment.
    std::thread::sleep(Duration::from_millis(700));

    let out = goalie(&sandbox, &["edit", "--objective", "Ship the <new> parser"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "goal {}: objective updated; the next prompt tells the agent what changed\n",
            goal.id
        )
    );
    let updated = eventually(WAIT, || {
        prompts(&sandbox, &goal).contains(&"objective_updated".to_string())
    });
    assert!(updated, "{:?}", prompts(&sandbox, &goal));
    let injection = entries(&sandbox, &goal, "injection")
        .into_iter()
        .find(|e| e.data["prompt"] == "objective_updated")
        .unwrap();
    let text = injection.data["text"].as_str().unwrap();
    assert!(text.contains(
        "<untrusted_previous_objective>\nMake the tests pass\n</untrusted_previous_objective>"
    ));
    assert!(
        text.contains("<untrusted_objective>\nShip the &lt;new> parser\n</untrusted_objective>")
    );
    assert!(text.contains("Drop work that served only the old objective"));
    assert_eq!(refresh(&sandbox, &goal).objective, "Ship the <new> parser");

    assert_eq!(goalie(&sandbox, &["clear", &goal.id]).code, 0);
    assert_eq!(run.finish().code, 5);
    let watched = finish(watch, LIMIT);
    assert_eq!(watched.code, 0, "{watched:?}");
    let notes: Vec<Value> = watched
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // Every ledger row from the watcher's start arrives once, in order.
    let seqs: Vec<i64> = notes
        .iter()
        .filter(|n| n["method"] == "event")
        .map(|n| n["params"]["seq"].as_i64().unwrap())
        .collect();
    let ledger: Vec<i64> = sandbox
        .ledger()
        .entries(&goal.id)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .filter(|seq| *seq >= seqs[0])
        .collect();
    assert_eq!(seqs, ledger);
    // With --since 0: every row, the history and then the live ones, each once.
    let history = finish(history_watch, LIMIT);
    assert_eq!(history.code, 0, "{history:?}");
    let all: Vec<i64> = history
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|n| n["method"] == "event")
        .map(|n| n["params"]["seq"].as_i64().unwrap())
        .collect();
    let every: Vec<i64> = sandbox
        .ledger()
        .entries(&goal.id)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(all, every);
    let methods: Vec<String> = notes
        .iter()
        .map(|n| match n["method"].as_str().unwrap() {
            "event" => format!("event:{}", n["params"]["kind"].as_str().unwrap()),
            other => other.to_string(),
        })
        .collect();
    let at = |name: &str| {
        methods
            .iter()
            .position(|m| m == name)
            .unwrap_or_else(|| panic!("no {name} in {methods:?}"))
    };
    assert!(at("event:objective_updated") < at("goal/updated"));
    assert!(at("goal/updated") < at("event:injection"));
    assert!(at("event:transition") < at("goal/cleared"));
    assert!(at("goal/cleared") < at("event:stopped"));
    let update = &notes[at("goal/updated")]["params"]["goal"];
    assert_eq!(update["objective"], "Ship the <new> parser");
    assert_eq!(update["state"], "pursuing");

    let text = finish(text_watch, LIMIT);
    assert!(
        text.stdout
            .starts_with(&format!("goal {} pursuing: watching\n", goal.id)),
        "{text:?}"
    );
    assert!(
        text.stdout
            .contains(" objective_updated {\"from\":\"Make the tests pass\"")
    );
    assert!(text.stdout.contains("goal/cleared: cleared ("), "{text:?}");
}

#[test]
fn the_socket_is_private_and_malformed_requests_get_json_errors_while_the_goal_runs_on() {
    let sandbox = Sandbox::new();
    let run = Running::start(
        &sandbox,
        &turns(&[600]),
        &["--max-turns", "30", "--stall-turns", "0"],
    );
    let goal = goal_in(&sandbox, &run.workdir);
    let socket = goal.control_socket.clone().unwrap();
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(Path::new(&socket)), 0o600);
    assert_eq!(mode(Path::new(&socket).parent().unwrap()), 0o700);

    let mut raw = Raw::connect(&socket);
    let answer = raw.ask("this is not json");
    assert_eq!(answer["id"], Value::Null);
    assert_eq!(answer["error"]["code"], -32700);
    let answer = raw.ask(r#"{"id":1,"method":"goal/delete"}"#);
    assert_eq!(
        answer,
        json!({"id": 1, "error": {"code": -32601,
            "message": "unknown method `goal/delete` (known: goal/get, goal/set, goal/clear, goal/turn_complete, goal/tools_listed)"}})
    );
    let answer = raw.ask(r#"{"id":2,"method":"goal/set","params":{"max_turns":"many"}}"#);
    assert_eq!(answer["error"]["code"], -32602);
    let answer = raw.ask(r#"{"id":3,"method":"goal/set","params":{"objective":" "}}"#);
    assert_eq!(
        answer["error"],
        json!({"code": 1, "message": "the objective is empty: say what the agent should achieve"})
    );
    let answer = raw.ask(r#"{"id":"four","method":"goal/get"}"#);
    assert_eq!(answer["id"], "four");
    assert_eq!(answer["result"]["goal"]["id"], goal.id.as_str());
    assert_eq!(answer["result"]["goal"]["state"], "pursuing");
    drop(raw);

    // The supervisor kept going.
    let before = prompts(&sandbox, &goal).len();
    wait_for_entries(&sandbox, &goal, "injection", before + 2);

    // Another user: the directory and socket modes keep them out; with those
    // opened up, the supervisor's own check of the peer's uid still does.
    if nix::unistd::geteuid().is_root() {
        let denied = as_nobody(&sandbox, &goal.id);
        assert_eq!(denied.code, 1, "{denied:?}");
        assert!(
            denied.stderr.contains("does not answer") && denied.stderr.contains("ermission denied"),
            "{denied:?}"
        );
        let dir = Path::new(&socket).parent().unwrap();
        let open = |path: &Path, mode| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        for path in [sandbox.dir.path(), &sandbox.runtime_dir(), dir] {
            open(path, 0o711);
        }
        open(Path::new(&socket), 0o666);
        let refused = as_nobody(&sandbox, &goal.id);
        assert_eq!(refused.code, 1, "{refused:?}");
        assert!(
            refused
                .stderr
                .contains("permission denied: uid 65534 is not the goal's owner (uid 0)"),
            "{refused:?}"
        );
        open(dir, 0o700);
    } else {
        eprintln!(
            "not root: the other-user check runs only as root (unit-tested in control::server)"
        );
    }

    assert_eq!(goalie(&sandbox, &["clear"]).code, 0);
    assert_eq!(run.finish().code, 5);
    assert_gone(&sandbox, &entries_goal(&sandbox, &goal));
}

/// `goalie status GOAL` as uid 65534, on a copy of the database it can read.
fn as_nobody(sandbox: &Sandbox, id: &str) -> Outcome {
    use std::os::unix::process::CommandExt;
    let open = tempfile::Builder::new()
        .prefix("goalie-nobody")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let db = open.path().join("copy.db");
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    conn.execute("VACUUM INTO ?1", [path_str(&db)]).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o666)).unwrap();
    let child = Command::new(support::GOALIE)
        .args(["status", id])
        .env("GOALIE_DB", &db)
        .env("GOALIE_CONFIG_DIR", open.path())
        .current_dir(open.path())
        .uid(65534)
        .gid(65534)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    finish(child, LIMIT)
}

#[test]
fn without_a_supervisor_the_commands_act_on_the_database_and_resume_continues_the_counters() {
    let sandbox = Sandbox::new();
    let out = sandbox.run_sim(&turns(&[400]), &["--max-turns", "2"], LIMIT);
    assert_eq!(out.code, 3, "{out:?}");
    let goal = sandbox.goal();
    let id = goal.id.as_str();
    assert_eq!((goal.turns, goal.tokens_used), (3, 3000));

    let status = goalie(&sandbox, &["status", id]);
    assert_eq!(status.code, 0);
    assert!(
        status
            .stdout
            .starts_with(&format!("goal {id}  budget-limited\n")),
        "{status:?}"
    );
    let refused = goalie(&sandbox, &["pause", id]);
    assert_eq!(refused.code, 6);
    assert_eq!(
        refused.stderr,
        format!("error: goal {id} is budget-limited: there is nothing to pause\n")
    );
    let refused = goalie(&sandbox, &["resume", id]);
    assert_eq!(refused.code, 6);
    assert_eq!(
        refused.stderr,
        format!(
            "error: goal {id} is budget-limited (its turn limit is reached): raise the limit first, e.g. `goalie budget {id} --max-turns N`\n"
        )
    );
    let refused = goalie(&sandbox, &["budget", id, "--max-turns", "3"]);
    assert_eq!(refused.code, 6);
    assert_eq!(
        refused.stderr,
        format!(
            "error: goal {id} has used 3 turns: a limit of 3 turns would end it at once (give more than 3)\n"
        )
    );
    assert_eq!(
        refresh(&sandbox, &goal).max_turns,
        Some(2),
        "nothing changed"
    );

    let raised = goalie(&sandbox, &["budget", id, "--max-turns", "5"]);
    assert_eq!(raised.code, 0, "{raised:?}");
    assert_eq!(
        raised.stdout,
        format!(
            "goal {id}: limits now turns 5, time unlimited, tokens unlimited\ngoal {id} re-opened: `goalie resume {id}` continues it\n"
        )
    );
    let paused = goalie(&sandbox, &["pause", id]);
    assert_eq!(paused.code, 0, "{paused:?}");
    assert_eq!(paused.stdout, format!("goal {id} paused\n"));
    assert_eq!(refresh(&sandbox, &goal).state.as_str(), "paused");

    // `goalie edit` through $EDITOR.
    let edited = sandbox
        .command(&["edit", id])
        .env("VISUAL", "")
        .env("EDITOR", "sed -i s/tests/parser/")
        .spawn()
        .unwrap();
    let edited = finish(edited, LIMIT);
    assert_eq!(edited.code, 0, "{edited:?}");
    assert_eq!(refresh(&sandbox, &goal).objective, "Make the parser pass");

    let before = refresh(&sandbox, &goal);
    let resumed = goalie(&sandbox, &["resume", id]);
    assert_eq!(resumed.code, 3, "{resumed:?}");
    assert!(
        resumed.stdout.starts_with(&format!("goal {id} resumed\n")),
        "{resumed:?}"
    );
    let after = refresh(&sandbox, &goal);
    // Turns 4 and 5, then the wrap-up: the counters went on from the database.
    assert_eq!(after.turns, 6);
    assert_eq!(after.tokens_used, before.tokens_used + 3000);
    assert!(after.time_used_ms > before.time_used_ms);
    let started: Vec<u64> = entries(&sandbox, &goal, "turn_started")
        .iter()
        .map(|e| e.data["turn"].as_u64().unwrap())
        .collect();
    assert_eq!(started, vec![1, 2, 3, 4, 5, 6]);
    // The sim cannot resume a conversation: a fresh start prompt, with the new objective.
    let injections = entries(&sandbox, &goal, "injection");
    assert_eq!(injections[3].data["prompt"], "start");
    assert!(
        injections[3].data["text"]
            .as_str()
            .unwrap()
            .contains("<untrusted_objective>\nMake the parser pass\n")
    );
    assert_eq!(entries(&sandbox, &goal, "resumed").len(), 1);
    // The resumed run's agent is the goal's second process.
    let processes: Vec<u64> = entries(&sandbox, &goal, "agent_started")
        .iter()
        .map(|e| e.data["process"].as_u64().unwrap())
        .collect();
    assert_eq!(processes, vec![1, 2]);

    let cleared = goalie(&sandbox, &["clear", id]);
    assert_eq!(cleared.code, 0, "{cleared:?}");
    assert_eq!(cleared.stdout, format!("goal {id} cleared\n"));
    let again = goalie(&sandbox, &["resume", id]);
    assert_eq!(again.code, 6);
    assert_eq!(
        again.stderr,
        format!("error: goal {id} is cleared, which is final: it cannot be resumed\n")
    );
    let watch = goalie(&sandbox, &["watch", id]);
    assert_eq!(watch.code, 6);
    assert_eq!(
        watch.stderr,
        format!(
            "error: goal {id} has no running supervisor (it is cleared): `goalie status {id}` shows it\n"
        )
    );
    // With --since, its history: readable lines, a prompt by its kind and
    // length (never its text); --json keeps the rows as they are.
    let history = goalie(&sandbox, &["watch", id, "--since", "0"]);
    assert_eq!(history.code, 0, "{history:?}");
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("goal {id} cleared: its rows (it does not run)")
    );
    let rows = sandbox.ledger().entries(id).unwrap();
    let prompts: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("  prompt    turn "))
        .collect();
    assert_eq!(
        prompts.len(),
        entries(&sandbox, &goal, "injection").len(),
        "{}",
        history.stdout
    );
    assert!(prompts[0].contains(": start, "), "{}", prompts[0]);
    assert!(prompts[0].contains(" chars ("), "{}", prompts[0]);
    assert!(
        !history.stdout.contains("<untrusted_objective>"),
        "{}",
        history.stdout
    );
    let json = goalie(&sandbox, &["watch", id, "--json", "--since", "3"]);
    assert_eq!(json.code, 0, "{json:?}");
    let seqs: Vec<i64> = json
        .stdout
        .lines()
        .map(|line| {
            let note: Value = serde_json::from_str(line).unwrap();
            assert_eq!(note["method"], "event");
            note["params"]["seq"].as_i64().unwrap()
        })
        .collect();
    let after: Vec<i64> = rows.iter().map(|e| e.seq).filter(|seq| *seq > 3).collect();
    assert_eq!(seqs, after);
}

#[test]
fn an_achieved_goal_cannot_be_resumed_or_cleared_and_goal_must_be_named_when_none_runs() {
    let sandbox = Sandbox::new();
    let out = sandbox.run_sim(&support::scenario(Some(1), "proper", 300), &[], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let id = sandbox.goal().id;
    let resumed = goalie(&sandbox, &["resume", &id]);
    assert_eq!(resumed.code, 6);
    assert_eq!(
        resumed.stderr,
        format!("error: goal {id} is achieved, which is final: it cannot be resumed\n")
    );
    let cleared = goalie(&sandbox, &["clear", &id]);
    assert_eq!(cleared.code, 6);
    assert_eq!(
        cleared.stderr,
        format!("error: goal {id} is achieved, which is final: it cannot be cleared\n")
    );
    let unnamed = goalie(&sandbox, &["pause"]);
    assert_eq!(unnamed.code, 2);
    assert_eq!(
        unnamed.stderr,
        format!(
            "error: no goal runs in {}: name one (see `goalie ls`)\n",
            sandbox.workdir().display()
        )
    );
    let missing = goalie(&sandbox, &["budget", "zzzz", "--max-turns", "3"]);
    assert_eq!(missing.code, 2);
    assert_eq!(
        missing.stderr,
        "error: no goal matches `zzzz` (see `goalie ls`)\n"
    );
}

#[test]
fn twenty_goals_at_once_each_controlled_on_its_own() {
    const GOALS: usize = 20;
    let sandbox = Sandbox::new();
    let scenario = turns(&[1500]);
    let runs: Vec<Running> = (0..GOALS)
        .map(|i| {
            let dir = sandbox.workdir().join(format!("g{i:02}"));
            Running::start_in(
                &sandbox,
                &dir,
                &scenario,
                &["--max-turns", "100", "--stall-turns", "0"],
            )
        })
        .collect();
    let goals: Vec<Goal> = runs
        .iter()
        .map(|run| goal_in(&sandbox, &run.workdir))
        .collect();
    for goal in &goals {
        wait_for_entries(&sandbox, goal, "turn_started", 1);
    }
    let listed = goalie(&sandbox, &["ls", "--json"]);
    let listed: Vec<Value> = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(listed.len(), GOALS);
    assert!(listed.iter().all(|g| g["running"] == true), "{listed:?}");

    // Pause the even ones: half by name, half by their directory.
    for (i, (goal, run)) in goals
        .iter()
        .zip(&runs)
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
    {
        let out = if i % 4 == 0 {
            goalie(&sandbox, &["pause", &goal.id])
        } else {
            goalie_in(&sandbox, &run.workdir, &["pause"])
        };
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stdout.contains(&format!("goal {} paused", goal.id)));
    }
    // Paused goals stop after their current turn; the others go on.
    for goal in goals.iter().step_by(2) {
        let paused = eventually(WAIT, || {
            let ended = entries(&sandbox, goal, "turn_ended").len();
            ended > 0 && ended == entries(&sandbox, goal, "turn_started").len()
        });
        assert!(paused, "goal {} never settled", goal.id);
    }
    let counts = |goals: &[Goal]| -> Vec<usize> {
        goals.iter().map(|g| prompts(&sandbox, g).len()).collect()
    };
    let before = counts(&goals);
    std::thread::sleep(Duration::from_secs(5));
    let after = counts(&goals);
    for (i, goal) in goals.iter().enumerate() {
        if i % 2 == 0 {
            assert_eq!(
                after[i], before[i],
                "paused goal {} was typed into",
                goal.id
            );
        } else {
            assert!(after[i] > before[i], "goal {} did not go on", goal.id);
        }
    }
    let ls = goalie(&sandbox, &["ls"]);
    assert_eq!(ls.code, 0);
    assert_eq!(ls.stdout.lines().count(), GOALS + 1);
    for (i, goal) in goals.iter().enumerate() {
        let line = ls.stdout.lines().find(|l| l.starts_with(&goal.id)).unwrap();
        let state = if i % 2 == 0 { "paused" } else { "pursuing" };
        assert!(line.contains(&format!("{state:<18} yes ")), "{line}");
    }
    // A raised budget on one goal touches no other.
    let out = goalie(&sandbox, &["budget", &goals[1].id, "--max-turns", "50"]);
    assert_eq!(out.code, 0, "{out:?}");
    for (i, goal) in goals.iter().enumerate() {
        let expected = if i == 1 { Some(50) } else { Some(100) };
        assert_eq!(refresh(&sandbox, goal).max_turns, expected);
    }

    for goal in &goals {
        let out = goalie(&sandbox, &["clear", &goal.id]);
        assert_eq!(out.code, 0, "{out:?}");
    }
    for (run, goal) in runs.into_iter().zip(&goals) {
        assert_eq!(run.finish().code, 5);
        assert_gone(&sandbox, &entries_goal(&sandbox, goal));
    }
}

#[test]
fn on_event_runs_the_hook_with_every_row_as_json_from_the_flag_or_the_config_file() {
    let sandbox = Sandbox::new();
    let config = sandbox.dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let from_config = sandbox.dir.path().join("from-config.jsonl");
    std::fs::write(
        config.join("config.yaml"),
        format!("on_event: 'cat >> {}'\n", from_config.display()),
    )
    .unwrap();
    let scenario = support::scenario(Some(1), "proper", 300);
    let out = sandbox.run_sim(&scenario, &[], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let goal = sandbox.goal();
    let rows: Vec<Entry> = std::fs::read_to_string(&from_config)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // Every row from the socket's start on, in order, the last one included.
    let ledger = sandbox.ledger().entries(&goal.id).unwrap();
    assert_eq!(rows, ledger[ledger.len() - rows.len()..]);
    assert_eq!(rows.last().unwrap().kind, "stopped");
    assert!(rows.iter().any(|r| r.kind == "turn_ended"));

    // The flag wins over the file; the event's kind is in the environment too.
    let from_flag = sandbox.dir.path().join("from-flag.txt");
    let hook = format!("echo \"$GOALIE_EVENT_KIND\" >> {}", from_flag.display());
    let out = sandbox.run_sim(&scenario, &["--on-event", &hook], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let kinds = std::fs::read_to_string(&from_flag).unwrap();
    assert!(kinds.lines().any(|k| k == "transition"), "{kinds}");
    assert_eq!(kinds.lines().last(), Some("stopped"));
    assert_eq!(
        std::fs::read_to_string(&from_config)
            .unwrap()
            .lines()
            .count(),
        rows.len(),
        "the config's hook did not run for the second goal"
    );
}

#[test]
fn dialog_policies_given_at_the_start_hold_after_resume() {
    let sandbox = Sandbox::new();
    let sim = include_str!("../../adapters/sim.yaml").replace("name: sim", "name: simd");
    sandbox.user_adapter(
        "simd",
        &format!(
            "{sim}dialogs:\n  - name: never-shown\n    detect: ['^A dialog this sim never shows$']\n    policy: escalate\n"
        ),
    );
    let scenario = sandbox.file("scenario.yaml", &turns(&[200]));
    let scenario = path_str(&scenario);
    let args = [
        "run",
        "--agent",
        "simd",
        "--max-turns",
        "1",
        "--dialog",
        "never-shown=deny",
        "Make the tests pass",
        "--",
        "--scenario",
        &scenario,
    ];
    let out = sandbox.run(&args, LIMIT);
    assert_eq!(out.code, 3, "{out:?}");
    let goal = sandbox.goal();
    let created = entries(&sandbox, &goal, "goal_created");
    assert_eq!(created[0].data["dialog_policies"]["never-shown"], "deny");

    let id = goal.id.as_str();
    assert_eq!(
        goalie(&sandbox, &["budget", id, "--max-turns", "3"]).code,
        0
    );
    let resumed = goalie(&sandbox, &["resume", id]);
    assert_eq!(resumed.code, 3, "{resumed:?}");
    let resumed = entries(&sandbox, &goal, "resumed");
    assert_eq!(resumed[0].data["dialog_policies"]["never-shown"], "deny");
}
