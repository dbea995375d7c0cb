//! The imperative shell around the supervisor core: it starts the agent in a
//! PTY, turns PTY output, keys, timers, signals and the agent's exit into
//! events, and carries out the core's actions (typing, ledger rows, stopping).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::agent::adapter::Adapter;
use crate::agent::home::Settled;
use crate::agent::process::{self as agent_process, AgentProcess, Exit, Launch};
use crate::agent::prompts::Prompts;
use crate::agent::screen::Screen;
use crate::agent::session_log::LogFormat;
use crate::agent::session_tail::{self, SessionTail};
use crate::audit;
use crate::audit::auditor::Auditor;
use crate::control::protocol::{self as control_protocol, ENDED, REFUSED};
use crate::control::{ControlServer, GoalSnapshot, Method, Notifier, RpcError, socket_dir};
use crate::core::compaction::Source;
use crate::core::config::DialogPolicy;
use crate::core::observer::Observer;
use crate::core::prompt::Digest;
use crate::core::prompt::PromptKind;
use crate::core::row::{Conversation, HandoffSource, Mode, Row, RowKind};
use crate::core::supervisor::{Action, Config, DialogRule, Event, Rotation, Supervisor};
use crate::core::usage_reset::ResetTime;
use crate::error::Error;
use crate::goal::change::UserCommand;
use crate::goal::claim::{Channel, Claim};
use crate::goal::lifecycle::GoalState;
use crate::goal::limits::{Limits, Progress};
use crate::goal::spec::GoalSpec;
use crate::goal::units::format_duration;
use crate::ledger::claim_inbox::ClaimInbox;
use crate::ledger::event_hooks::EventHook;
use crate::ledger::new_claim_code;
use crate::ledger::{Goal, Ledger, NewGoal};
use crate::terminal::takeover::ChordFilter;
use crate::terminal::{self, RawMode};

/// Size of the agent's screen when no terminal gives one.
const HEADLESS_SIZE: (u16, u16) = (50, 160);
/// How often the clock ticks.
const TICK: Duration = Duration::from_millis(100);
/// Looks at the screen at most this often while output streams in; the tick
/// after the stream stops always takes a last look.
const LOOK_EVERY: Duration = Duration::from_millis(20);
/// How long the agent's processes get to end after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// At most this many characters of a handoff note go to the next process.
const HANDOFF_CHARS: usize = 8000;
/// How many transcript rows make a reply read from the screen.
const SCREEN_REPLY_ROWS: usize = 6;
/// With its folders watched, the session log is looked at again this rarely
/// (in ticks: 30 s), for what a lost event would hide.
const FALLBACK_TICKS: u64 = 300;

/// Everything a run needs, validated.
pub struct RunSpec {
    pub adapter: Adapter,
    pub prompts: Prompts,
    pub objective: String,
    /// The goal spec, when the goal was given as one (`--goal FILE`).
    pub spec: Option<GoalSpec>,
    pub workdir: PathBuf,
    pub limits: Limits,
    pub agent_args: Vec<String>,
    pub headless: bool,
    pub db: PathBuf,
    pub user_quiet_ms: u64,
    pub wrap_up_grace_ms: u64,
    /// Continue this existing goal instead of creating one (`goalie resume`).
    pub resume: Option<Resumed>,
    /// `--on-event CMD`: run for every ledger row.
    pub on_event: Option<String>,
    /// `--fresh` / `--rotate-at`: when goalie starts a new agent process.
    pub rotation: Rotation,
    /// `--dialog NAME=POLICY`: the adapter's dialogs answered otherwise for this
    /// goal (already applied to `adapter`; kept with the goal for `goalie resume`).
    pub dialog_policies: Vec<(String, DialogPolicy)>,
}

/// How an existing goal continues.
#[derive(Debug, Clone)]
pub struct Resumed {
    pub goal_id: String,
    /// `Continuation` when the agent resumes its conversation, else `Start`.
    pub first_prompt: PromptKind,
    /// The objective the agent last heard, if the user changed it since.
    pub objective_changed_from: Option<String>,
    /// The agent's session to continue (from the ledger's `session_log` rows).
    pub session_id: Option<String>,
    /// Where goalie last followed it (a Codex session of an earlier day is in
    /// a folder the tail of a new run does not look in).
    pub session_path: Option<PathBuf>,
}

/// Runs one goal to its end; returns the exit code.
pub fn run(spec: RunSpec) -> Result<i32, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::io("cannot start the async runtime", err))?;
    runtime.block_on(supervise(spec))
}

