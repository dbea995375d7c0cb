//! One goal under supervision: the first agent process, the core with its
//! config, the shell, and the end of the run.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::json;
use tokio::sync::mpsc;

use crate::agent::process::{self as agent_process, AgentProcess, Exit, Launch};
use crate::agent::screen::Screen;
use crate::audit;
use crate::audit::auditor::Auditor;
use crate::audit::wait_check::WaitChecker;
use crate::control::ControlServer;
use crate::core::compaction::Source;
use crate::core::config::WaitConfig;
use crate::core::observer::Observer;
use crate::core::prompt::PromptKind;
use crate::core::row::{GroupRole, Row, RowKind};
use crate::core::supervisor::{Config, DialogRule, Supervisor};
use crate::error::Error;
use crate::goal::lifecycle::{Actor, GoalState};
use crate::goal::limits::{Limits, Progress};
use crate::goal::spec::GoalSpec;
use crate::ledger::claim_inbox::ClaimInbox;
use crate::ledger::{Entry, Goal, Ledger, LedgerError};
use crate::runtime::leftovers;
use crate::terminal::takeover::ChordFilter;
use crate::terminal::{self, RawMode};

use super::launch_prompt::{LaunchPrompt, prompt_at_launch};
use super::panics::{self, CatchPanic};
use super::reserve::Reserve;
use super::session::new_session_tail;
use super::shell::{STOP_GRACE, SharedRecorder, Shell, Watch};
use super::spec::RunSpec;

#[allow(clippy::too_many_arguments)]
pub(super) async fn supervise_goal(
    spec: &RunSpec,
    ledger: Ledger,
    goal: Goal,
    (goal_spec, baseline): (GoalSpec, audit::Baseline),
    control: &mut ControlServer,
    program: PathBuf,
    (args, env): (Vec<String>, std::collections::BTreeMap<String, String>),
    interactive: bool,
    (rows, cols): (u16, u16),
    recording: SharedRecorder,
) -> Result<i32, Error> {
    let status = super::status::display(spec.status_line, interactive, (rows, cols));
    // With a status row, the agent has one row less than the terminal.
    let (rows, cols) = status.agent_size((rows, cols));
    // The agent's processes carry the run's mark, so that one that leaves
    // its session is found after a kill -9 of goalie too.
    let mark = leftovers::run_mark(&goal.id);
    let mut env = env;
    env.insert(leftovers::MARK_VAR.into(), mark.clone());
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
    let mut core = Supervisor::new(core_config(spec, &goal, &goal_spec, &entries, process));
    let mut observer = Observer::for_adapter(&spec.adapter);
    // The first prompt on the agent's command line, where its adapter takes it there.
    let at_launch = prompt_at_launch(spec, &mut core)?;
    if let Some(prompt) = &at_launch {
        observer.typed(&prompt.given.text, &prompt.nonce);
    }
    // The workspace's baseline is taken beside the agent's start, not before
    // the event loop runs: that answers the agent's start-up terminal queries.
    let watch = Watch::new(&spec.workdir);
    let (agent, output, exit) =
        start_agent(&ledger, &goal.id, &launch, process, at_launch.as_ref())?;
    let inbox = ClaimInbox::new(&ledger, &goal.id)?;
    let (mut auditor, audit_reports) = Auditor::new(goal_spec, spec.workdir.clone(), baseline);
    // The verify commands carry the run's mark too.
    auditor.set_env(vec![(leftovers::MARK_VAR.into(), mark.clone())]);
    auditor.on_group_started(record_verify_group(spec, &goal.id, mark));
    // A wait's command runs in a group recorded and ended like a verify command's.
    let wait_checker = WaitChecker::new(spec.workdir.clone(), auditor.groups());
    let mut shell = Shell {
        spec,
        notifier: control.notifier(),
        chords: ChordFilter::default(),
        ledger,
        goal_id: goal.id.clone(),
        core,
        observer,
        auditor,
        wait_checker,
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
        reserve: Reserve::keep(&crate::ledger::absolute_db(&spec.db), &goal.id),
        panic_for_test: std::env::var_os("GOALIE_TEST_PANIC").is_some(),
        recording,
        status,
        watch,
        // Read before the agent started: a request written while it starts is heard.
        requests_from: entries.last().map_or(0, |entry| entry.seq),
        at_launch: at_launch.map(|prompt| prompt.given),
        typing: None,
        tools_listed_at: None,
    };
    shell.start_recording()?;
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
    shell.begin_status();
    let looped = CatchPanic(Box::pin(shell.event_loop(output, control, audit_reports))).await;
    let (outcome, panicked) = match looped {
        Ok(outcome) => (outcome, None),
        Err(payload) => {
            let reason = format!("goalie panicked: {}", panics::message(&*payload));
            (Ok(shell.after_panic(reason)), Some(payload))
        }
    };
    let code = shell.finish(outcome, raw).await;
    if let Some(payload) = panicked {
        std::panic::resume_unwind(payload);
    }
    code
}

