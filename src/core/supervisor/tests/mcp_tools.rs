//! A first prompt's Enter held until `goalie mcp`'s tools are listed
//! (`mcp_tools.rs`).

use super::*;
use crate::core::row::Row;

fn listing(wait_ms: u64) -> Run {
    let mut cfg = config();
    cfg.mcp = true;
    cfg.mcp_tools_wait_ms = wait_ms;
    Run::new(cfg)
}

fn submits(run: &Run) -> usize {
    run.actions
        .iter()
        .filter(|a| matches!(a, Action::Submit))
        .count()
}

fn listed(run: &mut Run, now: u64) -> Vec<Action> {
    run.at(now, |now_ms| Event::McpToolsListed { now_ms })
}

#[test]
fn the_first_enter_waits_for_the_tools_and_goes_when_they_are_listed() {
    let mut run = listing(8000);
    run.screen(100, idle());
    run.screen(250, idle());
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    assert!(run.sup.enter_held(), "typed before the tools were listed");
    run.ticks(2000);
    assert_eq!(submits(&run), 0, "nothing lets it go yet");
    let out = listed(&mut run, 2050);
    assert_eq!(
        out,
        vec![
            Action::Record(Row::McpToolsListed {
                process: 1,
                enter_held: true
            }),
            Action::Submit
        ]
    );
    assert!(!run.sup.enter_held());
    // Listed again (a list_changed): nothing more.
    assert!(listed(&mut run, 2100).is_empty());
    run.injected(2150);
    run.turn(500, idle());
    assert_eq!(run.injections().len(), 2);
    assert!(!run.sup.enter_held(), "the tools are listed: no wait");
    assert_eq!(submits(&run), 1);
}

#[test]
fn tools_listed_before_the_prompt_hold_nothing() {
    let mut run = listing(8000);
    let out = listed(&mut run, 50);
    assert_eq!(
        out,
        vec![Action::Record(Row::McpToolsListed {
            process: 1,
            enter_held: false
        })]
    );
    run.screen(100, idle());
    run.screen(250, idle());
    assert_eq!(run.injections(), vec![PromptKind::Start]);
    assert!(!run.sup.enter_held());
    assert_eq!(submits(&run), 0);
}

#[test]
fn an_agent_that_never_lists_gets_its_enter_after_the_wait_and_only_once_waits() {
    let mut run = listing(3000);
    run.screen(100, idle());
    run.screen(250, idle());
    assert!(run.sup.enter_held());
    run.ticks(3200);
    assert_eq!(submits(&run), 0, "2.9 s held: not yet");
    run.ticks(3300);
    assert_eq!(submits(&run), 1);
    assert_eq!(
        run.records("mcp_tools_unlisted"),
        vec![json!({ "process": 1, "waited_ms": 3000 })]
    );
    run.injected(3350);
    run.turn(500, idle());
    assert_eq!(run.injections().len(), 2);
    assert!(!run.sup.enter_held(), "this process waited once: not again");
}

#[test]
fn without_mcp_or_without_a_wait_nothing_is_held() {
    for (mcp, wait_ms) in [(false, 8000), (true, 0)] {
        let mut cfg = config();
        cfg.mcp = mcp;
        cfg.mcp_tools_wait_ms = wait_ms;
        let mut run = Run::new(cfg);
        run.screen(100, idle());
        run.screen(250, idle());
        assert_eq!(run.injections(), vec![PromptKind::Start]);
        assert!(!run.sup.enter_held(), "mcp {mcp}, wait {wait_ms}");
    }
}