async fn supervise(spec: RunSpec) -> Result<i32, Error> {
    // Everything that can be wrong with the input is checked before the ledger is touched.
    let exe =
        std::env::current_exe().map_err(|err| Error::io("cannot find goalie's own path", err))?;
    let program = agent_process::resolve(&spec.adapter.program(&exe), &spec.workdir)?;
    spec.adapter
        .check_mcp_registration(&|name| std::env::var(name).ok())?;
    let mut args = match &spec.resume {
        Some(resumed) if resumed.first_prompt != PromptKind::Start => spec
            .adapter
            .resume_launch_args(&exe, resumed.session_id.as_deref())
            .unwrap_or_else(|| spec.adapter.launch_args(&exe)),
        _ => spec.adapter.launch_args(&exe),
    };
    let interactive = !spec.headless;
    let (rows, cols) = if interactive {
        terminal::size().unwrap_or((24, 80))
    } else {
        HEADLESS_SIZE
    };

    let sockets = socket_dir::socket_dir()?;
    // `goalie mcp` runs in the agent's working directory: it needs an absolute path.
    let db = std::path::absolute(&spec.db).unwrap_or_else(|_| spec.db.clone());
    let mut ledger = Ledger::open(&db)?;
    let goal = match &spec.resume {
        None => create_goal(&ledger, &spec, interactive)?,
        Some(resumed) => {
            let goal = ledger.goal(&resumed.goal_id)?;
            ledger.append(
                &goal.id,
                &Row::Resumed {
                    agent: spec.adapter.name.clone(),
                    agent_args: spec.agent_args.clone(),
                    dialog_policies: spec.dialog_policies.iter().cloned().collect(),
                    conversation: if resumed.first_prompt == PromptKind::Start {
                        Conversation::New
                    } else {
                        Conversation::Resumed
                    },
                    prior: Progress {
                        turns: goal.turns,
                        tokens_used: goal.tokens_used,
                        time_used_ms: goal.time_used_ms,
                    },
                    mode: mode(interactive),
                },
            )?;
            goal
        }
    };
    // The effective spec (a bare one for a plain objective) is stored with the goal
    // (`goalie mcp` and `goalie report` read it there); a resumed goal keeps its own.
    let goal_spec = ledger
        .spec(&goal.id)?
        .and_then(|stored| serde_json::from_value::<GoalSpec>(stored).ok())
        .unwrap_or_else(|| GoalSpec::bare(&goal.objective));
    // The protected paths' state when the goal started, which a completion claim must
    // leave intact: hashed now for a new goal, read back from the ledger on resume.
    let baseline = match stored_baseline(&ledger, &goal.id)? {
        Some(baseline) => baseline,
        None => {
            let baseline = audit::baseline(&spec.workdir, &goal_spec.protect);
            if !baseline.is_empty() {
                let paths = baseline.clone();
                ledger.append(&goal.id, &Row::ProtectBaseline { paths })?;
            }
            baseline
        }
    };
    // `goalie mcp` for this run only; its files (if any) live in a private
    // directory next to the control sockets until `mcp` is dropped, when this
    // function returns (on every path).
    let registered = spec
        .adapter
        .register_mcp(&exe, &goal.id, &db, &sockets, &|name| {
            std::env::var(name).ok()
        });
    let mcp = match registered {
        Ok(mcp) => mcp,
        Err(err) => {
            let row = |error| Row::McpRegistrationFailed { error };
            return fail_before_start(&ledger, &goal.id, row, err.into());
        }
    };
    args.extend(mcp.args.iter().cloned());
    args.extend(spec.adapter.hook_launch_args(&exe, &goal.id, &db));
    args.extend(spec.agent_args.iter().cloned());
    let mut env = spec.adapter.env.clone();
    env.extend(mcp.env.clone());
    let mut control = match ControlServer::bind(&sockets.join(format!("{}.sock", goal.id))) {
        Ok(control) => control,
        Err(err) => {
            let row = |error| Row::ControlSocketFailed { error };
            return fail_before_start(&ledger, &goal.id, row, err.into());
        }
    };
    let hook = spec
        .on_event
        .clone()
        .map(|command| EventHook::start(command, spec.workdir.clone()));
    let notifier = control.notifier();
    let hook_sender = hook.as_ref().map(EventHook::sender);
    ledger.set_observer(move |entry| {
        notifier.send("event", serde_json::to_value(entry).unwrap_or_default());
        if let Some(hook) = &hook_sender {
            hook.send(entry);
        }
    });
    ledger.set_control_socket(&goal.id, control.path())?;
    let goal_id = goal.id.clone();
    let outcome = supervise_goal(
        &spec,
        ledger,
        goal,
        (goal_spec, baseline),
        &mut control,
        program,
        (args, env),
        interactive,
        (rows, cols),
    )
    .await;
    control.shutdown().await;
    if let Some(hook) = hook {
        hook.finish(Duration::from_secs(5));
    }
    if let Some(settled) = mcp.finish() {
        report_settled_home(&db, &goal_id, &spec.adapter.name, &settled);
    }
    outcome
}

/// Records what settling the agent's private home did (a `home_settled` row)
/// and tells the person about anything kept beside their own files.
fn report_settled_home(db: &Path, goal_id: &str, agent: &str, settled: &Settled) {
    if settled.is_empty() {
        return;
    }
    if let Ok(ledger) = Ledger::open_existing(db) {
        let _ = ledger.append(goal_id, &settled.row());
    }
    for path in &settled.kept_beside {
        eprintln!(
            "goalie: {agent} wrote {} during the run, kept beside your own file, which is unchanged",
            path.display()
        );
    }
    for failure in &settled.failed {
        eprintln!("goalie: could not move back what {agent} wrote in its private home: {failure}");
    }
}

