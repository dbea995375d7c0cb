//! What happens when a turn ends: its ledger row, the counters, the wrap-up, and the turn's claim or error.

use super::*;
use claims::blocker_key;

impl Supervisor {
    pub(super) fn end_turn(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        let Phase::Working {
            kind,
            submitted_ms,
            saw_busy,
            saw_done,
            signalled_by,
            error,
            ..
        } = self.phase
        else {
            return;
        };
        // A usage limit is the turn's error when both showed.
        let error = error[0].or(error[1]);
        let claim = self.claim.take();
        self.turns += 1;
        self.process_turns += 1;
        let signalled = std::mem::take(&mut self.turn_signals);
        self.owed_signals = self
            .signal_sources
            .iter()
            .filter(|source| !signalled.contains(source))
            .copied()
            .collect();
        actions.push(record(
            "turn_ended",
            json!({
                "turn": self.turns,
                "prompt": kind.as_str(),
                "duration_ms": now_ms.saturating_sub(submitted_ms),
                "busy_seen": saw_busy,
                "done_seen": saw_done,
                "signalled": signalled_by.is_some(),
                "signalled_by": signalled_by,
                "error": error.map(TurnError::as_str),
                "tokens_used": self.tokens_used,
                "context_used_pct": self.gauge_pct,
                // The agent's reply (the shell fills it from the screen when the log has none).
                "reply": self.reply.take().map(|text| excerpt(&text)),
            }),
        ));
        if self.tokens_used != self.tokens_recorded {
            actions.push(record(
                "tokens",
                json!({ "used": self.tokens_used, "source": self.tokens_source }),
            ));
            self.tokens_recorded = self.tokens_used;
        }
        actions.push(self.progress(now_ms));
        if kind == PromptKind::BudgetLimit {
            actions.push(record("wrap_up_ended", json!({ "turn": self.turns })));
            if self.state == GoalState::BudgetLimited {
                if let Some((channel, claim)) = claim {
                    actions.push(record(
                        "claim_ignored",
                        json!({ "channel": channel.as_str(), "turn": self.turns, "claim": claim,
                                "why": "the goal was already budget-limited" }),
                    ));
                }
                let reason = "the agent wrapped up after a limit was reached".to_string();
                self.stop(now_ms, exit_code::BUDGET_LIMITED, reason, actions);
                return;
            }
        }
        match claim {
            Some((channel, claim)) if self.state != GoalState::Pursuing => {
                actions.push(record(
                    "claim_ignored",
                    json!({ "channel": channel.as_str(), "turn": self.turns, "claim": claim,
                            "why": format!("the goal was {} when the turn ended", self.state) }),
                ));
            }
            Some((channel, Claim::Complete { checklist })) => {
                self.blocked = None;
                self.error_turns = 0;
                actions.push(record(
                    "claim",
                    json!({ "channel": channel.as_str(), "turn": self.turns,
                            "status": "complete", "checklist": checklist }),
                ));
                self.phase = Phase::Auditing;
                actions.push(Action::RunAudit {
                    turn: self.turns,
                    channel,
                    claim: Claim::Complete { checklist },
                    commands: self
                        .config
                        .compaction_sources
                        .contains(&Source::SessionLog)
                        .then(|| self.commands.clone()),
                });
                return;
            }
            Some((channel, Claim::Blocked { reason })) => {
                let key = blocker_key(&reason);
                let count = match &self.blocked {
                    Some((previous, count)) if *previous == key => count + 1,
                    _ => 1,
                };
                self.blocked = Some((key, count));
                actions.push(record(
                    "claim",
                    json!({ "channel": channel.as_str(), "turn": self.turns,
                            "status": "blocked", "reason": reason, "consecutive": count }),
                ));
                if count >= BLOCKED_TURNS {
                    let why = format!(
                        "the agent reported the same blocker in {count} consecutive turns: {reason}"
                    );
                    self.transition(GoalState::Unmet, Actor::Agent, why.clone(), actions);
                    self.stop(now_ms, exit_code::UNMET, why, actions);
                    return;
                }
                self.notice = Some(format!(
                    "goalie noted the blocker you reported ({count} of {BLOCKED_TURNS} consecutive reports \
                     needed to end the goal unmet). If you can work around it, do."
                ));
            }
            None => self.blocked = None,
        }
        if let Some(error) = error {
            self.after_error(now_ms, error, actions);
            return;
        }
        self.error_turns = 0;
        self.next_turn(now_ms, format!("turn {} ended", self.turns), actions);
    }
}
