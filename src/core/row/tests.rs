use crate::core::quota::QuotaWindow;
use crate::core::wait::WaitCause;
use crate::goal::wait::{WaitEnd, WaitFor, WaitOptions};
use std::collections::BTreeSet;

use serde_json::json;
use strum::IntoEnumIterator;

use super::*;
use crate::core::compaction::{During, Source};
use crate::goal::claim::ChecklistItem;

/// `row` is stored as `kind` and `data`, exactly the JSON the writers of
/// each kind wrote before rows were typed, and reads back as itself.
fn pin(row: Row, kind: &str, data: Value) -> String {
    assert_eq!(row.kind(), kind);
    assert_eq!(row.data(), data, "the data of a `{kind}` row");
    assert_eq!(
        Row::from_parts(kind, data.clone()),
        row,
        "`{kind}` read back"
    );
    // As hooks and `goalie watch` show it.
    assert_eq!(
        serde_json::to_value(&row).unwrap(),
        json!({ "kind": kind, "data": data })
    );
    kind.to_string()
}

fn checklist() -> Vec<ChecklistItem> {
    vec![ChecklistItem {
        requirement: "R1".into(),
        evidence: "tests/a.rs passes".into(),
    }]
}

fn limits() -> Limits {
    Limits {
        max_turns: Some(5),
        max_time_ms: None,
        budget_tokens: Some(1000),
    }
}

fn the_goal_and_its_runs() -> Vec<String> {
    vec![
        pin(
            Row::GoalCreated {
                objective: "ship it".into(),
                agent: "codex".into(),
                adapter: "/cfg/adapters/codex.yaml".into(),
                workdir: "/w".into(),
                limits: limits(),
                agent_args: vec!["--model".into(), "m".into()],
                dialog_policies: BTreeMap::from([("trust".into(), DialogPolicy::Accept)]),
                mode: Mode::Headless,
                rotation: Rotation::At(80),
                waits: WaitOptions {
                    max_wait_ms: 7_200_000,
                    max_quota_pct: Some(80),
                },
                stall_turns: None,
                turn_timeout_ms: None,
            },
            "goal_created",
            json!({ "objective": "ship it", "agent": "codex",
                    "adapter": "/cfg/adapters/codex.yaml", "workdir": "/w",
                    "limits": { "max_turns": 5, "max_time_ms": null, "budget_tokens": 1000 },
                    "agent_args": ["--model", "m"], "dialog_policies": { "trust": "accept" },
                    "mode": "headless", "rotation": { "at_pct": 80 },
                    "waits": { "max_wait_ms": 7_200_000, "max_quota_pct": 80 } }),
        ),
        pin(
            Row::Resumed {
                agent: "sim".into(),
                agent_args: vec![],
                dialog_policies: BTreeMap::new(),
                conversation: Conversation::Resumed,
                prior: Progress {
                    turns: 3,
                    tokens_used: 1200,
                    time_used_ms: 60_000,
                },
                mode: Mode::Interactive,
            },
            "resumed",
            json!({ "agent": "sim", "agent_args": [], "dialog_policies": {},
                    "conversation": "resumed",
                    "prior": { "turns": 3, "tokens_used": 1200, "time_used_ms": 60_000 },
                    "mode": "interactive" }),
        ),
        pin(
            Row::ProtectBaseline {
                paths: BTreeMap::from([("tests".into(), "sha256:ab".into())]),
            },
            "protect_baseline",
            json!({ "paths": { "tests": "sha256:ab" } }),
        ),
        pin(
            Row::McpRegistrationFailed { error: "e".into() },
            "mcp_registration_failed",
            json!({ "error": "e" }),
        ),
        pin(
            Row::ControlSocketFailed { error: "e".into() },
            "control_socket_failed",
            json!({ "error": "e" }),
        ),
        pin(
            Row::AgentFailedToStart {
                error: "no such file".into(),
                process: None,
            },
            "agent_failed_to_start",
            json!({ "error": "no such file" }),
        ),
        pin(
            Row::AgentFailedToStart {
                error: "no such file".into(),
                process: Some(2),
            },
            "agent_failed_to_start",
            json!({ "error": "no such file", "process": 2 }),
        ),
        pin(
            Row::AgentStarted {
                pid: 42,
                program: "/bin/sim".into(),
                args: vec!["-x".into()],
                rows: 24,
                cols: 80,
                process: 1,
                reason: None,
            },
            "agent_started",
            json!({ "pid": 42, "program": "/bin/sim", "args": ["-x"], "rows": 24, "cols": 80,
                    "process": 1 }),
        ),
        pin(
            Row::AgentStarted {
                pid: 43,
                program: "/bin/sim".into(),
                args: vec![],
                rows: 24,
                cols: 80,
                process: 2,
                reason: Some("--fresh".into()),
            },
            "agent_started",
            json!({ "pid": 43, "program": "/bin/sim", "args": [], "rows": 24, "cols": 80,
                    "process": 2, "reason": "--fresh" }),
        ),
        pin(
            Row::AgentReady { process: 2 },
            "agent_ready",
            json!({ "process": 2 }),
        ),
        pin(
            Row::AgentExited {
                status: "exit status 1".into(),
            },
            "agent_exited",
            json!({ "status": "exit status 1" }),
        ),
        pin(
            Row::AgentEnded {
                process: 1,
                status: None,
                reason: "rotation".into(),
            },
            "agent_ended",
            json!({ "process": 1, "status": null, "reason": "rotation" }),
        ),
        pin(
            Row::SessionLog {
                path: "/h/s.jsonl".into(),
                session_id: None,
            },
            "session_log",
            json!({ "path": "/h/s.jsonl", "session_id": null }),
        ),
        pin(
            Row::HomeSettled {
                moved_back: vec!["/h/.codex/x".into()],
                kept_beside: vec![],
                failed: vec!["y: denied".into()],
            },
            "home_settled",
            json!({ "moved_back": ["/h/.codex/x"], "kept_beside": [], "failed": ["y: denied"] }),
        ),
        pin(
            Row::Recording {
                process: 2,
                path: "/s/goalie/recordings/7jpe-2.cast".into(),
            },
            "recording",
            json!({ "process": 2, "path": "/s/goalie/recordings/7jpe-2.cast" }),
        ),
        pin(
            Row::InternalError { error: "e".into() },
            "internal_error",
            json!({ "error": "e" }),
        ),
        pin(
            Row::Stopped {
                reason: "achieved".into(),
                exit_code: 0,
                agent_status: Some("exit status 0".into()),
                screen_resets: 2,
                session_log_work: None,
                supervisor_work: None,
            },
            "stopped",
            json!({ "reason": "achieved", "exit_code": 0, "agent_status": "exit status 0",
                    "screen_resets": 2 }),
        ),
    ]
}

