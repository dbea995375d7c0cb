//! When the loop's clock ticks, and so when the screen is looked at while a
//! turn is under way.
//!
//! The core acts on the clock: a turn ends, a dialog is answered, a hang is
//! seen at a tick, after the screen has been still for a while. While the
//! agent's output streams in (a reply, a spinner), the screen is not still,
//! so none of that can be due, and a look at every chunk (a snapshot of the
//! screen's rows and the adapter's rules run over them) was most of goalie's
//! own CPU. So in a turn (once its screen has shown that the agent took the
//! prompt: a busy sign drawn for a few milliseconds must not be missed) the
//! screen is looked at only at ticks, and the clock
//! waits for the output to pause ([`PAUSE`] without a chunk) but never longer
//! than [`STREAM_TICK`] (the hang watch's readings, the ledger's chores, the
//! claims `goalie mcp` stored, the person's status row: all want a tick now
//! and then). Once the output has stopped, the clock ticks every [`TICK`] as
//! before. The core is told when the output that changed the screen came
//! (`Observation::drawn_ms`), so its stillness is measured from there, not
//! from the look.
//!
//! Outside turns (the agent starting, a prompt being typed, goalie waiting)
//! the screen is looked at as output comes, at most every `LOOK_EVERY`, and
//! the clock ticks every [`TICK`]: start-up's evidence that the agent is
//! ready needs looks close to its drawing.
//!
//! In a turn, output that comes in small chunks close together (a reply
//! streamed a few words at a time, a spinner redrawn every few
//! milliseconds) waits in the PTY until [`BATCH`] after the last chunks
//! were taken in, and is then read at once, in one chunk ([`hold_output`]):
//! a wake-up of the loop for each chunk was what goalie's CPU still went on
//! while Codex streamed. The agent is never held up by it (the PTY has room
//! for far more than such a stream writes meanwhile), a flood's large chunks
//! are taken in as they come, and outside turns nothing waits. Headless (no
//! person's terminal mirrors the output), small output in a turn always
//! waits [`HEADLESS_BATCH`], close or not: Codex streams a chunk every 30 ms
//! or so, too far apart for the batch above.
//!
//! Chores done every so many seconds are timed by [`Every`], not counted in
//! ticks, since ticks no longer come at a fixed rate.

use std::time::{Duration, Instant};

/// How often the clock ticks when no output is coming in.
pub(super) const TICK: Duration = Duration::from_millis(100);

/// In a turn, output that stopped for this long has paused: the clock ticks
/// (and the screen is looked at).
pub(super) const PAUSE: Duration = Duration::from_millis(100);

/// In a turn, while output keeps coming, the clock ticks at least this often.
pub(super) const STREAM_TICK: Duration = Duration::from_millis(500);

/// In a turn, how long small chunks of output wait to be taken in together.
/// A person watching the mirrored output sees it this much later at most:
/// about a frame of a 60 Hz screen.
pub(super) const BATCH: Duration = Duration::from_millis(16);

/// Headless (no person watching the output mirrored), in a turn, small
/// output always waits this long after the output before was taken in,
/// close or not: a reply streamed a chunk every 30 ms (Codex) is taken in
/// two or three chunks at a time, not a wake-up each. The screen is looked
/// at only at ticks meanwhile, and its stillness counts from when output
/// was taken in, so a turn's end is seen at most this much later.
pub(super) const HEADLESS_BATCH: Duration = Duration::from_millis(50);

/// Output taken in at one wake-up under this many bytes is a stream of small
/// chunks; more is a flood, which is taken in as it comes.
pub(super) const SMALL_OUTPUT: usize = 8 * 1024;

/// Whether the next output is to wait in the PTY, and until when: in a
/// turn (`paced`), when what was last taken in (at `taken`, `bytes` of it)
/// was small and close to more (`close`: it came while output was held
/// back, more than one chunk was waiting, or it came soon after the output
/// before), until [`BATCH`] after `taken`; headless (not `mirrored` to a
/// person's terminal), whether close or not, until [`HEADLESS_BATCH`] after.
pub(super) fn hold_output(
    paced: bool,
    mirrored: bool,
    taken: Option<Instant>,
    bytes: usize,
    close: bool,
    now: Instant,
) -> Option<Instant> {
    let (batch, close) = if mirrored {
        (BATCH, close)
    } else {
        (HEADLESS_BATCH, true)
    };
    let until = taken? + batch;
    (paced && close && bytes < SMALL_OUTPUT && until > now).then_some(until)
}

/// When the clock ticks next: `last_tick`, its last tick; `output`, when the
/// latest output came, if any came since that tick; `paced`, whether a turn
/// is under way (see the module's doc).
pub(super) fn next_tick(last_tick: Instant, output: Option<Instant>, paced: bool) -> Instant {
    let due = last_tick + TICK;
    match output {
        Some(at) if paced && at + PAUSE > due => (at + PAUSE).min(last_tick + STREAM_TICK),
        _ => due,
    }
}

