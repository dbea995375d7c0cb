//! The user's terminal: raw mode while the agent's screen is mirrored, and
//! restored on every way out (normal, error, panic, signal); goalie's
//! title and status row on it (`status.rs`, `region.rs`).

pub mod region;
pub mod status;
pub mod takeover;

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Mutex;

use nix::sys::termios::{self, SetArg, Termios};

/// The termios to put back, kept where the panic hook can reach it.
static SAVED: Mutex<Option<Termios>> = Mutex::new(None);

/// Whether standard input and output are both terminals.
pub fn is_interactive() -> bool {
    nix::unistd::isatty(std::io::stdin()).unwrap_or(false)
        && nix::unistd::isatty(std::io::stdout()).unwrap_or(false)
}

/// The size of the terminal on stdout: (rows, cols).
pub fn size() -> Option<(u16, u16)> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes a winsize into the pointer we pass, which is valid.
    let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) };
    (rc == 0 && ws.ws_row > 0 && ws.ws_col > 0).then_some((ws.ws_row, ws.ws_col))
}

/// Raw mode on stdin for as long as it lives.
pub struct RawMode(());

impl RawMode {
    pub fn enter() -> std::io::Result<RawMode> {
        let stdin = std::io::stdin();
        let original = termios::tcgetattr(stdin.as_fd())?;
        let mut raw = original.clone();
        termios::cfmakeraw(&mut raw);
        *SAVED.lock().unwrap_or_else(|e| e.into_inner()) = Some(original);
        termios::tcsetattr(stdin.as_fd(), SetArg::TCSAFLUSH, &raw)?;
        Ok(RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        restore(&[]);
    }
}

/// Puts the saved terminal modes back and writes `resets` (sequences that
/// undo modes the agent turned on). Safe to call more than once.
pub fn restore(resets: &[u8]) {
    let saved = SAVED.lock().unwrap_or_else(|e| e.into_inner()).take();
    let mut out = std::io::stdout().lock();
    if !resets.is_empty() {
        let _ = out.write_all(resets);
        let _ = out.write_all(status::pop_title());
        let _ = out.flush();
    }
    if let Some(original) = saved {
        // SAFETY: fd 0 stays open for the life of the process.
        let stdin = unsafe { BorrowedFd::borrow_raw(libc::STDIN_FILENO) };
        let _ = termios::tcsetattr(stdin, SetArg::TCSANOW, &original);
    }
}

/// A panic restores the terminal before the message is printed, and calls
/// `also` (which ends the agent's processes).
pub fn install_panic_hook(also: fn()) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore(RESET_ALL);
        also();
        previous(info);
    }));
}

/// Undoes every mode a TUI commonly turns on (and goalie's scroll region,
/// the cursor kept); harmless when they are off.
pub const RESET_ALL: &[u8] = b"\x1b7\x1b[r\x1b8\x1b[?1049l\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1l\x1b>\x1b[?25h\x1b[0m\r\n";

/// Whether a chunk read from the user's terminal is the terminal answering a
/// query (cursor position, device attributes, colours, focus) rather than keys.
pub fn is_terminal_reply(bytes: &[u8]) -> bool {
    let Some(rest) = bytes.strip_prefix(b"\x1b") else {
        return false;
    };
    match rest.first() {
        // CSI … R (cursor position), CSI ? … c / CSI > … c (attributes),
        // CSI ? … u (keyboard flags), CSI I / CSI O (focus).
        Some(b'[') => {
            let body = &rest[1..];
            matches!(body, b"I" | b"O")
                || match body.split_last() {
                    Some((b'R', params)) => is_params(params),
                    Some((b'c', params)) | Some((b'u', params)) => {
                        matches!(params.first(), Some(b'?' | b'>')) && is_params(&params[1..])
                    }
                    _ => false,
                }
        }
        // OSC 10/11 colour answers.
        Some(b']') => rest.starts_with(b"]10;") || rest.starts_with(b"]11;"),
        _ => false,
    }
}

fn is_params(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| b.is_ascii_digit() || *b == b';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_replies_are_not_keys() {
        for reply in [
            &b"\x1b[12;40R"[..],
            b"\x1b[?62;22c",
            b"\x1b[>1;10;0c",
            b"\x1b[?0u",
            b"\x1b[I",
            b"\x1b]11;rgb:0000/0000/0000\x1b\\",
        ] {
            assert!(is_terminal_reply(reply), "{reply:?}");
        }
        for keys in [
            &b"a"[..],
            b"\x1b",
            b"\x1b[A",
            b"\r",
            b"\x1b[200~hi\x1b[201~",
            b"\x03",
        ] {
            assert!(!is_terminal_reply(keys), "{keys:?}");
        }
    }
}
