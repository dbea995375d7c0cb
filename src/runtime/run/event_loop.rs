//! The event loop. Each `select!` arm only says what woke the loop (a
//! [`Step`]); the steps that follow from it (a session log read, a look at
//! the screen, the clock's event) come after it in order, each taken once the
//! core has heard the one before; and the core hears every event of the loop
//! in one place, where the loop calls [`Shell::dispatch`] (the only other
//! caller is the last read of the session log, after the loop).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use crate::agent::process::{self as agent_process, Exit};
use crate::agent::session_tail::SessionTail;
use crate::audit;
use crate::control::protocol::{ENDED, REFUSED};
use crate::control::{ControlServer, Pending, RpcError};
use crate::core::log_event::LogEvent;
use crate::core::supervisor::{Action, Activity, Event};
use crate::error::Error;
use crate::goal::change::Refusal;

use super::cadence::{self, Every};
use super::shell::Shell;

/// How often the ledger is looked at for control requests other hosts wrote
/// (`ledger_control.rs`).
pub(super) const REQUESTS_EVERY: Duration = Duration::from_millis(500);

/// While the goal rests (`rest.rs`), how often the ledger's chores are
/// done: a paused goal hears another host's `resume` within this, and
/// wakes no more often for it.
pub(super) const REST_CHORES_EVERY: Duration = Duration::from_secs(1);

/// While goalie waits, a terminal's status row is drawn again this often.
const STATUS_EVERY: Duration = Duration::from_secs(1);

/// Outside a turn, looks at the screen at most this often while output
/// streams in; the tick after the stream stops always takes a last look (in
/// a turn, only ticks look: `cadence.rs`).
pub(super) const LOOK_EVERY: Duration = Duration::from_millis(20);
/// While the agent starts, how long after the last look, with no output
/// since, the screen is looked at once more. An agent that draws its whole
/// start screen at once and then nothing (Claude Code) shows in that look
/// that no dialog or redraw followed: the core's evidence that it is ready
/// needs two looks 100 ms or more apart (`START_READY_SPAN_MS`).
pub(super) const RELOOK_AFTER: Duration = Duration::from_millis(150);

/// With its folders watched, the session log is looked at again this rarely,
/// for what a lost event would hide.
pub(super) const FALLBACK_EVERY: Duration = Duration::from_secs(30);

/// Without a watch, the session log is read this often, and looked at for a
/// newer file this often.
pub(super) const POLL_EVERY: Duration = Duration::from_millis(500);
pub(super) const RESCAN_EVERY: Duration = Duration::from_secs(2);

/// The recording's buffer is written out at least this often.
pub(super) const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// The goal's counters are written this often while it runs, for a goalie
/// killed mid-turn (each turn's end writes them too, and a running goal's
/// `goalie status` reads them live over the control socket): each write is
/// a commit with an fsync, which once a second was a good part of goalie's
/// own CPU while an agent worked.
pub(super) const CHECKPOINT_EVERY: Duration = Duration::from_secs(10);

/// opencode's database is read at most this often (as often as it was
/// polled before it was watched): each read may meet it locked by the agent.
pub(super) const DB_EVERY: Duration = Duration::from_millis(500);

/// How a run ends: (exit code, reason).
pub(super) type Stopped = (i32, String);

/// The answer to a control command, if the core gave one.
type Reply = Option<Result<Vec<String>, Refusal>>;

/// What the loop does next: what woke it (one `select!` arm each), or a step
/// that follows from that.
pub(super) enum Step {
    /// An event for the core, stamped when it came.
    Event(Event),
    /// An event for the core, stamped when it is heard.
    Now(fn(u64) -> Event),
    /// The core asked for a new agent process: (why, the handoff file to read).
    Restart(String, Option<String>),
    /// The agent wrote to its PTY (`None`: the PTY closed).
    Output(Option<Vec<u8>>),
    /// Output held back for a batch, read when the batch was over (`None`:
    /// none came meanwhile).
    Held(Option<Vec<u8>>),
    /// The agent's process ended, with this status.
    Exited(String),
    /// The person typed (`None`: their terminal went away).
    Keys(Option<Vec<u8>>),
    /// An audit finished.
    Audit(audit::Report),
    /// A wait's command finished.
    WaitChecked(audit::wait_check::WaitCheck),
    /// A request on the control socket.
    Control(Pending),
    /// The agent's hook said which session it writes.
    FollowReported(serde_json::Value),
    /// The session log may have changed.
    SessionLogChanged,
    /// Read the session log; `rescan` also looks for a newer file.
    ReadSessionLog { rescan: bool },
    /// What one read of the session log said, heard one event at a time.
    SessionLog(VecDeque<LogEvent>),
    /// The clock ticked.
    Tick,
    /// Now and then, the agent's process tree is looked at again.
    RefreshMembers,
    /// Output came in since the last look at the screen: look now.
    LookIfUnseen,
    /// Claims `goalie mcp` submitted since the last look.
    Claims,
    /// Control requests other hosts wrote in the ledger since the last look.
    LedgerRequests,
    /// One of them, for the core: its row's seq and the command.
    LedgerRequest(i64, crate::goal::change::UserCommand),
    /// The terminal changed size.
    Resized,
    /// A measurement of the workspace that a later request replaced.
    Stale,
    /// Draw the status row again (its clock), and nothing else.
    Status,
    /// While a wait has stopped the clock: the ledger's chores, and nothing
    /// for the core (`heartbeat.rs`).
    LedgerChores,
}

