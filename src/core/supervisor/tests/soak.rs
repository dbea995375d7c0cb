//! The soak: 10,000 turns of a simulated agent in virtual time against the
//! core, with adversarial timing: hooks late or missing, spinner gaps shorter
//! than the quiet window, bursts of redraws, compactions mid-turn, the
//! person's keys, turns that change nothing (never three in a row), long
//! builds that keep only the CPU busy, and real hangs (never two in a row).
//! It counts, never times: 0 prompts typed while the agent works, 0 turns
//! missed (every turn ends in the ledger; goalie is never idle long with the
//! agent idle), 0 false stalls and 0 false hangs, and every real hang found.

use super::*;
use crate::core::config::Watchdog;
use crate::core::progress::{Change, Workspace};
use crate::core::row::Row;

mod waits;
use waits::Waits;

const TURNS: u32 = 10_000;
const TIMEOUT: u64 = 60_000;
const STEP: u64 = 100;

/// SplitMix64: a seeded sequence, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    /// The spinner only, CPU busy in the tree, longer than the timeout.
    Build,
    /// The spinner only, nothing else, until interrupted.
    Hang,
}

#[derive(Debug)]
enum Agent {
    Idle,
    Working {
        until: u64,
        kind: Kind,
        /// Looks left in a spinner gap.
        gap: u32,
        compact_at: Option<u64>,
    },
}

/// What the test counts.
#[derive(Debug, Default)]
struct Counts {
    turns_started: u32,
    turns_finished: u32,
    interrupted: u32,
    hangs_made: u32,
    typed_while_busy: u32,
    longest_idle_ms: u64,
    false_hangs: u32,
    hangs_found: u32,
    no_progress_prompts: u32,
    stalled_turns_made: u32,
}

