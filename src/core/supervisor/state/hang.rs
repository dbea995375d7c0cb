//! A hung turn: busy past the turn timeout with no sign of work since, where
//! a sign of work is a change on screen other than the spinner's row, a line
//! of the session log, or CPU time spent in the agent's process tree (a long
//! build keeps the model silent but the tree busy): at least half a core
//! between two readings, since a TUI drawing its spinner or busy bar uses up to
//! a third of one. The first hang is
//! interrupted; a second in a row restarts the agent on its own session; a
//! third pauses the goal.

/// What to do about a hang.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangStep {
    /// Send the adapter's interrupt keys; type `after_hang.md` once idle.
    Interrupt,
    /// Restart the agent on its own session.
    Restart,
    /// The agent hung this many turns in a row: pause the goal.
    Pause { in_row: u32 },
}

impl HangStep {
    pub fn as_str(self) -> &'static str {
        match self {
            HangStep::Interrupt => "interrupt",
            HangStep::Restart => "restart",
            HangStep::Pause { .. } => "pause",
        }
    }
}

/// CPU time of at least one part in this many of the wall time is work: half
/// a core. A fifth was too little: opencode draws its busy bar with about
/// 31 % of a core while its model hangs, so its hung turns were never found
/// on an idle machine (only under load, when it got less CPU).
pub const BUSY_SHARE: u64 = 2;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HangWatch {
    /// The last sign of work in this turn (or its start).
    last_sign_ms: u64,
    /// The CPU time of the agent's tree the last time it was read, and when
    /// (both in ms).
    cpu: Option<(u64, u64)>,
    /// This turn was found hung.
    hung: bool,
    /// Hung turns in a row.
    in_row: u32,
    /// The prompt after a hang is due.
    after_hang: bool,
    /// The agent was restarted after the hang.
    restarted: bool,
}

impl HangWatch {
    /// A turn began at `now_ms`.
    pub fn turn_started(&mut self, now_ms: u64) {
        self.last_sign_ms = now_ms;
        self.hung = false;
    }

    /// A sign of work: the screen changed beyond its spinner, or the session log spoke.
    pub fn sign(&mut self, now_ms: u64) {
        self.last_sign_ms = self.last_sign_ms.max(now_ms);
    }

    /// The agent's tree has used `cpu_ms` of CPU time so far: more than
    /// [`BUSY_SHARE`] of the time since the last reading is a sign of work. (A
    /// process that ended takes its time with it, so the figure may fall;
    /// that is no sign.)
    pub fn cpu(&mut self, now_ms: u64, cpu_ms: u64) {
        if let Some((at_ms, before)) = self.cpu {
            let used = cpu_ms.saturating_sub(before);
            let wall = now_ms.saturating_sub(at_ms).max(1);
            if used * BUSY_SHARE >= wall {
                self.sign(now_ms);
            }
        }
        self.cpu = Some((now_ms, cpu_ms));
    }

    /// How long the turn has shown no sign of work.
    pub fn silent_ms(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.last_sign_ms)
    }

    /// Whether the turn is hung at `now_ms` with `timeout_ms`: the step to
    /// take. A turn still silent a timeout after its interrupt (the keys did
    /// not stop it) is the next hang in the row.
    pub fn check(&mut self, now_ms: u64, timeout_ms: u64) -> Option<HangStep> {
        if self.silent_ms(now_ms) < timeout_ms {
            return None;
        }
        self.hung = true;
        self.last_sign_ms = now_ms;
        self.in_row += 1;
        self.after_hang = true;
        Some(match self.in_row {
            1 => HangStep::Interrupt,
            2 => {
                self.restarted = true;
                HangStep::Restart
            }
            in_row => HangStep::Pause { in_row },
        })
    }

    /// Hung turns in a row.
    pub fn in_row(&self) -> u32 {
        self.in_row
    }

    /// A turn ended: one that was not hung ends the row.
    pub fn turn_ended(&mut self) {
        if !self.hung {
            self.in_row = 0;
        }
    }

    /// A new agent process: its CPU time counts from its own start.
    pub fn new_process(&mut self) {
        self.cpu = None;
    }

    /// The prompt after a hang is due.
    pub fn after_hang_due(&self) -> bool {
        self.after_hang
    }

    /// The prompt after a hang is typed: whether the agent was restarted.
    pub fn take_after_hang(&mut self) -> bool {
        self.after_hang = false;
        std::mem::take(&mut self.restarted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_past_the_timeout_is_a_hang_once_per_turn() {
        let mut watch = HangWatch::default();
        watch.turn_started(1000);
        assert_eq!(watch.check(60_999, 60_000), None);
        assert_eq!(watch.check(61_000, 60_000), Some(HangStep::Interrupt));
        assert_eq!(watch.check(120_999, 60_000), None);
        assert!(watch.after_hang_due());
        assert!(!watch.take_after_hang());
        assert!(!watch.after_hang_due());
    }

    #[test]
    fn a_turn_the_interrupt_did_not_stop_is_the_next_hang() {
        let mut watch = HangWatch::default();
        watch.turn_started(0);
        assert_eq!(watch.check(60_000, 60_000), Some(HangStep::Interrupt));
        assert_eq!(watch.check(119_999, 60_000), None);
        assert_eq!(watch.check(120_000, 60_000), Some(HangStep::Restart));
    }

    #[test]
    fn signs_of_work_and_cpu_time_put_it_off() {
        let mut watch = HangWatch::default();
        watch.turn_started(0);
        watch.cpu(1000, 500);
        watch.sign(30_000);
        assert_eq!(watch.check(89_999, 60_000), None);
        watch.cpu(80_000, 40_000); // half a core since
        assert_eq!(watch.check(139_999, 60_000), None, "a long build");
        watch.cpu(82_000, 40_050); // a spinner's redraws: 2.5 %
        watch.cpu(130_000, 4_000); // a process ended
        assert_eq!(watch.check(140_000, 60_000), Some(HangStep::Interrupt));
    }

    #[test]
    fn a_tui_drawing_its_busy_bar_is_no_sign_of_work() {
        let mut watch = HangWatch::default();
        watch.turn_started(0);
        watch.cpu(0, 0);
        // opencode while its model hangs: 31 % of a core, for a whole minute.
        for second in 1..=60 {
            watch.cpu(second * 1000, second * 310);
        }
        assert_eq!(watch.check(60_000, 60_000), Some(HangStep::Interrupt));
    }

    #[test]
    fn hangs_in_a_row_interrupt_then_restart_then_pause() {
        let mut watch = HangWatch::default();
        let mut steps = Vec::new();
        for n in 0..3 {
            let start = n * 100_000;
            watch.turn_started(start);
            steps.push(watch.check(start + 60_000, 60_000).unwrap());
            watch.turn_ended();
        }
        assert_eq!(
            steps,
            [
                HangStep::Interrupt,
                HangStep::Restart,
                HangStep::Pause { in_row: 3 }
            ]
        );
        assert!(watch.take_after_hang(), "restarted");
        watch.turn_started(400_000);
        watch.turn_ended();
        assert_eq!(watch.in_row(), 0, "a turn that did not hang ends the row");
    }
}