/// A control request answered once the core heard it.
pub(super) enum Asker {
    /// A command (`set`, `clear`): answered with the core's reply.
    Command(Pending),
    /// A hook's turn signal: answered with the goal.
    Signal(Pending),
    /// A command requested in the ledger (its row's seq): answered with a row.
    Ledger(i64),
}

/// The signals the loop listens to.
struct Signals {
    int: Signal,
    term: Signal,
    hup: Signal,
    winch: Signal,
}

/// What the loop listens on, and its clocks.
pub(super) struct Wires {
    signals: Signals,
    pub(super) output: agent_process::Output,
    pub(super) output_open: bool,
    pub(super) keys: mpsc::Receiver<Vec<u8>>,
    pub(super) keys_open: bool,
    pub(super) done_tx: mpsc::UnboundedSender<()>,
    pub(super) done: mpsc::UnboundedReceiver<()>,
    pub(super) audit_reports: mpsc::UnboundedReceiver<audit::Report>,
    /// When the clock last ticked, and when output last came since then
    /// (`cadence.rs` says when it ticks next).
    pub(super) last_tick: Instant,
    pub(super) output_since_tick: Option<Instant>,
    /// When the latest output came (the run's clock), for the next look.
    pub(super) drawn_ms: Option<u64>,
    /// When output was last taken in, how many bytes, and whether it came
    /// within a batch of the output before (`cadence::hold_output`).
    pub(super) output_taken: Option<Instant>,
    pub(super) output_bytes: usize,
    pub(super) output_close: bool,
    /// The chores done every so often at a tick.
    pub(super) flush: Every,
    pub(super) checkpoint: Every,
    pub(super) poll: Every,
    pub(super) rescan: Every,
    pub(super) fallback: Every,
    /// While goalie waits (the clock stopped), the status row's clock is
    /// drawn again this often, in a terminal; the core hears nothing of it.
    pub(super) status_tick: tokio::time::Interval,
    pub(super) last_refresh: Instant,
    pub(super) last_look: Instant,
    pub(super) unseen_output: bool,
    /// No output came since the last look: while the agent starts, one more
    /// look once the screen has been still for [`RELOOK_AFTER`] (see
    /// `steps.rs`).
    pub(super) relook: bool,
    /// opencode's database is written many times a second while it streams
    /// (and is locked while it migrates at start): read at most every `DB_EVERY`.
    pub(super) last_db_read: Instant,
    pub(super) db_dirty: bool,
    /// The seq of the last control request looked at (`ledger_control.rs`).
    pub(super) requests_seen: i64,
    /// The ledger's data version at the last look for requests.
    pub(super) requests_version: Option<i64>,
    /// The ledger's data version at the last look while the goal rested (`rest.rs`).
    pub(super) rest_version: Option<i64>,
    /// The ledger's chores (`heartbeat.rs`): when each was last done, and
    /// their own clock while a wait has stopped the tick.
    pub(super) last_heartbeat: Instant,
    /// How often the heartbeat is renewed (read once: it follows an environment variable).
    pub(super) heartbeat_every: Duration,
    pub(super) last_requests: Instant,
    pub(super) ledger_tick: tokio::time::Interval,
    /// The chores' own timer while the goal rests (`rest.rs`).
    pub(super) rest_tick: tokio::time::Interval,
}

