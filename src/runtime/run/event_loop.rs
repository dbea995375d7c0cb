//! The event loop: what wakes it (PTY output, keys, timers, signals, the
//! control socket, the session log, audits, the agent's exit) becomes events
//! for the core.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::agent::process::{self as agent_process, Exit};
use crate::agent::session_log::LogFormat;
use crate::agent::session_tail::SessionTail;
use crate::audit;
use crate::control::protocol::{ENDED, REFUSED};
use crate::control::{ControlServer, Method, RpcError};
use crate::core::supervisor::{Action, Event};
use crate::error::Error;
use crate::goal::change::UserCommand;
use crate::terminal;

use super::shell::Shell;

/// How often the clock ticks.
pub(super) const TICK: Duration = Duration::from_millis(100);

/// Looks at the screen at most this often while output streams in; the tick
/// after the stream stops always takes a last look.
pub(super) const LOOK_EVERY: Duration = Duration::from_millis(20);

/// With its folders watched, the session log is looked at again this rarely
/// (in ticks: 30 s), for what a lost event would hide.
pub(super) const FALLBACK_TICKS: u64 = 300;

/// Returns when the session log may have changed; never without one.
pub(super) async fn session_log_changed(tail: &mut Option<SessionTail>) {
    match tail {
        Some(tail) => tail.changed().await,
        None => std::future::pending().await,
    }
}

pub(super) async fn wait_exit(exit: &mut Option<Exit>) -> String {
    match exit.as_mut() {
        Some(rx) => rx.await.unwrap_or_else(|_| "unknown status".into()),
        None => std::future::pending().await,
    }
}

