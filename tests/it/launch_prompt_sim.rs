//! The first prompt on the agent's command line (an adapter's `prompt_args`),
//! with the simulated agent (`goalie sim --prompt`): turn 1 is the start
//! prompt, never typed, and the turns after it are typed as before.

use std::time::Duration;

use crate::support::{self, Sandbox, scenario};
use goalie::core::supervisor::ON_LAUNCH;

const LIMIT: Duration = Duration::from_secs(90);

#[test]
fn the_start_prompt_on_the_sims_command_line_is_turn_one_and_is_not_typed() {
    let sandbox = Sandbox::new();
    let sim = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/adapters/sim.yaml"))
        .expect("the sim's adapter");
    assert!(!sim.contains("prompt_args"));
    sandbox.user_adapter(
        "sim",
        &sim.replace(
            "args: [sim]\n",
            "args: [sim]\nprompt_args: ['--prompt={prompt}']\n",
        ),
    );
    let input_log = sandbox.dir.path().join("sim-input.log");
    let mut cmd = sandbox.sim_command(&scenario(Some(3), "proper", 400), &[]);
    cmd.env("GOALIE_SIM_INPUT_LOG", support::path_str(&input_log));
    let out = support::finish(cmd.spawn().expect("spawn goalie"), LIMIT);
    assert_eq!(out.code, 0, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "achieved");
    assert_eq!(goal.turns, 3);

    let injections = sandbox.entries_of("injection");
    let prompts: Vec<&str> = injections
        .iter()
        .map(|e| e.data["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(prompts, vec!["start", "continuation", "continuation"]);
    assert_eq!(injections[0].data["why"], ON_LAUNCH);
    assert_eq!(injections[0].data["turn"], 1);
    let start = injections[0].data["text"].as_str().unwrap();
    assert!(start.contains("<untrusted_objective>\nMake the tests pass\n</untrusted_objective>"));
    assert!(start.contains("This turn's claim nonce: "));
    assert_ne!(injections[1].data["why"], ON_LAUNCH);
    let started = sandbox.entries_of("turn_started");
    assert_eq!(started.len(), 3);
    assert_eq!(started[0].data["turn"], 1);
    assert_eq!(sandbox.entries_of("turn_ended").len(), 3);
    assert_eq!(sandbox.entries_of("agent_ready").len(), 1);
    // The row shows the arguments with the placeholder: the text is the injection's.
    let agent = &sandbox.entries_of("agent_started")[0];
    let args: Vec<&str> = agent.data["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args.last(), Some(&"--prompt={prompt}"), "{args:?}");
    // What reached the sim's terminal: the two continuations, typed; never the start prompt.
    let typed =
        String::from_utf8_lossy(&std::fs::read(&input_log).expect("the sim's input")).into_owned();
    assert_eq!(
        typed
            .matches("[goalie] Continue working on the goal.")
            .count(),
        2,
        "{typed}"
    );
    assert!(!typed.contains("You are working on one goal"), "{typed}");
    assert!(
        out.stdout
            .contains(&format!("turn 1: the objective prompt was {ON_LAUNCH}")),
        "{}",
        out.stdout
    );
}
