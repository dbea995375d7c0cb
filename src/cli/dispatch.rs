//! What each subcommand does: `run` and `demo` build a run of the agent on a
//! goal; the other commands go to the files that carry them out.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::args::{Cli, Command, DemoArgs, LimitArgs, RunArgs};
use super::settings::{self, Settings};
use super::{goal_commands, spec_file};
use crate::agent::adapter::Adapter;
use crate::agent::prompts::Prompts;
use crate::config_file::config_dir;
use crate::core::config::DialogPolicy;
use crate::core::supervisor::Rotation;
use crate::error::Error;
use crate::goal::change::{GoalChange, Status};
use crate::goal::exit_code;
use crate::goal::limits::Limits;
use crate::goal::spec::{GoalSpec, SpecError};
use crate::goal::wait::WaitOptions;
use crate::ledger;
use crate::runtime::run::{self, RunSpec};
use crate::terminal;

/// Runs the parsed command line; returns the exit code.
pub fn dispatch(cli: Cli) -> Result<i32, Error> {
    let db = cli.db.clone().unwrap_or_else(ledger::default_path);
    let shows_agent_screen = match &cli.command {
        Command::Run(RunArgs { limits, .. }) | Command::Demo(DemoArgs { limits, .. }) => {
            !limits.headless && terminal::is_interactive()
        }
        _ => false,
    };
    if !matches!(cli.command, Command::Sim { .. }) {
        crate::cli::logging::init(
            cli.verbose,
            // A PostgreSQL ledger has no folder here: the log goes where the
            // default database would be.
            shows_agent_screen.then(|| match ledger::is_postgres(&db) {
                true => ledger::default_path().with_file_name("goalie.log"),
                false => db.with_file_name("goalie.log"),
            }),
        );
    }
    match cli.command {
        Command::Run(args) => run_command(args, db),
        Command::Demo(args) => demo(args, db),
        Command::Status { goal, json } => goal_commands::status(&db, goal.as_deref(), json),
        Command::Pause { goal } => {
            goal_commands::change(&db, goal.as_deref(), GoalChange::status(Status::Paused))
        }
        Command::Resume {
            goal,
            headless,
            on_event,
        } => goal_commands::resume(&db, goal.as_deref(), headless, on_event),
        Command::Clear { goal } => goal_commands::clear(&db, goal.as_deref()),
        Command::Edit { goal, objective } => goal_commands::edit(&db, goal.as_deref(), objective),
        Command::Budget {
            goal,
            max_turns,
            max_time,
            budget_tokens,
        } => {
            if max_turns.is_none() && max_time.is_none() && budget_tokens.is_none() {
                return Err(Error::Usage(
                    "give --max-turns, --max-time or --budget-tokens (`none` removes a limit)"
                        .into(),
                ));
            }
            let change = GoalChange {
                max_turns: max_turns.map(|limit| limit.0),
                max_time_ms: max_time.map(|limit| limit.0),
                budget_tokens: budget_tokens.map(|limit| limit.0),
                ..GoalChange::default()
            };
            goal_commands::change(&db, goal.as_deref(), change)
        }
        Command::Watch { goal, json, since } => {
            goal_commands::watch(&db, goal.as_deref(), json, since)
        }
        Command::Ls {
            json,
            state,
            here,
            all,
        } => crate::cli::list::list(
            &db,
            &crate::cli::list::ListOptions {
                json,
                state,
                here,
                all,
            },
        ),
        Command::Archive { goal, undo } => crate::cli::list::archive(&db, &goal, undo),
        Command::Export { goals, all } => crate::cli::transfer::export(&db, &goals, all),
        Command::Import { files } => crate::cli::transfer::import(&db, &files),
        Command::Check { file } => check_spec(&file),
        Command::Completions { shell } => crate::cli::completion::completions(&shell),
        Command::Man { dir } => crate::cli::completion::man(dir.as_deref()),
        Command::Doctor { agent, json } => crate::cli::doctor::doctor(&db, agent.as_deref(), json),
        Command::Report {
            goal,
            rows,
            json,
            html,
        } => crate::cli::report::show(
            &db,
            goal.as_deref(),
            &crate::cli::report::ReportOptions { rows, json, html },
        ),
        Command::Config {
            origin,
            agent,
            dialogs,
            goal,
            limits,
        } => {
            let spec = match &goal {
                Some(file) => {
                    let cwd = std::env::current_dir()
                        .map_err(|err| Error::io("cannot read the current directory", err))?;
                    let config = config_dir();
                    Some(spec_file::load_in(file, &cwd, config.as_deref(), agent.is_none())?.0)
                }
                None => None,
            };
            let spec_layer = goal.as_deref().zip(spec.as_ref().map(settings::spec_layer));
            let flags = settings::flags(&limits, agent, &dialogs);
            let settings = settings::here(spec_layer, flags)?;
            Ok(settings::show(&settings, origin))
        }
        Command::Replay {
            goal,
            turn,
            speed,
            process,
        } => crate::cli::replay::replay(
            &db,
            &crate::cli::replay::Replay {
                goal: goal.as_deref(),
                turn,
                speed,
                process,
            },
        ),
        Command::Mcp { goal } => crate::cli::mcp_server::serve(db, &goal),
        Command::Hook {
            signal: _,
            goal,
            source,
            payload,
        } => crate::cli::turn_hook::turn_complete(&db, &goal, &source, payload),
        Command::Init { file } => {
            spec_file::init(&file)?;
            println!(
                "goalie: wrote {}; edit it, then `goalie check {}` and `goalie run --goal {}`",
                file.display(),
                file.display(),
                file.display()
            );
            Ok(0)
        }
        Command::Sim {
            scenario,
            prompt,
            mcp_config,
        } => {
            let scenario = match scenario {
                Some(path) => crate::sim::Scenario::load(&path)?,
                None => crate::sim::Scenario::builtin(),
            };
            crate::sim::run(scenario, prompt, mcp_config)
                .map_err(|err| Error::io("the simulated agent failed", err))
        }
    }
}