#[test]
fn ten_thousand_turns_with_adversarial_timing() {
    let mut sup = Supervisor::new(Config {
        watchdog: Watchdog {
            measure_progress: true,
            stall_turns: 3,
            turn_timeout_ms: Some(TIMEOUT),
            interrupt: "\x1b".into(),
        },
        waits: crate::core::config::WaitConfig {
            clock_origin_ms: waits::ORIGIN,
            ..crate::core::config::WaitConfig::default()
        },
        ..config()
    });
    let mut waits = Waits::default();
    let mut rng = Rng(0x5eed_2026);
    let mut agent = Agent::Idle;
    let mut counts = Counts::default();
    let mut now = 0u64;
    let mut turns_done = 0u32;
    let mut compactions = 0u32;
    let mut cpu_ms = 0u64;
    // Events due later: (at, event).
    let mut later: Vec<(u64, Event)> = Vec::new();
    let mut typing_until: Option<u64> = None;
    let mut idle_since = Some(0u64);
    let mut last_was_hang = false;
    let mut stalls_in_row = 0u32;
    let mut this_turn_stalls = false;
    let mut ended_rows = 0u32;

    let look = |busy: bool, text: bool, turns_done: u32, compactions: u32| Observation {
        changed: true,
        text_changed: text,
        busy,
        idle: true,
        turns_done,
        compactions,
        ..Observation::default()
    };

    let feed = |sup: &mut Supervisor,
                event: Event,
                agent: &Agent,
                counts: &mut Counts,
                typing_until: &mut Option<u64>,
                now: u64,
                this_turn_stalls: bool,
                ended_rows: &mut u32|
     -> Vec<Action> {
        let mut out = Vec::new();
        let mut queue = vec![event];
        while let Some(event) = queue.pop() {
            for action in sup.handle(event) {
                match &action {
                    Action::Inject { kind, .. } => {
                        if !matches!(agent, Agent::Idle) {
                            counts.typed_while_busy += 1;
                        }
                        if *kind == PromptKind::NoProgress {
                            counts.no_progress_prompts += 1;
                        }
                        *typing_until = Some(now + 200);
                    }
                    Action::MeasureProgress { .. } => queue.push(Event::Workspace {
                        now_ms: now,
                        workspace: Workspace {
                            change: if this_turn_stalls {
                                Change::None
                            } else {
                                Change::Content
                            },
                            what: String::new(),
                        },
                        screen_reply: Some("Did one step.".into()),
                    }),
                    Action::Record(Row::TurnHung { .. }) => match agent {
                        Agent::Working {
                            kind: Kind::Hang, ..
                        } => counts.hangs_found += 1,
                        _ => counts.false_hangs += 1,
                    },
                    Action::Record(Row::TurnEnded { .. }) => *ended_rows += 1,
                    Action::Stop { reason, .. } => panic!("the run stopped at {now}: {reason}"),
                    Action::RestartAgent { .. } | Action::ResumeAgent { .. } => {
                        panic!("no restart expected (hangs never come two in a row)")
                    }
                    _ => {}
                }
                out.push(action);
            }
        }
        out
    };

    // The agent shows its input box.
    feed(
        &mut sup,
        Event::Screen {
            now_ms: 100,
            seen: look(false, true, 0, 0),
        },
        &agent,
        &mut counts,
        &mut typing_until,
        now,
        false,
        &mut ended_rows,
    );

    while counts.turns_started < TURNS || !matches!(agent, Agent::Idle) || waits.last_to_come() {
        now += STEP;
        let mut events: Vec<Event> = Vec::new();
        // goalie finished typing: the agent starts its turn.
        if typing_until.is_some_and(|at| now >= at) {
            typing_until = None;
            events.push(Event::InjectionDone { now_ms: now });
            counts.turns_started += 1;
            let roll = rng.below(1000);
            let kind = if roll < 8 && !last_was_hang {
                counts.hangs_made += 1;
                Kind::Hang
            } else if roll < 18 {
                Kind::Build
            } else {
                Kind::Normal
            };
            last_was_hang = kind == Kind::Hang;
            let work = match kind {
                Kind::Normal => 300 + rng.below(8000),
                Kind::Build => TIMEOUT + 30_000,
                Kind::Hang => u64::MAX / 2,
            };
            // Turns that change nothing, never three in a row (nor a hang's).
            this_turn_stalls = kind == Kind::Normal && stalls_in_row < 2 && rng.chance(300);
            stalls_in_row = if this_turn_stalls {
                stalls_in_row + 1
            } else {
                0
            };
            if this_turn_stalls {
                counts.stalled_turns_made += 1;
            }
            if counts.turns_started == TURNS {
                later.push(waits.last_wait(now + work / 2));
            } else if kind == Kind::Normal
                && !this_turn_stalls
                && let Some(claim) = waits.turn_starts(&mut rng, now, work)
            {
                later.push(claim);
            }
            agent = Agent::Working {
                until: now + work,
                kind,
                gap: 0,
                compact_at: (kind == Kind::Normal && rng.chance(20))
                    .then(|| now + rng.below(work.max(1))),
            };
            idle_since = None;
        }
        // The agent works, or finishes.
        if let Agent::Working {
            until,
            kind,
            gap,
            compact_at,
        } = &mut agent
        {
            if now >= *until {
                counts.turns_finished += 1;
                turns_done += 1;
                agent = Agent::Idle;
                idle_since = Some(now);
                events.push(Event::Screen {
                    now_ms: now,
                    seen: look(false, true, turns_done, compactions),
                });
                // The hook: on time, late (up to 3 s) or missing.
                match rng.below(3) {
                    0 => {}
                    1 => later.push((now, hook(now))),
                    _ => {
                        let at = now + 100 + rng.below(3000);
                        later.push((at, hook(at)));
                    }
                }
            } else {
                let quiet_kind = *kind != Kind::Normal;
                if *gap > 0 {
                    // The spinner is gone and nothing is drawn.
                    *gap -= 1;
                } else if !quiet_kind && rng.chance(30) {
                    // A spinner gap: the input box, no busy sign, then nothing
                    // for up to 400 ms (shorter than the shortest settle, 500 ms).
                    *gap = rng.below(4) as u32;
                    events.push(Event::Screen {
                        now_ms: now,
                        seen: look(false, false, turns_done, compactions),
                    });
                } else {
                    if let Some(at) = *compact_at
                        && now >= at
                    {
                        *compact_at = None;
                        compactions += 1;
                    }
                    let text = !quiet_kind && rng.chance(200);
                    events.push(Event::Screen {
                        now_ms: now,
                        seen: look(true, text, turns_done, compactions),
                    });
                    if !quiet_kind && rng.chance(10) {
                        for _ in 0..5 {
                            events.push(Event::Screen {
                                now_ms: now,
                                seen: look(true, true, turns_done, compactions),
                            });
                        }
                    }
                }
                if *kind == Kind::Build {
                    cpu_ms += 80; // most of a core
                }
            }
        }
        if now.is_multiple_of(2000) {
            cpu_ms += 2; // a TUI's redraws
            events.push(Event::AgentCpu {
                now_ms: now,
                cpu_ms,
            });
        }
        if rng.chance(2) {
            events.push(Event::UserInput { now_ms: now });
        }
        if matches!(agent, Agent::Idle) && rng.chance(5) {
            // A redraw burst while idle.
            for _ in 0..3 {
                events.push(Event::Screen {
                    now_ms: now,
                    seen: look(false, true, turns_done, compactions),
                });
            }
        }
        later.retain(|(at, event)| {
            if *at <= now {
                events.push(event.clone());
                false
            } else {
                true
            }
        });
        events.push(Event::Tick { now_ms: now });
        for event in events {
            let actions = feed(
                &mut sup,
                event,
                &agent,
                &mut counts,
                &mut typing_until,
                now,
                this_turn_stalls,
                &mut ended_rows,
            );
            for action in actions {
                waits.action(&action, now, &mut later);
                if let Action::Keys { .. } = action
                    && let Agent::Working {
                        kind: Kind::Hang, ..
                    } = agent
                {
                    // Esc: the agent stops and shows its input box.
                    counts.interrupted += 1;
                    agent = Agent::Idle;
                    idle_since = Some(now);
                    later.push((
                        now + 200,
                        Event::Screen {
                            now_ms: now + 200,
                            seen: look(false, true, turns_done, compactions),
                        },
                    ));
                }
            }
        }
        // A wait is no idleness goalie is to end; what follows it is.
        if waits.in_wait {
            idle_since = None;
        }
        if std::mem::take(&mut waits.just_ended) {
            idle_since = Some(now);
        }
        if let (Some(since), None) = (idle_since, typing_until) {
            counts.longest_idle_ms = counts.longest_idle_ms.max(now - since);
        }
        if typing_until.is_some() {
            idle_since = None;
        }
        assert!(now < 400_000_000, "the soak ran away: {counts:?}");
        if waits.last_prompt == Some(PromptKind::BudgetLimit) {
            // The time limit ended the last wait: the wrap-up is typed.
            break;
        }
    }

    assert_eq!(counts.turns_started, TURNS);
    // Waits: nothing typed during any, each ended once, by what it asked
    // for, by the person, and the last by the time limit.
    assert_eq!(waits.typed_during_wait, 0, "{waits:?}");
    assert_eq!(waits.stray_checks, 0, "{waits:?}");
    assert_eq!(waits.started, waits.asked, "{waits:?}");
    assert_eq!(
        waits.ended.values().sum::<u32>(),
        waits.started,
        "{waits:?}"
    );
    assert!(!waits.in_wait, "{waits:?}");
    assert_eq!(waits.ended.get("time_limit"), Some(&1), "{waits:?}");
    for end in ["elapsed", "condition_met", "user_resumed"] {
        assert!(
            waits.ended.get(end).is_some_and(|n| *n >= 10),
            "{end}: {waits:?}"
        );
    }
    assert!(waits.checks_run > waits.ended["condition_met"], "{waits:?}");
    assert_eq!(counts.typed_while_busy, 0, "{counts:?}");
    assert_eq!(counts.false_hangs, 0, "{counts:?}");
    assert_eq!(counts.no_progress_prompts, 0, "no false stall: {counts:?}");
    assert!(
        counts.hangs_made > 20 && counts.stalled_turns_made > 1000,
        "{counts:?}"
    );
    assert_eq!(counts.hangs_found, counts.hangs_made, "{counts:?}");
    assert_eq!(counts.interrupted, counts.hangs_made, "{counts:?}");
    // Every turn the agent ended (or was interrupted in) is a turn in the ledger
    // but the last, whose end may still be settling.
    let ended = counts.turns_finished + counts.interrupted;
    assert!(
        ended_rows == ended || ended_rows + 1 == ended,
        "{ended_rows} turn_ended rows for {ended} turns: {counts:?}"
    );
    // goalie never left an idle agent waiting past the quiet window, a late
    // hook and the person's keys (3 s) by much.
    assert!(counts.longest_idle_ms <= 8000, "{counts:?}");
}

fn hook(now_ms: u64) -> Event {
    Event::TurnSignal {
        now_ms,
        source: "codex-notify".into(),
        data: serde_json::json!({"type": "agent-turn-complete"}),
    }
}