fn turns() -> Vec<String> {
    let shown = |seen| ErrorShown {
        seen,
        turn: 4,
        during_turn: true,
    };
    vec![
        pin(
            Row::Injection {
                turn: 1,
                prompt: PromptKind::Start,
                why: "the goal starts".into(),
                text: "Goal: ship it".into(),
            },
            "injection",
            json!({ "turn": 1, "prompt": "start", "why": "the goal starts",
                    "text": "Goal: ship it" }),
        ),
        pin(
            Row::TurnStarted {
                turn: 1,
                prompt: PromptKind::AfterCompaction,
            },
            "turn_started",
            json!({ "turn": 1, "prompt": "after_compaction" }),
        ),
        pin(
            Row::TurnSignal {
                source: "codex-notify".into(),
                turn: 2,
                counted: true,
                data: json!({ "type": "agent-turn-complete" }),
            },
            "turn_signal",
            json!({ "source": "codex-notify", "turn": 2, "counted": true,
                    "data": { "type": "agent-turn-complete" } }),
        ),
        pin(
            Row::TurnEnded {
                turn: 2,
                prompt: PromptKind::Continuation,
                duration_ms: 1500,
                busy_seen: true,
                done_seen: false,
                signalled: true,
                signalled_by: Some("hook".into()),
                error: Some(TurnError::UsageLimit),
                tokens_used: 900,
                context_used_pct: Some(40),
                reply: Some("done".into()),
            },
            "turn_ended",
            json!({ "turn": 2, "prompt": "continuation", "duration_ms": 1500,
                    "busy_seen": true, "done_seen": false, "signalled": true,
                    "signalled_by": "hook", "error": "usage_limit", "tokens_used": 900,
                    "context_used_pct": 40, "reply": "done" }),
        ),
        pin(
            Row::TurnEnded {
                turn: 3,
                prompt: PromptKind::BudgetLimit,
                duration_ms: 0,
                busy_seen: false,
                done_seen: true,
                signalled: false,
                signalled_by: None,
                error: None,
                tokens_used: 0,
                context_used_pct: None,
                reply: None,
            },
            "turn_ended",
            json!({ "turn": 3, "prompt": "budget_limit", "duration_ms": 0,
                    "busy_seen": false, "done_seen": true, "signalled": false,
                    "signalled_by": null, "error": null, "tokens_used": 0,
                    "context_used_pct": null, "reply": null }),
        ),
        pin(
            Row::Tokens {
                used: 900,
                source: "screen".into(),
                after_stop: false,
            },
            "tokens",
            json!({ "used": 900, "source": "screen" }),
        ),
        pin(
            Row::Tokens {
                used: 950,
                source: "session_log".into(),
                after_stop: true,
            },
            "tokens",
            json!({ "used": 950, "source": "session_log", "after_stop": true }),
        ),
        pin(
            Row::UsageLimitShown(shown(ShownIn::Screen)),
            "usage_limit_shown",
            json!({ "source": "screen", "turn": 4, "during_turn": true }),
        ),
        pin(
            Row::ApiErrorShown(shown(ShownIn::SessionLog {
                status: None,
                message: "overloaded".into(),
            })),
            "api_error_shown",
            json!({ "source": "session_log", "turn": 4, "during_turn": true, "status": null,
                    "message": "overloaded" }),
        ),
        pin(
            Row::UsageLimitShown(shown(ShownIn::SessionLog {
                status: Some(429),
                message: "slow down".into(),
            })),
            "usage_limit_shown",
            json!({ "source": "session_log", "turn": 4, "during_turn": true, "status": 429,
                    "message": "slow down" }),
        ),
        pin(
            Row::ErrorBackoff {
                turn: 4,
                error: TurnError::ApiError,
                consecutive: 2,
                wait_ms: 30_000,
                until_reset: None,
                after_restart: false,
            },
            "error_backoff",
            json!({ "turn": 4, "error": "api_error", "consecutive": 2, "wait_ms": 30_000 }),
        ),
        pin(
            Row::ErrorBackoff {
                turn: 4,
                error: TurnError::UsageLimit,
                consecutive: 1,
                wait_ms: 3_600_000,
                until_reset: Some("try again at 3:00 PM".into()),
                after_restart: true,
            },
            "error_backoff",
            json!({ "turn": 4, "error": "usage_limit", "consecutive": 1, "wait_ms": 3_600_000,
                    "until_reset": "try again at 3:00 PM", "after_restart": true }),
        ),
        pin(
            Row::ErrorTurnsPaused {
                turn: 9,
                error: TurnError::ApiError,
                consecutive: 5,
            },
            "error_turns_paused",
            json!({ "turn": 9, "error": "api_error", "consecutive": 5 }),
        ),
        pin(
            Row::WrapUpEnded { turn: 5 },
            "wrap_up_ended",
            json!({ "turn": 5 }),
        ),
        pin(
            Row::WrapUpTimeout { waited_ms: 600_000 },
            "wrap_up_timeout",
            json!({ "waited_ms": 600_000 }),
        ),
    ]
}

