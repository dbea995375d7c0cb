//! `goalie status | pause | resume | clear | edit | budget | watch [GOAL]`.
//!
//! Each talks to the goal's running supervisor over its control socket when
//! there is one, and otherwise acts on the database itself, with the same rules
//! ([`crate::goal::change`]) and the same messages.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::agent::adapter::Adapter;
use crate::agent::prompts::Prompts;
use crate::cli::goal_selector::{self, Fallback};
use crate::cli::ledger_request;
use crate::cli::settings;
use crate::cli::status;
use crate::config_file::config_dir;
use crate::control::protocol::{self, REFUSED};
use crate::control::{Client, ControlError, GoalSnapshot, RpcError};
use crate::core::config::DialogPolicy;
use crate::core::prompt::PromptKind;
use crate::core::row::{Row, RowKind};
use crate::error::Error;
use crate::goal::change::{self as goal_change, GoalChange, Refusal, Standing, Status};
use crate::goal::lifecycle::{self, Actor, GoalState};
use crate::goal::limits::{Limits, Progress};
use crate::ledger::context_counts::ContextCounts;
use crate::ledger::wait_status::WaitStatus;
use crate::ledger::{Entry, Goal, Ledger};
use crate::runtime::run::{self, Resumed, RunSpec};
use crate::terminal;

fn cwd() -> Result<PathBuf, Error> {
    std::env::current_dir().map_err(|err| Error::io("cannot read the current directory", err))
}

fn open(db: &Path, arg: Option<&str>, fallback: Fallback) -> Result<(Ledger, Goal), Error> {
    let ledger = Ledger::open_existing(db)?;
    let goal = goal_selector::select(&ledger, arg, &cwd()?, fallback)?;
    Ok((ledger, goal))
}

/// Sends a request; a refusal becomes [`Error::Refused`].
fn call(client: &mut Client, method: &str, params: Value) -> Result<Value, Error> {
    match client.call(method, params)? {
        Ok(result) => Ok(result),
        Err(RpcError { code, message }) if code == REFUSED => Err(Refusal(message).into()),
        Err(err) => Err(ControlError::Answer(err).into()),
    }
}

fn say(messages: &[String]) {
    let mut out = std::io::stdout().lock();
    for message in messages {
        let _ = writeln!(out, "{message}");
    }
}

