//! Fresh context (`--fresh`) and context rotation (`--rotate-at`) over event
//! sequences: a new agent process per rotation, the handoff in its first prompt.

use super::*;

impl Run {
    fn restarts(&self) -> Vec<Option<String>> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::RestartAgent { handoff_file, .. } => Some(handoff_file.clone()),
                _ => None,
            })
            .collect()
    }

    fn last_vars(&self) -> PromptVars {
        self.actions
            .iter()
            .rev()
            .find_map(|a| match a {
                Action::Inject { vars, .. } => Some((**vars).clone()),
                _ => None,
            })
            .expect("a prompt")
    }

    /// The shell started the new process: it shows its input box, and gets its first prompt.
    fn restarted(&mut self, handoff: Option<&str>) {
        let t = self.now + 500;
        let handoff = handoff.map(str::to_string);
        self.at(t, |now_ms| Event::AgentRestarted { now_ms, handoff });
        self.screen(t + 100, idle());
        self.ticks(t + 100 + QUIET + 100);
        let now = self.now + 300;
        self.injected(now);
    }
}

fn rotating(rotation: Rotation) -> Run {
    let mut cfg = config();
    cfg.rotation = rotation;
    Run::new(cfg)
}

#[test]
fn fresh_context_starts_a_new_process_for_every_turn() {
    let mut run = rotating(Rotation::EveryTurn);
    run.start();
    for process in 2..=4 {
        let start = run.now + 100;
        run.screen(start, busy());
        run.ticks(start + 1000);
        let end = run.now + 100;
        run.screen(end, idle_with(|o| o.tokens = Some(1000)));
        run.ticks(end + QUIET + 200);
        assert_eq!(run.restarts().len(), process - 1);
        // Nothing is typed while the shell swaps the process.
        let until = run.now + 5000;
        run.ticks(until);
        run.restarted(None);
        assert_eq!(run.injections().last(), Some(&PromptKind::AfterRotation));
        assert_eq!(run.last_vars().process, process as u32);
        assert_eq!(run.last_vars().handoff, None);
    }
    assert_eq!(run.restarts(), vec![None, None, None]);
    assert_eq!(run.records("rotated").len(), 3);
    // Each process's token figure counts from zero; the goal's adds up.
    assert_eq!(run.sup.tokens_used(), 3000);
    assert_eq!(run.sup.turns(), 3);
}

#[test]
fn rotation_asks_for_a_handoff_then_continues_from_it_in_a_new_process() {
    let mut run = rotating(Rotation::At(80));
    run.start();
    run.turn(1000, idle_with(|o| o.context_used_pct = Some(40)));
    assert_eq!(run.injections().last(), Some(&PromptKind::Continuation));
    run.turn(1000, idle_with(|o| o.context_used_pct = Some(85)));
    assert_eq!(run.injections().last(), Some(&PromptKind::Handoff));
    let file = handoff_file("goal1234", 1);
    assert_eq!(run.last_vars().handoff_file.as_deref(), Some(file.as_str()));
    assert_eq!(run.records("rotation_started").len(), 1);
    // The handoff turn ends: the process is replaced, nothing is typed meanwhile.
    let start = run.now + 100;
    run.screen(start, busy());
    run.ticks(start + 1000);
    let end = run.now + 100;
    run.screen(end, idle_with(|o| o.context_used_pct = Some(88)));
    run.ticks(end + QUIET + 200);
    assert_eq!(run.restarts(), vec![Some(file)]);
    assert_eq!(run.injections().len(), 3, "start, continuation, handoff");
    run.restarted(Some("Done: parser. Next: the empty-input test."));
    assert_eq!(run.injections().last(), Some(&PromptKind::AfterRotation));
    let vars = run.last_vars();
    assert_eq!(
        vars.handoff.as_deref(),
        Some("Done: parser. Next: the empty-input test.")
    );
    assert_eq!(vars.objective, "Make the tests pass");
    // The new process's gauge starts low: no rotation until it fills again.
    run.turn(1000, idle_with(|o| o.context_used_pct = Some(10)));
    assert_eq!(run.injections().last(), Some(&PromptKind::Continuation));
    assert_eq!(run.restarts().len(), 1);
}

#[test]
fn a_compaction_before_a_rotation_needs_no_restoring_prompt() {
    let mut run = rotating(Rotation::EveryTurn);
    run.start();
    let start = run.now + 100;
    run.screen(start, busy());
    run.screen(
        start + 100,
        Observation {
            compactions: 1,
            ..busy()
        },
    );
    run.ticks(start + 1000);
    let end = run.now + 100;
    run.screen(end, idle());
    run.ticks(end + QUIET + 200);
    assert_eq!(run.records("compacted").len(), 1);
    run.restarted(None);
    assert_eq!(
        run.injections(),
        vec![PromptKind::Start, PromptKind::AfterRotation]
    );
}

#[test]
fn a_new_process_gets_its_own_startup_time() {
    let mut run = rotating(Rotation::EveryTurn);
    run.start();
    let start = run.now + 100;
    run.screen(start, busy());
    run.ticks(start + 1000);
    let end = run.now + 100;
    run.screen(end, idle());
    run.ticks(40_000);
    assert_eq!(run.restarts().len(), 1);
    run.at(40_100, |now_ms| Event::AgentRestarted {
        now_ms,
        handoff: None,
    });
    run.screen(40_200, busy_only());
    run.ticks(60_000);
    assert_eq!(
        run.stop_code(),
        None,
        "30 s from the restart, not from the run's start"
    );
    run.ticks(70_200);
    assert_eq!(run.stop_code(), Some(exit_code::PAUSED));
}

fn busy_only() -> Observation {
    Observation {
        changed: true,
        busy: true,
        ..Observation::default()
    }
}

/// A turn in which the session log says the context holds `tokens` (no
/// window), and the prompt typed after it.
fn turn_with_context(run: &mut Run, tokens: u64) -> Option<PromptKind> {
    let start = run.now + 100;
    run.screen(start, busy());
    let at = run.now + 50;
    run.at(at, |now_ms| Event::SessionLog {
        now_ms,
        event: LogEvent::Context {
            tokens,
            window: None,
        },
    });
    run.ticks(start + 1000);
    let end = run.now + 100;
    run.screen(end, idle());
    run.ticks(end + QUIET + 200);
    run.injected(run.now + 300);
    run.injections().last().copied()
}

#[test]
fn a_log_without_the_window_rotates_by_the_adapters_window() {
    let mut cfg = config();
    cfg.rotation = Rotation::At(80);
    cfg.context_window = Some(200_000);
    let mut run = Run::new(cfg);
    run.start();
    // 40 % of the window: a continuation; 85 %: the handoff.
    assert_eq!(
        turn_with_context(&mut run, 80_000),
        Some(PromptKind::Continuation)
    );
    assert_eq!(
        turn_with_context(&mut run, 170_000),
        Some(PromptKind::Handoff)
    );

    // Without a window anywhere the log's figure is no share: no rotation.
    let mut cfg = config();
    cfg.rotation = Rotation::At(80);
    let mut run = Run::new(cfg);
    run.start();
    assert_eq!(
        turn_with_context(&mut run, 170_000),
        Some(PromptKind::Continuation)
    );
}