impl Wires {
    fn new(
        interactive: bool,
        output: agent_process::Output,
        audit_reports: mpsc::UnboundedReceiver<audit::Report>,
    ) -> Result<Wires, Error> {
        let signal_err = |err| Error::io("cannot listen for signals", err);
        let signals = Signals {
            int: signal(SignalKind::interrupt()).map_err(signal_err)?,
            term: signal(SignalKind::terminate()).map_err(signal_err)?,
            hup: signal(SignalKind::hangup()).map_err(signal_err)?,
            winch: signal(SignalKind::window_change()).map_err(signal_err)?,
        };
        let (keys_tx, keys) = mpsc::channel::<Vec<u8>>(64);
        if interactive {
            spawn_stdin_reader(keys_tx);
        }
        let (done_tx, done) = mpsc::unbounded_channel::<()>();
        let now = Instant::now();
        let mut status_tick = tokio::time::interval(STATUS_EVERY);
        status_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ledger_tick = tokio::time::interval(REQUESTS_EVERY);
        ledger_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut rest_tick = tokio::time::interval(REST_CHORES_EVERY);
        rest_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Ok(Wires {
            signals,
            output,
            output_open: true,
            keys,
            keys_open: interactive,
            done_tx,
            done,
            audit_reports,
            last_tick: now,
            output_since_tick: None,
            drawn_ms: None,
            output_taken: None,
            output_bytes: 0,
            output_close: false,
            flush: Every::new(FLUSH_EVERY, now),
            checkpoint: Every::new(CHECKPOINT_EVERY, now),
            poll: Every::new(POLL_EVERY, now),
            rescan: Every::new(RESCAN_EVERY, now),
            fallback: Every::new(FALLBACK_EVERY, now),
            status_tick,
            last_refresh: Instant::now(),
            last_look: Instant::now(),
            unseen_output: false,
            relook: false,
            last_db_read: Instant::now(),
            db_dirty: false,
            requests_seen: 0,
            requests_version: None,
            rest_version: None,
            last_heartbeat: Instant::now(),
            heartbeat_every: crate::ledger::host::heartbeat_every(),
            last_requests: Instant::now(),
            ledger_tick,
            rest_tick,
        })
    }
}

