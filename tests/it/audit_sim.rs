//! Claims are audited, not trusted: the real binary drives the simulated agent
//! with a goal spec, and goalie runs the verify commands and checks protected
//! files itself.

use std::time::Duration;

use crate::support;
use support::{Sandbox, path_str};

const LIMIT: Duration = Duration::from_secs(120);

/// Runs `goalie run --agent sim --goal SPEC -- --scenario SCENARIO`.
fn run(sandbox: &Sandbox, spec: &str, scenario: &str, extra: &[&str]) -> support::Outcome {
    let spec = path_str(&sandbox.file("goal.yaml", spec));
    let scenario = path_str(&sandbox.file("scenario.yaml", scenario));
    let mut args = vec!["run", "--agent", "sim", "--goal", &spec];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", "--scenario", &scenario]);
    sandbox.run(&args, LIMIT)
}

const SCENARIO_HEAD: &str = "name: audit\nstartup_ms: 100\ncursor_query_timeout_ms: 60000\n";

#[test]
fn a_premature_claim_is_rejected_with_reasons_and_a_later_true_one_is_achieved() {
    let sandbox = Sandbox::new();
    let spec = "objective: |\n  Make the build pass:\n  1. the fix file exists\nverify:\n  - test -f fixed.txt && echo verified\nevidence:\n  - the file that shows it\nstop:\n  turns: 6\n";
    // Turn 1 claims before any work; turn 2 does the work (creates `fixed`) and claims again.
    let scenario = format!(
        "{SCENARIO_HEAD}claim_after_turns: 1\nevidence: \"see `fixed.txt`\"\nturns:\n  - work_ms: 300\n    reply: Everything is done.\n  - work_ms: 300\n    reply: Created the fix.\n    run: touch fixed.txt\n"
    );
    let out = run(&sandbox, spec, &scenario, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "achieved");
    assert_eq!(goal.turns, 2);

    // The first claim: audited, rejected, recorded with its reasons.
    let claims = sandbox.entries_of("claim");
    assert_eq!(claims.len(), 2);
    assert_eq!(claims[0].data["channel"], "screen");
    assert_eq!(claims[0].data["checklist"][0]["requirement"], "R1");
    let rejected = sandbox.entries_of("claim_rejected");
    assert_eq!(rejected.len(), 1);
    let reasons = rejected[0].data["reasons"].as_array().unwrap();
    assert!(
        reasons.iter().any(|r| r
            .as_str()
            .unwrap()
            .starts_with("`test -f fixed.txt && echo verified` exited with status 1")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r
            .as_str()
            .unwrap()
            .contains("names `fixed.txt`, which does not exist")),
        "{reasons:?}"
    );
    // The agent was told why: the next injection is the claim-rejected prompt with those reasons.
    let injections = sandbox.entries_of("injection");
    let prompts: Vec<&str> = injections
        .iter()
        .map(|e| e.data["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(prompts, vec!["start", "claim_rejected"]);
    let told = injections[1].data["text"].as_str().unwrap();
    assert!(
        told.starts_with("[goalie] Your completion claim was checked and rejected"),
        "{told}"
    );
    assert!(
        told.contains("- `test -f fixed.txt && echo verified` exited with status 1"),
        "{told}"
    );

    // The second claim passed every step; the verify command really ran, its output kept.
    let finished = sandbox.entries_of("audit_finished");
    assert_eq!(finished.len(), 2);
    assert_eq!(finished[0].data["passed"], false);
    assert_eq!(finished[1].data["passed"], true);
    let verified: Vec<_> = sandbox
        .entries_of("audit_step")
        .into_iter()
        .filter(|s| s.data["check"] == "verify")
        .collect();
    assert_eq!(verified.len(), 2);
    assert_eq!(verified[1].data["passed"], true);
    assert_eq!(verified[1].data["output"], "verified\n");
    assert_eq!(sandbox.entries_of("claim_accepted").len(), 1);
    assert!(
        out.stdout
            .contains("achieved: the agent claimed completion in turn 2 and goalie's audit passed"),
        "{}",
        out.stdout
    );

    // `goalie report` shows each claim, each audit step and its outcome.
    let report = sandbox.run(&["report"], LIMIT);
    assert_eq!(report.code, 0, "{report:?}");
    let text = report.stdout;
    for expected in [
        "claim     turn 1 via screen: complete",
        "R1: see `fixed.txt`",
        "FAIL  verify    `test -f fixed.txt && echo verified` exited with status 1 (no output)",
        "FAIL  evidence  the evidence for `R1` names `fixed.txt`, which does not exist in the workspace",
        "pass  checklist R1 is covered",
        "audit     failed (",
        "rejected  the claim of turn 1",
        "pass  verify    `test -f fixed.txt && echo verified` passed",
        "audit     passed (",
        "accepted  the claim of turn 2",
        "state     pursuing -> achieved by agent",
    ] {
        assert!(text.contains(expected), "{expected}\n---\n{text}");
    }
}

#[test]
fn a_claim_after_the_agent_edited_a_protected_test_is_rejected() {
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.workdir().join("tests")).unwrap();
    std::fs::write(
        sandbox.workdir().join("tests/spec.txt"),
        "the definition of done\n",
    )
    .unwrap();
    let spec = "objective: Make `true` pass without touching tests/\nverify: ['true']\nprotect: [tests]\nstop:\n  turns: 2\n";
    let scenario = format!(
        "{SCENARIO_HEAD}claim_after_turns: 1\nturns:\n  - work_ms: 300\n    reply: Relaxed the test so it passes.\n    run: echo 'anything goes' > tests/spec.txt\n"
    );
    let out = run(&sandbox, spec, &scenario, &[]);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(sandbox.goal().state.as_str(), "budget-limited");
    let baseline = sandbox.entries_of("protect_baseline");
    assert!(
        baseline[0].data["paths"]["tests"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let rejected = sandbox.entries_of("claim_rejected");
    assert!(!rejected.is_empty());
    let reason = rejected[0].data["reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with("the protected path `tests` changed since the goal started"),
        "{reason}"
    );
    assert!(sandbox.entries_of("claim_accepted").is_empty());
    assert!(
        sandbox
            .entries_of("audit_step")
            .iter()
            .any(|s| s.data["check"] == "verify" && s.data["passed"] == true),
        "verify passed; the protected file alone rejects the claim"
    );
}

#[test]
fn the_same_blocker_three_turns_running_ends_unmet() {
    let sandbox = Sandbox::new();
    let spec =
        "objective: Deploy with `make deploy`\nverify: ['make deploy']\nstop:\n  turns: 10\n";
    let scenario = format!(
        "{SCENARIO_HEAD}claim_after_turns: 1\nclaim_mode: blocked\nblocked_reason: the deploy key is missing\nturns:\n  - work_ms: 300\n    reply: I cannot deploy.\n"
    );
    let out = run(&sandbox, spec, &scenario, &[]);
    assert_eq!(out.code, 4, "{out:?}");
    let goal = sandbox.goal();
    assert_eq!(goal.state.as_str(), "unmet");
    assert_eq!(goal.turns, 3);
    let claims = sandbox.entries_of("claim");
    let counts: Vec<u64> = claims
        .iter()
        .map(|c| c.data["consecutive"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, vec![1, 2, 3]);
    assert_eq!(claims[0].data["reason"], "the deploy key is missing");
    assert!(sandbox.entries_of("audit_started").is_empty());
    let transition = &sandbox.entries_of("transition")[0];
    assert_eq!(transition.data["to"], "unmet");
    assert_eq!(transition.data["actor"], "agent");
}

#[test]
fn forged_claims_are_never_accepted() {
    // Each forgery mode of the sim, with a verify command that would pass:
    // nothing may even reach the audit.
    for mode in ["echo", "mention", "stale", "display"] {
        let sandbox = Sandbox::new();
        let spec = "objective: Make `true` pass\nverify: ['true']\nstop:\n  turns: 2\n";
        let scenario = format!(
            "{SCENARIO_HEAD}claim_after_turns: 1\nclaim_mode: {mode}\nturns:\n  - work_ms: 300\n    reply: Done, I think.\n"
        );
        let out = run(&sandbox, spec, &scenario, &[]);
        assert_eq!(out.code, 3, "{mode}: {out:?}");
        assert_eq!(sandbox.goal().state.as_str(), "budget-limited", "{mode}");
        assert!(sandbox.entries_of("claim_seen").is_empty(), "{mode}");
        assert!(sandbox.entries_of("audit_started").is_empty(), "{mode}");
    }
}