fn claims_and_audits() -> Vec<String> {
    let complete = Claim::Complete {
        checklist: checklist(),
    };
    let blocked = Claim::Blocked {
        reason: "no key".into(),
    };
    vec![
        pin(
            Row::ClaimSeen {
                channel: Channel::Screen,
                turn: 2,
                status: "complete".into(),
            },
            "claim_seen",
            json!({ "channel": "screen", "turn": 2, "status": "complete" }),
        ),
        pin(
            Row::ClaimSubmitted {
                channel: Channel::Mcp,
                claim: blocked.clone(),
            },
            "claim_submitted",
            json!({ "channel": "mcp", "claim": { "status": "blocked", "reason": "no key" } }),
        ),
        pin(
            Row::ClaimMalformed {
                error: "row 5: …".into(),
            },
            "claim_malformed",
            json!({ "error": "row 5: …" }),
        ),
        pin(
            Row::Claim {
                channel: Channel::Screen,
                turn: 2,
                claim: complete.clone(),
                consecutive: None,
            },
            "claim",
            json!({ "channel": "screen", "turn": 2, "status": "complete",
                    "checklist": [{ "requirement": "R1", "evidence": "tests/a.rs passes" }] }),
        ),
        pin(
            Row::Claim {
                channel: Channel::Mcp,
                turn: 3,
                claim: blocked.clone(),
                consecutive: Some(2),
            },
            "claim",
            json!({ "channel": "mcp", "turn": 3, "status": "blocked", "reason": "no key",
                    "consecutive": 2 }),
        ),
        pin(
            Row::ClaimIgnored {
                channel: Channel::Screen,
                turn: 3,
                claim: complete,
                why: "the goal was paused when the turn ended".into(),
            },
            "claim_ignored",
            json!({ "channel": "screen", "turn": 3,
                    "claim": { "status": "complete",
                               "checklist": [{ "requirement": "R1",
                                               "evidence": "tests/a.rs passes" }] },
                    "why": "the goal was paused when the turn ended" }),
        ),
        pin(
            Row::AuditStarted {
                turn: 2,
                channel: Channel::Mcp,
            },
            "audit_started",
            json!({ "turn": 2, "channel": "mcp" }),
        ),
        pin(
            Row::AuditStep {
                check: "verify".into(),
                subject: "cargo test".into(),
                passed: false,
                detail: "`cargo test` exited with status 101".into(),
                output: Some("boom".into()),
                exit_code: Some(101),
                duration_ms: 40,
            },
            "audit_step",
            json!({ "check": "verify", "subject": "cargo test", "passed": false,
                    "detail": "`cargo test` exited with status 101", "output": "boom",
                    "exit_code": 101, "duration_ms": 40 }),
        ),
        pin(
            Row::AuditStep {
                check: "protect".into(),
                subject: "tests".into(),
                passed: true,
                detail: "`tests` is unchanged".into(),
                output: None,
                exit_code: None,
                duration_ms: 0,
            },
            "audit_step",
            json!({ "check": "protect", "subject": "tests", "passed": true,
                    "detail": "`tests` is unchanged", "duration_ms": 0 }),
        ),
        pin(
            Row::AuditFinished {
                passed: false,
                steps: 3,
                reasons: vec!["R2 has no evidence".into()],
            },
            "audit_finished",
            json!({ "passed": false, "steps": 3, "reasons": ["R2 has no evidence"] }),
        ),
        pin(
            Row::ClaimAccepted {
                turn: 2,
                why: "every audit step passed".into(),
            },
            "claim_accepted",
            json!({ "turn": 2, "why": "every audit step passed" }),
        ),
        pin(
            Row::ClaimNotAccepted {
                turn: 2,
                why: "the goal is paused now".into(),
            },
            "claim_not_accepted",
            json!({ "turn": 2, "why": "the goal is paused now" }),
        ),
        pin(
            Row::ClaimRejected {
                turn: 2,
                reasons: vec!["one".into(), "two".into()],
            },
            "claim_rejected",
            json!({ "turn": 2, "reasons": ["one", "two"] }),
        ),
        pin(
            Row::McpRefused {
                tool: "update_goal".into(),
                arguments: serde_json::Map::from_iter([("status".into(), json!("paused"))]),
                why: "status `paused` is refused".into(),
            },
            "mcp_refused",
            json!({ "tool": "update_goal", "arguments": { "status": "paused" },
                    "why": "status `paused` is refused" }),
        ),
    ]
}

