//! The no-progress breaker and hung turns over event sequences: every turn's
//! end waits for the workspace's measurement, turns without progress bring
//! `no_progress`, then a pause; a silent busy turn is interrupted, then the
//! agent restarted, then the goal paused.

use super::*;
use crate::core::config::Watchdog;
use crate::core::progress::{Change, Workspace};

const TIMEOUT: u64 = 60_000;

fn watched() -> Config {
    Config {
        watchdog: Watchdog {
            measure_progress: true,
            stall_turns: 3,
            turn_timeout_ms: Some(TIMEOUT),
            interrupt: "\x1b".into(),
        },
        ..config()
    }
}

fn workspace(change: Change) -> Workspace {
    Workspace {
        change,
        what: match change {
            Change::None => "workspace unchanged".into(),
            Change::Touched => "1 file touched, content unchanged: notes.txt".into(),
            Change::Content => "1 file changed: new.txt".into(),
        },
    }
}

impl Run {
    /// One turn: busy, then idle; the measurement asked for is answered
    /// with `change`, and the screen's reply is `reply`.
    fn measured_turn(&mut self, change: Change, reply: &str) {
        let start = self.now + 100;
        self.screen(start, busy());
        self.ticks(start + 2000);
        let end = self.now + 100;
        self.screen(end, idle());
        let before = self.measurements();
        let t = end + QUIET + 200;
        while self.now < t {
            let next = self.now + 100;
            self.tick(next);
            if self.measurements() > before {
                break;
            }
        }
        assert_eq!(
            self.measurements(),
            before + 1,
            "one measurement per turn end"
        );
        assert!(
            !matches!(self.sup.phase, Phase::Injecting { .. }),
            "nothing is typed before the measurement"
        );
        let screen_reply = Some(reply.to_string());
        let now = self.now;
        self.at(now, |now_ms| Event::Workspace {
            now_ms,
            workspace: workspace(change),
            screen_reply,
        });
        if matches!(self.sup.phase, Phase::Injecting { .. }) {
            let now = self.now + 300;
            self.injected(now);
        }
    }

    fn measurements(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| matches!(a, Action::MeasureProgress { .. }))
            .count()
    }

    fn last_vars_of(&self, kind: PromptKind) -> PromptVars {
        self.actions
            .iter()
            .rev()
            .find_map(|a| match a {
                Action::Inject { kind: k, vars, .. } if *k == kind => Some((**vars).clone()),
                _ => None,
            })
            .expect("a prompt of that kind")
    }
}

