//! Never losing the goal, with the real binary and the simulated agent: every
//! compaction restores the goal once, and fresh-context and rotation modes
//! run one goal across several agent processes.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support;
use goalie::sim::RandomCompactions;
use support::{Sandbox, path_str};

const LIMIT: Duration = Duration::from_secs(240);
const OBJECTIVE: &str = "Make the tests pass";
const HEAD: &str = "name: context\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\n";

#[test]
fn twenty_compactions_at_random_points_each_restore_the_goal_once() {
    let sandbox = Sandbox::new();
    let random = RandomCompactions {
        count: 20,
        turns: 30,
        seed: 7,
    };
    let scenario = format!(
        "{HEAD}claim_after_turns: 31\nrandom_compactions: {{count: 20, turns: 30, seed: 7}}\n\
         turns:\n  - work_ms: 400\n    compact_ms: 300\n    tokens: 1000\n    reply: \"Did one step.\"\n"
    );
    // 31 turns that change nothing: not a test of the no-progress breaker.
    let out = sandbox.run_sim(&scenario, &["--headless", "--stall-turns", "0"], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "achieved");
    assert_eq!(goal.turns, 31);

    // 20 compactions, each one row, in the turns the seed placed them in.
    let compacted = sandbox.entries_of("compacted");
    assert_eq!(compacted.len(), 20, "{compacted:#?}");
    let turns: BTreeSet<u64> = compacted
        .iter()
        .map(|row| row.data["turn"].as_u64().unwrap())
        .collect();
    let placed: BTreeSet<u64> = random.placement().keys().map(|t| u64::from(*t)).collect();
    assert_eq!(turns, placed);
    let numbers: Vec<u64> = compacted
        .iter()
        .map(|row| row.data["compaction"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=20).collect::<Vec<_>>());

    // One prompt per turn, never two; the prompt after each compaction restores the goal.
    let injections = sandbox.entries_of("injection");
    let injected_turns: Vec<u64> = injections
        .iter()
        .map(|row| row.data["turn"].as_u64().unwrap())
        .collect();
    assert_eq!(injected_turns, (1..=31).collect::<Vec<_>>());
    for row in &injections {
        let turn = row.data["turn"].as_u64().unwrap();
        let prompt = row.data["prompt"].as_str().unwrap();
        let text = row.data["text"].as_str().unwrap();
        assert!(text.contains(OBJECTIVE), "turn {turn}");
        let expected = if turn == 1 {
            "start"
        } else if placed.contains(&(turn - 1)) {
            "after_compaction"
        } else {
            "continuation"
        };
        assert_eq!(prompt, expected, "turn {turn}");
        if expected == "after_compaction" {
            assert!(text.contains("<untrusted_objective>\nMake the tests pass\n"));
            assert!(text.contains("What goalie's ledger says so far"));
            // The digest quotes what the last turns reported.
            assert!(text.contains("Did one step."), "{text}");
        }
    }
    let restored = sandbox.entries_of("goal_restored");
    assert_eq!(restored.len(), 20);
    assert_eq!(
        sandbox.entries_of("turn_started").len(),
        sandbox.entries_of("turn_ended").len()
    );
    // Nothing was ever typed while a turn ran: each prompt came after the previous turn ended.
    let entries = sandbox.entries();
    let mut open_turn = false;
    for row in &entries {
        match row.kind.as_str() {
            "injection" => {
                assert!(!open_turn, "a prompt typed into a busy agent: {row:?}");
                open_turn = true;
            }
            "turn_ended" => open_turn = false,
            _ => {}
        }
    }

    // status --json and report count them.
    let status = sandbox.run(&["status", "--json"], Duration::from_secs(20));
    let json: serde_json::Value = serde_json::from_str(&status.stdout).expect("json");
    assert_eq!(json["compactions"], 20, "{}", status.stdout);
    assert_eq!(json["reinjections"], 20);
    assert_eq!(json["rotations"], 0);
    let report = sandbox.run(&["report"], Duration::from_secs(20));
    assert!(
        report
            .stdout
            .contains("compactions 20 · goal restored 20 · rotations 0 (1 agent process)"),
        "{}",
        report.stdout
    );
}

/// A counter file the sim's turns bump, and a verify command that passes once it reaches `n`.
fn counting_spec(sandbox: &Sandbox, n: u32) -> String {
    path_str(&sandbox.file(
        "goal.yaml",
        &format!(
            "objective: |\n  Make the tests pass:\n  1. the counter reaches {n}\nverify:\n  - test \"$(cat count)\" -ge {n}\nstop:\n  turns: 12\n"
        ),
    ))
}

const COUNTING_TURN: &str =
    "    run: \"n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count\"\n";

fn run_spec(sandbox: &Sandbox, spec: &str, scenario: &str, extra: &[&str]) -> support::Outcome {
    let scenario = path_str(&sandbox.file("scenario.yaml", scenario));
    let mut args = vec!["run", "--agent", "sim", "--goal", spec];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", "--scenario", &scenario]);
    sandbox.run(&args, LIMIT)
}