fn state_screen_and_context() -> Vec<String> {
    vec![
        pin(
            Row::Transition {
                from: GoalState::Pursuing,
                to: GoalState::BudgetLimited,
                actor: Actor::Runtime,
                reason: "the turn limit was reached".into(),
            },
            "transition",
            json!({ "from": "pursuing", "to": "budget-limited", "actor": "runtime",
                    "reason": "the turn limit was reached" }),
        ),
        pin(
            Row::TransitionRefused {
                error: "the agent may not move a goal from paused to achieved".into(),
                reason: "r".into(),
            },
            "transition_refused",
            json!({ "error": "the agent may not move a goal from paused to achieved",
                    "reason": "r" }),
        ),
        pin(
            Row::ObjectiveUpdated {
                from: "a".into(),
                to: "b".into(),
            },
            "objective_updated",
            json!({ "from": "a", "to": "b" }),
        ),
        pin(
            Row::LimitsUpdated {
                from: Limits::default(),
                to: limits(),
            },
            "limits_updated",
            json!({ "from": { "max_turns": null, "max_time_ms": null, "budget_tokens": null },
                    "to": { "max_turns": 5, "max_time_ms": null, "budget_tokens": 1000 } }),
        ),
        pin(Row::TakeoverStarted {}, "takeover_started", json!({})),
        pin(
            Row::TakeoverEnded {
                by: TakeoverBy::Chord,
            },
            "takeover_ended",
            json!({ "by": "chord" }),
        ),
        pin(
            Row::TakeoverRefused {
                state: GoalState::Achieved,
            },
            "takeover_refused",
            json!({ "state": "achieved" }),
        ),
        pin(Row::Archived {}, "archived", json!({})),
        pin(Row::Unarchived {}, "unarchived", json!({})),
        pin(
            Row::DialogAnswered {
                dialog: "trust".into(),
                answer: DialogPolicy::Deny,
                times: 0,
            },
            "dialog_answered",
            json!({ "dialog": "trust", "answer": "deny", "times": 0 }),
        ),
        pin(
            Row::DialogEscalated {
                dialog: "trust".into(),
                policy: Some(DialogPolicy::Escalate),
                answers: None,
                screen: Some("Trust this folder?".into()),
            },
            "dialog_escalated",
            json!({ "dialog": "trust", "policy": "escalate", "screen": "Trust this folder?" }),
        ),
        pin(
            Row::DialogEscalated {
                dialog: "trust".into(),
                policy: None,
                answers: Some(3),
                screen: None,
            },
            "dialog_escalated",
            json!({ "dialog": "trust", "answers": 3 }),
        ),
        pin(
            Row::UnknownScreen {
                still_ms: 60_000,
                screen: Some("?".into()),
            },
            "unknown_screen",
            json!({ "still_ms": 60_000, "screen": "?" }),
        ),
        pin(
            Row::Compacted(Compacted {
                compaction: 2,
                source: Source::SessionLog,
                sources: vec![Source::SessionLog, Source::Screen],
                turn: 3,
                during: During::BetweenTurns,
                context_before: Some(150_000),
                context_after: None,
                context_used_pct_before: Some(90),
                context_used_pct_after: None,
            }),
            "compacted",
            json!({ "compaction": 2, "source": "session_log",
                    "sources": ["session_log", "screen"], "turn": 3, "during": "between_turns",
                    "context_before": 150_000, "context_after": null,
                    "context_used_pct_before": 90, "context_used_pct_after": null }),
        ),
        pin(
            Row::GoalRestored {
                prompt: PromptKind::AfterCompaction,
                turn: 4,
                compactions: 2,
            },
            "goal_restored",
            json!({ "prompt": "after_compaction", "turn": 4, "compactions": 2 }),
        ),
        pin(
            Row::RotationStarted {
                process: 1,
                context_used_pct: Some(85),
                threshold_pct: 80,
            },
            "rotation_started",
            json!({ "process": 1, "context_used_pct": 85, "threshold_pct": 80 }),
        ),
        pin(
            Row::Handoff {
                process: 1,
                file: ".goalie/handoff-g-1.md".into(),
                source: HandoffSource::None,
                text: None,
            },
            "handoff",
            json!({ "process": 1, "file": ".goalie/handoff-g-1.md", "source": "none",
                    "text": null }),
        ),
        pin(
            Row::Rotated {
                process: 2,
                handoff: true,
            },
            "rotated",
            json!({ "process": 2, "handoff": true }),
        ),
    ]
}