/// Starts the goal's first agent process of this run (number `process`),
/// with its first prompt as its last arguments if it takes it there, and
/// records it; a goal whose agent cannot start is left paused and ended.
fn start_agent(
    ledger: &Ledger,
    goal_id: &str,
    launch: &Launch,
    process: u32,
    at_launch: Option<&LaunchPrompt>,
) -> Result<(AgentProcess, agent_process::Output, Exit), Error> {
    let (spawned, recorded_args) = match at_launch {
        Some(prompt) => {
            let mut with_prompt = launch.clone();
            with_prompt.args.extend(prompt.args.iter().cloned());
            let mut recorded = launch.args.clone();
            recorded.extend(prompt.recorded_args.iter().cloned());
            (AgentProcess::spawn(&with_prompt), recorded)
        }
        None => (AgentProcess::spawn(launch), launch.args.clone()),
    };
    let (agent, output, exit) = match spawned {
        Ok(spawned) => spawned,
        Err(err) => {
            ledger.append(
                goal_id,
                &Row::AgentFailedToStart {
                    error: err.to_string(),
                    process: None,
                },
            )?;
            ledger.set_state(goal_id, crate::goal::lifecycle::GoalState::Paused)?;
            ledger.set_ended(goal_id, &err.to_string())?;
            return Err(err.into());
        }
    };
    terminal::install_panic_hook(agent_process::kill_running_agent);
    ledger.set_running(goal_id, supervisor_key(), Some(agent.pid()))?;
    let mark = launch.env.get(leftovers::MARK_VAR).map(String::as_str);
    leftovers::record_group(ledger, goal_id, GroupRole::Agent, agent.pid(), mark)?;
    ledger.append(
        goal_id,
        &Row::AgentStarted {
            pid: agent.pid(),
            program: launch.program.display().to_string(),
            args: recorded_args,
            rows: launch.rows,
            cols: launch.cols,
            process,
            reason: None,
        },
    )?;
    Ok((agent, output, exit))
}

/// Records each verify command's process group as it starts (from the
/// audit's thread, on a connection of its own), so that a later goalie can
/// end one that a killed goalie left running.
fn record_verify_group(
    spec: &RunSpec,
    goal_id: &str,
    mark: String,
) -> crate::audit::groups::OnStart {
    let db = crate::ledger::absolute_db(&spec.db);
    let goal_id = goal_id.to_string();
    std::sync::Arc::new(move |pgid| {
        // The run opened (and checked) the ledger at its start.
        let recorded = Ledger::reopen(&db).map_err(Error::from).and_then(|ledger| {
            leftovers::record_group(&ledger, &goal_id, GroupRole::Verify, pgid, Some(&mark))
        });
        if let Err(err) = recorded {
            tracing::warn!(%err, pgid, "could not record a verify command's process group");
        }
    })
}

/// This process as the goal's supervisor: its pid and start time.
pub(super) fn supervisor_key() -> (u32, u64) {
    let me = crate::agent::process_key::this_process();
    (me.pid, me.start)
}

/// The core's config for `goal`: the adapter's rules and timing, the run's
/// limits and rotation, and what the goal's history (`entries`) carries over.
fn core_config(
    spec: &RunSpec,
    goal: &Goal,
    goal_spec: &GoalSpec,
    entries: &[Entry],
    first_process: u32,
) -> Config {
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

    Config {
        goal_id: goal.id.clone(),
        objective: goal.objective.clone(),
        claim_code: goal.claim_code.clone(),
        requirements: goal_spec.requirements(),
        verify: goal_spec.verify.iter().map(|v| v.run.clone()).collect(),
        mcp: spec.adapter.has_mcp(),
        mcp_tools_wait_ms: spec.adapter.submit.mcp_tools_ms,
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
        first_process,
        start_on_evidence: spec.adapter.screen.start_known,
        rotation: spec.rotation,
        context_window: spec
            .adapter
            .session_log
            .as_ref()
            .and_then(|log| log.context_window),
        reset_wait: spec.resume.as_ref().and_then(|_| {
            crate::ledger::pending_wait::pending_wait(entries, jiff::Timestamp::now())
        }),
        waits: WaitConfig {
            max_wait_ms: spec.waits.max_wait_ms,
            max_quota_pct: spec.waits.max_quota_pct,
            // The shell's clock starts with the run (`Shell::started`), now or so.
            clock_origin_ms: jiff::Timestamp::now().as_millisecond(),
            interrupted: spec.resume.as_ref().and_then(|_| {
                crate::ledger::pending_wait::interrupted_wait(entries, jiff::Timestamp::now())
            }),
        },
        watchdog: super::watchdog::config(spec, goal_spec),
    }
}