/// Records why the agent could not be started for goal `goal_id` (the `row`
/// of the error), leaves the goal paused and ended, and returns `err`.
fn fail_before_start(
    ledger: &Ledger,
    goal_id: &str,
    row: impl FnOnce(String) -> Row,
    err: Error,
) -> Result<i32, Error> {
    ledger.append(goal_id, &row(err.to_string()))?;
    if ledger.goal(goal_id)?.state == GoalState::Pursuing {
        ledger.set_state(goal_id, GoalState::Paused)?;
    }
    ledger.set_ended(goal_id, &err.to_string())?;
    Err(err)
}

/// The protected paths' fingerprints recorded when the goal started, if any.
fn stored_baseline(ledger: &Ledger, goal_id: &str) -> Result<Option<audit::Baseline>, Error> {
    Ok(ledger
        .entries(goal_id)?
        .into_iter()
        .rev()
        .filter(|entry| entry.is(RowKind::ProtectBaseline))
        .find_map(|entry| match entry.row() {
            Row::ProtectBaseline { paths } => Some(paths),
            _ => None,
        }))
}

fn create_goal(ledger: &Ledger, spec: &RunSpec, interactive: bool) -> Result<Goal, Error> {
    let claim_code = new_claim_code();
    let goal = ledger.create_goal(&NewGoal {
        objective: spec.objective.clone(),
        agent: spec.adapter.name.clone(),
        workdir: spec.workdir.display().to_string(),
        claim_code: claim_code.clone(),
        max_turns: spec.limits.max_turns,
        max_time_ms: spec.limits.max_time_ms,
        budget_tokens: spec.limits.budget_tokens,
    })?;
    let goal_spec = spec
        .spec
        .clone()
        .unwrap_or_else(|| GoalSpec::bare(&spec.objective));
    ledger.set_spec(
        &goal.id,
        &serde_json::to_value(&goal_spec).unwrap_or(serde_json::Value::Null),
    )?;
    ledger.append(
        &goal.id,
        &Row::GoalCreated {
            objective: spec.objective.clone(),
            agent: spec.adapter.name.clone(),
            adapter: spec.adapter.origin.display().to_string(),
            workdir: goal.workdir.clone(),
            limits: spec.limits,
            agent_args: spec.agent_args.clone(),
            dialog_policies: spec.dialog_policies.iter().cloned().collect(),
            mode: mode(interactive),
            rotation: spec.rotation,
        },
    )?;
    Ok(goal)
}

fn mode(interactive: bool) -> Mode {
    if interactive {
        Mode::Interactive
    } else {
        Mode::Headless
    }
}

