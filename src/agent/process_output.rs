//! The agent's PTY, read in the event loop itself: its master's file
//! description is made non-blocking and the loop waits on it with tokio's
//! reactor ([`AsyncFd`]), so a chunk of output costs the loop's one wake-up,
//! not a thread's read, a hand-over through a channel and the loop's wake-up
//! besides (a context switch per chunk: a quarter of goalie's CPU while Codex
//! streamed, in the profile of BENCHMARKS.md).
//!
//! The description is shared by every descriptor of the master, so writes to
//! the agent's input are non-blocking too: the writer thread waits with
//! `poll` for room when the PTY's input is full ([`write_all`]), and never
//! drops a byte.
//!
//! A flood is still read in large chunks (up to [`READ_SIZE`] a read), and the
//! agent still waits on its PTY when goalie is behind (the kernel's buffer is
//! the only one). The end of output is a read of 0 bytes or `EIO` (the agent's
//! side of the PTY closed), after whatever it wrote before.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// The most read at once.
pub const READ_SIZE: usize = 32 * 1024;

/// The agent's output, chunk by chunk, until the PTY closes.
pub struct Output {
    /// The descriptor until the loop first waits on it (the reactor is the
    /// runtime's, and the agent may be started before one runs), then its
    /// registration.
    fd: Option<OwnedFd>,
    watched: Option<AsyncFd<File>>,
    buf: Vec<u8>,
    closed: bool,
}

/// Nothing to read now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Empty;

impl Output {
    /// Reads the PTY master `fd` (a descriptor of its own), made non-blocking.
    pub fn new(fd: OwnedFd) -> std::io::Result<Output> {
        set_nonblocking(fd.as_raw_fd())?;
        Ok(Output {
            fd: Some(fd),
            watched: None,
            buf: vec![0; READ_SIZE],
            closed: false,
        })
    }

    /// The next chunk once there is one; `None` once the PTY has closed
    /// (and every chunk before has been read). Cancel-safe: nothing is read
    /// but in the poll that returns it.
    pub async fn recv(&mut self) -> Option<Vec<u8>> {
        if self.closed {
            return None;
        }
        if self.watched().is_none() {
            self.closed = true;
            return None;
        }
        let (Some(watched), buf) = (self.watched.as_mut(), &mut self.buf) else {
            return None;
        };
        loop {
            let Ok(mut ready) = watched.readable_mut().await else {
                break;
            };
            match ready.try_io(|fd| fd.get_mut().read(buf)) {
                Ok(Ok(0)) => break,
                Ok(Ok(n)) => return Some(buf[..n].to_vec()),
                Ok(Err(err)) if err.kind() == ErrorKind::Interrupted => {}
                // EIO: the agent's side closed.
                Ok(Err(_)) => break,
                // Nothing after all: wait for the next readiness.
                Err(_would_block) => {}
            }
        }
        self.closed = true;
        None
    }

    /// A chunk already waiting, if any (`Empty` also once closed).
    pub fn try_recv(&mut self) -> Result<Vec<u8>, Empty> {
        if self.closed {
            return Err(Empty);
        }
        if self.watched().is_none() {
            return Err(Empty);
        }
        let (Some(watched), buf) = (self.watched.as_ref(), &mut self.buf) else {
            return Err(Empty);
        };
        match watched.try_io(Interest::READABLE, |mut fd: &File| fd.read(buf)) {
            Ok(n) if n > 0 => Ok(self.buf[..n].to_vec()),
            // The end: `recv` says so at the loop's next wait.
            Ok(_) => Err(Empty),
            Err(err) if err.kind() == ErrorKind::WouldBlock => Err(Empty),
            Err(_) => Err(Empty),
        }
    }

    /// The registration with the reactor, made at the first wait.
    fn watched(&mut self) -> Option<&mut AsyncFd<File>> {
        if self.fd.is_some() && tokio::runtime::Handle::try_current().is_ok() {
            let fd = self.fd.take()?;
            // SAFETY: the file owns its descriptor, open until the
            // registration (which owns the file) is dropped.
            let registered =
                unsafe { AsyncFd::register_with_interest(File::from(fd), Interest::READABLE) };
            match registered {
                Ok(watched) => self.watched = Some(watched),
                Err(err) => tracing::warn!(%err, "cannot watch the agent's PTY"),
            }
        }
        self.watched.as_mut()
    }
}