fn messages_of(result: &Value) -> Vec<String> {
    result["messages"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|m| m.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn snapshot_of(result: &Value) -> Result<GoalSnapshot, Error> {
    serde_json::from_value(result["goal"].clone())
        .map_err(|err| ControlError::Protocol(format!("bad goal in answer: {err}")).into())
}

/// `goalie status [GOAL] [--json]`: it only reads, so the database is opened read-only.
pub fn status(db: &Path, arg: Option<&str>, as_json: bool) -> Result<i32, Error> {
    let ledger = Ledger::open_read_only(db)?;
    let goal = goal_selector::select(&ledger, arg, &cwd()?, Fallback::Latest)?;
    let live = match goal_selector::connect(&goal)? {
        Some(mut client) => Some(snapshot_of(&call(&mut client, "goal/get", json!({}))?)?),
        None => None,
    };
    let entries = ledger.entries(&goal.id)?;
    let counts = ContextCounts::from_entries(&entries);
    let mut waits = WaitStatus::from_entries(&entries);
    let remote_lives = goal_selector::remote(&goal).is_some_and(|remote| !remote.lost);
    if live.is_none() && !remote_lives {
        // A wait of a run that is gone is over (one on another host goes on).
        waits.waiting = None;
    }
    status::show(&goal, live.as_ref(), (&counts, &waits), as_json);
    Ok(0)
}

/// `goalie pause`, `goalie budget`, `goalie edit --objective`, and `goalie
/// resume` of a running goal.
pub fn change(db: &Path, arg: Option<&str>, change: GoalChange) -> Result<i32, Error> {
    let (ledger, goal) = open(db, arg, Fallback::None)?;
    if let Some(remote) = goal_selector::remote(&goal).filter(|remote| !remote.lost) {
        let params = protocol::params_for(&change);
        say(&ledger_request::request(
            &ledger, &goal, &remote, "set", params, false,
        )?);
        return Ok(0);
    }
    if let Some(mut client) = goal_selector::connect(&goal)? {
        let result = call(&mut client, "goal/set", protocol::params_for(&change))?;
        say(&messages_of(&result));
        return Ok(0);
    }
    let plan = goal_change::plan(&standing(&goal), &change)?;
    apply(&ledger, &goal, &plan)?;
    say(&plan.messages);
    Ok(0)
}

fn standing(goal: &Goal) -> Standing<'_> {
    Standing {
        id: &goal.id,
        state: goal.state,
        takeover: false,
        objective: &goal.objective,
        limits: limits_of(goal),
        used: Progress {
            turns: goal.turns,
            tokens_used: goal.tokens_used,
            time_used_ms: goal.time_used_ms,
        },
        running: false,
    }
}

fn limits_of(goal: &Goal) -> Limits {
    Limits {
        max_turns: goal.max_turns,
        max_time_ms: goal.max_time_ms,
        budget_tokens: goal.budget_tokens,
    }
}

/// Carries out a plan on the database (no supervisor runs the goal).
fn apply(ledger: &Ledger, goal: &Goal, plan: &goal_change::Plan) -> Result<(), Error> {
    if let Some(objective) = &plan.objective {
        ledger.set_objective(&goal.id, objective)?;
        ledger.append(
            &goal.id,
            &Row::ObjectiveUpdated {
                from: goal.objective.clone(),
                to: objective.clone(),
            },
        )?;
    }
    if let Some(limits) = &plan.limits {
        ledger.set_limits(&goal.id, limits)?;
        ledger.append(
            &goal.id,
            &Row::LimitsUpdated {
                from: limits_of(goal),
                to: *limits,
            },
        )?;
    }
    let mut from = goal.state;
    for &to in &plan.transitions {
        transition(ledger, &goal.id, from, to)?;
        from = to;
    }
    Ok(())
}

fn transition(ledger: &Ledger, id: &str, from: GoalState, to: GoalState) -> Result<(), Error> {
    lifecycle::check(from, to, Actor::User).map_err(|err| Refusal(format!("goal {id}: {err}")))?;
    ledger.set_state(id, to)?;
    ledger.append(
        id,
        &Row::Transition {
            from,
            to,
            actor: Actor::User,
            reason: goal_change::reason(from, to).to_string(),
        },
    )?;
    Ok(())
}

/// `goalie clear [GOAL]`: a running goal's agent is stopped before this returns.
pub fn clear(db: &Path, arg: Option<&str>) -> Result<i32, Error> {
    let (ledger, goal) = open(db, arg, Fallback::None)?;
    if let Some(remote) = goal_selector::remote(&goal).filter(|remote| !remote.lost) {
        say(&ledger_request::request(
            &ledger,
            &goal,
            &remote,
            "clear",
            json!({}),
            true,
        )?);
        return Ok(0);
    }
    if let Some(mut client) = goal_selector::connect(&goal)? {
        let result = call(&mut client, "goal/clear", json!({}))?;
        // The supervisor closes the socket once the agent is stopped.
        while client.notification()?.is_some() {}
        say(&messages_of(&result));
        return Ok(0);
    }
    goal_change::check_clear(&goal.id, goal.state)?;
    crate::runtime::leftovers::end_for_goal(&ledger, &goal, "clear")?;
    transition(&ledger, &goal.id, goal.state, GoalState::Cleared)?;
    if goal.ended_at.is_none() {
        ledger.set_ended(
            &goal.id,
            goal_change::reason(goal.state, GoalState::Cleared),
        )?;
    }
    say(&[format!("goal {} cleared", goal.id)]);
    Ok(0)
}

/// `goalie edit [GOAL] [--objective TEXT]`: without `--objective`, opens the
/// objective in `$VISUAL` or `$EDITOR` (else `vi`).
pub fn edit(db: &Path, arg: Option<&str>, objective: Option<String>) -> Result<i32, Error> {
    let objective = match objective {
        Some(objective) => objective,
        None => {
            let (_, goal) = open(db, arg, Fallback::None)?;
            if goal.state.is_final() {
                // Refused before the editor opens, not after the user's work.
                goal_change::plan(&standing(&goal), &GoalChange::objective(String::new()))?;
            }
            edit_in_editor(&goal)?
        }
    };
    change(db, arg, GoalChange::objective(objective))
}

fn edit_in_editor(goal: &Goal) -> Result<String, Error> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|e| !e.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".into());
    let file = tempfile::Builder::new()
        .prefix(&format!("goalie-{}-", goal.id))
        .suffix(".md")
        .tempfile()
        .map_err(|err| Error::io("cannot create a file for the editor", err))?;
    std::fs::write(file.path(), format!("{}\n", goal.objective))
        .map_err(|err| Error::io("cannot write the objective for the editor", err))?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file.path())
        .status()
        .map_err(|err| Error::io(format!("cannot run the editor `{editor}`"), err))?;
    if !status.success() {
        return Err(Error::Usage(format!(
            "the editor `{editor}` failed ({status}); the objective is unchanged"
        )));
    }
    std::fs::read_to_string(file.path())
        .map_err(|err| Error::io("cannot read the edited objective", err))
}