#[allow(clippy::too_many_arguments)]
async fn supervise_goal(
    spec: &RunSpec,
    ledger: Ledger,
    goal: Goal,
    (goal_spec, baseline): (GoalSpec, audit::Baseline),
    control: &mut ControlServer,
    program: PathBuf,
    (args, env): (Vec<String>, std::collections::BTreeMap<String, String>),
    interactive: bool,
    (rows, cols): (u16, u16),
) -> Result<i32, Error> {
    let launch = Launch {
        program: program.clone(),
        args: args.clone(),
        env,
        env_remove: spec.adapter.env_remove.clone(),
        workdir: spec.workdir.clone(),
        rows,
        cols,
    };
    let session_tail = new_session_tail(spec, &launch.env);
    let entries = ledger.entries(&goal.id)?;
    // Processes are numbered across the goal's runs (`goalie resume` goes on counting).
    let process = 1 + entries
        .iter()
        .filter(|e| e.is(RowKind::AgentStarted))
        .count() as u32;
    tracing::info!(goal = %goal.id, program = %program.display(), ?args, rows, cols, "starting the agent");
    let (agent, output, exit) = match AgentProcess::spawn(&launch) {
        Ok(spawned) => spawned,
        Err(err) => {
            ledger.append(
                &goal.id,
                &Row::AgentFailedToStart {
                    error: err.to_string(),
                    process: None,
                },
            )?;
            ledger.set_state(&goal.id, crate::goal::lifecycle::GoalState::Paused)?;
            ledger.set_ended(&goal.id, &err.to_string())?;
            return Err(err.into());
        }
    };
    terminal::install_panic_hook(agent_process::kill_running_agent);
    ledger.set_running(&goal.id, std::process::id(), Some(agent.pid()))?;
    ledger.append(
        &goal.id,
        &Row::AgentStarted {
            pid: agent.pid(),
            program: program.display().to_string(),
            args,
            rows,
            cols,
            process,
            reason: None,
        },
    )?;
    let prior_compactions = entries.iter().filter(|e| e.is(RowKind::Compacted)).count();
    let mut compaction_sources = Vec::new();
    if spec.adapter.session_log.is_some() {
        compaction_sources.push(Source::SessionLog);
    }
    if !spec.adapter.screen.compaction.is_empty() {
        compaction_sources.push(Source::Screen);
    }
    if spec.adapter.screen.context.is_some()
        || spec
            .adapter
            .session_log
            .as_ref()
            .is_some_and(|log| log.format == crate::agent::session_log::LogFormat::CodexRollout)
    {
        compaction_sources.push(Source::Gauge);
    }

    let core = Supervisor::new(Config {
        goal_id: goal.id.clone(),
        objective: goal.objective.clone(),
        claim_code: goal.claim_code.clone(),
        requirements: goal_spec.requirements(),
        verify: goal_spec.verify.iter().map(|v| v.run.clone()).collect(),
        mcp: spec.adapter.has_mcp(),
        timing: spec.adapter.timing,
        user_quiet_ms: spec.user_quiet_ms,
        wrap_up_grace_ms: spec.wrap_up_grace_ms,
        limits: Limits {
            max_turns: goal.max_turns,
            max_time_ms: goal.max_time_ms,
            budget_tokens: goal.budget_tokens,
        },
        prior: Progress {
            turns: goal.turns,
            tokens_used: goal.tokens_used,
            time_used_ms: goal.time_used_ms,
        },
        first_prompt: spec
            .resume
            .as_ref()
            .map_or(PromptKind::Start, |resumed| resumed.first_prompt),
        objective_changed_from: spec
            .resume
            .as_ref()
            .and_then(|resumed| resumed.objective_changed_from.clone()),
        dialogs: spec
            .adapter
            .dialogs
            .iter()
            .map(|d| DialogRule {
                name: d.name.clone(),
                policy: d.policy,
                accept: d.accept.clone(),
                deny: d.deny.clone(),
            })
            .collect(),
        compaction_sources,
        prior_compactions: u32::try_from(prior_compactions).unwrap_or(u32::MAX),
        rotation: spec.rotation,
        context_window: spec
            .adapter
            .session_log
            .as_ref()
            .and_then(|log| log.context_window),
        reset_wait: spec.resume.as_ref().and_then(|_| {
            crate::ledger::pending_wait::pending_wait(&entries, jiff::Timestamp::now())
        }),
    });
    let observer = Observer::for_adapter(&spec.adapter);
    let inbox = ClaimInbox::new(&ledger, &goal.id)?;
    let (auditor, audit_reports) = Auditor::new(goal_spec, spec.workdir.clone(), baseline);
    let mut shell = Shell {
        spec,
        notifier: control.notifier(),
        chords: ChordFilter::default(),
        ledger,
        goal_id: goal.id.clone(),
        core,
        observer,
        auditor,
        inbox,
        screen: Screen::new(rows, cols, !interactive),
        agent,
        exit: Some(exit),
        started: Instant::now(),
        interactive,
        tokens_seen: false,
        session_tail,
        launch,
        restart: None,
        process,
        panic_for_test: std::env::var_os("GOALIE_TEST_PANIC").is_some(),
    };
    if !interactive {
        shell.say(&format!(
            "goal {} started: agent {} (pid {}) in {}",
            goal.id,
            spec.adapter.name,
            shell.agent.pid(),
            spec.workdir.display()
        ));
    }

    let raw = if interactive {
        Some(
            RawMode::enter()
                .map_err(|err| Error::io("cannot put the terminal in raw mode", err))?,
        )
    } else {
        None
    };
    let outcome = shell.event_loop(output, control, audit_reports).await;
    let agent_status = shell.agent.terminate(shell.exit.as_mut(), STOP_GRACE).await;
    // The agent's session log may hold the last reply's figures only now.
    let (late_tx, _late) = mpsc::unbounded_channel();
    if let Err(err) = shell.read_session_log(true, &late_tx) {
        tracing::warn!(%err, "could not read the session log after the agent ended");
    }
    if raw.is_some() {
        terminal::restore(&shell.screen.restore_sequence());
    }
    drop(raw);
    let (exit_code, reason) = match outcome {
        Ok(stopped) => stopped,
        Err(err) => {
            // Leave a trace in the ledger if it still works; the error is what the user sees.
            let error = err.to_string();
            let _ = shell
                .ledger
                .append(&shell.goal_id, &Row::InternalError { error });
            let _ = shell.ledger.set_ended(&shell.goal_id, &err.to_string());
            return Err(err);
        }
    };
    let session_log_work = shell.session_tail.as_ref().map(|tail| {
        // A debug statistic: the work goalie did to follow the session log.
        let stats = tail.stats();
        tracing::info!(?stats, "session log work");
        json!(stats)
    });
    shell.ledger.append(
        &shell.goal_id,
        &Row::Stopped {
            reason: reason.clone(),
            exit_code,
            agent_status,
            screen_resets: shell.screen.resets(),
            session_log_work,
        },
    )?;
    shell.ledger.set_ended(&shell.goal_id, &reason)?;
    shell.summary(&reason);
    Ok(exit_code)
}

