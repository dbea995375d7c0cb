//! Starting a run: checks, the goal (new or resumed), `goalie mcp`, the control
//! socket and the hooks, then the goal itself; what is left behind when the
//! agent cannot start.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::agent::home::Settled;
use crate::agent::process as agent_process;
use crate::audit;
use crate::control::{ControlServer, socket_dir};
use crate::core::prompt::PromptKind;
use crate::core::row::{Conversation, Mode, Row, RowKind};
use crate::error::Error;
use crate::goal::lifecycle::GoalState;
use crate::goal::limits::Progress;
use crate::goal::spec::GoalSpec;
use crate::ledger::event_hooks::EventHook;
use crate::ledger::new_claim_code;
use crate::ledger::{Goal, Ledger, NewGoal};
use crate::runtime::leftovers;
use crate::terminal;

use super::record::mark;
use super::shell::SharedRecorder;
use super::spec::RunSpec;
use super::supervise::supervise_goal;

/// Size of the agent's screen when no terminal gives one.
const HEADLESS_SIZE: (u16, u16) = (50, 160);

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
    let mut args = launch_args(&spec, &exe);
    let interactive = !spec.headless;
    let (rows, cols) = if interactive {
        terminal::size().unwrap_or((24, 80))
    } else {
        HEADLESS_SIZE
    };

    let sockets = socket_dir::socket_dir()?;
    // `goalie mcp` runs in the agent's working directory: it needs an absolute path.
    let db = crate::ledger::absolute_db(&spec.db);
    let mut ledger = Ledger::open(&db)?;
    // What a killed goalie left running is ended before anything starts.
    match &spec.resume {
        Some(resumed) => {
            leftovers::end_for_goal(&ledger, &ledger.goal(&resumed.goal_id)?, "resume")?;
        }
        None => leftovers::end_for_unfinished_goals(&ledger)?,
    }
    let goal = open_goal(&ledger, &spec, interactive)?;
    // The effective spec (a bare one for a plain objective) is stored with the goal
    // (`goalie mcp` and `goalie report` read it there); a resumed goal keeps its own.
    let goal_spec = ledger
        .spec(&goal.id)?
        .and_then(|stored| serde_json::from_value::<GoalSpec>(stored).ok())
        .unwrap_or_else(|| GoalSpec::bare(&goal.objective));
    let baseline = protect_baseline(&ledger, &goal.id, &spec.workdir, &goal_spec)?;
    // `goalie mcp` for this run only; its files (if any) live in a private
    // directory next to the control sockets until `mcp` is dropped, when this
    // function returns (on every path).
    // They get a URL without its password on their command lines, and the
    // password in `PGPASSWORD` (the agent passes its environment on to them).
    let (handed_on, password) = crate::ledger::handed_on_db(&db);
    let registered =
        spec.adapter
            .register_mcp(
                &exe,
                &goal.id,
                &handed_on,
                &sockets,
                &|name| match (&password, name) {
                    (Some(password), "PGPASSWORD") => Some(password.clone()),
                    _ => std::env::var(name).ok(),
                },
            );
    let mcp = match registered {
        Ok(mcp) => mcp,
        Err(err) => {
            let row = |error| Row::McpRegistrationFailed { error };
            return fail_before_start(&ledger, &goal.id, row, err.into());
        }
    };
    args.extend(mcp.args.iter().cloned());
    args.extend(spec.adapter.hook_launch_args(&exe, &goal.id, &handed_on));
    args.extend(spec.agent_args.iter().cloned());
    let mut env = spec.adapter.env.clone();
    env.extend(mcp.env.clone());
    if let Some(password) = password {
        env.insert("PGPASSWORD".to_string(), password);
    }
    ledger.add_secret_vars(&env);
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
    let recording = SharedRecorder::default();
    let marks = recording.clone();
    ledger.set_observer(move |entry| {
        mark(&marks, entry);
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
        recording,
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

/// The adapter's arguments for the agent: those that resume its conversation
/// when a resumed goal continues it, else those of a new one.
fn launch_args(spec: &RunSpec, exe: &Path) -> Vec<String> {
    match &spec.resume {
        Some(resumed) if resumed.first_prompt != PromptKind::Start => spec
            .adapter
            .resume_launch_args(exe, resumed.session_id.as_deref())
            .unwrap_or_else(|| spec.adapter.launch_args(exe)),
        _ => spec.adapter.launch_args(exe),
    }
}

/// The goal this run pursues: a new one, or the resumed one (with a `resumed` row).
fn open_goal(ledger: &Ledger, spec: &RunSpec, interactive: bool) -> Result<Goal, Error> {
    Ok(match &spec.resume {
        None => create_goal(ledger, spec, interactive)?,
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
    })
}

/// The protected paths' state when the goal started, which a completion claim must
/// leave intact: hashed now for a new goal, read back from the ledger on resume.
fn protect_baseline(
    ledger: &Ledger,
    goal_id: &str,
    workdir: &Path,
    goal_spec: &GoalSpec,
) -> Result<audit::Baseline, Error> {
    Ok(match stored_baseline(ledger, goal_id)? {
        Some(baseline) => baseline,
        None => {
            let baseline = audit::baseline(workdir, &goal_spec.protect);
            if !baseline.is_empty() {
                let paths = baseline.clone();
                ledger.append(goal_id, &Row::ProtectBaseline { paths })?;
            }
            baseline
        }
    })
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
        let _ = writeln!(
            std::io::stderr(),
            "goalie: {agent} wrote {} during the run, kept beside your own file, which is unchanged",
            path.display()
        );
    }
    for failure in &settled.failed {
        let _ = writeln!(
            std::io::stderr(),
            "goalie: could not move back what {agent} wrote in its private home: {failure}"
        );
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
            waits: spec.waits,
            stall_turns: spec.stall_turns,
            turn_timeout_ms: spec.turn_timeout_ms,
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
