//! The turn cycle: when the agent is ready for a prompt, which prompt, typing it, and when a turn has ended.

use super::*;
use compaction_watch::SETTLE_MS;

/// How still the screen must be after the agent said its turn is complete.
pub(super) const SIGNALLED_QUIET_MS: u64 = 500;

impl Supervisor {
    /// The agent is idle: type the next prompt, or, while the goal is paused, nothing.
    pub(super) fn next_turn(&mut self, now_ms: u64, why: String, actions: &mut Vec<Action>) {
        if self.state != GoalState::Pursuing {
            if self.phase != Phase::Idle {
                self.phase = Phase::Idle;
                self.idle_since = Some(now_ms);
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
        if self.process_turns > 0 {
            match self.config.rotation {
                Rotation::Never => {}
                Rotation::EveryTurn => {
                    let reason = "fresh context: a new agent process for every turn".to_string();
                    self.restart(now_ms, reason, false, actions);
                    return;
                }
                Rotation::At(_) if self.handoff_asked => {
                    let reason = "context rotation: the agent wrote its handoff note".to_string();
                    self.restart(now_ms, reason, true, actions);
                    return;
                }
                Rotation::At(threshold) => {
                    if self.gauge_pct.is_some_and(|used| used >= threshold) {
                        self.handoff_asked = true;
                        let why = format!(
                            "the context is {}% full (rotation at {threshold}%)",
                            self.gauge_pct.unwrap_or(0)
                        );
                        actions.push(record(
                            "rotation_started",
                            json!({ "process": self.process, "context_used_pct": self.gauge_pct,
                                    "threshold_pct": threshold }),
                        ));
                        self.inject(now_ms, PromptKind::Handoff, why, actions);
                        return;
                    }
                }
            }
        }
        let kind = if self.rotated.is_some() {
            PromptKind::AfterRotation
        } else if !self.started && self.config.first_prompt == PromptKind::Start {
            PromptKind::Start
        } else if self.compaction_pending {
            PromptKind::AfterCompaction
        } else if !self.rejection_reasons.is_empty() {
            PromptKind::ClaimRejected
        } else if self.config.objective_changed_from.is_some() {
            PromptKind::ObjectiveUpdated
        } else if !self.started {
            self.config.first_prompt
        } else {
            PromptKind::Continuation
        };
        self.inject(now_ms, kind, why, actions);
    }
    pub(super) fn inject(
        &mut self,
        now_ms: u64,
        kind: PromptKind,
        why: String,
        actions: &mut Vec<Action>,
    ) {
        if let Some(since) = self.idle_since.take() {
            self.idle_total_ms += now_ms.saturating_sub(since);
        }
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
        if self.compaction_pending {
            self.compaction_pending = false;
            actions.push(record(
                "goal_restored",
                json!({ "prompt": kind.as_str(), "turn": self.turns + 1,
                        "compactions": self.compactions.total() }),
            ));
        }
        let handoff = match kind {
            PromptKind::AfterRotation => self.rotated.take().flatten(),
            _ => None,
        };
        self.rotated = None;
        self.started = true;
        let limits = self.config.limits;
        let limit_reason = (kind == PromptKind::BudgetLimit)
            .then(|| self.limit_reached(now_ms))
            .flatten()
            .map(|reason| reason.as_str().to_string());
        let vars = PromptVars {
            objective: self.config.objective.clone(),
            turn: self.turns + 1,
            max_turns: limits.max_turns,
            time_used: format_duration(self.time_used(now_ms)),
            time_limit: limits.max_time_ms.map(format_duration),
            tokens_used: self.tokens_used,
            token_budget: limits.budget_tokens,
            tokens_remaining: limits
                .budget_tokens
                .map(|max| max.saturating_sub(self.tokens_used)),
            nonce: turn_nonce(&self.config.claim_code, self.turns + 1),
            limit_reason,
            requirements: self.config.requirements.clone(),
            verify: self.config.verify.clone(),
            mcp: self.config.mcp,
            rejection_reasons: std::mem::take(&mut self.rejection_reasons),
            notice: self.notice.take(),
            previous_objective,
            compactions: self.compactions.total(),
            process: self.process,
            handoff,
            handoff_file: (kind == PromptKind::Handoff)
                .then(|| handoff_file(&self.config.goal_id, self.process)),
            digest: None,
        };
        self.phase = Phase::Injecting { kind };
        actions.push(Action::Inject {
            kind,
            vars: Box::new(vars),
            why,
        });
    }
    /// Moves on when the clock or the screen allows it.
    pub(super) fn advance(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        if let Some((count, since)) = self.compaction_candidate
            && now_ms.saturating_sub(since) >= SETTLE_MS
        {
            for _ in self.banners..count {
                self.compaction_seen(now_ms, Source::Screen, None);
            }
            self.banners = count;
            self.compaction_candidate = None;
        }
        for row in self.compactions.close_due(now_ms) {
            actions.push(record("compacted", row));
        }
        if matches!(self.phase, Phase::Starting { .. } | Phase::Working { .. }) {
            if self.dialog.is_some() {
                self.on_dialog(now_ms, actions);
                return;
            }
            if !self.seen.busy
                && !self.seen.idle
                && now_ms.saturating_sub(self.last_change_ms) >= self.config.timing.stuck_ms
            {
                let reason = format!(
                    "the agent's screen shows neither work nor its input box and has not changed for {}s (an unknown dialog?); goalie typed nothing",
                    self.config.timing.stuck_ms / 1000
                );
                actions.push(record(
                    "unknown_screen",
                    json!({ "still_ms": now_ms.saturating_sub(self.last_change_ms) }),
                ));
                self.escalate(now_ms, reason, actions);
                return;
            }
        }
        match self.phase {
            Phase::Stopped | Phase::Injecting { .. } | Phase::Auditing | Phase::Restarting => {}
            Phase::Backoff {
                until_ms,
                wait_ms,
                error,
            } => {
                if now_ms >= until_ms && self.screen_settled(now_ms, self.config.timing.quiet_ms) {
                    let why = format!(
                        "goalie waited {} after {} ended turn {}",
                        format_duration(wait_ms),
                        error.describe(),
                        self.turns
                    );
                    self.next_turn(now_ms, why, actions);
                }
            }
            Phase::Idle => {
                if self.state == GoalState::Pursuing
                    && self.screen_settled(now_ms, self.config.timing.quiet_ms)
                {
                    self.next_turn(now_ms, "the goal was resumed".into(), actions);
                }
            }
            Phase::Starting { since_ms } => {
                if self.screen_settled(now_ms, self.config.timing.quiet_ms) {
                    actions.push(record("agent_ready", json!({ "process": self.process })));
                    if let Some((wait_ms, shown)) = self.config.reset_wait.take() {
                        let wait_ms = self.within_time_limit(now_ms, wait_ms);
                        actions.push(record(
                            "error_backoff",
                            json!({ "turn": self.turns, "error": TurnError::UsageLimit.as_str(),
                                    "consecutive": self.error_turns, "wait_ms": wait_ms,
                                    "until_reset": shown, "after_restart": true }),
                        ));
                        self.phase = Phase::Backoff {
                            until_ms: now_ms + wait_ms,
                            wait_ms,
                            error: TurnError::UsageLimit,
                        };
                        return;
                    }
                    self.next_turn(now_ms, "the agent is ready".into(), actions);
                } else if now_ms.saturating_sub(since_ms) >= self.config.timing.startup_timeout_ms {
                    let reason = format!(
                        "the agent did not show its input box within {}s",
                        self.config.timing.startup_timeout_ms / 1000
                    );
                    self.transition(GoalState::Paused, Actor::Runtime, reason.clone(), actions);
                    self.stop(now_ms, exit_code::PAUSED, reason, actions);
                }
            }
            Phase::Working {
                kind,
                submitted_ms,
                saw_busy,
                saw_done,
                signalled_by,
                ..
            } => {
                let signalled = signalled_by.is_some();
                // The agent's own word that the turn is complete needs only a
                // short settle; a busy sign or a new finished-turn line shows
                // the turn ran; without any, only a much longer stillness ends it.
                let quiet = if signalled {
                    self.config.timing.quiet_ms.min(SIGNALLED_QUIET_MS)
                } else if saw_busy || saw_done {
                    self.config.timing.quiet_ms
                } else {
                    self.config.timing.no_busy_quiet_ms
                };
                let waited = now_ms.saturating_sub(submitted_ms);
                if waited >= quiet && self.screen_settled(now_ms, quiet) {
                    self.end_turn(now_ms, actions);
                } else if kind == PromptKind::BudgetLimit && waited >= self.config.wrap_up_grace_ms
                {
                    let reason = "the wrap-up turn did not end in time".to_string();
                    actions.push(record("wrap_up_timeout", json!({ "waited_ms": waited })));
                    self.stop(now_ms, exit_code::BUDGET_LIMITED, reason, actions);
                } else if kind != PromptKind::BudgetLimit
                    && self.state == GoalState::Pursuing
                    && let Some(limit) = self.config.limits.max_time_ms
                    && self.time_used(now_ms) >= limit + self.config.wrap_up_grace_ms
                {
                    let reason = "the time limit passed while the agent was still busy".to_string();
                    self.transition(
                        GoalState::BudgetLimited,
                        Actor::Runtime,
                        reason.clone(),
                        actions,
                    );
                    self.stop(now_ms, exit_code::BUDGET_LIMITED, reason, actions);
                }
            }
        }
    }
    /// No busy indicator, the input box shown, the screen still for `quiet_ms`,
    /// and the person not typing.
    pub(super) fn screen_settled(&self, now_ms: u64, quiet_ms: u64) -> bool {
        let user_still = self
            .last_user_ms
            .is_none_or(|at| now_ms.saturating_sub(at) >= self.config.user_quiet_ms);
        !self.seen.busy
            && self.seen.idle
            && user_still
            && now_ms.saturating_sub(self.last_change_ms) >= quiet_ms
    }
}