struct Shell<'a> {
    spec: &'a RunSpec,
    /// The control socket's subscribers.
    notifier: Notifier,
    /// Takes the takeover chord out of the person's keys.
    chords: ChordFilter,
    ledger: Ledger,
    goal_id: String,
    core: Supervisor,
    observer: Observer,
    auditor: Auditor,
    inbox: ClaimInbox,
    screen: Screen,
    agent: AgentProcess,
    exit: Option<Exit>,
    started: Instant,
    interactive: bool,
    tokens_seen: bool,
    /// The agent's session log, when its adapter names one.
    session_tail: Option<SessionTail>,
    /// How the agent is started (again, for a context rotation).
    launch: Launch,
    /// The core asked for a new agent process: (why, the handoff file to read).
    restart: Option<(String, Option<String>)>,
    /// The agent process, from 1.
    process: u32,
    /// Test hook: `GOALIE_TEST_PANIC=1` panics at the first end of turn, so
    /// tests can check that a panic still restores the terminal and ends the agent.
    panic_for_test: bool,
}

impl Shell<'_> {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Runs until the core says stop; returns (exit code, reason).
    async fn event_loop(
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
    fn dispatch(
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

    /// The goal as the control socket shows it.
    fn snapshot(&self) -> GoalSnapshot {
        let used = self.core.used(self.now_ms());
        let limits = self.core.limits();
        GoalSnapshot {
            id: self.goal_id.clone(),
            objective: self.core.objective().to_string(),
            state: self.core.state(),
            takeover: self.core.takeover(),
            state_text: control_protocol::state_text(self.core.state(), self.core.takeover()),
            agent: self.spec.adapter.name.clone(),
            workdir: self.spec.workdir.display().to_string(),
            max_turns: limits.max_turns,
            max_time_ms: limits.max_time_ms,
            budget_tokens: limits.budget_tokens,
            turns: used.turns,
            tokens_used: used.tokens_used,
            time_used_ms: used.time_used_ms,
            supervisor_pid: std::process::id(),
            agent_pid: Some(self.agent.pid()),
        }
    }

    /// Feeds what the session log says to the core; `rescan` also looks for a newer file.
    fn read_session_log(
        &mut self,
        rescan: bool,
        done_tx: &mpsc::UnboundedSender<()>,
    ) -> Result<Option<(i32, String)>, Error> {
        let Some(tail) = self.session_tail.as_mut() else {
            return Ok(None);
        };
        let before = tail.path().map(Path::to_path_buf);
        let events = tail.poll(rescan);
        if let Some(path) = tail.path()
            && before.as_deref() != Some(path)
        {
            let session_id = crate::agent::session_log::session_id(tail.format(), path);
            let path = path.display().to_string();
            self.ledger
                .append(&self.goal_id, &Row::SessionLog { path, session_id })?;
        }
        for event in events {
            let now_ms = self.now_ms();
            if let Some(stopped) = self.dispatch(Event::SessionLog { now_ms, event }, done_tx)? {
                return Ok(Some(stopped));
            }
        }
        Ok(None)
    }

    /// Takes the kernel's news about the session log without reading it yet
    /// (opencode's database, between two reads).
    fn drain_session_log(&mut self) {
        if let Some(tail) = self.session_tail.as_mut() {
            tail.note_changes();
        }
    }

    /// Claims `goalie mcp` wrote to the ledger since the last look, as events.
    fn submitted_claims(&mut self) -> Result<Vec<Event>, Error> {
        let mut events = Vec::new();
        for claim in self.inbox.take(&self.ledger)? {
            match claim {
                Ok(claim) => events.push(Event::Claim {
                    now_ms: self.now_ms(),
                    channel: Channel::Mcp,
                    claim,
                }),
                Err(error) => {
                    self.ledger
                        .append(&self.goal_id, &Row::ClaimMalformed { error })?;
                }
            }
        }
        Ok(events)
    }

    /// Records an audit's steps and outcome; the core hears the outcome.
    fn audit_report(&mut self, report: audit::Report) -> Result<Event, Error> {
        for step in &report.steps {
            self.ledger.append(&self.goal_id, &step.row())?;
        }
        let passed = report.passed();
        let reasons = report.reasons();
        self.ledger.append(
            &self.goal_id,
            &Row::AuditFinished {
                passed,
                steps: report.steps.len() as u32,
                reasons: reasons.clone(),
            },
        )?;
        if !self.interactive {
            self.say(&if passed {
                format!("audit passed ({} checks)", report.steps.len())
            } else {
                format!(
                    "audit failed: {}",
                    reasons
                        .iter()
                        .map(|r| r.lines().next().unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            });
        }
        Ok(Event::AuditFinished {
            now_ms: self.now_ms(),
            passed,
            reasons,
        })
    }

    /// Ends the agent's process and starts a new one for the same goal (a
    /// context rotation); the handoff note the old one wrote goes to the new one.
    async fn restart_agent(
        &mut self,
        output: &mut agent_process::Output,
        reason: String,
        handoff_file: Option<String>,
    ) -> Result<Event, Error> {
        let handoff = match &handoff_file {
            Some(file) => self.take_handoff(file)?,
            None => None,
        };
        let status = self.agent.terminate(self.exit.as_mut(), STOP_GRACE).await;
        self.exit = None;
        self.ledger.append(
            &self.goal_id,
            &Row::AgentEnded {
                process: self.process,
                status,
                reason: reason.clone(),
            },
        )?;
        if self.interactive {
            // The new agent draws on a clean screen.
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(b"\x1b[H\x1b[2J");
            let _ = out.flush();
            if let Some((rows, cols)) = terminal::size() {
                self.launch.rows = rows;
                self.launch.cols = cols;
            }
        }
        self.screen = Screen::new(self.launch.rows, self.launch.cols, !self.interactive);
        self.observer = Observer::for_adapter(&self.spec.adapter);
        // The new process writes a new log; the old one's, written moments ago, is not it.
        self.session_tail = match &self.session_tail {
            Some(tail) => Some(tail.successor(std::time::SystemTime::now())),
            None => new_session_tail(self.spec, &self.launch.env),
        };
        let (agent, new_output, exit) = match AgentProcess::spawn(&self.launch) {
            Ok(spawned) => spawned,
            Err(err) => {
                self.ledger.append(
                    &self.goal_id,
                    &Row::AgentFailedToStart {
                        error: err.to_string(),
                        process: Some(self.process + 1),
                    },
                )?;
                return Ok(Event::AgentExited {
                    now_ms: self.now_ms(),
                    status: format!("a new agent process could not start: {err}"),
                });
            }
        };
        self.agent = agent;
        *output = new_output;
        self.exit = Some(exit);
        self.process += 1;
        self.ledger
            .set_running(&self.goal_id, std::process::id(), Some(self.agent.pid()))?;
        self.ledger.append(
            &self.goal_id,
            &Row::AgentStarted {
                pid: self.agent.pid(),
                program: self.launch.program.display().to_string(),
                args: self.launch.args.clone(),
                rows: self.launch.rows,
                cols: self.launch.cols,
                process: self.process,
                reason: Some(reason.clone()),
            },
        )?;
        if !self.interactive {
            self.say(&format!(
                "agent process {} started (pid {}): {reason}",
                self.process,
                self.agent.pid()
            ));
        }
        Ok(Event::AgentRestarted {
            now_ms: self.now_ms(),
            handoff,
        })
    }

    /// The handoff note the agent wrote to `file` (then removed), else its last
    /// reply; recorded in the ledger either way.
    fn take_handoff(&mut self, file: &str) -> Result<Option<String>, Error> {
        let path = self.spec.workdir.join(file);
        let written = std::fs::read_to_string(&path)
            .ok()
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty());
        if written.is_some() {
            let _ = std::fs::remove_file(&path);
            if let Some(dir) = path.parent() {
                // Only when empty: the folder may hold the user's own files.
                let _ = std::fs::remove_dir(dir);
            }
        }
        let (source, text) = match written {
            Some(text) => (HandoffSource::File, Some(text)),
            None => {
                let reply = self
                    .ledger
                    .entries(&self.goal_id)?
                    .into_iter()
                    .rev()
                    .find(|e| e.is(RowKind::TurnEnded))
                    .and_then(|e| match e.row() {
                        Row::TurnEnded { reply, .. } => reply,
                        _ => None,
                    })
                    .filter(|text| !text.trim().is_empty());
                let source = if reply.is_some() {
                    HandoffSource::Reply
                } else {
                    HandoffSource::None
                };
                (source, reply)
            }
        };
        let text = text.map(|text| {
            if text.chars().count() > HANDOFF_CHARS {
                let kept: String = text.chars().take(HANDOFF_CHARS).collect();
                format!("{kept}\n[… the rest of the note was cut]")
            } else {
                text
            }
        });
        self.ledger.append(
            &self.goal_id,
            &Row::Handoff {
                process: self.process,
                file: file.to_string(),
                source,
                text: text.clone(),
            },
        )?;
        Ok(text)
    }

    /// The agent's last reply as its screen shows it: the last rows of its
    /// transcript above the input box.
    fn screen_reply(&self) -> Option<String> {
        let rows = self.screen.rows();
        let rules = &self.spec.adapter.screen;
        let input = rows.iter().rposition(|row| rules.idle.is_match(row))?;
        let lines: Vec<&str> = rows[..input]
            .iter()
            .map(|row| row.trim_end())
            .filter(|row| !row.trim().is_empty() && !rules.busy.is_match(row))
            .collect();
        let start = lines.len().saturating_sub(SCREEN_REPLY_ROWS);
        let text = lines[start..].join("\n");
        (!text.is_empty()).then(|| crate::core::supervisor::excerpt(&text))
    }

    /// Reads the screen with the adapter's rules.
    fn look(&mut self) -> Event {
        let rows = self.screen.rows();
        let scrolled = self.screen.take_scrolled();
        let mut seen = self.observer.observe(&rows, &scrolled);
        // A reset shown as a time of day becomes a delay against this clock.
        if let Some(reset @ ResetTime::At { .. }) = seen.usage_limit_reset.take() {
            seen.usage_limit_reset = Some(reset.from(&jiff::Zoned::now()));
        }
        Event::Screen {
            now_ms: self.now_ms(),
            seen,
        }
    }

    fn take_output(&mut self, chunk: &[u8]) {
        if self.interactive {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(chunk);
            let _ = out.flush();
        }
        self.screen.process(chunk);
        let replies = self.screen.take_replies();
        if !replies.is_empty() {
            self.agent.write(replies);
        }
    }

    /// Carries out one action; `Some` when the run is over.
    fn perform(
        &mut self,
        action: Action,
        done_tx: &mpsc::UnboundedSender<()>,
    ) -> Result<Option<(i32, String)>, Error> {
        match action {
            Action::Inject {
                kind,
                mut vars,
                why,
            } => {
                if matches!(
                    kind,
                    PromptKind::AfterCompaction | PromptKind::AfterRotation
                ) {
                    vars.digest = Some(Digest::from_entries(&self.ledger.entries(&self.goal_id)?));
                }
                let text = self
                    .spec
                    .prompts
                    .render(kind, &vars)
                    .map_err(Error::Usage)?;
                let text = sanitize(&text);
                self.observer.typed(&text, &vars.nonce);
                self.ledger.append(
                    &self.goal_id,
                    &Row::Injection {
                        turn: vars.turn,
                        prompt: kind,
                        why: why.clone(),
                        text: text.clone(),
                    },
                )?;
                if !self.interactive {
                    self.say(&format!(
                        "turn {}: typing the {} prompt ({why})",
                        vars.turn,
                        describe(kind)
                    ));
                }
                self.type_text(text, done_tx.clone());
            }
            Action::Record(mut row) => {
                if self.panic_for_test && matches!(row, Row::TurnEnded { .. }) {
                    panic!("GOALIE_TEST_PANIC: a panic at the end of a turn");
                }
                match &mut row {
                    // What the person will want to see when goalie gave up on a screen.
                    Row::DialogEscalated { screen, .. } | Row::UnknownScreen { screen, .. } => {
                        *screen = Some(self.screen.text());
                    }
                    // Without a session log, the agent's reply is what its screen shows last.
                    Row::TurnEnded { reply, .. } if reply.is_none() => {
                        *reply = self.screen_reply();
                    }
                    _ => {}
                }
                if !self.interactive {
                    self.narrate(&row);
                }
                self.ledger.append(&self.goal_id, &row)?;
            }
            Action::Transition {
                from,
                to,
                actor,
                reason,
            } => {
                self.ledger.set_state(&self.goal_id, to)?;
                self.ledger.append(
                    &self.goal_id,
                    &Row::Transition {
                        from,
                        to,
                        actor,
                        reason: reason.clone(),
                    },
                )?;
                if !self.interactive {
                    self.say(&format!("goal {from} -> {to}: {reason}"));
                }
            }
            Action::Keys { keys } => self.agent.write(keys.into_bytes()),
            Action::Progress {
                turns,
                tokens_used,
                time_used_ms,
            } => {
                self.ledger
                    .set_progress(&self.goal_id, turns, tokens_used, time_used_ms)?;
            }
            Action::RunAudit {
                turn,
                channel,
                claim,
                commands,
            } => {
                let checklist = match claim {
                    Claim::Complete { checklist } => checklist,
                    Claim::Blocked { .. } => Vec::new(),
                };
                self.ledger
                    .append(&self.goal_id, &Row::AuditStarted { turn, channel })?;
                if !self.interactive {
                    self.say(&format!("auditing the completion claim of turn {turn}"));
                }
                self.auditor.start(checklist, commands);
            }
            Action::Stop { exit_code, reason } => return Ok(Some((exit_code, reason))),
            Action::RestartAgent {
                reason,
                handoff_file,
            } => self.restart = Some((reason, handoff_file)),
            Action::SetObjective { objective } => {
                self.ledger.set_objective(&self.goal_id, &objective)?;
            }
            Action::SetLimits { limits } => self.ledger.set_limits(&self.goal_id, &limits)?,
            Action::GoalUpdated => {
                let goal = self.snapshot();
                if goal.state == GoalState::Cleared {
                    self.notifier.send("goal/cleared", json!({ "goal": goal }));
                } else {
                    self.notifier.send("goal/updated", json!({ "goal": goal }));
                }
            }
            // Answered where the command came in.
            Action::Reply(_) => {}
        }
        Ok(None)
    }

    /// Types `text` the adapter's way (paste, pause, Enter) on a task of its
    /// own, then reports [`Event::InjectionDone`].
    fn type_text(&self, text: String, done_tx: mpsc::UnboundedSender<()>) {
        let submit = &self.spec.adapter.submit;
        let mut body = Vec::with_capacity(text.len() + 12);
        if submit.bracketed_paste && self.screen.bracketed_paste() {
            body.extend_from_slice(b"\x1b[200~");
            body.extend_from_slice(text.as_bytes());
            body.extend_from_slice(b"\x1b[201~");
        } else {
            body.extend_from_slice(text.as_bytes());
        }
        let enter = submit.enter.clone().into_bytes();
        let pause = Duration::from_millis(submit.pause_ms);
        let writer = self.agent.writer();
        tokio::spawn(async move {
            let _ = writer.send(body);
            tokio::time::sleep(pause).await;
            let _ = writer.send(enter);
            let _ = done_tx.send(());
        });
    }

    fn narrate(&mut self, row: &Row) {
        let line = match row {
            Row::TurnEnded {
                turn,
                duration_ms,
                tokens_used,
                ..
            } => {
                let tokens = *tokens_used;
                self.tokens_seen |= tokens > 0;
                format!(
                    "turn {turn} ended after {}{}",
                    format_duration(*duration_ms),
                    if tokens > 0 {
                        format!(" (tokens used: {})", crate::goal::units::thousands(tokens))
                    } else {
                        String::new()
                    }
                )
            }
            Row::ClaimSeen {
                channel,
                turn,
                status,
            } => format!(
                "the agent claimed the goal {status} in turn {turn} ({})",
                channel.as_str()
            ),
            Row::ClaimRejected { turn, .. } => format!("the claim of turn {turn} was rejected"),
            Row::Compacted(compacted) => format!(
                "the agent compacted its context (compaction {}, seen by {})",
                compacted.compaction,
                compacted
                    .sources
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            Row::RotationStarted {
                context_used_pct, ..
            } => format!(
                "the context is {}% full: asking the agent for a handoff note",
                json!(context_used_pct)
            ),
            Row::UsageLimitShown(_) => "the agent shows a usage limit".to_string(),
            Row::ApiErrorShown(_) => "the agent shows an API error".to_string(),
            Row::ErrorBackoff {
                turn,
                error,
                consecutive,
                wait_ms,
                until_reset,
                ..
            } => format!(
                "turn {turn} ended with {} ({consecutive} in a row): the next prompt in {}{}",
                error.describe(),
                format_duration(*wait_ms),
                match until_reset {
                    Some(shown) => format!(", when the limit resets (`{shown}`)"),
                    None => String::new(),
                }
            ),
            Row::AgentExited { status } => format!("the agent exited ({status})"),
            Row::WrapUpTimeout { .. } => "the wrap-up turn took too long; stopping".to_string(),
            Row::DialogAnswered { dialog, answer, .. } => {
                format!("answered the agent's {dialog} dialog: {}", answer.as_str())
            }
            Row::DialogEscalated { .. } | Row::UnknownScreen { .. } => {
                "the agent is waiting on a screen goalie will not answer; its text is in the ledger (goalie status)".to_string()
            }
            _ => return,
        };
        self.say(&line);
    }

    /// A progress line (headless mode).
    fn say(&self, line: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "goalie: {line}");
        let _ = out.flush();
    }

    fn summary(&self, reason: &str) {
        let goal = match self.ledger.goal(&self.goal_id) {
            Ok(goal) => goal,
            Err(_) => return,
        };
        let tokens = if goal.tokens_used > 0 || self.tokens_seen {
            crate::goal::units::thousands(goal.tokens_used)
        } else {
            "not shown by the agent".to_string()
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "goalie: goal {} {}: {reason}\ngoalie:   turns {} · tokens {} · time {} · agent {}\ngoalie:   ledger {} (goalie status {})",
            goal.id,
            goal.state,
            goal.turns,
            tokens,
            format_duration(goal.time_used_ms),
            goal.agent,
            self.ledger.path().display(),
            goal.id,
        );
        let _ = out.flush();
    }
}

/// The session log of an agent process started now, when the adapter names one.
/// Its folder is where the agent writes: variables from `agent_env` (the
/// adapter's and the run's, such as a private home), else goalie's own.
fn new_session_tail(
    spec: &RunSpec,
    agent_env: &std::collections::BTreeMap<String, String>,
) -> Option<SessionTail> {
    let rule = spec.adapter.session_log.as_ref()?;
    let env = |name: &str| {
        agent_env
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    };
    let root = session_tail::resolve_root(&rule.dirs, &env)?;
    // A resumed conversation appends to its old log: those lines are a baseline.
    let resumed = spec
        .resume
        .as_ref()
        .filter(|resumed| resumed.first_prompt != PromptKind::Start);
    let tail = SessionTail::new(
        rule.format,
        root,
        &spec.workdir,
        std::time::SystemTime::now(),
    );
    Some(match resumed {
        None => tail,
        Some(resumed) => match &resumed.session_id {
            Some(id) => tail
                .resuming(Some(id.clone()))
                .resumed_at(resumed.session_path.clone()),
            None => tail.resuming_existing(),
        },
    })
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

fn describe(kind: PromptKind) -> &'static str {
    match kind {
        PromptKind::Start => "objective",
        PromptKind::Continuation => "continuation",
        PromptKind::BudgetLimit => "wrap-up",
        PromptKind::ClaimRejected => "claim-rejected",
        PromptKind::ObjectiveUpdated => "objective-updated",
        PromptKind::AfterCompaction => "after-compaction",
        PromptKind::Handoff => "handoff",
        PromptKind::AfterRotation => "after-rotation",
    }
}

/// Removes control characters (escape above all) from text to be typed, so that
/// nothing in an objective can end a bracketed paste or drive the agent's TUI.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_carries_no_control_sequences() {
        assert_eq!(
            sanitize("a\x1b[201~b\r\nc\td\u{9b}e\u{7}"),
            "a[201~b\nc\tde"
        );
    }
}
