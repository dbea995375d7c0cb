//! The model-tool layer with the real agent CLIs: the fake model makes Codex,
//! Claude Code, opencode and gemini-cli call goalie's own MCP server (`goalie
//! mcp`, registered for the run only by the adapter: gemini-cli's through a
//! private home); the claim reaches the supervisor, goalie's audit runs the
//! goal's verify command for real, and the goal is achieved.
//! What the agent may not do (pause, clear) is refused and recorded.
//! Claim blocks carrying the turn's nonce, read from the screen, are the other
//! channel (aider's only one): the same audit decides.

use std::time::Duration;

use crate::support;
use crate::support::fake_model;
use fake_model::{BlockingFakeModel, Script, Step};
use serde_json::json;
use support::agents::{self, Agent};
use support::{Sandbox, path_str};

const LIMIT: Duration = Duration::from_secs(180);

const SPEC: &str = r#"objective: |
  Create the proof file:
  1. proof.txt holds the word hi
verify:
  - test "$(cat proof.txt)" = hi
stop:
  turns: 4
"#;

fn run(sandbox: &Sandbox, server: &BlockingFakeModel, agent: Agent) -> support::Outcome {
    let spec = sandbox.file("goal.yaml", SPEC);
    let spec = path_str(&spec);
    let mut args = vec![
        "run",
        "--headless",
        "--agent",
        agent.name(),
        "--goal",
        &spec,
        "--",
    ];
    args.extend_from_slice(agent.args());
    let mut cmd = agent.command(sandbox, &server.base_url(), &args);
    support::finish(cmd.spawn().expect("goalie"), LIMIT)
}

/// First turn: write the file, then claim completion through MCP with a checklist.
fn claiming_script() -> Script {
    Script::rule(|ctx| match (ctx.prompt_index, ctx.step) {
        (1, 0) => Step::shell("echo hi > proof.txt"),
        (1, 1) => Step::mcp(
            "goalie",
            "update_goal",
            json!({ "status": "complete",
                    "checklist": [{ "requirement": "R1", "evidence": "proof.txt holds hi (cat proof.txt)" }] }),
        ),
        _ => Step::text("I claimed completion through goalie's update_goal tool."),
    })
}

/// First turn: try to pause the goal through MCP, then just talk.
fn pausing_script() -> Script {
    Script::rule(|ctx| match (ctx.prompt_index, ctx.step) {
        (1, 0) => Step::mcp("goalie", "update_goal", json!({ "status": "paused" })),
        _ => Step::text("Working on it."),
    })
}

fn claim_through_mcp_is_audited_and_achieved(agent: Agent) {
    claim_through_mcp_in(agent, Sandbox::new());
}

/// The claim through MCP, in a sandbox of either backend.
fn claim_through_mcp_in(agent: Agent, sandbox: Sandbox) {
    let server = BlockingFakeModel::start(claiming_script()).expect("fake model");
    let out = run(&sandbox, &server, agent);
    assert_eq!(
        out.code,
        0,
        "{out:?}\n{}",
        fake_model::summarize(&server.requests())
    );
    assert_eq!(sandbox.goal().state.as_str(), "achieved");
    let claims = sandbox.entries_of("claim");
    assert_eq!(claims[0].data["channel"], "mcp", "{claims:?}");
    // The audit ran the verify command for real, in the workspace.
    let steps = sandbox.entries_of("audit_step");
    let verify = steps
        .iter()
        .find(|s| s.data.to_string().contains("cat proof.txt"))
        .unwrap_or_else(|| panic!("no verify step: {steps:?}"));
    assert!(verify.data.to_string().contains("pass"), "{verify:?}");
    assert_eq!(sandbox.entries_of("claim_accepted").len(), 1);
}