/// `goalie watch [GOAL] [--json]`: notifications as lines until the run ends.
pub fn watch(
    db: &Path,
    arg: Option<&str>,
    as_json: bool,
    since: Option<i64>,
) -> Result<i32, Error> {
    let (ledger, goal) = open(db, arg, Fallback::None)?;
    if let Some(remote) = goal_selector::remote(&goal).filter(|remote| !remote.lost) {
        let tz = crate::cli::local_time::zone();
        let mut out = std::io::stdout().lock();
        return crate::cli::ledger_request::watch(
            &ledger,
            &goal,
            &remote,
            since,
            &mut |method, params| match params["text"].as_str() {
                // goalie's own words on the watch, as the socket's watch says them.
                Some(text) if !as_json && method != "event" => {
                    writeln!(out, "{text}").and_then(|()| out.flush()).is_ok()
                }
                _ => emit(&mut out, as_json, method, params, &tz),
            },
        );
    }
    let client = goal_selector::connect(&goal)?;
    if client.is_none() && since.is_none() {
        return Err(Refusal(format!(
            "goal {} has no running supervisor (it is {}): `goalie status {}` shows it",
            goal.id, goal.state, goal.id
        ))
        .into());
    }
    let tz = crate::cli::local_time::zone();
    let mut out = std::io::stdout().lock();
    let mut client = match client {
        Some(mut client) => {
            let now = snapshot_of(&call(&mut client, "goal/get", json!({}))?)?;
            if !as_json {
                let _ = writeln!(out, "goal {} {}: watching", now.id, now.state_text);
            }
            Some(client)
        }
        None => {
            if !as_json {
                let _ = writeln!(
                    out,
                    "goal {} {}: its rows (it does not run)",
                    goal.id, goal.state
                );
            }
            None
        }
    };
    // The history first (the supervisor already sends what comes after the
    // connection, so a row is printed once: by its sequence number).
    let mut printed = 0;
    if let Some(since) = since {
        for entry in ledger
            .entries(&goal.id)?
            .into_iter()
            .filter(|e| e.seq > since)
        {
            printed = entry.seq;
            let params = serde_json::to_value(&entry).unwrap_or_default();
            if !emit(&mut out, as_json, "event", &params, &tz) {
                return Ok(0);
            }
        }
    }
    drop(ledger);
    let Some(client) = client.as_mut() else {
        return Ok(0);
    };
    while let Some(note) = client.notification()? {
        if note.method == "event"
            && note.params["seq"]
                .as_i64()
                .is_some_and(|seq| seq <= printed)
        {
            continue;
        }
        if !emit(&mut out, as_json, &note.method, &note.params, &tz) {
            // The reader went away (`goalie watch | head`): done.
            return Ok(0);
        }
    }
    Ok(0)
}