#[test]
fn the_same_reply_and_no_change_nudges_after_three_turns_and_pauses_after_six() {
    let mut run = Run::new(Config {
        limits: Limits {
            max_turns: Some(40),
            ..Limits::default()
        },
        ..watched()
    });
    run.start();
    for _ in 0..6 {
        run.measured_turn(Change::None, "I looked at the code again.");
    }
    let kinds = run.injections();
    assert_eq!(
        kinds,
        [
            PromptKind::Start,
            PromptKind::Continuation,
            PromptKind::Continuation,
            PromptKind::NoProgress,
            PromptKind::Continuation,
            PromptKind::Continuation,
        ]
    );
    let vars = run.last_vars_of(PromptKind::NoProgress);
    let note = vars.stall.expect("what did not change");
    assert_eq!(note.turns, 3);
    assert_eq!(note.unchanged.len(), 3);
    assert!(note.unchanged[1].contains("workspace unchanged"));
    assert_eq!(run.stop_code(), Some(exit_code::PAUSED));
    let reasons: Vec<String> = run
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Transition { to, reason, .. } if *to == GoalState::Paused => {
                Some(reason.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(reasons, ["no progress in 6 turns"]);
    let rows = run.records("progress");
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[5]["without"], 6);
    assert_eq!(rows[0]["progress"], false);
}

#[test]
fn a_new_file_every_turn_is_never_stopped_by_the_breaker() {
    let mut run = Run::new(watched());
    run.start();
    for _ in 0..12 {
        run.measured_turn(Change::Content, "Wrote another file.");
    }
    assert!(!run.injections().contains(&PromptKind::NoProgress));
    assert_eq!(run.stop_code(), None);
    assert!(
        run.records("progress")
            .iter()
            .all(|row| row["progress"] == true)
    );
}

#[test]
fn a_touched_file_with_the_same_reply_counts_as_no_progress() {
    let mut run = Run::new(watched());
    run.start();
    for _ in 0..4 {
        run.measured_turn(Change::Touched, "Updated the notes.");
    }
    let progress: Vec<bool> = run
        .records("progress")
        .iter()
        .map(|row| row["progress"] == true)
        .collect();
    assert_eq!(
        progress,
        [true, false, false, false],
        "the first reply is new"
    );
    assert!(run.injections().contains(&PromptKind::NoProgress));
}

#[test]
fn progress_resets_the_count_and_zero_turns_turn_the_breaker_off() {
    let mut run = Run::new(watched());
    run.start();
    for _ in 0..2 {
        run.measured_turn(Change::None, "same");
    }
    run.measured_turn(Change::Content, "same");
    for _ in 0..2 {
        run.measured_turn(Change::None, "same");
    }
    assert!(!run.injections().contains(&PromptKind::NoProgress));

    let mut off = Run::new(Config {
        watchdog: Watchdog {
            stall_turns: 0,
            ..watched().watchdog
        },
        ..watched()
    });
    off.start();
    for _ in 0..10 {
        off.measured_turn(Change::None, "same");
    }
    assert!(!off.injections().contains(&PromptKind::NoProgress));
    assert_eq!(off.stop_code(), None);
    assert_eq!(off.records("progress").len(), 10, "still recorded");
}

impl Run {
    /// A turn whose spinner runs with nothing else: ticks (and spinner
    /// frames that change only the busy row) until `until`.
    fn spin(&mut self, until: u64) {
        while self.now + 1000 <= until && !self.sup.is_stopped() {
            let next = self.now + 1000;
            self.screen(next, busy()); // text_changed: false
        }
    }

    fn keys(&self) -> Vec<String> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Keys { keys } => Some(keys.clone()),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn a_silent_spinner_is_interrupted_at_the_timeout_then_after_hang_is_typed() {
    let mut run = Run::new(watched());
    run.start();
    let start = run.now;
    run.spin(start + TIMEOUT - 1000);
    assert!(run.records("turn_hung").is_empty());
    run.spin(start + TIMEOUT + 1000);
    let hung = run.records("turn_hung");
    assert_eq!(hung.len(), 1);
    assert_eq!(hung[0]["step"], "interrupt");
    assert_eq!(run.keys(), ["\x1b"]);
    // The agent stops: idle again, the turn ends, the measurement, then after_hang.
    run.measured_turn_from_idle();
    assert_eq!(run.injections().last(), Some(&PromptKind::AfterHang));
    let note = run.last_vars_of(PromptKind::AfterHang).stall.unwrap();
    assert!(!note.restarted);
    assert_eq!(note.silent_for.as_deref(), Some("1m 0s"));
}

impl Run {
    /// The agent shows its input box after an interrupt: the turn ends.
    fn measured_turn_from_idle(&mut self) {
        let end = self.now + 100;
        self.screen(end, idle());
        self.ticks(end + QUIET + 200);
        let now = self.now;
        self.at(now, |now_ms| Event::Workspace {
            now_ms,
            workspace: workspace(Change::None),
            screen_reply: Some("Interrupted".into()),
        });
        let now = self.now + 300;
        self.injected(now);
    }
}

#[test]
fn a_second_hang_in_a_row_restarts_the_agent_and_a_third_pauses() {
    let mut run = Run::new(watched());
    run.start();
    let start = run.now;
    run.spin(start + TIMEOUT + 1000);
    run.measured_turn_from_idle();
    let start = run.now;
    run.spin(start + TIMEOUT + 1000);
    let resumes: Vec<&Action> = run
        .actions
        .iter()
        .filter(|a| matches!(a, Action::ResumeAgent { .. }))
        .collect();
    assert_eq!(resumes.len(), 1, "the second hang restarts the agent");
    assert_eq!(run.keys().len(), 1, "no interrupt the second time");
    let t = run.now + 500;
    run.at(t, |now_ms| Event::AgentRestarted {
        now_ms,
        handoff: None,
    });
    run.screen(t + 100, idle());
    run.ticks(t + 100 + QUIET + 100);
    assert_eq!(run.injections().last(), Some(&PromptKind::AfterHang));
    assert!(
        run.last_vars_of(PromptKind::AfterHang)
            .stall
            .unwrap()
            .restarted
    );
    let now = run.now + 300;
    run.injected(now);
    let start = run.now;
    run.spin(start + TIMEOUT + 1000);
    assert_eq!(run.stop_code(), Some(exit_code::PAUSED));
    let steps: Vec<String> = run
        .records("turn_hung")
        .iter()
        .map(|row| row["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(steps, ["interrupt", "restart", "pause"]);
}

#[test]
fn a_turn_the_interrupt_does_not_stop_restarts_the_agent_a_timeout_later() {
    let mut run = Run::new(watched());
    run.start();
    let start = run.now;
    run.spin(start + TIMEOUT + 1000);
    assert_eq!(run.keys(), ["\x1b"]);
    assert!(
        !run.actions
            .iter()
            .any(|a| matches!(a, Action::ResumeAgent { .. }))
    );
    run.spin(start + 2 * TIMEOUT + 2000);
    assert!(
        run.actions
            .iter()
            .any(|a| matches!(a, Action::ResumeAgent { .. }))
    );
    let steps: Vec<String> = run
        .records("turn_hung")
        .iter()
        .map(|row| row["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(steps, ["interrupt", "restart"]);
}

#[test]
fn cpu_time_screen_text_or_log_lines_keep_a_long_turn_alive() {
    let mut run = Run::new(watched());
    run.start();
    let start = run.now;
    let mut cpu_ms = 0;
    let mut looks = 0;
    // A long build: the spinner only, but CPU time grows; then log lines; then text.
    while run.now < start + 4 * TIMEOUT {
        let next = run.now + 1000;
        run.screen(next, busy());
        looks += 1;
        if looks % 2 == 0 {
            cpu_ms += 1500; // a core's three quarters
            run.at(next, |now_ms| Event::AgentCpu { now_ms, cpu_ms });
        }
    }
    while run.now < start + 6 * TIMEOUT {
        let next = run.now + 10_000;
        run.at(next, |now_ms| Event::SessionLog {
            now_ms,
            event: LogEvent::CommandRun {
                command: "cargo build".into(),
            },
        });
    }
    while run.now < start + 8 * TIMEOUT {
        let next = run.now + 10_000;
        run.screen(
            next,
            Observation {
                text_changed: true,
                ..busy()
            },
        );
    }
    assert!(run.records("turn_hung").is_empty());
    assert!(run.keys().is_empty());
    // Then silence: a spinner's few ms of CPU are no sign.
    let start = run.now;
    while run.now < start + TIMEOUT + 2000 {
        let next = run.now + 1000;
        cpu_ms += 20;
        run.at(next, |now_ms| Event::AgentCpu { now_ms, cpu_ms });
    }
    assert_eq!(run.records("turn_hung").len(), 1);
}

#[test]
fn without_a_timeout_or_measurement_nothing_changes() {
    let mut run = Run::new(config());
    run.start();
    let start = run.now;
    run.spin(start + 10 * TIMEOUT);
    assert!(run.records("turn_hung").is_empty());
    run.turn(100, idle());
    assert!(run.records("progress").is_empty());
    assert!(
        !run.actions
            .iter()
            .any(|a| matches!(a, Action::MeasureProgress { .. }))
    );
}
