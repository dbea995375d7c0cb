//! Signals the sim reacts to: resize, and the ones that end it.
//!
//! Handlers only set atomics; the event loop polls with a short timeout and
//! checks them, so all real work happens outside the handler.

use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static TERMINATE: AtomicI32 = AtomicI32::new(0);
static RESIZED: AtomicBool = AtomicBool::new(false);

const TERMINATING: [Signal; 3] = [Signal::SIGTERM, Signal::SIGHUP, Signal::SIGINT];

extern "C" fn on_terminate(signal: libc::c_int) {
    TERMINATE.store(signal, Ordering::SeqCst);
}

extern "C" fn on_resize(_: libc::c_int) {
    RESIZED.store(true, Ordering::SeqCst);
}

/// The installed handlers; dropping this puts the previous ones back.
pub(crate) struct Signals {
    previous: Vec<(Signal, SigAction)>,
}

impl Signals {
    pub(crate) fn install() -> io::Result<Self> {
        TERMINATE.store(0, Ordering::SeqCst);
        RESIZED.store(false, Ordering::SeqCst);
        let mut signals = Signals {
            previous: Vec::new(),
        };
        signals.set(Signal::SIGWINCH, on_resize)?;
        for sig in TERMINATING {
            signals.set(sig, on_terminate)?;
        }
        Ok(signals)
    }

    fn set(&mut self, sig: Signal, handler: extern "C" fn(libc::c_int)) -> io::Result<()> {
        let action = SigAction::new(
            SigHandler::Handler(handler),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        // SAFETY: the handler only stores into an atomic, which is async-signal-safe.
        let old = unsafe { signal::sigaction(sig, &action) }.map_err(io::Error::from)?;
        self.previous.push((sig, old));
        Ok(())
    }

    /// The number of the terminating signal received, if any.
    pub(crate) fn terminated(&self) -> Option<i32> {
        match TERMINATE.load(Ordering::SeqCst) {
            0 => None,
            sig => Some(sig),
        }
    }

    /// True once per resize.
    pub(crate) fn take_resized(&self) -> bool {
        RESIZED.swap(false, Ordering::SeqCst)
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for (sig, old) in self.previous.drain(..).rev() {
            // SAFETY: restores the action that was in place before `install`.
            let _ = unsafe { signal::sigaction(sig, &old) };
        }
    }
}