fn waits_and_quota() -> Vec<String> {
    let window = QuotaWindow {
        name: "primary".into(),
        used_tenths: 855,
        window_minutes: Some(300),
        resets_at_ms: Some(1_796_180_400_000),
    };
    vec![
        pin(
            Row::WaitStarted {
                turn: 2,
                cause: WaitCause::Agent {
                    channel: Channel::Mcp,
                    wait: WaitFor::Command {
                        run: "test -f ready.flag".into(),
                        every_ms: 2000,
                        timeout_ms: None,
                    },
                },
                wait_ms: 7_200_000,
                until_ms: 1_796_180_400_000,
                until: "2026-12-02T03:00:00Z".into(),
            },
            "wait_started",
            json!({ "turn": 2, "cause": "agent", "channel": "mcp",
                    "wait": { "kind": "command", "run": "test -f ready.flag", "every_ms": 2000,
                              "timeout_ms": null },
                    "wait_ms": 7_200_000, "until_ms": 1_796_180_400_000_i64,
                    "until": "2026-12-02T03:00:00Z" }),
        ),
        pin(
            Row::WaitChecked {
                run: "test -f ready.flag".into(),
                passed: false,
                exit_code: Some(1),
            },
            "wait_checked",
            json!({ "run": "test -f ready.flag", "passed": false, "exit_code": 1 }),
        ),
        pin(
            Row::WaitEnded {
                turn: 2,
                end: WaitEnd::ConditionMet,
                waited_ms: 25_000,
                checks: 12,
                output: Some("ready".into()),
                wakes: None,
            },
            "wait_ended",
            json!({ "turn": 2, "end": "condition_met", "waited_ms": 25_000, "checks": 12,
                    "output": "ready" }),
        ),
        pin(
            Row::WaitRefused {
                channel: Channel::Screen,
                turn: 2,
                why: "`for: soon` is not a duration (try 90s, 20m or 2h)".into(),
            },
            "wait_refused",
            json!({ "channel": "screen", "turn": 2,
                    "why": "`for: soon` is not a duration (try 90s, 20m or 2h)" }),
        ),
        pin(
            Row::Quota {
                turn: 3,
                windows: vec![window.clone()],
            },
            "quota",
            json!({ "turn": 3, "windows": [{ "name": "primary", "used_tenths": 855,
                    "window_minutes": 300, "resets_at_ms": 1_796_180_400_000_i64 }] }),
        ),
        // A quota wait is a wait of its own cause.
        pin(
            Row::WaitStarted {
                turn: 3,
                cause: WaitCause::Quota {
                    window,
                    max_pct: 80,
                },
                wait_ms: 60_000,
                until_ms: 1_796_180_401_000,
                until: "2026-12-02T03:00:01Z".into(),
            },
            "wait_started",
            json!({ "turn": 3, "cause": "quota", "max_pct": 80,
                    "window": { "name": "primary", "used_tenths": 855, "window_minutes": 300,
                                "resets_at_ms": 1_796_180_400_000_i64 },
                    "wait_ms": 60_000, "until_ms": 1_796_180_401_000_i64,
                    "until": "2026-12-02T03:00:01Z" }),
        ),
    ]
}