/// A chore done every `period`: due at the first tick at least that long
/// after it was last done.
#[derive(Debug, Clone, Copy)]
pub(super) struct Every {
    period: Duration,
    last: Instant,
}

impl Every {
    /// A chore first due `period` after `now`.
    pub(super) fn new(period: Duration, now: Instant) -> Every {
        Every { period, last: now }
    }

    /// Whether the chore is due at `now`; if so, it counts as done then.
    pub(super) fn due(&mut self, now: Instant) -> bool {
        let due = now.saturating_duration_since(self.last) >= self.period;
        if due {
            self.last = now;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn without_output_or_outside_a_turn_the_clock_ticks_every_100_ms() {
        let t = Instant::now();
        assert_eq!(next_tick(t, None, true), t + TICK);
        assert_eq!(next_tick(t, None, false), t + TICK);
        // Output outside a turn: the clock does not wait for it to pause.
        assert_eq!(next_tick(t, Some(t + ms(90)), false), t + TICK);
        // Output long before the tick was due: it paused already.
        assert_eq!(next_tick(t, Some(t), true), t + TICK);
    }

    #[test]
    fn in_a_turn_the_clock_waits_for_the_output_to_pause_but_at_most_500_ms() {
        let t = Instant::now();
        assert_eq!(next_tick(t, Some(t + ms(60)), true), t + ms(160));
        assert_eq!(next_tick(t, Some(t + ms(390)), true), t + ms(490));
        assert_eq!(next_tick(t, Some(t + ms(450)), true), t + STREAM_TICK);
    }

    #[test]
    fn a_stream_of_chunks_every_30_ms_has_two_ticks_a_second_not_ten() {
        // Ten seconds of chunks every 30 ms, the clock ticking as it says.
        let start = Instant::now();
        let end = start + Duration::from_secs(10);
        let mut last_tick = start;
        let mut ticks = 0;
        let mut chunk = start;
        loop {
            let mut output = None;
            // The chunks before the next tick (each one moves it on).
            let mut tick = next_tick(last_tick, output, true);
            while chunk + ms(30) < tick && chunk + ms(30) < end {
                chunk += ms(30);
                output = Some(chunk);
                tick = next_tick(last_tick, output, true);
            }
            if tick > end {
                break;
            }
            ticks += 1;
            last_tick = tick;
        }
        assert!((19..=21).contains(&ticks), "{ticks} ticks");
    }

    #[test]
    fn in_a_turn_small_close_chunks_wait_a_batch_and_a_flood_or_a_lone_chunk_does_not() {
        let t = Instant::now();
        // A stream of small chunks in a turn: the next waits until 16 ms after.
        assert_eq!(
            hold_output(true, true, Some(t), 48, true, t + ms(5)),
            Some(t + BATCH)
        );
        // Once that time has come, it is taken in.
        assert_eq!(hold_output(true, true, Some(t), 48, true, t + BATCH), None);
        // A lone chunk (the output before it came long before): at once.
        assert_eq!(hold_output(true, true, Some(t), 48, false, t + ms(5)), None);
        // A flood's worth taken in at once: the next comes at once too.
        assert_eq!(
            hold_output(true, true, Some(t), SMALL_OUTPUT, true, t + ms(1)),
            None
        );
        // Outside a turn, or before any output: nothing waits.
        assert_eq!(hold_output(false, true, Some(t), 48, true, t + ms(5)), None);
        assert_eq!(hold_output(true, true, None, 0, true, t), None);
    }

    #[test]
    fn headless_in_a_turn_small_chunks_wait_a_longer_batch_close_or_not() {
        let t = Instant::now();
        // A lone chunk of a reply streamed every 30 ms: the next waits.
        assert_eq!(
            hold_output(true, false, Some(t), 48, false, t + ms(30)),
            Some(t + HEADLESS_BATCH)
        );
        assert_eq!(
            hold_output(true, false, Some(t), 48, false, t + HEADLESS_BATCH),
            None
        );
        // A flood, outside a turn, before any output: nothing waits.
        assert_eq!(
            hold_output(true, false, Some(t), SMALL_OUTPUT, true, t + ms(1)),
            None
        );
        assert_eq!(
            hold_output(false, false, Some(t), 48, true, t + ms(5)),
            None
        );
        assert_eq!(hold_output(true, false, None, 0, true, t), None);
    }

    #[test]
    fn a_chore_is_due_once_a_period() {
        let t = Instant::now();
        let mut every = Every::new(Duration::from_secs(10), t);
        assert!(!every.due(t + ms(9_900)));
        assert!(every.due(t + ms(10_000)));
        assert!(!every.due(t + ms(19_000)));
        assert!(every.due(t + ms(20_100)));
    }
}
