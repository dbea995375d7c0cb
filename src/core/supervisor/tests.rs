//! The core over event sequences: no PTY, no clock, no database.

use serde_json::json;

use super::*;
use crate::core::compaction::Source;
use crate::core::config::{DialogPolicy, Timing};
use crate::core::log_event::LogEvent;
use crate::core::observer::Observation;
use crate::core::prompt::{PromptKind, PromptVars};
use crate::goal::change::Refusal;
use crate::goal::claim::{ChecklistItem, turn_nonce};
use crate::goal::exit_code;
use crate::goal::lifecycle::Actor;
use crate::goal::spec::Requirement;

const QUIET: u64 = 1000;
const NO_BUSY_QUIET: u64 = 5000;

fn config() -> Config {
    Config {
        goal_id: "goal1234".into(),
        objective: "Make the tests pass".into(),
        claim_code: "code123456".into(),
        requirements: vec![Requirement {
            id: "R1".into(),
            text: "the parser accepts empty input".into(),
        }],
        verify: vec!["cargo test".into()],
        mcp: false,
        mcp_tools_wait_ms: 0,
        timing: Timing {
            quiet_ms: QUIET,
            no_busy_quiet_ms: NO_BUSY_QUIET,
            startup_timeout_ms: 30_000,
            stuck_ms: 20_000,
        },
        user_quiet_ms: 3000,
        wrap_up_grace_ms: 60_000,
        limits: Limits::default(),
        prior: Progress::default(),
        first_prompt: PromptKind::Start,
        objective_changed_from: None,
        compaction_sources: vec![Source::Screen],
        prior_compactions: 0,
        first_process: 1,
        start_on_evidence: true,
        rotation: Rotation::Never,
        context_window: None,
        reset_wait: None,
        waits: crate::core::config::WaitConfig::default(),
        watchdog: Default::default(),
        dialogs: vec![
            DialogRule {
                name: "trust".into(),
                policy: DialogPolicy::Accept,
                accept: "\r".into(),
                deny: "\x1b".into(),
            },
            DialogRule {
                name: "login".into(),
                policy: DialogPolicy::Escalate,
                accept: "\r".into(),
                deny: "\x1b".into(),
            },
        ],
    }
}

fn dialog(index: usize) -> Observation {
    Observation {
        changed: true,
        dialog: Some(index),
        ..Observation::default()
    }
}

fn idle() -> Observation {
    Observation {
        changed: true,
        idle: true,
        ..Observation::default()
    }
}

fn busy() -> Observation {
    Observation {
        changed: true,
        busy: true,
        idle: true,
        ..Observation::default()
    }
}

/// Drives a supervisor and keeps every action it returned.
struct Run {
    sup: Supervisor,
    now: u64,
    actions: Vec<Action>,
}

impl Run {
    fn new(config: Config) -> Run {
        Run {
            sup: Supervisor::new(config),
            now: 0,
            actions: Vec::new(),
        }
    }

    fn at(&mut self, now: u64, event: impl FnOnce(u64) -> Event) -> Vec<Action> {
        assert!(now >= self.now, "time runs forward");
        self.now = now;
        let out = self.sup.handle(event(now));
        self.actions.extend(out.clone());
        out
    }

    fn screen(&mut self, now: u64, seen: Observation) -> Vec<Action> {
        self.at(now, |now_ms| Event::Screen { now_ms, seen })
    }

    fn tick(&mut self, now: u64) -> Vec<Action> {
        self.at(now, |now_ms| Event::Tick { now_ms })
    }

    fn injected(&mut self, now: u64) {
        self.at(now, |now_ms| Event::InjectionDone { now_ms });
    }

    /// Ticks every 100 ms up to `until`.
    fn ticks(&mut self, until: u64) {
        while self.now + 100 <= until {
            let next = self.now + 100;
            self.tick(next);
        }
    }

    /// Brings the agent to its first prompt and types it.
    fn start(&mut self) {
        self.screen(100, idle());
        self.ticks(100 + QUIET);
        assert_eq!(self.injections(), vec![PromptKind::Start]);
        let now = self.now + 300;
        self.injected(now);
    }

    /// Like [`Run::start`], for a first prompt of `kind`.
    fn start_with(&mut self, kind: PromptKind) {
        self.screen(100, idle());
        self.ticks(100 + QUIET);
        assert_eq!(self.injections(), vec![kind]);
        let now = self.now + 300;
        self.injected(now);
    }

    /// One turn from a typed prompt to its end: busy for `work` ms, then idle.
    fn turn(&mut self, work: u64, extra: Observation) {
        let start = self.now + 100;
        self.screen(start, busy());
        self.ticks(start + work);
        let end = self.now + 100;
        self.screen(end, Observation { ..extra });
        self.ticks(end + QUIET + 200);
        let now = self.now + 300;
        self.injected(now);
    }

    fn injections(&self) -> Vec<PromptKind> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Inject { kind, .. } => Some(*kind),
                _ => None,
            })
            .collect()
    }

    fn records(&self, wanted: &str) -> Vec<serde_json::Value> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Record(row) if row.kind() == wanted => Some(row.data()),
                _ => None,
            })
            .collect()
    }

    fn stop_code(&self) -> Option<i32> {
        self.actions.iter().find_map(|a| match a {
            Action::Stop { exit_code, .. } => Some(*exit_code),
            _ => None,
        })
    }

    fn transitions(&self) -> Vec<(GoalState, GoalState, Actor)> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Transition {
                    from, to, actor, ..
                } => Some((*from, *to, *actor)),
                _ => None,
            })
            .collect()
    }
}

fn idle_with(f: impl FnOnce(&mut Observation)) -> Observation {
    let mut seen = idle();
    f(&mut seen);
    seen
}

fn complete() -> Claim {
    Claim::Complete {
        checklist: vec![ChecklistItem {
            requirement: "R1".into(),
            evidence: "tests/parse.rs::empty passes".into(),
        }],
    }
}

fn blocked(reason: &str) -> Claim {
    Claim::Blocked {
        reason: reason.into(),
    }
}

fn claiming(claim: Claim) -> Observation {
    idle_with(|o| o.claim = Some(claim))
}

impl Run {
    fn audits(&self) -> Vec<(u32, Channel)> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::RunAudit { turn, channel, .. } => Some((*turn, *channel)),
                _ => None,
            })
            .collect()
    }

    fn audit_finished(&mut self, now: u64, passed: bool, reasons: &[&str]) {
        let reasons = reasons.iter().map(|r| r.to_string()).collect();
        self.at(now, |now_ms| Event::AuditFinished {
            now_ms,
            passed,
            reasons,
        });
    }
}

mod activity;
mod api_errors;
mod banners;
mod claims;
mod compactions;
mod dialogs;
mod hook_signals;
mod launch;
mod limits;
mod mcp_tools;
mod quiet_turns;
mod rest;
mod rotation;
mod session_log;
mod soak;
mod stall;
mod start;
mod turn_signals;
mod user_commands;
mod waits;
