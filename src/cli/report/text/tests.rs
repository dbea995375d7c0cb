use super::*;
use crate::goal::lifecycle::GoalState;
use crate::ledger::Goal;
use serde_json::{Value, json};

fn entry(seq: i64, kind: &str, data: Value) -> Entry {
    Entry {
        seq,
        goal_id: "g1".into(),
        at: format!("2026-01-02T10:00:{seq:02}Z"),
        kind: kind.into(),
        data,
    }
}

#[test]
fn the_summary_leads_then_the_turns_the_audits_and_the_replies() {
    let entries = vec![
        entry(
            1,
            "injection",
            json!({"turn": 1, "prompt": "start", "why": "w", "text": "abc"}),
        ),
        entry(2, "turn_started", json!({"turn": 1, "prompt": "start"})),
        entry(
            3,
            "turn_ended",
            json!({"turn": 1, "prompt": "start", "duration_ms": 65000,
            "busy_seen": true, "tokens_used": 1500, "context_used_pct": 12, "reply": "first"}),
        ),
        entry(4, "audit_started", json!({"turn": 1, "channel": "screen"})),
        entry(
            5,
            "audit_step",
            json!({"check": "verify", "subject": "make", "passed": true,
            "detail": "`make` exited 0", "duration_ms": 3}),
        ),
        entry(
            6,
            "audit_finished",
            json!({"passed": true, "steps": 1, "reasons": []}),
        ),
        entry(
            7,
            "transition",
            json!({"from": "pursuing", "to": "budget-limited",
            "actor": "runtime", "reason": "the turn limit was reached"}),
        ),
        entry(
            8,
            "turn_ended",
            json!({"turn": 2, "prompt": "budget_limit", "duration_ms": 1000,
            "busy_seen": true, "tokens_used": 2000, "reply": "Wrapped:\n- a\n- b"}),
        ),
    ];
    let goal = Goal {
        id: "g1".into(),
        objective: "do\nthe thing".into(),
        agent: "sim".into(),
        workdir: "/w".into(),
        state: GoalState::BudgetLimited,
        claim_code: String::new(),
        max_turns: Some(1),
        max_time_ms: None,
        budget_tokens: None,
        turns: 2,
        tokens_used: 2000,
        time_used_ms: 66000,
        created_at: "2026-01-02T10:00:00Z".into(),
        started_at: Some("2026-01-02T10:00:00Z".into()),
        ended_at: Some("2026-01-02T10:01:06Z".into()),
        end_reason: Some("the agent wrapped up after a limit was reached".into()),
        supervisor_pid: None,
        supervisor_start: None,
        agent_pid: None,
        control_socket: None,
        host: None,
        heartbeat_at: None,
    };
    let report = GoalReport::build(&goal, &entries, false);
    let text = lines_in(&report, &entries, false, &TimeZone::UTC).join("\n");
    let expected = "\
goal g1  budget-limited
  objective  do the thing
  agent      sim in /w
  started    2026-01-02 10:00:00 +00:00  ended 2026-01-02 10:01:06 +00:00
  ended      the agent wrapped up after a limit was reached
  limit      the turn limit (1 turn) was reached
  used       2 turns of 1 · 2,000 tokens · 1m 6s
  context    compactions 0 · goal restored 0 · rotations 0 (0 agent processes)
  claims     none

 turn  prompt                time    tokens context  progress                 outcome
    1  start                1m 5s     1,500     12%  -                        replied
    2  budget_limit            1s       500       -  -                        wrapped up

claims, audits and state changes
10:00:04  audit     of the claim of turn 1
                    pass  verify    `make` exited 0
10:00:06  audit     passed (1 checks)
10:00:07  state     pursuing -> budget-limited by runtime: the turn limit was reached

the wrap-up reply (turn 2)
  > Wrapped:
  > - a
  > - b";
    assert_eq!(text, expected);
    // The rows only when asked for.
    assert!(!text.contains("turn_started"));
    let with_rows = lines_in(&report, &entries, true, &TimeZone::UTC).join("\n");
    assert!(with_rows.contains("rows (times +00:00)"), "{with_rows}");
    assert!(with_rows.contains("10:00:02  turn_started"), "{with_rows}");
}
