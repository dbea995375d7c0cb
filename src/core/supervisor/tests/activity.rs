//! What the status shows the run doing, through a turn and a takeover.

use super::*;

#[test]
fn the_activity_follows_the_turn_the_persons_keys_and_a_takeover() {
    let mut run = Run::new(config());
    assert_eq!(run.sup.activity(0), Activity::Starting);
    run.screen(100, idle());
    run.ticks(100 + QUIET);
    assert_eq!(run.sup.activity(run.now), Activity::Typing);
    let now = run.now + 300;
    run.injected(now);
    let now = run.now + 100;
    run.screen(now, busy());
    assert_eq!(run.sup.activity(run.now), Activity::Working);
    // The agent is done, but the person is typing: goalie waits for their keys.
    let now = run.now + 100;
    run.screen(now, idle());
    let now = run.now + 10;
    run.at(now, |now_ms| Event::UserInput { now_ms });
    assert_eq!(run.sup.activity(run.now), Activity::WaitingForKeys);
    assert_eq!(run.sup.activity(run.now + 3000), Activity::Working);
    // The takeover chord: the person has the agent.
    let now = run.now + 10;
    run.at(now, |now_ms| Event::TakeoverChord { now_ms });
    assert_eq!(run.sup.activity(run.now), Activity::TakenOver);
    assert_eq!(Activity::TakenOver.label(), "taken over");
    assert_eq!(Activity::WaitingForKeys.label(), "waiting for your keys");
}
