//! How `goalie replay` is stopped before its end: Ctrl-C, SIGINT, SIGTERM or
//! SIGHUP. While it plays to a terminal, the keyboard is in raw mode, so keys
//! typed meanwhile neither echo over the recording nor reach the shell after
//! it; Ctrl-C is then a key, read between the recording's writes. A signal's
//! handler only stores its number; the player looks between writes and
//! while it waits. Either way the player stops, the terminal is reset (its
//! modes off, the cursor shown) and put back, and goalie exits 128 + the
//! signal's number: 130 for Ctrl-C.

use std::os::fd::AsFd;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};

use crate::terminal::RawMode;

/// The number of the signal that stops the replay; 0: none yet.
static STOPPED: AtomicI32 = AtomicI32::new(0);

const STOPPING: [Signal; 3] = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP];

/// The longest the player waits without looking at the keys and signals.
const LOOK_EVERY: Duration = Duration::from_millis(50);

extern "C" fn on_signal(signal: libc::c_int) {
    STOPPED.store(signal, Ordering::SeqCst);
}

/// The handlers (and raw mode, with `keys`) while the replay plays; dropping
/// it puts the previous handlers and the terminal's modes back.
pub struct Stop {
    previous: Vec<(Signal, SigAction)>,
    /// Raw mode on standard input: keys are read, not echoed.
    raw: Option<RawMode>,
}

impl Stop {
    /// Listens for the stopping signals and, with `keys` (standard input and
    /// output are a terminal), for Ctrl-C typed in raw mode.
    pub fn install(keys: bool) -> Stop {
        STOPPED.store(0, Ordering::SeqCst);
        let mut previous = Vec::new();
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        for sig in STOPPING {
            // SAFETY: the handler only stores into an atomic, which is
            // async-signal-safe.
            match unsafe { signal::sigaction(sig, &action) } {
                Ok(old) => previous.push((sig, old)),
                Err(err) => tracing::debug!(%err, ?sig, "no handler for a stopping signal"),
            }
        }
        let raw = keys.then(RawMode::enter).and_then(|raw| {
            raw.map_err(|err| tracing::debug!(%err, "replay without raw mode"))
                .ok()
        });
        Stop { previous, raw }
    }

    /// The exit code to stop with, once stopped: 128 + the signal's number.
    pub fn stopped(&self) -> Option<i32> {
        self.read_keys(Duration::ZERO);
        match STOPPED.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(128 + signal),
        }
    }

    /// Waits `pause`, or less when stopped first; returns the exit code then.
    pub fn sleep(&self, pause: Duration) -> Option<i32> {
        let until = Instant::now() + pause;
        loop {
            if let Some(code) = self.stopped() {
                return Some(code);
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let wait = left.min(LOOK_EVERY);
            if self.raw.is_some() {
                self.read_keys(wait);
            } else {
                std::thread::sleep(wait);
            }
        }
    }

    /// Reads the keys typed (waiting up to `wait` for the first); Ctrl-C
    /// stops the replay as SIGINT would, the others are dropped.
    fn read_keys(&self, wait: Duration) {
        if self.raw.is_none() {
            return;
        }
        let stdin = std::io::stdin();
        let millis = u16::try_from(wait.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
        if !matches!(poll(&mut fds, PollTimeout::from(millis)), Ok(n) if n > 0) {
            return;
        }
        let mut keys = [0u8; 256];
        if let Ok(n) = nix::unistd::read(stdin.as_fd(), &mut keys)
            && keys[..n].contains(&0x03)
        {
            STOPPED.store(libc::SIGINT, Ordering::SeqCst);
        }
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        // The terminal's modes first (RawMode's drop), then the handlers.
        self.raw.take();
        for (sig, old) in self.previous.drain(..).rev() {
            // SAFETY: puts back the action that was in place before `install`.
            let _ = unsafe { signal::sigaction(sig, &old) };
        }
    }
}
