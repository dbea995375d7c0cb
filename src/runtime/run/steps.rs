//! The loop's steps: what the shell does with each thing that woke the loop,
//! what the core is to hear of it, and the steps that follow from it.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::agent::process_output::READ_SIZE;
use crate::agent::session_log::LogFormat;
use crate::agent::session_tail::SessionTail;
use crate::control::{Method, Pending};
use crate::core::log_event::LogEvent;
use crate::core::supervisor::{Activity, Event};
use crate::error::Error;
use crate::goal::change::UserCommand;
use crate::terminal;

use super::cadence;

use super::event_loop::{Asker, DB_EVERY, LOOK_EVERY, RELOOK_AFTER, Step, Wires};
use super::shell::Shell;

impl Shell<'_> {
    /// Takes one step: what the core is to hear of it (and who is waiting
    /// for the answer), with the steps that follow from it put in `then`.
    pub(super) async fn step(
        &mut self,
        step: Step,
        wires: &mut Wires,
        then: &mut Vec<Step>,
    ) -> Result<Option<(Event, Option<Asker>)>, Error> {
        let event = match step {
            Step::Event(event) => Some(event),
            Step::Now(event) => Some(event(self.now_ms())),
            Step::Restart(reason, handoff_file) => {
                let event = self
                    .restart_agent(&mut wires.output, reason, handoff_file)
                    .await?;
                wires.output_open = true;
                Some(event)
            }
            Step::Output(Some(chunk)) => self.output(&chunk, false, wires),
            Step::Held(Some(chunk)) => self.output(&chunk, true, wires),
            Step::Held(None) => {
                // Nothing came in the batch: the next chunk comes alone.
                wires.output_close = false;
                None
            }
            Step::Output(None) => {
                wires.output_open = false;
                None
            }
            Step::Exited(status) => {
                self.exit = None;
                Some(Event::AgentExited {
                    now_ms: self.now_ms(),
                    status,
                })
            }
            Step::Keys(Some(bytes)) => {
                self.keys(&bytes, then);
                None
            }
            Step::Keys(None) => {
                // The user's terminal went away: like a hangup.
                wires.keys_open = false;
                Some(Event::Interrupted {
                    now_ms: self.now_ms(),
                    signal: libc::SIGHUP,
                })
            }
            Step::Audit(report) => Some(self.audit_report(report)?),
            Step::WaitChecked(check) => Some(Event::WaitChecked {
                now_ms: self.now_ms(),
                passed: check.passed,
                exit_code: check.exit_code,
                output: check.output,
            }),
            Step::Control(pending) => {
                if matches!(pending.request.method, Method::TurnComplete { .. })
                    && self.claims_first(then)?
                {
                    then.push(Step::Control(pending));
                    return Ok(None);
                }
                return Ok(self.control(pending, then));
            }
            Step::FollowReported(data) => {
                // The hook says which session the agent writes: follow that one.
                if let Some(tail) = self.session_tail.as_mut() {
                    tail.follow_reported(&data);
                }
                None
            }
            Step::SessionLogChanged => {
                self.log_changed(wires, then);
                None
            }
            Step::ReadSessionLog { rescan } => {
                let events = self.poll_session_log(rescan)?;
                if !events.is_empty() {
                    then.push(Step::SessionLog(events.into()));
                }
                None
            }
            Step::SessionLog(events)
                if events.front() == Some(&LogEvent::TurnComplete)
                    && self.claims_first(then)? =>
            {
                then.push(Step::SessionLog(events));
                None
            }
            Step::SessionLog(mut events) => {
                let event = events.pop_front();
                if !events.is_empty() {
                    then.push(Step::SessionLog(events));
                } else if event == Some(LogEvent::TurnComplete) {
                    // Output held back while the turn was paced is looked at now.
                    then.push(Step::LookIfUnseen);
                }
                event.map(|event| Event::SessionLog {
                    now_ms: self.now_ms(),
                    event,
                })
            }
            Step::Tick => {
                self.tick(wires, then);
                None
            }
            Step::RefreshMembers => {
                if wires.last_refresh.elapsed() >= Duration::from_secs(2) {
                    wires.last_refresh = Instant::now();
                    self.look_at_tree()
                } else {
                    None
                }
            }
            Step::LookIfUnseen => {
                // Once more on a still screen, only while the agent starts.
                let relook = wires.relook
                    && wires.last_look.elapsed() >= RELOOK_AFTER
                    && self.core.activity(self.now_ms()) == Activity::Starting;
                (wires.unseen_output || relook).then(|| {
                    let seen = self.look(wires.drawn_ms);
                    wires.last_look = Instant::now();
                    wires.relook = wires.unseen_output;
                    wires.unseen_output = false;
                    seen
                })
            }
            Step::LedgerRequests => {
                let requests = self.ledger_requests(wires)?;
                then.extend(
                    requests
                        .into_iter()
                        .map(|(seq, command)| Step::LedgerRequest(seq, command)),
                );
                None
            }
            Step::LedgerRequest(seq, command) => {
                let event = Event::Command {
                    now_ms: self.now_ms(),
                    command,
                };
                return Ok(Some((event, Some(Asker::Ledger(seq)))));
            }
            Step::Claims => {
                then.extend(self.submitted_claims()?.into_iter().map(Step::Event));
                None
            }
            Step::Resized => {
                self.resized();
                None
            }
            Step::Stale => None,
            Step::Status => {
                self.show_status();
                None
            }
            Step::LedgerChores => {
                self.stopped_clock_chores(wires, then);
                None
            }
        };
        Ok(event.map(|event| (event, None)))
    }

    /// Before the core hears that the agent's turn is complete: the claims
    /// `goalie mcp` wrote in the turn, which it stored before it answered
    /// the agent, so before the agent could end its turn. The clock's look
    /// at them may be up to a tick (or, on a loaded machine, more) behind
    /// the signal, and a claim heard after the turn ended would count for
    /// the next one. Whether there were any (then they are put in `then`,
    /// and the signal is to follow them).
    fn claims_first(&mut self, then: &mut Vec<Step>) -> Result<bool, Error> {
        let claims = self.submitted_claims()?;
        let any = !claims.is_empty();
        then.extend(claims.into_iter().map(Step::Event));
        Ok(any)
    }

    /// Takes in the agent's output (and what else is waiting), then looks at
    /// the screen once, unless it looked a moment ago or a turn is under way
    /// (then the clock's next tick looks: `cadence.rs`). Rows that scroll off
    /// are kept for the next look: once enough have (a flood), it looks now,
    /// before it takes in more, so they never pile up with the output's volume.
    fn output(&mut self, chunk: &[u8], held: bool, wires: &mut Wires) -> Option<Event> {
        self.take_output(chunk);
        let mut bytes = chunk.len();
        let mut chunks = 1;
        // A read that did not fill the buffer took all there was: another
        // would only say so (a system call per wake-up).
        let mut full = chunk.len() >= READ_SIZE;
        while full
            && !self.screen.scrolled_full()
            && let Ok(more) = wires.output.try_recv()
        {
            self.take_output(&more);
            bytes += more.len();
            chunks += 1;
            full = more.len() >= READ_SIZE;
        }
        self.watch.work.output_wakes += 1;
        self.watch.work.chunks += chunks;
        self.watch.work.output_bytes += bytes as u64;
        let taken = Instant::now();
        // Close: output came while it was held back (the PTY holds it
        // until the batch is over, and it is read in one chunk), this
        // wake-up found more than one chunk waiting, or the output before
        // came within half a batch. Output further apart is taken in as it
        // comes: holding it would only add a wake-up.
        wires.output_close = held
            || chunks > 1
            || wires
                .output_taken
                .is_some_and(|before| taken.duration_since(before) < cadence::BATCH / 2);
        wires.output_taken = Some(taken);
        wires.output_bytes = bytes;
        let now_ms = self.now_ms();
        wires.output_since_tick = Some(Instant::now());
        wires.drawn_ms = Some(now_ms);
        if (self.paced() || wires.last_look.elapsed() < LOOK_EVERY) && !self.screen.scrolled_full()
        {
            wires.unseen_output = true;
            return None;
        }
        wires.last_look = Instant::now();
        wires.unseen_output = false;
        wires.relook = true;
        Some(self.look(wires.drawn_ms))
    }

    /// Passes the person's keys to the agent, but for the takeover chord; the
    /// core hears of each chord, then of the input.
    fn keys(&mut self, bytes: &[u8], then: &mut Vec<Step>) {
        if terminal::is_terminal_reply(bytes) {
            self.agent.write(bytes.to_vec());
            return;
        }
        let (keys, chords) = self.chords.feed(bytes);
        if !keys.is_empty() {
            self.agent.write(keys);
        }
        for _ in 0..chords {
            then.push(Step::Now(|now_ms| Event::TakeoverChord { now_ms }));
        }
        then.push(Step::Now(|now_ms| Event::UserInput { now_ms }));
    }

    /// A request on the control socket: `get` is answered now; a command or a
    /// hook's turn signal goes to the core, and is answered once it has heard.
    fn control(
        &mut self,
        pending: Pending,
        then: &mut Vec<Step>,
    ) -> Option<(Event, Option<Asker>)> {
        let now_ms = self.now_ms();
        let command = match &pending.request.method {
            Method::Get => {
                pending.answer(Ok(json!({ "goal": self.snapshot() })));
                return None;
            }
            Method::Set(change) => UserCommand::Change(change.clone()),
            Method::Clear => UserCommand::Clear,
            Method::TurnComplete { source, data } => {
                let signal = Event::TurnSignal {
                    now_ms,
                    source: source.clone(),
                    data: data.clone(),
                };
                then.push(Step::FollowReported(data.clone()));
                then.push(Step::ReadSessionLog { rescan: false });
                // Output held back while the turn was paced is looked at now.
                then.push(Step::LookIfUnseen);
                return Some((signal, Some(Asker::Signal(pending))));
            }
            Method::ToolsListed => {
                self.tools_listed_at = Some(std::time::Instant::now());
                let listed = Event::McpToolsListed { now_ms };
                return Some((listed, Some(Asker::Signal(pending))));
            }
        };
        let event = Event::Command { now_ms, command };
        Some((event, Some(Asker::Command(pending))))
    }

    /// Writes the goal's counters as they are now: a turn under way when
    /// goalie is killed keeps its time (up to a second of it is lost), and
    /// the tokens seen so far; turns are counted when they end, so a resumed
    /// goal counts each once. Counters that have not changed since the last
    /// checkpoint (a paused goal's) are not written again: each write is a
    /// commit with an fsync.
    fn checkpoint_progress(&mut self) {
        if self.core.is_stopped() {
            return;
        }
        let used = self.core.used(self.now_ms());
        if self.watch.checkpointed == Some(used) {
            return;
        }
        self.watch.checkpointed = Some(used);
        self.watch.work.progress_writes += 1;
        if let Err(err) = self.ledger.set_progress(
            &self.goal_id,
            used.turns,
            used.tokens_used,
            used.time_used_ms,
        ) {
            tracing::warn!(%err, "could not write the goal's counters");
        }
    }

    /// The clock: its timed chores, the agent's process tree, a last look at
    /// the screen, claims, then the core's tick.
    fn tick(&mut self, wires: &mut Wires, then: &mut Vec<Step>) {
        let now = Instant::now();
        wires.last_tick = now;
        wires.output_since_tick = None;
        self.watch.work.ticks += 1;
        if self.core.resting() {
            self.watch.work.rest_ticks += 1;
        }
        self.timed_chores(wires, now, then);
        self.ledger_chores(wires, then);
        // While goalie waits there is no turn to hang: the agent's tree is
        // looked at again once the wait is over.
        if self.core.wait_alarm_ms().is_none() {
            then.push(Step::RefreshMembers);
        }
        then.extend([
            Step::LookIfUnseen,
            Step::Claims,
            Step::Now(|now_ms| Event::Tick { now_ms }),
        ]);
    }

    /// The chores timed by the clock, from a tick or, while the goal rests,
    /// from the ledger's own timer (`rest.rs`): the recording flushed, the
    /// session log read (when it changed, else now and then), the goal's
    /// counters written. (The ledger's chores follow, `heartbeat.rs`.)
    pub(super) fn timed_chores(&mut self, wires: &mut Wires, now: Instant, then: &mut Vec<Step>) {
        if wires.flush.due(now) {
            self.flush_recording();
        }
        // Watched, the log is read when it changes, and looked at
        // again only now and then; polled otherwise.
        let watched = self
            .session_tail
            .as_ref()
            .is_some_and(SessionTail::watching);
        let (read, rescan) = if watched {
            let read = wires.db_dirty && wires.last_db_read.elapsed() >= DB_EVERY;
            if read {
                wires.db_dirty = false;
                wires.last_db_read = Instant::now();
            }
            (read, wires.fallback.due(now))
        } else {
            (wires.poll.due(now), wires.rescan.due(now))
        };
        if self.session_tail.is_some() && (read || rescan) {
            then.push(Step::ReadSessionLog { rescan });
        }
        if wires.checkpoint.due(now) {
            self.checkpoint_progress();
        }
    }

    /// The session log may have changed: read it, unless it is opencode's
    /// database read a moment ago (then the tick reads it).
    fn log_changed(&mut self, wires: &mut Wires, then: &mut Vec<Step>) {
        if self
            .session_tail
            .as_ref()
            .is_some_and(|tail| tail.format() == LogFormat::OpencodeDb)
            && wires.last_db_read.elapsed() < DB_EVERY
        {
            wires.db_dirty = true;
            self.drain_session_log();
        } else {
            wires.last_db_read = Instant::now();
            then.push(Step::ReadSessionLog { rescan: false });
        }
    }

    /// The person's terminal changed size: so do the agent's PTY and screen.
    fn resized(&mut self) {
        if let Some(size) = terminal::size().filter(|_| self.interactive) {
            self.status.resized(size);
            let (rows, cols) = self.status.agent_size(size);
            self.agent.resize(rows, cols);
            self.screen.resize(rows, cols);
            self.record_resize(rows, cols);
        }
    }
}