/// `goalie run`: the settings (defaults, files, variables, the goal spec if
/// any, the flags) make the run.
fn run_command(args: RunArgs, db: PathBuf) -> Result<i32, Error> {
    let config = config_dir();
    let spec = match &args.goal {
        Some(file) => {
            let workdir = match &args.limits.workdir {
                Some(dir) => absolute(dir)?,
                None => std::env::current_dir()
                    .map_err(|err| Error::io("cannot read the current directory", err))?,
            };
            let agent_used = args.agent.is_none() && args.adapter.is_none();
            let (spec, warnings) =
                spec_file::load_in(file, &workdir, config.as_deref(), agent_used)?;
            for warning in warnings {
                eprintln!("{warning}");
            }
            Some(spec)
        }
        None => None,
    };
    let spec_layer = args
        .goal
        .as_deref()
        .zip(spec.as_ref().map(settings::spec_layer));
    let flags = settings::flags(&args.limits, args.agent.clone(), &args.dialogs);
    let settings = settings::here(spec_layer, flags)?;
    let mut adapter = match (&args.adapter, &settings.agent.value) {
        (Some(file), _) => Adapter::from_file(file)?,
        (None, Some(name)) => Adapter::named(name, config.as_deref())?,
        (None, None) => {
            return Err(Error::Usage(
                "give --agent NAME or --adapter FILE (or `agent:` in the goal spec or your settings)"
                    .into(),
            ));
        }
    };
    let dialog_policies = settings::apply_dialogs(&mut adapter, &settings)?;
    let objective = match (&spec, args.objective) {
        (Some(spec), _) => spec.objective.clone(),
        (None, Some(objective)) => objective,
        (None, None) => {
            return Err(Error::Usage("give an objective or --goal FILE".into()));
        }
    };
    let run = GoalRun {
        adapter,
        objective,
        spec,
        agent_args: args.agent_args,
        dialog_policies,
    };
    run_goal(run, &args.limits, &settings, db)
}

/// `goalie demo`: the simulated agent, on its built-in scenario or a file.
fn demo(args: DemoArgs, db: PathBuf) -> Result<i32, Error> {
    let mut adapter = Adapter::named("sim", None)?;
    let mut settings = settings::here(None, settings::flags(&args.limits, None, &[]))?;
    let dialog_policies = settings::apply_dialogs(&mut adapter, &settings)?;
    let mut agent_args = Vec::new();
    if let Some(scenario) = &args.scenario {
        crate::sim::Scenario::load(scenario)?;
        let scenario = absolute(scenario)?;
        agent_args = vec!["--scenario".into(), scenario.display().to_string()];
    }
    let run = GoalRun {
        adapter,
        objective: args.objective,
        spec: None,
        agent_args,
        dialog_policies,
    };
    // The built-in demo's turns write nothing (it runs wherever it is
    // started): the no-progress breaker is off unless the flag asks for it
    // (a `stall_turns` in the settings is for real work).
    if args.scenario.is_none() && !matches!(settings.stall_turns.origin, settings::Origin::Flag(_))
    {
        settings.stall_turns.value = 0;
    }
    run_goal(run, &args.limits, &settings, db)
}