/// The `injection` rows grouped by the agent process they went to.
fn prompts_per_process(sandbox: &Sandbox) -> Vec<Vec<(String, String)>> {
    let mut processes: Vec<Vec<(String, String)>> = Vec::new();
    for row in sandbox.entries() {
        match row.kind.as_str() {
            "agent_started" => processes.push(Vec::new()),
            "injection" => processes.last_mut().expect("a process").push((
                row.data["prompt"].as_str().unwrap().to_string(),
                row.data["text"].as_str().unwrap().to_string(),
            )),
            _ => {}
        }
    }
    processes
}

#[test]
fn fresh_context_runs_every_turn_in_a_new_agent_process() {
    let sandbox = Sandbox::new();
    let spec = counting_spec(&sandbox, 3);
    let scenario = format!(
        "{HEAD}claim_after_turns: 1\nturns:\n  - work_ms: 300\n    tokens: 1000\n    reply: \"Bumped the counter.\"\n{COUNTING_TURN}"
    );
    let out = run_spec(&sandbox, &spec, &scenario, &["--fresh"]);
    assert_eq!(out.code, 0, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "achieved");
    assert_eq!(goal.turns, 3);
    // Three processes, one turn each, all tied to the one goal.
    let started = sandbox.entries_of("agent_started");
    let pids: BTreeSet<u64> = started
        .iter()
        .map(|row| row.data["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(started.len(), 3);
    assert_eq!(pids.len(), 3, "a new process each time");
    assert_eq!(sandbox.entries_of("agent_ended").len(), 2);
    let prompts = prompts_per_process(&sandbox);
    assert_eq!(prompts.len(), 3);
    assert_eq!(prompts[0].len(), 1);
    assert_eq!(prompts[0][0].0, "start");
    for process in &prompts[1..] {
        assert_eq!(process.len(), 1);
        let (kind, text) = &process[0];
        assert_eq!(kind, "after_rotation");
        assert!(text.contains("Make the tests pass"));
        // The new process hears why the last claim failed, from the ledger.
        assert!(text.contains("Your last completion claim (turn"), "{text}");
        assert!(text.contains("Bumped the counter."), "{text}");
    }
    // Tokens add up across processes (each sim starts from zero).
    assert_eq!(goal.tokens_used, 3000);
}

#[test]
fn rotation_hands_off_to_a_new_process_when_the_context_fills() {
    let sandbox = Sandbox::new();
    let spec = counting_spec(&sandbox, 6);
    // 3,000 tokens a turn of a 10,000 window: 90 % after turn 3.
    let scenario = format!(
        "{HEAD}claim_after_turns: 1\ncontext_window: 10000\nturns:\n  - work_ms: 300\n    tokens: 3000\n    reply: \"Bumped the counter.\"\n{COUNTING_TURN}"
    );
    let out = run_spec(&sandbox, &spec, &scenario, &["--rotate-at", "80%"]);
    assert_eq!(out.code, 0, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "achieved");
    assert_eq!(goal.turns, 6);
    assert_eq!(sandbox.ledger().goals().unwrap().len(), 1);

    let started = sandbox.entries_of("agent_started");
    assert_eq!(started.len(), 2, "one rotation: one new process");
    let rotation = sandbox.entries_of("rotation_started");
    assert_eq!(rotation.len(), 1);
    assert_eq!(rotation[0].data["context_used_pct"], 90);
    let handoff = sandbox.entries_of("handoff");
    assert_eq!(handoff.len(), 1);
    assert_eq!(handoff[0].data["source"], "file");
    let note = handoff[0].data["text"].as_str().unwrap();
    assert!(note.starts_with("SIM-HANDOFF of turn 4"), "{note}");
    assert!(
        !sandbox.workdir().join(".goalie").exists(),
        "the note file is removed once read"
    );

    let prompts = prompts_per_process(&sandbox);
    let kinds: Vec<Vec<&str>> = prompts
        .iter()
        .map(|p| p.iter().map(|(kind, _)| kind.as_str()).collect())
        .collect();
    assert_eq!(
        kinds,
        vec![
            vec!["start", "claim_rejected", "claim_rejected", "handoff"],
            vec!["after_rotation", "claim_rejected"],
        ]
    );
    // The handoff text is in the new process's first prompt.
    let first = &prompts[1][0].1;
    assert!(
        first.contains(&format!(
            "<untrusted_handoff>\n{note}\n</untrusted_handoff>"
        )),
        "{first}"
    );
    assert!(first.contains("Make the tests pass"));

    let status = sandbox.run(&["status", "--json"], Duration::from_secs(20));
    let json: serde_json::Value = serde_json::from_str(&status.stdout).expect("json");
    assert_eq!(json["rotations"], 1, "{}", status.stdout);
}
