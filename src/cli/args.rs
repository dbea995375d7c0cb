//! The command line's arguments (clap): the subcommands and their flags, and
//! the parsers of their values (limits, durations, token counts, dialogs).
//! What each subcommand does is in `dispatch.rs`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use clap_complete::engine::ArgValueCandidates;

use crate::core::config::DialogPolicy;
use crate::core::supervisor::Rotation;
use crate::goal::exit_code;
use crate::goal::lifecycle::GoalState;

use super::candidates::{agent_candidates, goal_candidates};

/// Keeps an interactive coding-agent CLI working on one goal until it is
/// achieved, blocked, paused by you, or out of budget.
#[derive(Debug, Parser)]
#[command(name = "goalie", version, after_help = exit_code::TABLE)]
pub struct Cli {
    /// The goals database: a SQLite file, or a PostgreSQL URL
    /// (postgres://USER@HOST/DB) for a ledger shared by many machines
    /// [default: $XDG_DATA_HOME/goalie/goalie.db]
    #[arg(
        long,
        global = true,
        env = "GOALIE_DB",
        value_name = "PATH|URL",
        hide_env_values = true
    )]
    pub db: Option<PathBuf>,

    /// More log detail (-v info, -vv debug, -vvv trace); `GOALIE_LOG` takes a
    /// tracing filter instead. Logs go to stderr, or, while goalie shows the
    /// agent's screen, to goalie.log beside the database.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an agent CLI on a goal until the goal ends.
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// The same loop on goalie's built-in simulated agent: no API key, no network.
    Demo(DemoArgs),
    /// Show one goal: the one running here, else the latest, if none is named.
    Status {
        /// A goal id or a unique prefix of one.
        #[arg(add = ArgValueCandidates::new(goal_candidates))]
        goal: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What happened to a goal: a summary, a table of its turns, its audits, the
    /// wrap-up and the last reply; every ledger row with --rows.
    Report {
        /// A goal id or a unique prefix of one (the latest goal if omitted).
        #[arg(add = ArgValueCandidates::new(goal_candidates))]
        goal: Option<String>,
        /// Every ledger row too (in JSON: `rows`).
        #[arg(long)]
        rows: bool,
        /// Print the report as one JSON document (docs/report-json.md).
        #[arg(long, conflicts_with = "html")]
        json: bool,
        /// Write the report as one self-contained HTML page to FILE.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Play a goal's recording of the agent's screen in this terminal (or to a
    /// pipe); Ctrl-C stops it (exit 130).
    Replay {
        /// A goal id or a unique prefix of one (the latest goal if omitted).
        goal: Option<String>,
        /// Start at the prompt of turn N (what came before is drawn at once).
        #[arg(long, value_name = "N")]
        turn: Option<u32>,
        /// Play this many times faster (0.5 is half speed); pauses over 2 s are cut to 2 s.
        #[arg(long, value_name = "X", default_value_t = 1.0)]
        speed: f64,
        /// Only the recording of agent process N (a goal has one per process).
        #[arg(long, value_name = "N")]
        process: Option<u32>,
    },
    /// Show each setting and, with --origin, where it came from: defaults, your
    /// config.yaml, the project's .goalie.yaml, GOALIE_* variables, flags.
    #[command(after_help = CONFIG_HELP)]
    Config {
        /// Say where each value came from.
        #[arg(long)]
        origin: bool,
        /// The agent, as `run --agent` takes it.
        #[arg(long, value_name = "NAME")]
        agent: Option<String>,
        /// A dialog policy, as `run --dialog` takes it.
        #[arg(long = "dialog", value_name = "NAME=POLICY", value_parser = parse_dialog)]
        dialogs: Vec<(String, DialogPolicy)>,
        /// A goal spec, as `run --goal` takes it: its agent and stop.
        #[arg(long, value_name = "FILE")]
        goal: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Pause a goal: its current turn finishes, then goalie types nothing.
    #[command(after_help = GOAL_HELP)]
    Pause {
        /// A goal id or a unique prefix [default: the goal running here].
        #[arg(add = ArgValueCandidates::new(goal_candidates))]
        goal: Option<String>,
    },
    /// Resume a paused goal; one whose supervisor is gone starts its agent again, here.
    #[command(after_help = GOAL_HELP)]
    Resume {
        /// A goal id or a unique prefix [default: the goal running here].
        #[arg(add = ArgValueCandidates::new(goal_candidates))]
        goal: Option<String>,
        /// Print progress lines instead of showing the agent's screen.
        #[arg(long)]
        headless: bool,
        /// Run this shell command for every event, with the event as JSON on stdin.
        #[arg(long, value_name = "CMD")]
        on_event: Option<String>,
    },
    /// Clear a goal: stop its agent; the goal ends `cleared` (the ledger keeps it).
    #[command(after_help = GOAL_HELP)]
    Clear {
        /// A goal id or a unique prefix [default: the goal running here].
        #[arg(add = ArgValueCandidates::new(goal_candidates))]
        goal: Option<String>,
    },
    /// Change a goal's objective ($VISUAL or $EDITOR, or --objective); the next
    /// prompt tells the agent what changed.
    #[command(after_help = GOAL_HELP)]
    Edit {
        /// A goal id or a unique prefix [default: the goal running here].
        #[arg(add = ArgValueCandidates::new(goal_candidates))]
        goal: Option<String>,
        /// The new objective, instead of opening an editor.
        #[arg(long, value_name = "TEXT")]
        objective: Option<String>,
    },
    /// Change a goal's limits; raising one re-opens a budget-limited goal.
    #[command(after_help = BUDGET_HELP)]
    Budget {
        /// A goal id or a unique prefix [default: the goal running here].
        #[arg(add = ArgValueCandidates::new(goal_candidates))]
        goal: Option<String>,
        /// The turn limit, or `none`.
        #[arg(long, value_name = "N|none", value_parser = parse_turn_limit)]
        max_turns: Option<Limit<u32>>,
        /// The time limit (e.g. 90m, 4h), or `none`.
        #[arg(long, value_name = "DURATION|none", value_parser = parse_time_limit)]
        max_time: Option<Limit<u64>>,
        /// The token budget (e.g. 200k, 1.5M), or `none`.
        #[arg(long, value_name = "TOKENS|none", value_parser = parse_token_limit)]
        budget_tokens: Option<Limit<u64>>,
    },
    /// Stream a running goal's events, one line each, until its run ends.
    #[command(after_help = GOAL_HELP)]
    Watch {
        /// A goal id or a unique prefix [default: the goal running here].
        #[arg(add = ArgValueCandidates::new(goal_candidates))]
        goal: Option<String>,
        /// Print each notification as a JSON line (the control protocol's own).
        #[arg(long)]
        json: bool,
        /// Print the goal's rows after sequence number SEQ first (0: all of them);
        /// a goal that does not run then shows its history and ends.
        #[arg(long, value_name = "SEQ")]
        since: Option<i64>,
    },
    /// List the goals, newest first: state, whether it runs, counters, working
    /// directory and objective (archived goals only with --all).
    Ls {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Only goals in this state (pursuing, paused, achieved, budget-limited, unmet, cleared).
        #[arg(long, value_name = "STATE", value_parser = parse_state)]
        state: Option<GoalState>,
        /// Only goals whose working directory is this one or a folder above it.
        #[arg(long)]
        here: bool,
        /// Archived goals too.
        #[arg(long)]
        all: bool,
    },
    /// Hide a goal from `goalie ls` (the ledger keeps it; `ls --all` lists it).
    Archive {
        /// A goal id or a unique prefix of one.
        #[arg(add = ArgValueCandidates::new(goal_candidates))]
        goal: String,
        /// List it again.
        #[arg(long)]
        undo: bool,
    },
    /// Write goals and every row of their ledgers to stdout as JSON lines
    /// (docs/export.md), for `goalie import` on another machine.
    Export {
        /// Goal ids or unique prefixes.
        #[arg(add = ArgValueCandidates::new(goal_candidates), required_unless_present = "all")]
        goals: Vec<String>,
        /// Every goal (archived ones too).
        #[arg(long, conflicts_with = "goals")]
        all: bool,
    },
    /// Add the goals of export files (`goalie export`) to the database; a goal
    /// already here with the same rows is skipped. All or nothing.
    Import {
        /// Export files (`-` reads stdin).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Check that goalie can run here: each agent CLI (on PATH? the tested version?
    /// how to install it), the agents' settings goalie depends on, and its paths.
    #[command(after_help = DOCTOR_HELP)]
    Doctor {
        /// The agent to check; exit 7 unless it is ready.
        #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(agent_candidates))]
        agent: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the script that completes goalie's commands, goal ids and agent names
    /// in your shell, e.g. `goalie completions bash >> ~/.bashrc`
    /// (zsh: `source <(goalie completions zsh)`; fish: `goalie completions fish | source`).
    Completions {
        #[arg(value_parser = ["bash", "zsh", "fish"])]
        shell: String,
    },
    /// Print goalie's man page (roff): `goalie man > goalie.1`.
    Man {
        /// Write every page (goalie.1 and one per subcommand) into DIR instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Check a goal spec: errors (exit 2) and warnings, each with file, line and column.
    Check {
        /// The goal spec (YAML).
        file: PathBuf,
    },
    /// Write a commented goal-spec template (never overwrites).
    Init {
        /// Where to write it.
        #[arg(default_value = "goal.yaml")]
        file: PathBuf,
    },
    /// The model's tools as an MCP server on stdio (what an agent's adapter registers).
    #[command(hide = true)]
    Mcp {
        /// The goal the tools read and claim.
        #[arg(long, value_name = "ID")]
        goal: String,
    },
    /// What an agent's turn-complete hook runs (Codex `notify`, Claude Code's
    /// `Stop` hook; an adapter's `hook_args` register it): tells the goal's
    /// running supervisor that the agent's turn is complete.
    #[command(hide = true)]
    Hook {
        /// The signal: `turn-complete`.
        #[arg(value_parser = ["turn-complete"])]
        signal: String,
        /// The goal whose supervisor is told.
        #[arg(long, value_name = "ID")]
        goal: String,
        /// Which hook this is, for the ledger (`codex-notify`, `claude-stop`).
        #[arg(long, default_value = "hook")]
        source: String,
        /// The agent's JSON, when it passes it as an argument (Codex); else stdin is read.
        payload: Option<String>,
    },
    /// The simulated agent itself (what `goalie demo` runs inside its PTY).
    #[command(hide = true)]
    Sim {
        /// A scenario file (YAML); the built-in demo scenario if omitted.
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// The first turn's prompt, begun as soon as it has started (as an
        /// agent's initial prompt on its command line).
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        prompt: Option<String>,
        /// An MCP server to start and list the tools of, as an agent's config
        /// names it: `{"command": "…", "args": ["…"]}`.
        #[arg(long, value_name = "JSON")]
        mcp_config: Option<String>,
    },
}

const CONFIG_HELP: &str = "\
Each value comes from the last of these that sets it: the built-in default, your
$GOALIE_CONFIG_DIR/config.yaml, the nearest .goalie.yaml from the current directory
up, a GOALIE_* variable (GOALIE_AGENT, GOALIE_MAX_TURNS, GOALIE_MAX_TIME,
GOALIE_BUDGET_TOKENS, GOALIE_USER_QUIET, GOALIE_WRAP_UP_GRACE, GOALIE_ROTATE_AT,
GOALIE_DIALOGS=name=policy,…, GOALIE_STATUS_LINE, GOALIE_RECORD,
GOALIE_RECORD_CAP_MB, GOALIE_ON_EVENT, GOALIE_STALL_TURNS, GOALIE_TURN_TIMEOUT,
GOALIE_MAX_WAIT, GOALIE_MAX_QUOTA), a goal spec's agent and stop (turns, time,
tokens, stall_turns, quota: they are the goal's, so they override the files and
variables), then a flag. Give `goalie config` the flags of `goalie run` (and
--goal FILE) to see what they would make.
An unknown key in a file is an error at its line and column.";

const GOAL_HELP: &str = "\
GOAL is a goal id or a unique prefix of one; without it, the one goal whose
supervisor runs in the current directory. A running goal is changed through its
supervisor; otherwise the database is changed directly.

Exit codes: 0 done (or nothing to do, e.g. pausing a paused goal), 2 bad usage or
no such goal, 6 refused by the goal's state (nothing was changed).";

const DOCTOR_HELP: &str = "\
Exit codes: 0 ready (with --agent: that agent is installed, answers --version, none
of its own settings would keep a run from getting going, and every path goalie needs
is usable; a version other than the tested one, or a dialog goalie answers, is a
note, not a failure), 7 not ready, 2 bad usage (an unknown agent).";

const BUDGET_HELP: &str = "\
Examples:
  goalie budget --max-turns 40            # the goal running here
  goalie budget 7jpe --budget-tokens 500k --max-time none

A limit at or below what the goal has already used is refused (exit 6).
Raising a limit re-opens a budget-limited goal: a running one continues after its
wrap-up turn; otherwise `goalie resume GOAL` continues it.";

const RUN_HELP: &str = "\
Examples:
  goalie run --agent codex \"Migrate src/models to pydantic v2; pytest and mypy pass\"
  goalie run --agent claude --max-turns 40 --max-time 4h --budget-tokens 200k \"…\"
  goalie run --agent codex --headless \"…\" -- -c model=gpt-5
  goalie run --goal goal.yaml      # objective, verify commands, budgets from a spec (goalie init)

Arguments after -- go to the agent CLI. With a terminal, you see the agent's own
screen and can type into it; goalie waits until you have stopped typing before it
types. Without one (a script, CI, nohup) or with --headless, goalie prints one line
per event instead.";

/// Limits shared by `run` and `demo`.
#[derive(Debug, Args, Clone, Default)]
pub struct LimitArgs {
    /// Stop after this many turns (then one wrap-up turn).
    #[arg(long, value_name = "N")]
    pub max_turns: Option<u32>,
    /// Stop after this much time, e.g. 90m or 4h (then one wrap-up turn).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_time: Option<Duration>,
    /// Stop once the agent shows this many tokens used, e.g. 200k or 1.5M.
    #[arg(long, value_name = "TOKENS", value_parser = parse_tokens)]
    pub budget_tokens: Option<u64>,
    /// Print progress lines instead of showing the agent's screen.
    #[arg(long)]
    pub headless: bool,
    /// The agent's working directory [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// Run this shell command for every event, with the event as JSON on stdin
    /// [default: `on_event` in $GOALIE_CONFIG_DIR/config.yaml].
    #[arg(long, value_name = "CMD")]
    pub on_event: Option<String>,
    /// Fresh context: a new agent process for every turn (goalie's ledger links them).
    #[arg(long, conflicts_with = "rotate_at")]
    pub fresh: bool,
    /// Rotate the context when the agent's context gauge reaches this share, e.g.
    /// 80%: the agent writes a handoff note, and a new agent process continues from it.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub rotate_at: Option<u8>,
    /// How long your keys must be still before goalie types, e.g. 3s [default: 3s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub user_quiet: Option<Duration>,
    /// How long the wrap-up turn may take once a limit is reached [default: 10m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wrap_up_grace: Option<Duration>,
    /// Keep the bottom row of your terminal for goalie's status (the agent
    /// gets one row less) [config: status_line].
    #[arg(long)]
    pub status_line: bool,
    /// Do not record the agent's screen [config: record: false]; recordings
    /// go to $XDG_STATE_HOME/goalie/recordings (see `goalie replay`).
    #[arg(long)]
    pub no_record: bool,
    /// The longest wait the agent may ask for (update_goal `waiting`), e.g. 30m
    /// or 8h [default: 2h; settings: max_wait].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_wait: Option<Duration>,
    /// Wait for the plan's quota window to reset once its use reaches this
    /// share, e.g. 80% (an agent that reports its quota: Codex) [settings:
    /// max_quota; a goal spec's stop.quota overrides those, this flag both].
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub max_quota: Option<u8>,
    /// After N turns in a row without progress (nothing changed in the
    /// workspace, the same reply), say so to the agent; after N more, pause
    /// the goal. 0 turns it off [default: 3; settings: stall_turns; a goal
    /// spec's stop.stall_turns overrides those, this flag both].
    #[arg(long, value_name = "N")]
    pub stall_turns: Option<u32>,
    /// A turn busy this long with no sign of work (no screen change but the
    /// spinner, no session-log line, no CPU time in the agent's processes) is
    /// hung: goalie interrupts it [default: 30m; 0 turns it off; settings: turn_timeout].
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub turn_timeout: Option<Duration>,
}

impl LimitArgs {
    /// The context rotation the flags ask for.
    pub fn rotation(&self) -> Rotation {
        match (self.fresh, self.rotate_at) {
            (true, _) => Rotation::EveryTurn,
            (false, Some(pct)) => Rotation::At(pct),
            (false, None) => Rotation::Never,
        }
    }
}

/// `80%` or `80` → 80 (1 to 100).
pub(super) fn parse_percent(text: &str) -> Result<u8, String> {
    let number = text.trim().trim_end_matches('%');
    match number.parse::<u8>() {
        Ok(pct) if (1..=100).contains(&pct) => Ok(pct),
        _ => Err(format!(
            "`{text}` is not a percentage from 1% to 100% (e.g. 80%)"
        )),
    }
}

/// A limit given on the command line: a value, or `none` to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit<T>(pub Option<T>);

#[derive(Debug, Args)]
pub struct RunArgs {
    /// What the agent should achieve (or give --goal FILE).
    #[arg(required_unless_present = "goal", conflicts_with = "goal")]
    pub objective: Option<String>,
    /// A goal spec (YAML; see `goalie init`): objective, verify commands, protected
    /// paths, budgets. Limits given on the command line override its `stop`.
    #[arg(long, value_name = "FILE")]
    pub goal: Option<PathBuf>,
    /// The agent CLI: codex, claude, gemini, opencode, aider or sim (goalie's simulated
    /// agent), or a name in your config's adapters/ (see `goalie doctor`) [config: agent].
    #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(agent_candidates))]
    pub agent: Option<String>,
    /// An adapter file to use instead of a named one.
    #[arg(long, value_name = "FILE")]
    pub adapter: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Answer the adapter's dialog NAME by POLICY (accept, deny or escalate) for
    /// this goal, e.g. `--dialog run-shell-command=accept` for aider. Repeatable.
    #[arg(long = "dialog", value_name = "NAME=POLICY", value_parser = parse_dialog)]
    pub dialogs: Vec<(String, DialogPolicy)>,
    /// Arguments passed to the agent CLI.
    #[arg(last = true, value_name = "AGENT_ARGS")]
    pub agent_args: Vec<String>,
}

/// `NAME=POLICY` → the dialog's name and its policy for this run.
pub(super) fn parse_dialog(text: &str) -> Result<(String, DialogPolicy), String> {
    let (name, policy) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not NAME=POLICY, e.g. tool-permission=accept"))?;
    let policy = DialogPolicy::parse(policy.trim()).ok_or_else(|| {
        format!("`{policy}` is not a dialog policy: use accept, deny or escalate")
    })?;
    Ok((name.trim().to_string(), policy))
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The objective the simulated agent works on.
    #[arg(long, default_value = DEMO_OBJECTIVE)]
    pub objective: String,
    /// A scenario file for the simulated agent (YAML).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

const DEMO_OBJECTIVE: &str = "Make the demo project's test suite pass: fix the failing parser test and add a test for empty input.";

fn parse_state(text: &str) -> Result<GoalState, String> {
    GoalState::parse(text).ok_or_else(|| {
        "expected pursuing, paused, achieved, budget-limited, unmet or cleared".to_string()
    })
}

pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration =
        humantime::parse_duration(text).map_err(|err| format!("{err} (try 90m, 4h or 1h30m)"))?;
    if duration.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(duration)
}

/// A duration, or `0` / `off`: no timeout (a zero duration).
pub(super) fn parse_timeout(text: &str) -> Result<Duration, String> {
    match text.trim() {
        "0" | "off" => Ok(Duration::ZERO),
        text => parse_duration(text),
    }
}

fn parse_limit<T>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Limit<T>, String> {
    if text == "none" {
        Ok(Limit(None))
    } else {
        parse(text).map(|value| Limit(Some(value)))
    }
}

fn parse_turn_limit(text: &str) -> Result<Limit<u32>, String> {
    parse_limit(text, |text| match text.parse::<u32>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number or `none`".into()),
    })
}

fn parse_time_limit(text: &str) -> Result<Limit<u64>, String> {
    parse_limit(text, |text| {
        parse_duration(text).map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    })
}

fn parse_token_limit(text: &str) -> Result<Limit<u64>, String> {
    parse_limit(text, parse_tokens)
}

pub(super) fn parse_tokens(text: &str) -> Result<u64, String> {
    match crate::goal::units::parse_token_figure(text) {
        Some(0) => Err("must be more than zero".into()),
        Some(tokens) => Ok(tokens),
        None => Err("expected a number such as 50000, 200k or 1.5M".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn limits_parse() {
        assert_eq!(parse_tokens("200k"), Ok(200_000));
        assert_eq!(parse_tokens("1.5M"), Ok(1_500_000));
        assert!(parse_tokens("lots").is_err());
        assert!(parse_tokens("0").is_err());
        assert_eq!(parse_duration("4h"), Ok(Duration::from_secs(4 * 3600)));
        assert!(parse_duration("soon").unwrap_err().contains("try 90m"));
    }

    #[test]
    fn agent_args_come_after_the_double_dash() {
        let cli = Cli::try_parse_from([
            "goalie", "run", "--agent", "codex", "fix", "--", "-c", "model=x",
        ])
        .unwrap();
        match cli.command {
            Command::Run(args) => {
                assert_eq!(args.agent_args, vec!["-c", "model=x"]);
                assert_eq!(args.objective.as_deref(), Some("fix"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn budget_limits_take_a_value_or_none() {
        assert_eq!(parse_turn_limit("5"), Ok(Limit(Some(5))));
        assert_eq!(parse_turn_limit("none"), Ok(Limit(None)));
        assert!(parse_turn_limit("0").is_err());
        assert_eq!(parse_time_limit("2m"), Ok(Limit(Some(120_000))));
        assert_eq!(parse_token_limit("1.5k"), Ok(Limit(Some(1500))));
        let cli = Cli::try_parse_from(["goalie", "budget", "ab", "--max-turns", "none"]).unwrap();
        match cli.command {
            Command::Budget {
                goal, max_turns, ..
            } => {
                assert_eq!(goal.as_deref(), Some("ab"));
                assert_eq!(max_turns, Some(Limit(None)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_agent_flag_lists_every_adapter() {
        let mut command = Cli::command();
        let run = command.find_subcommand_mut("run").unwrap();
        let agent = run.get_arguments().find(|a| a.get_id() == "agent").unwrap();
        let help = agent.get_help().unwrap().to_string();
        let words: Vec<&str> = help
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        for (name, _) in crate::agent::adapter::BUILTIN {
            assert!(
                words.contains(name),
                "--agent's help does not name {name}: {help}"
            );
        }
    }

    #[test]
    fn help_documents_exit_codes() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("Exit codes:"));
        assert!(help.contains("3        budget-limited"));
        assert!(help.contains("6        refused"));
    }
}