fn progress_and_hangs() -> Vec<String> {
    vec![
        pin(
            Row::Progress {
                turn: 4,
                progress: false,
                what: "workspace unchanged; the reply repeats an earlier one".into(),
                change: crate::core::progress::Change::None,
                without: 2,
            },
            "progress",
            json!({ "turn": 4, "progress": false,
                    "what": "workspace unchanged; the reply repeats an earlier one",
                    "change": "none", "without": 2 }),
        ),
        pin(
            Row::TurnHung {
                turn: 5,
                silent_ms: 1_800_000,
                in_row: 1,
                step: "interrupt".into(),
            },
            "turn_hung",
            json!({ "turn": 5, "silent_ms": 1_800_000, "in_row": 1, "step": "interrupt" }),
        ),
    ]
}

fn what_must_not_outlive_goalie() -> Vec<String> {
    vec![
        pin(
            Row::GroupStarted {
                mark: None,
                role: GroupRole::Verify,
                pgid: 4242,
                start: 987654,
            },
            "group_started",
            json!({ "role": "verify", "pgid": 4242, "start": 987654 }),
        ),
        pin(
            Row::LeftoversEnded {
                by: "clear".into(),
                pids: vec![4242, 4243],
            },
            "leftovers_ended",
            json!({ "by": "clear", "pids": [4242, 4243] }),
        ),
    ]
}

fn control_across_hosts() -> Vec<String> {
    vec![
        pin(
            Row::ControlRequested {
                command: "set".into(),
                params: json!({ "status": "paused" }),
                host: "beta".into(),
            },
            "control_requested",
            json!({ "command": "set", "params": { "status": "paused" }, "host": "beta" }),
        ),
        pin(
            Row::ControlAnswered {
                request: 42,
                host: "alpha".into(),
                ok: false,
                messages: vec![],
                error: Some("goal x is cleared".into()),
            },
            "control_answered",
            json!({ "request": 42, "host": "alpha", "ok": false, "messages": [], "error": "goal x is cleared" }),
        ),
    ]
}