impl Shell<'_> {
    /// After a panic in the loop: the goal is left paused (the transition
    /// recorded, as far as the ledger still works); the stop for `finish`.
    fn after_panic(&mut self, reason: String) -> (i32, String) {
        let from = self.core.state();
        if from == GoalState::Pursuing {
            let _ = self.ledger.set_state(&self.goal_id, GoalState::Paused);
            let _ = self.ledger.append(
                &self.goal_id,
                &Row::Transition {
                    from,
                    to: GoalState::Paused,
                    actor: Actor::Runtime,
                    reason: reason.clone(),
                },
            );
        }
        (panics::PANICKED, reason)
    }

    /// The disk is full: with the room kept for it given back, the goal is
    /// left paused, with its transition and stopped rows; where even that
    /// cannot be written, stderr says what state the goal is left in.
    fn end_on_full_disk(&mut self) {
        let released = self.reserve.release();
        let reason = "the disk that holds the database is full".to_string();
        let from = self.core.state();
        let ended = (|| -> Result<(), LedgerError> {
            if from == GoalState::Pursuing {
                self.ledger.set_state(&self.goal_id, GoalState::Paused)?;
                self.ledger.append(
                    &self.goal_id,
                    &Row::Transition {
                        from,
                        to: GoalState::Paused,
                        actor: Actor::Runtime,
                        reason: reason.clone(),
                    },
                )?;
            }
            self.ledger.append(
                &self.goal_id,
                &Row::Stopped {
                    reason: reason.clone(),
                    exit_code: crate::goal::exit_code::LEDGER,
                    agent_status: None,
                    screen_resets: self.screen.resets(),
                    session_log_work: None,
                    supervisor_work: None,
                },
            )?;
            self.ledger.set_ended(&self.goal_id, &reason)
        })();
        let mut err = std::io::stderr().lock();
        let _ = match ended {
            Ok(()) => writeln!(
                err,
                "goalie: goal {} is left paused ({reason}); its ledger holds every row printed",
                self.goal_id
            ),
            Err(failed) => writeln!(
                err,
                "goalie: goal {} could not be left paused ({failed}{}): it reads as {from} with no supervisor; `goalie resume {}` or `goalie clear {}` once there is room",
                self.goal_id,
                if released {
                    ""
                } else {
                    "; no room was kept for it"
                },
                self.goal_id,
                self.goal_id
            ),
        };
    }

    /// Ends the run after the loop: the agent, the terminal, the `stopped` row,
    /// the summary; returns the exit code (or the loop's error, recorded).
    async fn finish(
        mut self,
        outcome: Result<(i32, String), Error>,
        raw: Option<RawMode>,
    ) -> Result<i32, Error> {
        // A verify command still running is ended with the rest, not waited for.
        let verifying = self.auditor.stop();
        if verifying > 0 {
            tracing::info!(verifying, "ended the running verify commands");
        }
        let agent_status = self.agent.terminate(self.exit.as_mut(), STOP_GRACE).await;
        // The agent's session log may hold the last reply's figures only now.
        let (late_tx, _late) = mpsc::unbounded_channel();
        if let Err(err) = self.read_session_log(true, &late_tx) {
            tracing::warn!(%err, "could not read the session log after the agent ended");
        }
        // The recording ends with the agent.
        self.recording.replace(None);
        if raw.is_some() {
            self.end_status();
            terminal::restore(&self.screen.restore_sequence());
        }
        drop(raw);
        let (exit_code, reason) = match outcome {
            Ok(stopped) => stopped,
            Err(err @ Error::Ledger(LedgerError::Full)) => {
                self.end_on_full_disk();
                return Err(err);
            }
            Err(err) => {
                // Leave a trace in the ledger if it still works; the error is what the user sees.
                let error = err.to_string();
                let _ = self
                    .ledger
                    .append(&self.goal_id, &Row::InternalError { error });
                let _ = self.ledger.set_ended(&self.goal_id, &err.to_string());
                return Err(err);
            }
        };
        let session_log_work = self.session_tail.as_ref().map(|tail| {
            // A debug statistic: the work goalie did to follow the session log.
            let stats = tail.stats();
            tracing::info!(?stats, "session log work");
            json!(stats)
        });
        tracing::info!(work = ?self.watch.work, "supervisor work");
        self.ledger.append(
            &self.goal_id,
            &Row::Stopped {
                reason: reason.clone(),
                exit_code,
                agent_status,
                screen_resets: self.screen.resets(),
                session_log_work,
                supervisor_work: Some(json!(self.watch.work)),
            },
        )?;
        self.ledger.set_ended(&self.goal_id, &reason)?;
        self.summary(&reason);
        Ok(exit_code)
    }
}