/// Prints one notification; `false` once the reader has gone.
fn emit(
    out: &mut impl Write,
    as_json: bool,
    method: &str,
    params: &Value,
    tz: &jiff::tz::TimeZone,
) -> bool {
    let line = if as_json {
        json!({ "method": method, "params": params }).to_string()
    } else {
        describe_in(method, params, tz)
    };
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

/// One notification as a line of text (times in the local zone).
pub fn describe(method: &str, params: &Value) -> String {
    describe_in(method, params, &crate::cli::local_time::zone())
}

/// One notification as lines of text, times in `tz`: a ledger row as
/// `goalie report --rows` shows it (a prompt by its kind and length, never
/// its text), a goal's change by its state and counters.
fn describe_in(method: &str, params: &Value, tz: &jiff::tz::TimeZone) -> String {
    match method {
        // A ledger row (an [`Entry`]).
        "event" => match Entry::deserialize(params) {
            Ok(entry) => {
                let time = crate::cli::local_time::clock(&entry.at, tz);
                crate::cli::report::render_at(&entry, &time).join("\n")
            }
            Err(_) => format!("{method} {params}"),
        },
        "goal/updated" | "goal/cleared" => format!(
            "{method}: {} ({} turns, {} tokens)",
            params["goal"]["state_text"].as_str().unwrap_or("?"),
            params["goal"]["turns"],
            params["goal"]["tokens_used"]
        ),
        other => format!("{other} {params}"),
    }
}

/// `goalie resume [GOAL]`: a running goal continues at its next idle turn; a
/// goal without a supervisor gets one, in this terminal, and its agent starts
/// again (in its last conversation when the adapter can resume one).
pub fn resume(
    db: &Path,
    arg: Option<&str>,
    headless: bool,
    on_event: Option<String>,
) -> Result<i32, Error> {
    let (ledger, goal) = open(db, arg, Fallback::None)?;
    let remote_lives = goal_selector::remote(&goal).is_some_and(|remote| !remote.lost);
    if remote_lives || goal_selector::connect(&goal)?.is_some() {
        return change(db, Some(&goal.id), GoalChange::status(Status::Pursuing));
    }
    let plan = goal_change::plan(&standing(&goal), &GoalChange::status(Status::Pursuing))?;
    // Everything that can be wrong is found before the goal changes.
    let spec = resume_spec(&ledger, &goal, headless, on_event, db)?;
    let mut ledger = ledger;
    let me = crate::agent::process_key::this_process();
    if let Err(other) = ledger.claim_supervision(&goal.id, me.pid, me.start)? {
        let host = goal_selector::remote(&goal)
            .map(|remote| format!(" on {}", remote.host))
            .unwrap_or_default();
        return Err(Refusal(format!(
            "goal {} is already being supervised by goalie (pid {other}{host}); use `goalie status {}`",
            goal.id, goal.id
        ))
        .into());
    }
    apply(&ledger, &goal, &plan)?;
    drop(ledger);
    if !plan.transitions.is_empty() {
        say(&plan.messages);
    }
    run::run(spec)
}

fn resume_spec(
    ledger: &Ledger,
    goal: &Goal,
    headless: bool,
    on_event: Option<String>,
    db: &Path,
) -> Result<RunSpec, Error> {
    let entries = ledger.entries(&goal.id)?;
    let (adapter_file, policies, agent_args, rotation, waits, watch) = match entries
        .iter()
        .find(|e| e.is(RowKind::GoalCreated))
        .map(Entry::row)
    {
        Some(Row::GoalCreated {
            adapter,
            dialog_policies,
            agent_args,
            rotation,
            stall_turns,
            turn_timeout_ms,
            waits,
            ..
        }) => (
            Some(adapter),
            dialog_policies,
            agent_args,
            rotation,
            waits,
            (stall_turns, turn_timeout_ms),
        ),
        _ => Default::default(),
    };
    let config = config_dir();
    let (adapter, dialog_policies) =
        resumed_adapter(goal, adapter_file, policies, config.as_deref())?;
    let last_injection = entries
        .iter()
        .rev()
        .find(|e| e.is(RowKind::Injection))
        .map(|e| e.seq);
    // The agent's own session, when goalie followed its log: what resume continues.
    let session_log = entries.iter().rev().find(|e| e.is(RowKind::SessionLog));
    let (session_id, session_path) = match session_log.map(|e| e.row()) {
        Some(Row::SessionLog { session_id, path }) => (session_id, Some(PathBuf::from(path))),
        _ => (None, None),
    };
    let can_resume = adapter
        .resume_launch_args(Path::new("goalie"), session_id.as_deref())
        .is_some();
    let first_prompt = if last_injection.is_some() && can_resume {
        PromptKind::Continuation
    } else {
        PromptKind::Start
    };
    // The objective the agent last heard, if the user changed it since.
    let objective_changed_from = last_injection.and_then(|seq| {
        entries
            .iter()
            .find(|e| e.is(RowKind::ObjectiveUpdated) && e.seq > seq)
            .and_then(|e| match e.row() {
                Row::ObjectiveUpdated { from, .. } => Some(from),
                _ => None,
            })
    });
    let workdir = PathBuf::from(&goal.workdir);
    if !workdir.is_dir() {
        return Err(Error::Usage(format!(
            "goal {}'s working directory {} is gone",
            goal.id,
            workdir.display()
        )));
    }
    // The goal keeps its own agent, limits and dialogs; the run's other
    // settings are today's (files, variables, `--on-event`).
    let settings = settings::here(
        None,
        settings::Partial {
            on_event,
            ..settings::Partial::default()
        },
    )?;
    let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    Ok(RunSpec {
        prompts: Prompts::load(config.map(|dir| dir.join("prompts")).as_deref())?,
        adapter,
        objective: goal.objective.clone(),
        // The goal's own spec is read back from the ledger when the run starts.
        spec: None,
        workdir,
        limits: limits_of(goal),
        agent_args,
        headless: headless || !terminal::is_interactive(),
        db: db.to_path_buf(),
        user_quiet_ms: millis(settings.user_quiet.value),
        wrap_up_grace_ms: millis(settings.wrap_up_grace.value),
        resume: Some(Resumed {
            goal_id: goal.id.clone(),
            first_prompt,
            objective_changed_from,
            session_id,
            session_path,
        }),
        on_event: settings.on_event.value.clone(),
        // The rotation the goal was started with.
        rotation,
        dialog_policies,
        status_line: settings.status_line.value,
        record: settings.record_cap(),
        // The waits the goal was started with.
        waits,
        // The watchdog's flags the goal was started with.
        stall_turns: watch.0,
        turn_timeout_ms: watch.1,
    })
}

/// The goal's adapter as it started: the adapter file it was started with,
/// if that is still there, else the named one; with the dialog policies of
/// `--dialog NAME=POLICY` given when the goal started, which still hold.
fn resumed_adapter(
    goal: &Goal,
    adapter_file: Option<String>,
    policies: BTreeMap<String, DialogPolicy>,
    config: Option<&Path>,
) -> Result<(Adapter, Vec<(String, DialogPolicy)>), Error> {
    let adapter_file = adapter_file
        .map(PathBuf::from)
        .filter(|path| path.is_file());
    let mut adapter = match adapter_file {
        Some(file) => Adapter::from_file(&file)?,
        None => Adapter::named(&goal.agent, config)?,
    };
    // `--dialog NAME=POLICY` given when the goal started still holds.
    let mut dialog_policies = Vec::new();
    for (name, policy) in policies {
        adapter
            .set_dialog_policy(&name, policy)
            .map_err(Error::Usage)?;
        dialog_policies.push((name, policy));
    }
    Ok((adapter, dialog_policies))
}