/// What `goalie mcp` told the supervisor about the agent's tools.
fn mcp_tools() -> Vec<String> {
    vec![
        pin(
            Row::McpToolsListed {
                process: 1,
                enter_held: true,
            },
            "mcp_tools_listed",
            json!({ "process": 1, "enter_held": true }),
        ),
        pin(
            Row::McpToolsUnlisted {
                process: 2,
                waited_ms: 8000,
            },
            "mcp_tools_unlisted",
            json!({ "process": 2, "waited_ms": 8000 }),
        ),
    ]
}

#[test]
fn every_kind_is_stored_as_the_json_goalie_wrote_before_rows_were_typed() {
    let pinned: BTreeSet<String> = [
        the_goal_and_its_runs(),
        turns(),
        claims_and_audits(),
        state_screen_and_context(),
        waits_and_quota(),
        progress_and_hangs(),
        what_must_not_outlive_goalie(),
        control_across_hosts(),
        mcp_tools(),
    ]
    .concat()
    .into_iter()
    .collect();
    let kinds: BTreeSet<String> = RowKind::iter()
        .filter(|kind| *kind != RowKind::Other)
        .map(|kind| kind.as_str().to_string())
        .collect();
    assert_eq!(pinned, kinds, "every kind is pinned, and by serde's name");
    assert_eq!(kinds.len(), 68);
}

#[test]
fn unknown_rows_and_rows_of_another_shape_are_kept_as_stored() {
    // A newer goalie's kind.
    let data = json!({ "a": 1 });
    let row = Row::from_parts("telemetry", data.clone());
    assert_eq!(
        row,
        Row::Other {
            kind: "telemetry".into(),
            data: data.clone()
        }
    );
    assert_eq!((row.kind(), row.data()), ("telemetry", data));
    // The first goalies' shapes of `compacted` and `claim`.
    for (kind, data) in [
        ("compacted", json!({ "source": "screen", "count": 1 })),
        (
            "claim",
            json!({ "channel": "screen", "turn": 1, "accepted": true, "why": "first version" }),
        ),
        ("wrap_up_ended", json!({ "turn": "two" })),
        ("takeover_started", json!(null)),
    ] {
        let row = Row::from_parts(kind, data.clone());
        assert!(matches!(row, Row::Other { .. }), "{kind}: {row:?}");
        assert_eq!((row.kind(), row.data()), (kind, data));
    }
}

#[test]
fn older_rows_of_a_kind_read_with_the_defaults_of_the_fields_added_since() {
    // Before goalie numbered agent processes (and started new ones).
    let started = json!({ "pid": 7, "program": "/bin/sim", "args": [], "rows": 24, "cols": 80 });
    assert!(matches!(
        Row::from_parts("agent_started", started),
        Row::AgentStarted {
            process: 1,
            reason: None,
            ..
        }
    ));
    assert_eq!(
        Row::from_parts("agent_ready", json!({})),
        Row::AgentReady { process: 1 }
    );
    // The first `turn_ended` rows.
    let ended = json!({ "turn": 1, "prompt": "start", "duration_ms": 10, "busy_seen": true,
                        "tokens_used": 0 });
    assert_eq!(
        Row::from_parts("turn_ended", ended),
        Row::TurnEnded {
            turn: 1,
            prompt: PromptKind::Start,
            duration_ms: 10,
            busy_seen: true,
            done_seen: false,
            signalled: false,
            signalled_by: None,
            error: None,
            tokens_used: 0,
            context_used_pct: None,
            reply: None,
        }
    );
    // `session_log` before session ids; `goal_created` before agent arguments,
    // dialog policies and rotation.
    assert_eq!(
        Row::from_parts("session_log", json!({ "path": "/p" })),
        Row::SessionLog {
            path: "/p".into(),
            session_id: None
        }
    );
    let created = json!({ "objective": "o", "agent": "sim", "adapter": "builtin", "workdir": "/w",
                          "limits": { "max_turns": null, "max_time_ms": null,
                                      "budget_tokens": null },
                          "mode": "interactive" });
    let Row::GoalCreated {
        agent_args,
        dialog_policies,
        rotation,
        ..
    } = Row::from_parts("goal_created", created)
    else {
        panic!("an early goal_created row reads as one");
    };
    assert!(agent_args.is_empty() && dialog_policies.is_empty());
    assert_eq!(rotation, Rotation::Never);
}
