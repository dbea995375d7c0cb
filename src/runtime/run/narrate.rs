//! Progress lines for headless runs, and the summary at the end.

use std::io::Write;

use serde_json::json;

use crate::core::row::Row;
use crate::goal::units::format_duration;

use super::shell::Shell;

/// How many lines of the wrap-up reply the summary at the end shows.
const WRAP_UP_LINES: usize = 5;

/// The goal's newest rows a stop's summary reads: the limit's transition
/// and the wrap-up turn come last, a few dozen rows at most.
const SUMMARY_ROWS: usize = 500;

impl Shell<'_> {
    pub(super) fn narrate(&mut self, row: &Row) {
        let line = match row {
            Row::TurnEnded {
                turn,
                duration_ms,
                tokens_used,
                ..
            } => {
                let tokens = *tokens_used;
                self.tokens_seen |= tokens > 0;
                format!(
                    "turn {turn} ended after {}{}",
                    format_duration(*duration_ms),
                    if tokens > 0 {
                        format!(" (tokens used: {})", crate::goal::units::thousands(tokens))
                    } else {
                        String::new()
                    }
                )
            }
            Row::ClaimSeen {
                channel,
                turn,
                status,
            } => format!(
                "the agent claimed the goal {status} in turn {turn} ({})",
                channel.as_str()
            ),
            Row::ClaimRejected { turn, .. } => format!("the claim of turn {turn} was rejected"),
            Row::Compacted(compacted) => format!(
                "the agent compacted its context (compaction {}, seen by {})",
                compacted.compaction,
                compacted
                    .sources
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            Row::RotationStarted {
                context_used_pct, ..
            } => format!(
                "the context is {}% full: asking the agent for a handoff note",
                json!(context_used_pct)
            ),
            Row::UsageLimitShown(_) => "the agent shows a usage limit".to_string(),
            Row::ApiErrorShown(_) => "the agent shows an API error".to_string(),
            Row::ErrorBackoff {
                turn,
                error,
                consecutive,
                wait_ms,
                until_reset,
                ..
            } => format!(
                "turn {turn} ended with {} ({consecutive} in a row): the next prompt in {}{}",
                error.describe(),
                format_duration(*wait_ms),
                match until_reset {
                    Some(shown) => format!(", when the limit resets (`{shown}`)"),
                    None => String::new(),
                }
            ),
            Row::WaitStarted {
                cause,
                wait_ms,
                until,
                ..
            } => format!(
                "{}; goalie types nothing for at most {} (until {until})",
                cause.describe(),
                format_duration(*wait_ms)
            ),
            Row::WaitEnded {
                end,
                waited_ms,
                checks,
                ..
            } => format!(
                "the wait ended ({}) after {}{}",
                end.as_str().replace('_', " "),
                format_duration(*waited_ms),
                match checks {
                    0 => String::new(),
                    1 => ", 1 check".to_string(),
                    n => format!(", {n} checks"),
                }
            ),
            Row::WaitRefused { turn, why, .. } => format!(
                "turn {turn} asked for a wait goalie cannot do ({}): not waited, not a claim; the next prompt says why",
                why.chars().take(160).collect::<String>()
            ),
            Row::AgentExited { status } => format!("the agent exited ({status})"),
            Row::WrapUpTimeout { .. } => "the wrap-up turn took too long; stopping".to_string(),
            Row::DialogAnswered { dialog, answer, .. } => {
                format!("answered the agent's {dialog} dialog: {}", answer.as_str())
            }
            Row::DialogEscalated { .. } | Row::UnknownScreen { .. } => {
                "the agent is waiting on a screen goalie will not answer; its text is in the ledger (goalie status)".to_string()
            }
            Row::Progress {
                turn,
                progress: false,
                what,
                without,
                ..
            } => format!("turn {turn}: no progress ({without} in a row): {what}"),
            Row::TurnHung {
                turn,
                silent_ms,
                step,
                ..
            } => format!(
                "turn {turn} hung: busy with no sign of work for {}; goalie's step: {step}",
                format_duration(*silent_ms)
            ),
            _ => return,
        };
        self.say(&line);
    }

    /// A progress line (headless mode).
    pub(super) fn say(&self, line: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "goalie: {line}");
        let _ = out.flush();
    }

    pub(super) fn summary(&self, reason: &str) {
        let goal = match self.ledger.goal(&self.goal_id) {
            Ok(goal) => goal,
            Err(_) => return,
        };
        let tokens = if goal.tokens_used > 0 || self.tokens_seen {
            crate::goal::units::thousands(goal.tokens_used)
        } else {
            "not shown by the agent".to_string()
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "goalie: goal {} {}: {reason}\ngoalie:   turns {} · tokens {} · time {} · agent {}\ngoalie:   ledger {} (goalie status {})",
            goal.id,
            goal.state,
            goal.turns,
            tokens,
            format_duration(goal.time_used_ms),
            goal.agent,
            self.ledger.path().display(),
            goal.id,
        );
        if goal.state == crate::goal::lifecycle::GoalState::Paused {
            let _ = writeln!(
                out,
                "goalie:   paused: `goalie resume {}` continues it",
                goal.id
            );
        }
        // The limit by name, and what the agent said in its wrap-up turn:
        // both in the goal's last rows (the goal's end reason names the
        // limit too), read alone so that a long goal's stop costs no more.
        let entries = self
            .ledger
            .last_entries(&goal.id, SUMMARY_ROWS)
            .unwrap_or_default();
        let report = crate::ledger::report::GoalReport::build(&goal, &entries, false);
        if let Some(limit) = report.limit_sentence() {
            let _ = writeln!(out, "goalie:   {limit} was reached");
        }
        let head = report.wrap_up_head(WRAP_UP_LINES);
        if !head.is_empty() {
            let _ = writeln!(
                out,
                "goalie:   the wrap-up reply (goalie report {}):",
                goal.id
            );
            for line in head {
                let _ = writeln!(out, "goalie:   > {line}");
            }
        }
        let _ = out.flush();
    }
}