impl Shell<'_> {
    /// Whether the loop paces its looks and ticks by the output (`cadence.rs`):
    /// in a turn whose screen has shown that the agent took the prompt. Until
    /// then, as outside turns, the screen is looked at as output comes, so a
    /// busy sign drawn for a few milliseconds (a quick turn) is not missed.
    /// Once the agent has said the turn ended (hook, session log), it is not
    /// paced either: the screen that shows its input box again is the
    /// evidence the end waits for, and is looked at as it comes.
    pub(super) fn paced(&self) -> bool {
        self.core.activity(self.now_ms()) == Activity::Working
            && self.core.turn_showed_work()
            && !self.core.turn_signalled()
    }

    /// Runs until the core says stop; returns (exit code, reason).
    pub(super) async fn event_loop(
        &mut self,
        output: agent_process::Output,
        control: &mut ControlServer,
        audit_reports: mpsc::UnboundedReceiver<audit::Report>,
    ) -> Result<Stopped, Error> {
        let mut wires = Wires::new(self.interactive, output, audit_reports)?;
        wires.requests_seen = self.requests_start();
        let mut steps = VecDeque::new();
        loop {
            let step = match steps.pop_front() {
                Some(step) => step,
                None => match self.restart.take() {
                    Some((reason, handoff_file)) => Step::Restart(reason, handoff_file),
                    None => self.wake(&mut wires, control).await,
                },
            };
            let mut then = Vec::new();
            let heard = self.step(step, &mut wires, &mut then).await?;
            // What follows from this step comes before what was queued already.
            for next in then.into_iter().rev() {
                steps.push_front(next);
            }
            let Some((event, asker)) = heard else {
                continue;
            };
            let (stopped, reply) = self.dispatch(event, &wires.done_tx)?;
            self.show_status();
            match asker {
                Some(Asker::Command(pending)) => pending.answer(match reply {
                    Some(Ok(messages)) => {
                        Ok(json!({ "goal": self.snapshot(), "messages": messages }))
                    }
                    Some(Err(refusal)) => Err(RpcError::new(REFUSED, refusal.0)),
                    None => Err(RpcError::new(ENDED, "the goal's run has ended")),
                }),
                Some(Asker::Signal(pending)) => {
                    pending.answer(Ok(json!({ "goal": self.snapshot() })));
                }
                Some(Asker::Ledger(seq)) => self.answer_request(seq, reply),
                None => {}
            }
            if let Some(stopped) = stopped {
                return Ok(stopped);
            }
        }
    }

    /// Waits for what wakes the loop next. While goalie waits (the agent
    /// asked it to, or the quota), the clock does not tick: the loop wakes at
    /// the wait's deadline or its command's next start (a timer), or for
    /// output, keys, requests and the command's result; after output, the
    /// clock ticks until the screen has been looked at.
    async fn wake(&mut self, wires: &mut Wires, control: &mut ControlServer) -> Step {
        let interrupted = |now_ms, signal| Step::Event(Event::Interrupted { now_ms, signal });
        // An alarm already past (the core did not act on it: a dialog shows)
        // leaves the clock ticking, so the loop never spins on it.
        let alarm = self
            .core
            .wait_alarm_ms()
            .map(|ms| self.started + Duration::from_millis(ms))
            .filter(|at| *at > Instant::now());
        // At rest (`rest.rs`) the clock stops too, with no alarm.
        let resting = alarm.is_none() && self.resting(wires);
        let ticking = (alarm.is_none() && !resting) || wires.unseen_output;
        let status_only = !ticking && self.interactive && !resting;
        let paced = self.paced();
        let next_tick = cadence::next_tick(wires.last_tick, wires.output_since_tick, paced);
        // The agent said the turn ended on a screen that showed its input
        // box already: the clock looks again the moment the short settle
        // that needs is over, not at its next tick (up to 100 ms later).
        let next_tick = match self.core.signal_settles_ms(self.now_ms()) {
            Some(ms) => next_tick.min(self.started + Duration::from_millis(ms)),
            None => next_tick,
        };
        let hold = cadence::hold_output(
            paced,
            self.interactive,
            wires.output_taken,
            wires.output_bytes,
            wires.output_close,
            Instant::now(),
        );
        let held = hold.is_some();
        tokio::select! {
            chunk = wires.output.recv(), if wires.output_open && !held => Step::Output(chunk),
            () = tokio::time::sleep_until(hold.unwrap_or_else(Instant::now).into()), if wires.output_open && held => Step::Held(wires.output.try_recv().ok()),
            status = wait_exit(&mut self.exit) => Step::Exited(status),
            key = wires.keys.recv(), if wires.keys_open => Step::Keys(key),
            Some(()) = wires.done.recv() => Step::Event(Event::InjectionDone { now_ms: self.now_ms() }),
            Some(report) = wires.audit_reports.recv() => Step::Audit(report),
            Some(check) = self.wait_checker.next() => Step::WaitChecked(check),
            Some((asked, workspace, screen_reply)) = self.watch.measured.recv() => {
                if asked == self.watch.asked {
                    Step::Event(Event::Workspace { now_ms: self.now_ms(), workspace, screen_reply })
                } else {
                    Step::Stale
                }
            }
            Some(pending) = control.next() => Step::Control(pending),
            () = session_log_changed(&mut self.session_tail) => Step::SessionLogChanged,
            () = tokio::time::sleep_until(next_tick.into()), if ticking => Step::Tick,
            () = alarm_at(alarm) => Step::Tick,
            _ = wires.status_tick.tick(), if status_only => Step::Status,
            _ = wires.ledger_tick.tick(), if !ticking && !resting => Step::LedgerChores,
            _ = wires.rest_tick.tick(), if !ticking && resting => Step::LedgerChores,
            _ = wires.signals.winch.recv() => Step::Resized,
            _ = wires.signals.int.recv() => interrupted(self.now_ms(), libc::SIGINT),
            _ = wires.signals.term.recv() => interrupted(self.now_ms(), libc::SIGTERM),
            _ = wires.signals.hup.recv() => interrupted(self.now_ms(), libc::SIGHUP),
        }
    }

    /// Hands an event to the core and carries out its actions: `Some` stop
    /// when the run is over, and the core's reply to a command.
    pub(super) fn dispatch(
        &mut self,
        event: Event,
        done_tx: &mpsc::UnboundedSender<()>,
    ) -> Result<(Option<Stopped>, Reply), Error> {
        tracing::trace!(?event, "event");
        let mut stopped = None;
        let mut reply = None;
        // A stop comes last but for the notification of what changed.
        for action in self.core.handle(event) {
            tracing::debug!(?action, "action");
            match action {
                // Answered where the command came in.
                Action::Reply(answer) => reply = Some(answer),
                action => {
                    let done = self.perform(action, done_tx)?;
                    stopped = stopped.or(done);
                }
            }
        }
        Ok((stopped, reply))
    }
}

/// Returns at `at`; never without it.
async fn alarm_at(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

/// Returns when the session log may have changed; never without one.
async fn session_log_changed(tail: &mut Option<SessionTail>) {
    match tail {
        Some(tail) => tail.changed().await,
        None => std::future::pending().await,
    }
}

async fn wait_exit(exit: &mut Option<Exit>) -> String {
    match exit.as_mut() {
        Some(rx) => rx.await.unwrap_or_else(|_| "unknown status".into()),
        None => std::future::pending().await,
    }
}

fn spawn_stdin_reader(tx: mpsc::Sender<Vec<u8>>) {
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