fn pausing_through_mcp_is_refused(agent: Agent) {
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(pausing_script()).expect("fake model");
    let out = run(&sandbox, &server, agent);
    assert_eq!(
        out.code,
        3,
        "{out:?}\n{}",
        fake_model::summarize(&server.requests())
    );
    let refused = sandbox.entries_of("mcp_refused");
    assert!(
        !refused.is_empty(),
        "{}",
        fake_model::summarize(&server.requests())
    );
    assert!(
        sandbox
            .entries_of("transition")
            .iter()
            .all(|t| t.data["to"] != "paused"),
        "the agent paused the goal"
    );
    if agent == Agent::Claude {
        // goalie mcp told the supervisor its tools were listed (and taken in:
        // the ping after them answered) before turn 1 began.
        let listed = sandbox.entries_of("mcp_tools_listed");
        let started = sandbox.entries_of("turn_started");
        assert_eq!(listed.len(), 1, "{out:?}");
        assert!(listed[0].seq < started[0].seq, "{listed:?} {started:?}");
        assert!(sandbox.entries_of("mcp_tools_unlisted").is_empty());
    }
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_claims_through_mcp_and_the_audit_passes() {
    agents::require("codex");
    claim_through_mcp_is_audited_and_achieved(Agent::Codex);
}

/// Codex's `goalie mcp` is registered with `--db postgres://…`: the claim it
/// makes reaches the supervisor through a PostgreSQL ledger (scripts/test
/// runs it when Codex is installed and it has a PostgreSQL, GOALIE_TEST_PG).
#[test]
#[ignore = "a real agent CLI and PostgreSQL: scripts/test runs it when both are there"]
fn codex_claims_through_mcp_into_a_postgres_ledger_and_the_audit_passes() {
    agents::require("codex");
    claim_through_mcp_in(Agent::Codex, Sandbox::postgres());
}

/// The same for Claude: its `goalie mcp` gets the URL without its password
/// and the password in `PGPASSWORD`, which claude passes on to it.
#[test]
#[ignore = "a real agent CLI and PostgreSQL: scripts/test runs it when both are there"]
fn claude_claims_through_mcp_into_a_postgres_ledger_and_the_audit_passes() {
    agents::require("claude");
    claim_through_mcp_in(Agent::Claude, Sandbox::postgres());
}

/// The same for Opencode: its `goalie mcp` gets the URL without its password
/// and the password in `PGPASSWORD`, which opencode passes on to it.
#[test]
#[ignore = "a real agent CLI and PostgreSQL: scripts/test runs it when both are there"]
fn opencode_claims_through_mcp_into_a_postgres_ledger_and_the_audit_passes() {
    agents::require("opencode");
    claim_through_mcp_in(Agent::Opencode, Sandbox::postgres());
}

/// The same for gemini-cli, which keeps variables named like secrets from
/// its MCP servers: its `goalie mcp` gets the password from the private
/// settings file goalie writes for the run (`env` of its server entry).
#[test]
#[ignore = "a real agent CLI and PostgreSQL: scripts/test runs it when both are there"]
fn gemini_claims_through_mcp_into_a_postgres_ledger_and_the_audit_passes() {
    agents::require("gemini");
    claim_through_mcp_in(Agent::Gemini, Sandbox::postgres());
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_cannot_pause_through_mcp() {
    agents::require("codex");
    pausing_through_mcp_is_refused(Agent::Codex);
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_claims_through_mcp_and_the_audit_passes() {
    agents::require("claude");
    claim_through_mcp_is_audited_and_achieved(Agent::Claude);
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_cannot_pause_through_mcp() {
    agents::require("claude");
    pausing_through_mcp_is_refused(Agent::Claude);
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn gemini_claims_through_mcp_and_the_audit_passes() {
    agents::require("gemini");
    claim_through_mcp_is_audited_and_achieved(Agent::Gemini);
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn gemini_cannot_pause_through_mcp() {
    agents::require("gemini");
    pausing_through_mcp_is_refused(Agent::Gemini);
}

/// gemini-cli asks before it runs a tool (no `--yolo` here): goalie's own two
/// are trusted for the run, so its claim needs no answer, and the person's
/// allowlist of MCP servers lets goalie's in for the run; their settings are
/// the same after the run, and the private home is gone.
#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn gemini_calls_goalies_tools_without_asking_and_its_settings_are_untouched() {
    agents::require("gemini");
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.workdir().join("proof.txt"), "hi\n").unwrap();
    let server = BlockingFakeModel::start(Script::rule(|ctx| match (ctx.prompt_index, ctx.step) {
        (1, 0) => Step::mcp("goalie", "get_goal", json!({})),
        (1, 1) => Step::mcp(
            "goalie",
            "update_goal",
            json!({ "status": "complete",
                    "checklist": [{ "requirement": "R1", "evidence": "proof.txt holds hi" }] }),
        ),
        _ => Step::text("Claimed."),
    }))
    .expect("fake model");
    let spec = sandbox.file("goal.yaml", SPEC);
    let spec = path_str(&spec);
    let args = ["run", "--headless", "--agent", "gemini", "--goal", &spec];
    let mut cmd = Agent::Gemini.command(&sandbox, &server.base_url(), &args);
    // The person keeps an allowlist of MCP servers, without goalie in it.
    let settings = sandbox.dir.path().join("gemini-home/.gemini/settings.json");
    let mut theirs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    theirs["mcp"] = json!({ "allowed": ["theirs"] });
    std::fs::write(&settings, theirs.to_string()).unwrap();
    let before = std::fs::read_to_string(&settings).unwrap();
    let out = support::finish(cmd.spawn().expect("goalie"), LIMIT);
    let requests = fake_model::summarize(&server.requests());
    assert_eq!(out.code, 0, "{out:?}\n{requests}");
    assert_eq!(sandbox.entries_of("claim")[0].data["channel"], "mcp");
    assert!(sandbox.entries_of("dialog_answered").is_empty());
    assert!(sandbox.entries_of("dialog_escalated").is_empty());
    // The model saw goalie's tools under gemini's names, and get_goal answered.
    let first = &server.turn_requests()[0];
    assert!(
        first.body.to_string().contains("mcp_goalie_update_goal"),
        "{requests}"
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.body.to_string().contains("objective")
                && r.body.to_string().contains("functionResponse")),
        "{requests}"
    );
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), before);
    let left: Vec<_> = std::fs::read_dir(sandbox.runtime_dir().join("goalie"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Its chats went to the person's own folder.
    assert!(sandbox.dir.path().join("gemini-home/.gemini/tmp").is_dir());
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn opencode_claims_through_mcp_and_the_audit_passes() {
    agents::require("opencode");
    claim_through_mcp_is_audited_and_achieved(Agent::Opencode);
}

/// The person's own inline config (here the only one naming the model's
/// provider) is kept: goalie's registration is added to it, not put in its place.
#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn opencode_keeps_the_persons_inline_config() {
    agents::require("opencode");
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(claiming_script()).expect("fake model");
    let spec = sandbox.file("goal.yaml", SPEC);
    let spec = path_str(&spec);
    let args = ["run", "--headless", "--agent", "opencode", "--goal", &spec];
    let mut cmd = Agent::Opencode.command(&sandbox, &server.base_url(), &args);
    let file = sandbox.workdir().join("opencode.json");
    let config = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    cmd.env("OPENCODE_CONFIG_CONTENT", config);
    let out = support::finish(cmd.spawn().expect("goalie"), LIMIT);
    assert_eq!(
        out.code,
        0,
        "{out:?}\n{}",
        fake_model::summarize(&server.requests())
    );
    assert_eq!(sandbox.entries_of("claim")[0].data["channel"], "mcp");
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn opencode_cannot_pause_through_mcp() {
    agents::require("opencode");
    pausing_through_mcp_is_refused(Agent::Opencode);
}

/// A model that repeats every prompt back verbatim: the prompts describe the
/// claim block but never contain a valid one, so nothing it says is a claim.
fn parroting_model_never_achieves(agent: Agent) {
    let sandbox = Sandbox::new();
    let server =
        BlockingFakeModel::start(Script::rule(|ctx| Step::text(ctx.user_text.to_string())))
            .expect("fake model");
    let out = run(&sandbox, &server, agent);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(sandbox.goal().state.as_str(), "budget-limited");
    assert!(sandbox.entries_of("claim_seen").is_empty());
    assert!(sandbox.entries_of("claim").is_empty());
    // The model really did echo goalie's prompts back.
    let echoed = server
        .turn_requests()
        .iter()
        .filter(|r| r.reply.contains("claim nonce"))
        .count();
    assert!(echoed >= 3, "{}", fake_model::summarize(&server.requests()));
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_with_a_parroting_model_never_achieves() {
    agents::require("codex");
    parroting_model_never_achieves(Agent::Codex);
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn gemini_with_a_parroting_model_never_achieves() {
    // The screen, where the echo is shown, is a claim channel too.
    agents::require("gemini");
    parroting_model_never_achieves(Agent::Gemini);
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_with_a_parroting_model_never_achieves() {
    agents::require("claude");
    parroting_model_never_achieves(Agent::Claude);
}

/// Evidence that cites a command the agent never ran is rejected; citing the
/// command it did run (its session log says so) passes.
fn evidence_must_cite_commands_really_run(agent: Agent) {
    let sandbox = Sandbox::new();
    let claim = |evidence: &str| {
        Step::mcp(
            "goalie",
            "update_goal",
            json!({ "status": "complete", "checklist": [{ "requirement": "R1", "evidence": evidence }] }),
        )
    };
    let first = claim("`ls -la proof.txt` lists it with the word hi");
    let second = claim("`echo hi > proof.txt` wrote it");
    let server = BlockingFakeModel::start(Script::rule(move |ctx| {
        match (ctx.prompt_index, ctx.step) {
            (1, 0) => Step::shell("echo hi > proof.txt"),
            (1, 1) => first.clone(),
            (2, 0) => second.clone(),
            _ => Step::text("Claimed."),
        }
    }))
    .expect("fake model");
    let out = run(&sandbox, &server, agent);
    assert_eq!(
        out.code,
        0,
        "{out:?}\n{}",
        fake_model::summarize(&server.requests())
    );
    let rejected = sandbox.entries_of("claim_rejected");
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert!(
        rejected[0]
            .data
            .to_string()
            .contains("cites `ls -la proof.txt`, which the agent never ran")
    );
    // The agent was told why, in the next prompt.
    let told = server
        .turn_requests()
        .iter()
        .any(|r| r.latest_user_text().contains("never ran in this goal"));
    assert!(told, "{}", fake_model::summarize(&server.requests()));
    assert_eq!(sandbox.goal().state.as_str(), "achieved");
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn codex_evidence_must_cite_commands_really_run() {
    agents::require("codex");
    evidence_must_cite_commands_really_run(Agent::Codex);
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn claude_evidence_must_cite_commands_really_run() {
    agents::require("claude");
    evidence_must_cite_commands_really_run(Agent::Claude);
}

/// This turn's claim nonce, as the prompt states it.
fn nonce_in(prompt: &str) -> Option<String> {
    let at = prompt.find("This turn's claim nonce: ")? + "This turn's claim nonce: ".len();
    prompt[at..].split_whitespace().next().map(str::to_string)
}

/// The first prompt's reply does the work (`work`); the next one ends with a
/// claim block carrying that turn's nonce.
fn claim_block_script(work: Step) -> Script {
    Script::rule(move |ctx| match (ctx.prompt_index, ctx.step) {
        (1, 0) => work.clone(),
        (1, _) => Step::text("The file is written."),
        _ => match nonce_in(ctx.user_text) {
            Some(nonce) => Step::text(format!(
                "All done.\n\nGOALIE-CLAIM {nonce} complete\nR1: proof.txt holds hi (cat proof.txt)\nGOALIE-END {nonce}\n"
            )),
            None => Step::text("No nonce in this prompt."),
        },
    })
}

fn claim_block_is_audited_and_achieved(agent: Agent, work: Step) {
    let sandbox = Sandbox::new();
    let server = BlockingFakeModel::start(claim_block_script(work)).expect("fake model");
    let out = run(&sandbox, &server, agent);
    assert_eq!(
        out.code,
        0,
        "{out:?}\n{}",
        fake_model::summarize(&server.requests())
    );
    assert_eq!(sandbox.goal().state.as_str(), "achieved");
    let claims = sandbox.entries_of("claim");
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert_eq!(claims[0].data["channel"], "screen", "{claims:?}");
    let steps = sandbox.entries_of("audit_step");
    assert!(
        steps
            .iter()
            .any(|s| s.data.to_string().contains("cat proof.txt")
                && s.data.to_string().contains("pass")),
        "{steps:?}"
    );
    // The prompts offer the MCP tool only to an agent that has it.
    let first = &server.turn_requests()[0];
    assert_eq!(
        first.latest_user_text().contains("update_goal"),
        agent == Agent::Gemini
    );
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn gemini_claims_with_a_claim_block_and_the_audit_passes() {
    agents::require("gemini");
    claim_block_is_audited_and_achieved(Agent::Gemini, Step::shell("echo hi > proof.txt"));
}

#[test]
#[ignore = "a real agent CLI: scripts/test runs it when installed"]
fn aider_claims_with_a_claim_block_and_the_audit_passes() {
    agents::require("aider");
    // A whole-file edit, which aider applies.
    let edit = Step::text("I will create the file.\n\nproof.txt\n```\nhi\n```\n");
    claim_block_is_audited_and_achieved(Agent::Aider, edit);
}
