//! The turn cycle: which prompt comes next, typing it, and the turn it starts.

use crate::core::prompt::{PromptKind, PromptVars};
use crate::core::row::Row;
use crate::goal::claim::turn_nonce;
use crate::goal::lifecycle::{Actor, GoalState};
use crate::goal::units::format_duration;

use super::Supervisor;
use super::action::Action;
use super::phase::Phase;
use super::state::processes::handoff_file;
use super::turn_error::TurnErrors;

impl Supervisor {
    /// The agent is idle: type the next prompt, or, while the goal is paused, nothing.
    pub(super) fn next_turn(&mut self, now_ms: u64, why: String, actions: &mut Vec<Action>) {
        if self.state != GoalState::Pursuing {
            if self.phase != Phase::Idle {
                self.phase = Phase::Idle;
                self.idle.begin(now_ms);
            }
            return;
        }
        if let Some(limit) = self.limit_reached(now_ms) {
            let reason = format!("the {} limit was reached", limit.as_str());
            self.transition(
                GoalState::BudgetLimited,
                Actor::Runtime,
                reason.clone(),
                actions,
            );
            self.inject(now_ms, PromptKind::BudgetLimit, reason, actions);
            return;
        }
        if self.quota_waits(now_ms, actions) || self.rotate(now_ms, actions) {
            return;
        }
        let kind = self.next_prompt();
        self.inject(now_ms, kind, why, actions);
    }

    /// The prompt for the next turn, by what happened since the last one.
    fn next_prompt(&self) -> PromptKind {
        let watchdog = self.watchdog_prompt();
        if watchdog == Some(PromptKind::AfterHang) {
            PromptKind::AfterHang
        } else if self.processes.rotated() {
            PromptKind::AfterRotation
        } else if !self.started && self.config.first_prompt == PromptKind::Start {
            PromptKind::Start
        } else if self.context.pending() {
            PromptKind::AfterCompaction
        } else if self.wait_note.is_some() {
            PromptKind::AfterWait
        } else if !self.rejection_reasons.is_empty() {
            PromptKind::ClaimRejected
        } else if self.config.objective_changed_from.is_some() {
            PromptKind::ObjectiveUpdated
        } else if let Some(kind) = watchdog {
            kind
        } else if !self.started {
            self.config.first_prompt
        } else {
            PromptKind::Continuation
        }
    }

    pub(super) fn inject(
        &mut self,
        now_ms: u64,
        kind: PromptKind,
        why: String,
        actions: &mut Vec<Action>,
    ) {
        self.idle.end(now_ms);
        let previous_objective = match kind {
            PromptKind::ObjectiveUpdated
            | PromptKind::AfterCompaction
            | PromptKind::AfterRotation => self.config.objective_changed_from.take(),
            PromptKind::Start => {
                // The start prompt carries the current objective: nothing to update.
                self.config.objective_changed_from = None;
                None
            }
            _ => None,
        };
        // Every prompt carries the objective: a compaction before it is answered.
        if self.context.take_pending() {
            actions.push(Action::Record(Row::GoalRestored {
                prompt: kind,
                turn: self.turns + 1,
                compactions: self.context.total(),
            }));
        }
        let handoff = self.processes.prompted(kind);
        self.started = true;
        let mut vars = self.prompt_vars(now_ms, kind);
        vars.previous_objective = previous_objective;
        vars.handoff = handoff;
        // A wait's note goes with the prompt after it, or with none: the
        // prompts that go before the after-wait one (a compaction's, a new
        // session's) carry it too (prompts/_wait.md).
        vars.wait = self.wait_note.take().filter(|_| {
            matches!(
                kind,
                PromptKind::AfterWait | PromptKind::AfterCompaction | PromptKind::AfterRotation
            )
        });
        vars.stall = self.stall_note(kind);
        self.phase = Phase::Injecting { kind };
        if std::mem::take(&mut self.at_launch) {
            // Given on the command line already (`launch.rs`): nothing to type.
            actions.push(Action::PromptGiven { kind, why });
            return;
        }
        self.hold_enter(now_ms);
        actions.push(Action::Inject {
            kind,
            vars: Box::new(vars),
            why,
        });
    }

    /// What a prompt of `kind` is filled with (the notes for it are taken).
    pub(super) fn prompt_vars(&mut self, now_ms: u64, kind: PromptKind) -> PromptVars {
        let limits = self.config.limits;
        let limit_reason = (kind == PromptKind::BudgetLimit)
            .then(|| self.limit_reached(now_ms))
            .flatten()
            .map(|reason| reason.as_str().to_string());
        let tokens_used = self.tokens.used();
        let process = self.processes.number();
        PromptVars {
            objective: self.config.objective.clone(),
            turn: self.turns + 1,
            max_turns: limits.max_turns,
            time_used: format_duration(self.time_used(now_ms)),
            time_limit: limits.max_time_ms.map(format_duration),
            tokens_used,
            token_budget: limits.budget_tokens,
            tokens_remaining: limits
                .budget_tokens
                .map(|max| max.saturating_sub(tokens_used)),
            nonce: turn_nonce(&self.config.claim_code, self.turns + 1),
            limit_reason,
            requirements: self.config.requirements.clone(),
            verify: self.config.verify.clone(),
            mcp: self.config.mcp,
            rejection_reasons: std::mem::take(&mut self.rejection_reasons),
            notice: self.notice.take(),
            previous_objective: None,
            compactions: self.context.total(),
            process,
            handoff: None,
            handoff_file: (kind == PromptKind::Handoff)
                .then(|| handoff_file(&self.config.goal_id, process)),
            digest: None,
            wait: None,
            stall: None,
        }
    }

    /// goalie finished typing the prompt: the turn is under way.
    pub(super) fn on_injected(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        let Phase::Injecting { kind } = self.phase else {
            return;
        };
        actions.push(Action::Record(Row::TurnStarted {
            turn: self.turns + 1,
            prompt: kind,
        }));
        self.backoff.turn_started();
        let seen = self.screen.seen();
        self.phase = Phase::Working {
            kind,
            submitted_ms: now_ms,
            saw_busy: seen.busy,
            done_before: seen.turns_done,
            saw_done: false,
            signalled_by: None,
            signalled_ms: None,
            ran_signal_ms: None,
            errors: TurnErrors::default(),
        };
        self.screen.submitted(now_ms);
    }
}
