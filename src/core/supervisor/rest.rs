//! Resting: the goal is paused (by a command, or by the person taking the
//! terminal over) and the agent's turn has ended, so goalie types nothing and
//! nothing it watches is timed. Then no tick of the clock can change
//! anything until something else comes (output, keys, a command, a claim),
//! and the shell stops the clock, as it does while goalie waits
//! ([`Supervisor::wait_alarm_ms`]), but with no alarm at all.
//!
//! What a tick does, and why none of it can act while resting:
//! - the phase's own step: in [`Phase::Idle`] it types the next prompt once
//!   the goal is pursued again and the screen has settled; paused, nothing
//!   (a resume is a command, which wakes the loop, and ends the rest);
//! - the start's timeout, the turn's end, its wrap-up and time limit, the
//!   hang watch, dialogs and unknown screens: only in the phases of a start
//!   or a turn ([`Phase::Starting`], [`Phase::Working`]); a known dialog on
//!   screen is left out anyway (answered as soon as the goal moves on);
//! - the time budget: idle time while paused is not spent
//!   ([`IdleTime`](super::state::IdleTime)), so it cannot run out;
//! - a compaction banner that must hold, or a compaction episode still
//!   open: closed at a later tick, so not resting until they are;
//! - a prompt's Enter held for `goalie mcp`'s tools: only while it is being
//!   typed, never in `Idle`; left out all the same;
//! - the person's keys (the user-quiet window): while paused they hold
//!   nothing back (the activity is `Paused` or `TakenOver` either way);
//! - the no-progress breaker, rotation, backoff and waits: at a turn's end
//!   or in their own phases only.
//!
//! Paused mid-turn is not resting: the turn must still be seen to end.

use crate::goal::lifecycle::GoalState;

use super::Supervisor;
use super::phase::Phase;

impl Supervisor {
    /// Whether no tick can change anything until another event comes: the
    /// goal paused (or taken over) at an idle prompt, nothing on screen or
    /// in the core waiting for the clock (see the module's doc).
    pub fn resting(&self) -> bool {
        self.phase == Phase::Idle
            && self.state == GoalState::Paused
            && self.dialog.shown().is_none()
            && !self.tools.held()
            && !self.context.settling()
    }
}