pub(super) fn spawn_stdin_reader(tx: mpsc::Sender<Vec<u8>>) {
    let _ = std::thread::Builder::new()
        .name("user-keys".into())
        .spawn(move || {
            use std::io::Read;
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 4096];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.blocking_send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
}

impl Shell<'_> {
    /// Runs until the core says stop; returns (exit code, reason).
    pub(super) async fn event_loop(
        &mut self,
        mut output: agent_process::Output,
        control: &mut ControlServer,
        mut audit_reports: mpsc::UnboundedReceiver<audit::Report>,
    ) -> Result<(i32, String), Error> {
        let signal_err = |err| Error::io("cannot listen for signals", err);
        let mut sigint = signal(SignalKind::interrupt()).map_err(signal_err)?;
        let mut sigterm = signal(SignalKind::terminate()).map_err(signal_err)?;
        let mut sighup = signal(SignalKind::hangup()).map_err(signal_err)?;
        let mut sigwinch = signal(SignalKind::window_change()).map_err(signal_err)?;
        let (keys_tx, mut keys) = mpsc::channel::<Vec<u8>>(64);
        if self.interactive {
            spawn_stdin_reader(keys_tx);
        }
        let (done_tx, mut done) = mpsc::unbounded_channel::<()>();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut output_open = true;
        let mut keys_open = self.interactive;
        let mut last_refresh = Instant::now();
        let mut last_look = Instant::now();
        let mut unseen_output = false;
        let mut ticks: u64 = 0;
        // opencode's database is written many times a second while it streams:
        // read at most once a tick then.
        let mut last_db_read = Instant::now();
        let mut db_dirty = false;

        loop {
            if let Some((reason, handoff_file)) = self.restart.take() {
                let event = self
                    .restart_agent(&mut output, reason, handoff_file)
                    .await?;
                output_open = true;
                if let Some(stopped) = self.dispatch(event, &done_tx)? {
                    return Ok(stopped);
                }
                continue;
            }
            let event = tokio::select! {
                chunk = output.recv(), if output_open => match chunk {
                    Some(chunk) => {
                        self.take_output(&chunk);
                        // Drain what else is waiting, then look at the screen once.
                        while let Ok(more) = output.try_recv() {
                            self.take_output(&more);
                        }
                        if last_look.elapsed() < LOOK_EVERY {
                            unseen_output = true;
                            continue;
                        }
                        last_look = Instant::now();
                        unseen_output = false;
                        self.look()
                    }
                    None => {
                        output_open = false;
                        continue;
                    }
                },
                status = wait_exit(&mut self.exit) => {
                    self.exit = None;
                    Event::AgentExited { now_ms: self.now_ms(), status }
                }
                key = keys.recv(), if keys_open => match key {
                    Some(bytes) => {
                        if terminal::is_terminal_reply(&bytes) {
                            self.agent.write(bytes);
                            continue;
                        }
                        let (keys, chords) = self.chords.feed(&bytes);
                        if !keys.is_empty() {
                            self.agent.write(keys);
                        }
                        for _ in 0..chords {
                            let chord = Event::TakeoverChord { now_ms: self.now_ms() };
                            if let Some(stopped) = self.dispatch(chord, &done_tx)? {
                                return Ok(stopped);
                            }
                        }
                        Event::UserInput { now_ms: self.now_ms() }
                    }
                    None => {
                        // The user's terminal went away: like a hangup.
                        keys_open = false;
                        Event::Interrupted { now_ms: self.now_ms(), signal: libc::SIGHUP }
                    }
                },
                Some(()) = done.recv() => Event::InjectionDone { now_ms: self.now_ms() },
                Some(report) = audit_reports.recv() => self.audit_report(report)?,
                Some(pending) = control.next() => {
                    let command = match &pending.request.method {
                        Method::Get => {
                            pending.answer(Ok(json!({ "goal": self.snapshot() })));
                            continue;
                        }
                        Method::Set(change) => UserCommand::Change(change.clone()),
                        Method::Clear => UserCommand::Clear,
                        Method::TurnComplete { source, data } => {
                            let data = data.clone();
                            let signal = Event::TurnSignal {
                                now_ms: self.now_ms(),
                                source: source.clone(),
                                data: data.clone(),
                            };
                            let stopped = self.dispatch(signal, &done_tx)?;
                            pending.answer(Ok(json!({ "goal": self.snapshot() })));
                            if let Some(stopped) = stopped {
                                return Ok(stopped);
                            }
                            // The hook says which session the agent writes: follow that one.
                            if let Some(tail) = self.session_tail.as_mut() {
                                tail.follow_reported(&data);
                            }
                            if let Some(stopped) = self.read_session_log(false, &done_tx)? {
                                return Ok(stopped);
                            }
                            continue;
                        }
                    };
                    let event = Event::Command { now_ms: self.now_ms(), command };
                    let mut reply = None;
                    let mut stopped = None;
                    for action in self.core.handle(event) {
                        tracing::debug!(?action, "action");
                        match action {
                            Action::Reply(answer) => reply = Some(answer),
                            action => {
                                let done = self.perform(action, &done_tx)?;
                                stopped = stopped.or(done);
                            }
                        }
                    }
                    pending.answer(match reply {
                        Some(Ok(messages)) => {
                            Ok(json!({ "goal": self.snapshot(), "messages": messages }))
                        }
                        Some(Err(refusal)) => Err(RpcError::new(REFUSED, refusal.0)),
                        None => Err(RpcError::new(ENDED, "the goal's run has ended")),
                    });
                    if let Some(stopped) = stopped {
                        return Ok(stopped);
                    }
                    continue;
                }
                () = session_log_changed(&mut self.session_tail) => {
                    if self.session_tail.as_ref().is_some_and(|tail| tail.format() == LogFormat::OpencodeDb)
                        && last_db_read.elapsed() < TICK
                    {
                        db_dirty = true;
                        self.drain_session_log();
                        continue;
                    }
                    last_db_read = Instant::now();
                    if let Some(stopped) = self.read_session_log(false, &done_tx)? {
                        return Ok(stopped);
                    }
                    continue;
                }
                _ = tick.tick() => {
                    ticks += 1;
                    // Watched, the log is read when it changes, and looked at
                    // again only now and then; polled otherwise.
                    let watched = self.session_tail.as_ref().is_some_and(SessionTail::watching);
                    let (read, rescan) = if watched {
                        (std::mem::take(&mut db_dirty), ticks.is_multiple_of(FALLBACK_TICKS))
                    } else {
                        (ticks.is_multiple_of(5), ticks.is_multiple_of(20))
                    };
                    if self.session_tail.is_some()
                        && (read || rescan)
                        && let Some(stopped) = self.read_session_log(rescan, &done_tx)?
                    {
                        return Ok(stopped);
                    }
                    if last_refresh.elapsed() >= Duration::from_secs(2) {
                        self.agent.refresh_members();
                        last_refresh = Instant::now();
                    }
                    if unseen_output {
                        let seen = self.look();
                        last_look = Instant::now();
                        unseen_output = false;
                        if let Some(stopped) = self.dispatch(seen, &done_tx)? {
                            return Ok(stopped);
                        }
                    }
                    for event in self.submitted_claims()? {
                        if let Some(stopped) = self.dispatch(event, &done_tx)? {
                            return Ok(stopped);
                        }
                    }
                    Event::Tick { now_ms: self.now_ms() }
                }
                _ = sigwinch.recv() => {
                    if let Some((rows, cols)) = terminal::size().filter(|_| self.interactive) {
                        self.agent.resize(rows, cols);
                        self.screen.resize(rows, cols);
                    }
                    continue;
                }
                _ = sigint.recv() => Event::Interrupted { now_ms: self.now_ms(), signal: libc::SIGINT },
                _ = sigterm.recv() => Event::Interrupted { now_ms: self.now_ms(), signal: libc::SIGTERM },
                _ = sighup.recv() => Event::Interrupted { now_ms: self.now_ms(), signal: libc::SIGHUP },
            };
            if let Some(stopped) = self.dispatch(event, &done_tx)? {
                return Ok(stopped);
            }
        }
    }

    /// Hands an event to the core and carries out its actions; `Some` when the run is over.
    pub(super) fn dispatch(
        &mut self,
        event: Event,
        done_tx: &mpsc::UnboundedSender<()>,
    ) -> Result<Option<(i32, String)>, Error> {
        tracing::trace!(?event, "event");
        let mut stopped = None;
        // A stop comes last but for the notification of what changed.
        for action in self.core.handle(event) {
            tracing::debug!(?action, "action");
            let done = self.perform(action, done_tx)?;
            stopped = stopped.or(done);
        }
        Ok(stopped)
    }
}
