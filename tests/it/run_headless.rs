//! The real goalie binary, headless (no terminal), driving the simulated agent
//! in a real PTY. Each test pins one behaviour of the supervision loop.

use std::time::Duration;

use crate::support;
use support::{Sandbox, eventually, leftover_processes, scenario};

const LIMIT: Duration = Duration::from_secs(90);

#[test]
fn n_turns_then_a_claim_is_achieved_with_one_continuation_per_idle_turn() {
    let sandbox = Sandbox::new();
    let out = sandbox.run_sim(&scenario(Some(3), "proper", 400), &[], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "achieved");
    assert_eq!(goal.turns, 3);
    assert_eq!(goal.tokens_used, 3000);
    assert!(goal.ended_at.is_some());

    let injections = sandbox.entries_of("injection");
    let prompts: Vec<&str> = injections
        .iter()
        .map(|e| e.data["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(prompts, vec!["start", "continuation", "continuation"]);
    assert_eq!(sandbox.entries_of("turn_started").len(), 3);
    assert_eq!(sandbox.entries_of("turn_ended").len(), 3);
    let claims = sandbox.entries_of("claim");
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].data["turn"], 3);
    // The objective went in framed as untrusted data, with the turn's nonce but never a claim block.
    let first = injections[0].data["text"].as_str().unwrap();
    assert!(first.contains("<untrusted_objective>\nMake the tests pass\n</untrusted_objective>"));
    assert!(!first.contains("GOALIE-CLAIM "));
    assert!(first.contains("This turn's claim nonce: "));

    assert!(
        out.stdout.contains("goalie: turn 1 ended"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("achieved: the agent claimed completion in turn 3"),
        "{}",
        out.stdout
    );
    let pid = sandbox.agent_pid();
    assert!(
        leftover_processes(pid).is_empty(),
        "{:?}",
        leftover_processes(pid)
    );
}

#[test]
fn a_long_silent_busy_stretch_is_not_an_end_of_turn() {
    let sandbox = Sandbox::new();
    // The spinner stays on screen while nothing is written for 3 s (the
    // adapter's quiet window is 0.8 s): no injection may land in it.
    let text = "name: silent\nstartup_ms: 100\nclaim_after_turns: 2\nturns:\n  - work_ms: 600\n    silent_at_ms: 100\n    silent_ms: 3000\n    tokens: 10\n    reply: ok\n";
    let out = sandbox.run_sim(text, &[], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let ended = sandbox.entries_of("turn_ended");
    assert_eq!(ended.len(), 2);
    for turn in &ended {
        assert!(
            turn.data["duration_ms"].as_u64().unwrap() >= 3000,
            "{turn:?}"
        );
        assert_eq!(turn.data["busy_seen"], true);
    }
    assert_eq!(sandbox.entries_of("injection").len(), 2);
}

#[test]
fn max_turns_ends_budget_limited_after_one_wrap_up_turn() {
    let sandbox = Sandbox::new();
    let out = sandbox.run_sim(&scenario(None, "proper", 300), &["--max-turns", "2"], LIMIT);
    assert_eq!(out.code, 3, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "budget-limited");
    let prompts: Vec<String> = sandbox
        .entries_of("injection")
        .iter()
        .map(|e| e.data["prompt"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(prompts, vec!["start", "continuation", "budget_limit"]);
    let wrap_up = &sandbox.entries_of("injection")[2];
    assert!(
        wrap_up.data["text"]
            .as_str()
            .unwrap()
            .contains("turn limit has been reached")
    );
    assert_eq!(sandbox.entries_of("wrap_up_ended").len(), 1);
    let transitions = sandbox.entries_of("transition");
    assert_eq!(transitions.len(), 1);
    assert_eq!(transitions[0].data["to"], "budget-limited");
    assert_eq!(transitions[0].data["actor"], "runtime");
    let pid = sandbox.agent_pid();
    assert!(leftover_processes(pid).is_empty());
}

#[test]
fn the_token_budget_ends_budget_limited() {
    let sandbox = Sandbox::new();
    let out = sandbox.run_sim(
        &scenario(None, "proper", 300),
        &["--budget-tokens", "2k"],
        LIMIT,
    );
    assert_eq!(out.code, 3, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(
        goal.turns, 3,
        "two turns reach 2,000 tokens, then the wrap-up"
    );
    assert_eq!(goal.budget_tokens, Some(2000));
    let transitions = sandbox.entries_of("transition");
    assert!(
        transitions[0].data["reason"]
            .as_str()
            .unwrap()
            .contains("token limit")
    );
}

#[test]
fn an_agent_that_echoes_every_prompt_never_achieves() {
    let sandbox = Sandbox::new();
    let out = sandbox.run_sim(&scenario(None, "echo", 300), &["--max-turns", "3"], LIMIT);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(sandbox.entries_of("claim_seen").is_empty());
    assert!(sandbox.entries_of("claim").is_empty());
}

#[test]
fn an_agent_that_only_talks_about_the_claim_never_achieves() {
    let sandbox = Sandbox::new();
    let out = sandbox.run_sim(
        &scenario(Some(1), "mention", 300),
        &["--max-turns", "2"],
        LIMIT,
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert!(sandbox.entries_of("claim_seen").is_empty());
}

#[test]
fn an_agent_that_crashes_leaves_the_goal_paused() {
    let sandbox = Sandbox::new();
    let text = "name: crash\nstartup_ms: 100\nexit_after_turns: 1\nturns:\n  - work_ms: 300\n    reply: bye\n";
    let out = sandbox.run_sim(text, &[], LIMIT);
    assert_eq!(out.code, 5, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "paused");
    assert!(
        goal.end_reason
            .unwrap()
            .contains("the agent exited (exit code 1)")
    );
}

#[test]
fn sigterm_stops_the_agent_and_its_children_and_exits_143() {
    let sandbox = Sandbox::new();
    let scenario = sandbox.file("slow.yaml", &scenario(None, "proper", 600_000));
    // The agent leaves a child in its process group, as real agents do with shells.
    let adapter = sandbox.file(
        "wrapped.yaml",
        &format!(
            "name: wrapped\ncommand: sh\nargs: ['-c', 'sleep 600 & exec \"$0\" sim --scenario {}', '{{goalie}}']\nscreen:\n  busy: ['esc to interrupt']\n  idle: ['^› ']\ntiming:\n  quiet_ms: 500\n",
            scenario.display()
        ),
    );
    let adapter = adapter.to_string_lossy().to_string();
    let child = sandbox
        .command(&["run", "--adapter", &adapter, "Make the tests pass"])
        .spawn()
        .unwrap();
    let goalie_pid = child.id();
    assert!(
        eventually(LIMIT, || sandbox.db().exists()
            && sandbox
                .ledger()
                .goals()
                .map(|g| g.len() == 1)
                .unwrap_or(false)
            && !sandbox.entries_of("injection").is_empty()),
        "the first prompt was never typed"
    );
    let agent = sandbox.agent_pid();
    assert!(
        leftover_processes(agent).len() >= 2,
        "the agent and its sleeping child run"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(goalie_pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let out = support::finish(child, LIMIT);
    assert_eq!(out.code, 143, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "paused");
    let transitions = sandbox.entries_of("transition");
    assert_eq!(transitions[0].data["actor"], "user");
    assert!(
        eventually(Duration::from_secs(5), || leftover_processes(agent)
            .is_empty()),
        "left behind: {:?}",
        leftover_processes(agent)
    );
}

#[test]
fn the_demo_ends_achieved_and_with_max_turns_1_budget_limited() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["demo", "--headless"], LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(sandbox.goal().state.as_str(), "achieved");
    assert!(sandbox.goal().turns >= 3);

    let sandbox = Sandbox::new();
    let out = sandbox.run(&["demo", "--max-turns", "1"], LIMIT);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(sandbox.goal().state.as_str(), "budget-limited");
}

#[test]
fn a_priced_cost_limit_ends_budget_limited() {
    let sandbox = Sandbox::new();
    // $0.01 at $5 per million tokens buys 2,000 tokens: two sim turns of 1,000.
    let spec = sandbox.file(
        "goal.yaml",
        "objective: Make the tests pass\nverify: ['false']\nstop:\n  cost: 0.01\n  usd_per_million_tokens: 5\n",
    );
    let scenario = sandbox.file("scenario.yaml", &scenario(None, "proper", 300));
    let (spec, scenario) = (support::path_str(&spec), support::path_str(&scenario));
    let out = sandbox.run(
        &[
            "run",
            "--agent",
            "sim",
            "--goal",
            &spec,
            "--",
            "--scenario",
            &scenario,
        ],
        LIMIT,
    );
    assert_eq!(out.code, 3, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.budget_tokens, Some(2000));
    assert_eq!(
        goal.turns, 3,
        "two turns reach 2,000 tokens, then the wrap-up"
    );
}
