//! The controlling terminal: raw mode, bracketed paste, size, reading and writing.

use crate::sim::ui::Size;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::termios::{self, SetArg, SpecialCharacterIndices, Termios};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::time::Duration;

const ENABLE_PASTE: &str = "\x1b[?2004h";
/// Written on every exit: bracketed paste off, cursor shown.
const RESET: &str = "\x1b[?2004l\x1b[?25h";
const FALLBACK_SIZE: (u16, u16) = (24, 80);

nix::ioctl_read_bad!(tiocgwinsz, libc::TIOCGWINSZ, libc::winsize);

/// Raw mode for as long as this lives; dropping it restores the terminal.
pub(crate) struct Terminal {
    saved: Termios,
}

/// What waiting for input gave.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    Readable,
    /// The timeout passed or a signal arrived.
    Nothing,
}

impl Terminal {
    /// Puts stdin in raw mode and enables bracketed paste.
    pub(crate) fn enter() -> io::Result<Self> {
        let stdin = io::stdin();
        let saved = termios::tcgetattr(stdin.as_fd()).map_err(io::Error::from)?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
        raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw).map_err(io::Error::from)?;
        let terminal = Terminal { saved };
        terminal.write(ENABLE_PASTE)?;
        Ok(terminal)
    }

    /// Writes and flushes.
    pub(crate) fn write(&self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// Waits until stdin has bytes, at most `timeout`.
    pub(crate) fn wait(&self, timeout: Duration) -> io::Result<Wait> {
        let stdin = io::stdin();
        let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
        // Round up, so a wait shorter than a millisecond does not spin.
        let ms = u16::try_from(timeout.as_micros().div_ceil(1000)).unwrap_or(u16::MAX);
        match nix::poll::poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) | Err(Errno::EINTR) => Ok(Wait::Nothing),
            Ok(_) => Ok(Wait::Readable),
            Err(err) => Err(err.into()),
        }
    }

    /// Reads what is available; `Ok(0)` means the terminal is gone.
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match nix::unistd::read(io::stdin().as_fd(), buf) {
                Ok(n) => return Ok(n),
                Err(Errno::EINTR | Errno::EAGAIN) => continue,
                // The other end of the pseudo-terminal was closed.
                Err(Errno::EIO) => return Ok(0),
                Err(err) => return Err(err.into()),
            }
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // Best effort: the terminal may already be gone.
        let _ = self.write(&format!("{RESET}\x1b[{};1H", size().rows));
        let _ = termios::tcsetattr(io::stdin().as_fd(), SetArg::TCSANOW, &self.saved);
    }
}

/// The terminal size (clamped to the layout's minimum).
pub(crate) fn size() -> Size {
    let (rows, cols) = [libc::STDOUT_FILENO, libc::STDIN_FILENO]
        .into_iter()
        .find_map(window_size)
        .unwrap_or(FALLBACK_SIZE);
    Size::clamped(rows, cols)
}

fn window_size(fd: libc::c_int) -> Option<(u16, u16)> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the pointer we pass, which
    // points to a live, properly aligned local; a bad fd only yields an error.
    let result = unsafe { tiocgwinsz(fd, &mut ws) };
    match result {
        Ok(_) if ws.ws_row > 0 && ws.ws_col > 0 => Some((ws.ws_row, ws.ws_col)),
        _ => None,
    }
}
