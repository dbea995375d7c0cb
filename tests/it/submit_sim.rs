//! A typed prompt's Enter goes as soon as the agent can take it, and not
//! later, with the simulated agent playing Claude Code's part: its paste
//! shows as `[Pasted text #N +L lines]` only a while after it came (an Enter
//! before that is dropped), and it is an MCP client of `goalie mcp` that
//! lists the tools a while after its start. The adapter's pause is ten
//! minutes, so no fixed wait could let a turn start in the test's time.

use std::time::Duration;

use crate::support::{self, Sandbox, scenario};

const LIMIT: Duration = Duration::from_secs(40);

/// The sim's adapter with `submit` replaced by `submit` and, with `mcp`,
/// `goalie mcp` registered as Claude Code's adapter does it (a JSON config
/// on the command line).
fn adapter(submit: &str, mcp: bool) -> String {
    let sim = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/adapters/sim.yaml"))
        .expect("the sim's adapter");
    let old = "  pause_ms: 200\n";
    assert!(sim.contains(old));
    let mut sim = sim.replace(old, submit);
    if mcp {
        assert!(sim.contains("args: [sim]\n"));
        sim = sim.replace(
            "args: [sim]\n",
            "args: [sim]\nmcp_args:\n  - --mcp-config\n  - '{\"command\":\"{goalie}\",\"args\":[\"mcp\",\"--goal\",\"{goal}\",\"--db\",\"{db}\"]}'\n",
        );
    }
    sim
}

/// The run's sim log (turns started, Enters dropped, the tools listed).
fn sim_log(sandbox: &Sandbox) -> (String, std::path::PathBuf) {
    let log = sandbox.dir.path().join("sim.log");
    (format!("input_log: {}\n", support::path_str(&log)), log)
}

/// Runs the sim's three proper turns with `head` before its scenario, and
/// checks the goal was achieved in three turns of one prompt each: goalie's
/// outcome, and the sim's log of what it saw.
fn three_turns(sandbox: &Sandbox, head: &str) -> (support::Outcome, String) {
    let (log_line, log) = sim_log(sandbox);
    let scenario = format!("{head}{log_line}{}", scenario(Some(3), "proper", 300));
    let out = support::finish(
        sandbox
            .sim_command(&scenario, &[])
            .spawn()
            .expect("spawn goalie"),
        LIMIT,
    );
    let seen = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(out.code, 0, "{out:?}\nthe sim's log:\n{seen}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "achieved");
    assert_eq!(goal.turns, 3);
    assert_eq!(sandbox.entries_of("injection").len(), 3);
    (out, seen)
}

#[test]
fn the_first_enter_waits_for_goalie_mcps_tools_and_each_enter_follows_the_paste_sign() {
    let sandbox = Sandbox::new();
    sandbox.user_adapter(
        "sim",
        &adapter(
            "  pause_ms: 600000\n  taken: ['\\[Pasted text #\\d+']\n  mcp_tools_ms: 600000\n",
            true,
        ),
    );
    // The tools are listed 4 s after the sim's start: well after its first
    // prompt is typed (its input box shows some 300 ms after its start).
    let (out, seen) = three_turns(&sandbox, "paste_sign_ms: 300\nmcp_list_ms: 4000\n");

    // goalie mcp told the supervisor, once, and the held Enter went then.
    let listed = sandbox.entries_of("mcp_tools_listed");
    assert_eq!(listed.len(), 1, "{out:?}");
    assert_eq!(listed[0].data["process"], 1);
    assert_eq!(listed[0].data["enter_held"], true, "{:?}", listed[0].data);
    assert!(sandbox.entries_of("mcp_tools_unlisted").is_empty());
    let started = sandbox.entries_of("turn_started");
    assert_eq!(started.len(), 3);
    let typed = &sandbox.entries_of("injection")[0];
    assert!(typed.seq < listed[0].seq && listed[0].seq < started[0].seq);

    // What the sim saw: its tools listed before its first turn began, and
    // never an Enter before its paste showed.
    let lines: Vec<&str> = seen.lines().collect();
    let at = |line: &str| lines.iter().position(|l| *l == line);
    let tools = at("mcp tools listed: get_goal, update_goal").expect(&seen);
    let first = at("started 1").expect(&seen);
    assert!(tools < first, "{seen}");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("started ")).count(),
        3
    );
    assert!(!seen.contains("enter dropped"), "{seen}");
}

#[test]
fn an_enter_that_went_before_the_paste_showed_is_sent_again_once_it_shows() {
    let sandbox = Sandbox::new();
    // The Enter waits 100 ms at most for the sign, which the sim draws after 1.5 s
    // (a machine under load): each first Enter is dropped.
    sandbox.user_adapter(
        "sim",
        &adapter(
            "  pause_ms: 100\n  taken: ['\\[Pasted text #\\d+']\n",
            false,
        ),
    );
    // One prompt a turn, none typed again: each turn ran on its resent Enter.
    let (_, seen) = three_turns(&sandbox, "paste_sign_ms: 1500\n");
    let ended = sandbox.entries_of("turn_ended");
    assert_eq!(ended.len(), 3);
    assert!(
        ended.iter().all(|e| e.data["busy_seen"] == true),
        "{ended:?}"
    );
    assert!(sandbox.entries_of("mcp_tools_listed").is_empty());
    assert_eq!(seen.matches("enter dropped").count(), 3, "{seen}");
    assert_eq!(seen.matches("started ").count(), 3, "{seen}");
}