/// `goalie check FILE`: warnings and errors on stderr; exit 2 when there are errors.
fn check_spec(file: &Path) -> Result<i32, Error> {
    let workdir = std::env::current_dir()
        .map_err(|err| Error::io("cannot read the current directory", err))?;
    match spec_file::load_in(file, &workdir, config_dir().as_deref(), true) {
        Ok((spec, warnings)) => {
            for warning in &warnings {
                eprintln!("{warning}");
            }
            println!(
                "{}: ok: {} requirement(s), {} verify command(s), {} protected path(s){}",
                file.display(),
                spec.requirements().len(),
                spec.verify.len(),
                spec.protect.len(),
                match warnings.len() {
                    0 => String::new(),
                    n => format!(", {n} warning(s)"),
                }
            );
            Ok(0)
        }
        Err(SpecError::Invalid(findings)) => {
            for finding in &findings {
                eprintln!("{finding}");
            }
            Ok(exit_code::USAGE)
        }
        Err(err) => Err(err.into()),
    }
}

/// What `run` and `demo` start: the agent, the goal, and how the agent is run.
struct GoalRun {
    adapter: Adapter,
    objective: String,
    spec: Option<GoalSpec>,
    agent_args: Vec<String>,
    dialog_policies: Vec<(String, DialogPolicy)>,
}

fn run_goal(
    run: GoalRun,
    limits: &LimitArgs,
    settings: &Settings,
    db: PathBuf,
) -> Result<i32, Error> {
    let GoalRun {
        adapter,
        objective,
        spec,
        agent_args,
        dialog_policies,
    } = run;
    if objective.trim().is_empty() {
        return Err(Error::Usage(
            "the objective is empty: say what the agent should achieve".into(),
        ));
    }
    if let Some(message) = crate::goal::spec::objective_too_long(objective.trim()) {
        return Err(Error::Usage(message));
    }
    if settings.max_turns.value == Some(0) {
        return Err(Error::Usage("--max-turns must be at least 1".into()));
    }
    // `--max-quota` or the goal spec's `stop.quota` is for this agent: one it
    // cannot keep is an error. A settings file's or a variable's holds for
    // every agent, so it is left out for one that does not report its quota.
    let mut max_quota = settings.max_quota.value;
    if let Some(pct) = max_quota
        && !adapter.reports_quota()
    {
        let origin = &settings.max_quota.origin;
        if matches!(
            origin,
            settings::Origin::Flag(_) | settings::Origin::Spec(_)
        ) {
            return Err(Error::Usage(format!(
                "--max-quota {pct}% (or `stop.quota`): the {} agent does not report its plan's \
                 quota to goalie (only Codex writes its rate-limit windows to its session log), \
                 so goalie cannot wait for a reset; drop the flag",
                adapter.name
            )));
        }
        eprintln!(
            "goalie: max_quota {pct}% ({origin}) is not used: the {} agent does not report its \
             plan's quota",
            adapter.name
        );
        max_quota = None;
    }
    let workdir = match &limits.workdir {
        Some(dir) => absolute(dir)?,
        None => std::env::current_dir()
            .map_err(|err| Error::io("cannot read the current directory", err))?,
    };
    if !workdir.is_dir() {
        return Err(Error::Usage(format!(
            "the working directory {} does not exist",
            workdir.display()
        )));
    }
    let config = config_dir();
    let prompts = Prompts::load(config.as_ref().map(|dir| dir.join("prompts")).as_deref())?;
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let rotation = match (limits.fresh, settings.rotate_at.value) {
        (true, _) => Rotation::EveryTurn,
        (false, Some(pct)) => Rotation::At(pct),
        (false, None) => Rotation::Never,
    };
    run::run(RunSpec {
        adapter,
        prompts,
        objective,
        spec,
        workdir,
        limits: Limits {
            max_turns: settings.max_turns.value,
            max_time_ms: settings.max_time.value.map(millis),
            budget_tokens: settings.budget_tokens.value,
        },
        agent_args,
        headless: limits.headless || !terminal::is_interactive(),
        db,
        user_quiet_ms: millis(settings.user_quiet.value),
        wrap_up_grace_ms: millis(settings.wrap_up_grace.value),
        resume: None,
        on_event: settings.on_event.value.clone(),
        rotation,
        dialog_policies,
        status_line: settings.status_line.value,
        record: settings.record_cap(),
        waits: WaitOptions {
            max_wait_ms: millis(settings.max_wait.value),
            max_quota_pct: max_quota,
        },
        stall_turns: Some(settings.stall_turns.value),
        turn_timeout_ms: Some(settings.turn_timeout_ms()),
    })
}

fn absolute(path: &Path) -> Result<PathBuf, Error> {
    std::path::absolute(path).map_err(|err| Error::io(format!("bad path {}", path.display()), err))
}
