//! One goal under supervision: the first agent process, the core with its
//! config, the shell, and the end of the run.

use std::path::PathBuf;
use std::time::Instant;

use serde_json::json;
use tokio::sync::mpsc;

use crate::agent::process::{self as agent_process, AgentProcess, Exit, Launch};
use crate::agent::screen::Screen;
use crate::audit;
use crate::audit::auditor::Auditor;
use crate::control::ControlServer;
use crate::core::compaction::Source;
use crate::core::observer::Observer;
use crate::core::prompt::PromptKind;
use crate::core::row::{Row, RowKind};
use crate::core::supervisor::{Config, DialogRule, Supervisor};
use crate::error::Error;
use crate::goal::limits::{Limits, Progress};
use crate::goal::spec::GoalSpec;
use crate::ledger::claim_inbox::ClaimInbox;
use crate::ledger::{Entry, Goal, Ledger};
use crate::terminal::takeover::ChordFilter;
use crate::terminal::{self, RawMode};

use super::session::new_session_tail;
use super::shell::{STOP_GRACE, Shell};
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
    let (agent, output, exit) = start_agent(&ledger, &goal.id, &launch, process)?;
    let core = Supervisor::new(core_config(spec, &goal, &goal_spec, &entries));
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
    shell.finish(outcome, raw).await
}

/// Starts the goal's first agent process of this run (number `process`) and
/// records it; a goal whose agent cannot start is left paused and ended.
fn start_agent(
    ledger: &Ledger,
    goal_id: &str,
    launch: &Launch,
    process: u32,
) -> Result<(AgentProcess, agent_process::Output, Exit), Error> {
    let (agent, output, exit) = match AgentProcess::spawn(launch) {
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
    ledger.set_running(goal_id, std::process::id(), Some(agent.pid()))?;
    ledger.append(
        goal_id,
        &Row::AgentStarted {
            pid: agent.pid(),
            program: launch.program.display().to_string(),
            args: launch.args.clone(),
            rows: launch.rows,
            cols: launch.cols,
            process,
            reason: None,
        },
    )?;
    Ok((agent, output, exit))
}

/// The core's config for `goal`: the adapter's rules and timing, the run's
/// limits and rotation, and what the goal's history (`entries`) carries over.
fn core_config(spec: &RunSpec, goal: &Goal, goal_spec: &GoalSpec, entries: &[Entry]) -> Config {
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
        start_on_evidence: !spec.adapter.screen.starting.is_empty(),
        rotation: spec.rotation,
        context_window: spec
            .adapter
            .session_log
            .as_ref()
            .and_then(|log| log.context_window),
        reset_wait: spec.resume.as_ref().and_then(|_| {
            crate::ledger::pending_wait::pending_wait(entries, jiff::Timestamp::now())
        }),
    }
}

impl Shell<'_> {
    /// Ends the run after the loop: the agent, the terminal, the `stopped` row,
    /// the summary; returns the exit code (or the loop's error, recorded).
    async fn finish(
        mut self,
        outcome: Result<(i32, String), Error>,
        raw: Option<RawMode>,
    ) -> Result<i32, Error> {
        let agent_status = self.agent.terminate(self.exit.as_mut(), STOP_GRACE).await;
        // The agent's session log may hold the last reply's figures only now.
        let (late_tx, _late) = mpsc::unbounded_channel();
        if let Err(err) = self.read_session_log(true, &late_tx) {
            tracing::warn!(%err, "could not read the session log after the agent ended");
        }
        if raw.is_some() {
            terminal::restore(&self.screen.restore_sequence());
        }
        drop(raw);
        let (exit_code, reason) = match outcome {
            Ok(stopped) => stopped,
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
        self.ledger.append(
            &self.goal_id,
            &Row::Stopped {
                reason: reason.clone(),
                exit_code,
                agent_status,
                screen_resets: self.screen.resets(),
                session_log_work,
            },
        )?;
        self.ledger.set_ended(&self.goal_id, &reason)?;
        self.summary(&reason);
        Ok(exit_code)
    }
}