/// A descriptor of its own for the PTY master `fd`.
pub fn dup_fd(fd: RawFd) -> std::io::Result<OwnedFd> {
    // SAFETY: `fd` is the PTY master, open for as long as the agent's
    // process struct lives, which is the caller's.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    borrowed.try_clone_to_owned()
}

fn set_nonblocking(fd: RawFd) -> std::io::Result<()> {
    // SAFETY: the caller owns `fd`, open.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let flags = fcntl(borrowed, FcntlArg::F_GETFL).map_err(std::io::Error::from)?;
    let flags = OFlag::from_bits_retain(flags) | OFlag::O_NONBLOCK;
    fcntl(borrowed, FcntlArg::F_SETFL(flags)).map_err(std::io::Error::from)?;
    Ok(())
}

/// Writes all of `bytes` to the PTY master `out` (non-blocking: see the
/// module's doc), waiting for room as long as it takes.
pub fn write_all(out: &mut File, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match out.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                let mut fds = [PollFd::new(out.as_fd(), PollFlags::POLLOUT)];
                match poll(&mut fds, PollTimeout::NONE) {
                    Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                    Err(err) => return Err(err.into()),
                }
            }
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PTY pair: (master, slave), the master read as the agent's output.
    fn pty() -> (OwnedFd, OwnedFd) {
        let pty = nix::pty::openpty(None, None).expect("openpty");
        (pty.master, pty.slave)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn output_is_read_in_the_loop_to_the_last_byte_then_ends() {
        let (master, slave) = pty();
        let mut output = Output::new(master).unwrap();
        // Before the loop waits (no reactor yet), nothing is read.
        assert_eq!(output.try_recv(), Err(Empty));
        let mut slave = File::from(slave);
        // Raw mode: no echo, bytes as written.
        let mut termios = nix::sys::termios::tcgetattr(&slave).unwrap();
        nix::sys::termios::cfmakeraw(&mut termios);
        nix::sys::termios::tcsetattr(&slave, nix::sys::termios::SetArg::TCSANOW, &termios).unwrap();
        let written: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let writer = {
            let written = written.clone();
            std::thread::spawn(move || {
                slave.write_all(&written).unwrap();
                // The agent's side closes: the rest is read, then the end.
            })
        };
        let (got, reads) = runtime().block_on(async {
            let (mut got, mut reads) = (Vec::new(), 0);
            while let Some(chunk) = output.recv().await {
                reads += 1;
                got.extend_from_slice(&chunk);
                while let Ok(more) = output.try_recv() {
                    reads += 1;
                    got.extend_from_slice(&more);
                }
            }
            (got, reads)
        });
        writer.join().unwrap();
        assert_eq!(got.len(), written.len());
        assert!(got == written, "the output came changed");
        // Read in large chunks, never more than READ_SIZE at once.
        assert!(reads >= written.len() / READ_SIZE, "{reads}");
        assert_eq!(runtime().block_on(output.recv()), None);
    }

    #[test]
    fn writes_wait_for_room_in_a_full_non_blocking_pty() {
        let (master, slave) = pty();
        let reader_fd = dup_fd(master.as_raw_fd()).unwrap();
        let _output = Output::new(reader_fd).unwrap();
        // The master's description is non-blocking now, for writes too.
        let mut out = File::from(master);
        let mut slave = File::from(slave);
        let mut termios = nix::sys::termios::tcgetattr(&slave).unwrap();
        nix::sys::termios::cfmakeraw(&mut termios);
        nix::sys::termios::tcsetattr(&slave, nix::sys::termios::SetArg::TCSANOW, &termios).unwrap();
        // Far more than the PTY's input buffers hold: the writer must wait.
        let typed: Vec<u8> = (0..1_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let writer = {
            let typed = typed.clone();
            std::thread::spawn(move || write_all(&mut out, &typed))
        };
        let mut got = vec![0u8; typed.len()];
        slave.read_exact(&mut got).unwrap();
        writer.join().unwrap().unwrap();
        assert!(got == typed, "bytes typed were lost or changed");
    }
}
