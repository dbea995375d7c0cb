use super::*;
use serde_json::json;

fn goal(state: GoalState, end_reason: Option<&str>) -> Goal {
    Goal {
        id: "g1".into(),
        objective: "fix it".into(),
        agent: "sim".into(),
        workdir: "/w".into(),
        state,
        claim_code: String::new(),
        max_turns: Some(3),
        max_time_ms: None,
        budget_tokens: None,
        turns: 3,
        tokens_used: 900,
        time_used_ms: 4000,
        created_at: "2026-01-02T10:00:00Z".into(),
        started_at: Some("2026-01-02T10:00:01Z".into()),
        ended_at: Some("2026-01-02T10:05:00Z".into()),
        end_reason: end_reason.map(String::from),
        supervisor_pid: None,
        supervisor_start: None,
        agent_pid: None,
        control_socket: None,
        host: None,
        heartbeat_at: None,
    }
}

fn rows(list: Vec<(&str, Value)>) -> Vec<Entry> {
    list.into_iter()
        .enumerate()
        .map(|(n, (kind, data))| Entry {
            seq: n as i64 + 1,
            goal_id: "g1".into(),
            at: format!("2026-01-02T10:00:{:02}Z", n),
            kind: kind.into(),
            data,
        })
        .collect()
}

fn turn(n: u32, prompt: &str, tokens: u64, reply: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "injection",
            json!({"turn": n, "prompt": prompt, "why": "w", "text": "x".repeat(10 * n as usize)}),
        ),
        ("turn_started", json!({"turn": n, "prompt": prompt})),
        (
            "turn_ended",
            json!({"turn": n, "prompt": prompt, "duration_ms": 1000 * n, "busy_seen": true,
                   "tokens_used": tokens, "context_used_pct": 10 * n, "reply": reply}),
        ),
    ]
}

#[test]
fn a_budget_limited_goal_reads_as_its_turns_claims_audits_and_wrap_up() {
    let mut list = turn(1, "start", 300, "working on it");
    list.push((
        "claim",
        json!({"turn": 1, "channel": "screen", "status": "complete",
               "checklist": [{"requirement": "R1", "evidence": "e"}]}),
    ));
    list.push(("audit_started", json!({"turn": 1, "channel": "screen"})));
    list.push((
        "audit_step",
        json!({"check": "verify", "subject": "cargo test", "passed": false,
               "detail": "exit 101", "exit_code": 101, "duration_ms": 5}),
    ));
    list.push((
        "audit_finished",
        json!({"passed": false, "steps": 1, "reasons": ["tests fail"]}),
    ));
    list.push((
        "claim_rejected",
        json!({"turn": 1, "reasons": ["tests fail"]}),
    ));
    list.extend(turn(2, "claim_rejected", 600, "fixed"));
    list.push((
        "compacted",
        json!({"compaction": 1, "source": "screen", "sources": ["screen"], "turn": 2,
               "during": "turn", "context_before": null, "context_after": null,
               "context_used_pct_before": null, "context_used_pct_after": null}),
    ));
    // Rows of kinds other branches add: they slot into their turn.
    list.push(("progress", json!({"turn": 2, "summary": "2 files changed"})));
    list.push(("turn_hung", json!({"turn": 2, "still_ms": 1})));
    list.push((
        "transition",
        json!({"from": "pursuing", "to": "budget-limited", "actor": "runtime",
               "reason": "the turn limit was reached"}),
    ));
    list.extend(turn(3, "budget_limit", 900, "Done: R1 is left."));
    let entries = rows(list);
    let goal = goal(
        GoalState::BudgetLimited,
        Some("the agent wrapped up after a limit was reached"),
    );
    let report = GoalReport::build(&goal, &entries, false);

    assert_eq!(report.schema_version, SCHEMA_VERSION);
    assert_eq!(report.summary.limit.as_deref(), Some("turn"));
    assert_eq!(report.summary.compactions, 1);
    assert_eq!(report.summary.claims.len(), 1);
    assert_eq!(report.summary.claims[0].fate, "rejected");
    assert_eq!(report.summary.claims[0].reasons, vec!["tests fail"]);
    let turns: Vec<_> = report
        .turns
        .iter()
        .map(|t| {
            (
                t.turn,
                t.prompt.as_deref().unwrap(),
                t.tokens,
                t.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        turns,
        vec![
            (1, "start", Some(300), "claim rejected"),
            (2, "claim_rejected", Some(300), "replied"),
            (3, "budget_limit", Some(300), "wrapped up"),
        ]
    );
    assert_eq!(report.turns[1].compactions, 1);
    assert_eq!(report.turns[1].progress.as_deref(), Some("2 files changed"));
    assert_eq!(report.turns[1].events, vec!["turn_hung"]);
    assert_eq!(report.turns[1].prompt_chars, Some(20));
    assert_eq!(report.turns[2].context_used_pct, Some(30));
    assert_eq!(report.audits.len(), 1);
    assert_eq!(report.audits[0].passed, Some(false));
    assert_eq!(report.audits[0].steps[0].exit_code, Some(101));
    assert_eq!(report.wrap_up.as_ref().unwrap().text, "Done: R1 is left.");
    assert_eq!(report.last_reply.as_ref().unwrap().turn, 3);
    assert!(report.rows.is_none());
    let json = serde_json::to_value(&report).unwrap();
    assert!(json.get("rows").is_none());
    assert_eq!(json["summary"]["state"], "budget-limited");
}

#[test]
fn an_accepted_claim_and_the_rows_when_asked_for() {
    let mut list = turn(1, "start", 0, "");
    list.push((
        "claim",
        json!({"turn": 1, "channel": "mcp", "status": "complete", "checklist": []}),
    ));
    list.push(("claim_accepted", json!({"turn": 1, "why": "ok"})));
    let entries = rows(list);
    let report = GoalReport::build(&goal(GoalState::Achieved, None), &entries, true);
    assert_eq!(report.summary.claims[0].fate, "accepted");
    assert_eq!(report.summary.limit, None);
    assert_eq!(report.turns[0].outcome, "claim accepted");
    // An empty reply is no reply.
    assert!(report.last_reply.is_none());
    assert_eq!(report.rows.as_ref().map(Vec::len), Some(entries.len()));
}

#[test]
fn limits_are_named_from_their_reason() {
    assert_eq!(
        limit_named("the token limit was reached").as_deref(),
        Some("token")
    );
    assert_eq!(
        limit_named("the time limit was reached").as_deref(),
        Some("time")
    );
    assert_eq!(limit_named("the agent wrapped up"), None);
    assert_eq!(
        limit_named("the quota limit was reached").as_deref(),
        Some("quota")
    );
}

#[test]
fn the_limit_is_said_with_its_figure_and_the_wrap_up_by_its_first_lines() {
    let mut list = vec![(
        "transition",
        json!({"from": "pursuing", "to": "budget-limited", "actor": "runtime",
               "reason": "the token limit was reached"}),
    )];
    list.extend(turn(
        1,
        "budget_limit",
        5,
        "\nSummary:\n\n- did A\n- left B\n- more",
    ));
    let mut goal = goal(GoalState::BudgetLimited, None);
    goal.budget_tokens = Some(200_000);
    let report = GoalReport::build(&goal, &rows(list), false);
    assert_eq!(
        report.limit_sentence().as_deref(),
        Some("the token limit (200,000 tokens)")
    );
    assert_eq!(
        report.wrap_up_head(3),
        vec!["Summary:", "- did A", "- left B"]
    );
}
