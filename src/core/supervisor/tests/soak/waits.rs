//! The soak's waits: now and then a turn asks goalie to wait through MCP
//! (for a span, until a clock time, or until a command passes after a few
//! checks), some waits are ended by the person resuming the goal, and the
//! last is ended by the goal's time limit. It counts: prompts typed during a
//! wait, waits started and ended (by what), and checks run.

use std::collections::BTreeMap;

use super::Rng;
use crate::core::row::Row;
use crate::core::supervisor::{Action, Event};
use crate::goal::change::{GoalChange, Status, UserCommand};
use crate::goal::claim::{Channel, Claim};
use crate::goal::wait::WaitFor;

/// The wall clock at the soak's start: 2026-12-01T12:00:00Z.
pub const ORIGIN: i64 = 1_796_126_400_000;

/// How a wait the soak asked for should end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// By itself (its span, its time, its command passing).
    Itself,
    /// The person resumes the goal this long after it began.
    Resumed(u64),
}

#[derive(Debug, Default)]
pub struct Waits {
    /// A wait is under way (between its wait_started and wait_ended rows).
    pub in_wait: bool,
    /// The wait just ended: the agent's idleness counts from now.
    pub just_ended: bool,
    pub asked: u32,
    pub started: u32,
    pub ended: BTreeMap<String, u32>,
    pub typed_during_wait: u32,
    /// The last prompt's kind.
    pub last_prompt: Option<crate::core::prompt::PromptKind>,
    /// The last wait is the one the time limit ends.
    last: bool,
    pub checks_run: u32,
    /// A check ran while no wait was under way.
    pub stray_checks: u32,
    /// How the wait asked for last should end; checks it fails before passing.
    plan: Option<Plan>,
    fails_left: u32,
}

impl Waits {
    /// A turn starts at `now` and works `work` ms: it may ask for a wait
    /// (its claim, due during the turn, is returned).
    pub fn turn_starts(&mut self, rng: &mut Rng, now: u64, work: u64) -> Option<(u64, Event)> {
        if !rng.chance(15) {
            return None;
        }
        let minutes = 1 + rng.below(5);
        let wait = match rng.below(3) {
            0 => WaitFor::Span {
                ms: minutes * 60_000,
            },
            1 => {
                let at = ORIGIN + i64::try_from(now + minutes * 60_000).unwrap();
                WaitFor::Until {
                    unix_ms: at,
                    shown: jiff::Timestamp::from_millisecond(at).unwrap().to_string(),
                }
            }
            _ => {
                self.fails_left = rng.below(4) as u32;
                WaitFor::Command {
                    run: "test -f ready.flag".into(),
                    every_ms: 10_000,
                    timeout_ms: Some(30 * 60_000),
                }
            }
        };
        self.asked += 1;
        self.plan = Some(if rng.chance(250) {
            Plan::Resumed(5_000 + rng.below(20_000))
        } else {
            Plan::Itself
        });
        let at = now + 1 + rng.below(work.saturating_sub(1).max(1));
        Some((at, claim(at, wait)))
    }

    /// The last turn asks for a long wait, which the time limit ends.
    pub fn last_wait(&mut self, now: u64) -> (u64, Event) {
        self.asked += 1;
        self.last = true;
        self.plan = None;
        (now, claim(now, WaitFor::Span { ms: 3_600_000 }))
    }

    /// The last wait was asked for, and the time limit has not yet ended it.
    pub fn last_to_come(&self) -> bool {
        self.last && self.last_prompt != Some(crate::core::prompt::PromptKind::BudgetLimit)
    }

    /// What the core did at `now`: events to come later go in `later`.
    pub fn action(&mut self, action: &Action, now: u64, later: &mut Vec<(u64, Event)>) {
        match action {
            Action::Inject { kind, .. } => {
                self.last_prompt = Some(*kind);
                if self.in_wait {
                    self.typed_during_wait += 1;
                }
            }
            Action::Record(Row::WaitStarted { .. }) => {
                self.in_wait = true;
                self.started += 1;
                if self.last {
                    // The goal's time limit: 20 s from now, set by the person.
                    let at = now + 1_000;
                    later.push((
                        at,
                        Event::Command {
                            now_ms: at,
                            command: UserCommand::Change(GoalChange {
                                max_time_ms: Some(Some(now + 20_000)),
                                ..GoalChange::default()
                            }),
                        },
                    ));
                }
                if let Some(Plan::Resumed(after)) = self.plan.take() {
                    let at = now + after;
                    later.push((
                        at,
                        Event::Command {
                            now_ms: at,
                            command: UserCommand::Change(GoalChange::status(Status::Pursuing)),
                        },
                    ));
                }
            }
            Action::Record(Row::WaitEnded { end, .. }) => {
                self.in_wait = false;
                self.just_ended = true;
                *self.ended.entry(end.as_str().to_string()).or_default() += 1;
            }
            Action::RunWaitCheck { .. } => {
                if !self.in_wait {
                    self.stray_checks += 1;
                }
                self.checks_run += 1;
                let passed = self.fails_left == 0;
                self.fails_left = self.fails_left.saturating_sub(1);
                let at = now + 300;
                later.push((
                    at,
                    Event::WaitChecked {
                        now_ms: at,
                        passed,
                        exit_code: Some(if passed { 0 } else { 1 }),
                        output: if passed { "ready" } else { "absent" }.into(),
                    },
                ));
            }
            _ => {}
        }
    }
}

fn claim(now_ms: u64, wait: WaitFor) -> Event {
    Event::Claim {
        now_ms,
        channel: Channel::Mcp,
        claim: Claim::Waiting { wait },
    }
}
