//! `goalie doctor [--agent NAME] [--json]`: whether goalie can run here. For
//! each adapter: where it comes from (built in, or the override's path),
//! whether its program is on PATH, its version against the one goalie was
//! tested with, and the exact install command when it is missing; the agent's
//! own settings goalie depends on, for each agent that is installed or
//! chosen (Codex's trust of this folder, Claude Code's first run, trust and
//! API key, gemini-cli's sign-in and trusted folders, and whether goalie can
//! add its MCP server to the agent's settings; `agent::agent_settings`); and
//! the database, config, state and socket paths and whether each is usable.
//!
//! Exit 0 when the chosen agent (`--agent`; without it, every path) is ready,
//! else [`exit_code::NOT_READY`]: a setting that would keep its run from
//! getting going (a problem, not a note) makes it not ready.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::agent::adapter::{Adapter, BUILTIN};
use crate::agent::agent_settings::{self, Finding, Standing};
use crate::agent::readiness::{self, codex_trust, find_program, program_version};
use crate::config_file::{ConfigFile, config_dir};
use crate::error::Error;
use crate::goal::exit_code;
use crate::ledger::Ledger;

#[derive(Debug, Serialize)]
struct Doctor {
    goalie_version: &'static str,
    workdir: String,
    /// The agent asked about (`--agent`), and whether it is ready.
    agent: Option<String>,
    ready: bool,
    agents: Vec<AgentCheck>,
    settings: Vec<SettingCheck>,
    paths: Vec<PathCheck>,
}

#[derive(Debug, Serialize)]
struct AgentCheck {
    name: String,
    /// `built in`, or the override's path.
    origin: String,
    built_in: bool,
    /// The program the adapter starts, and where it was found.
    program: String,
    path: Option<String>,
    version: Option<String>,
    tested_version: Option<String>,
    /// `ready`, `other_version` (ready, but not the tested version), `missing`,
    /// `no_version` (found, but `--version` failed) or `invalid` (the adapter).
    status: &'static str,
    install: Option<String>,
    problem: Option<String>,
}

#[derive(Debug, Serialize)]
struct SettingCheck {
    agent: String,
    setting: String,
    ok: bool,
    /// goalie's run with this agent would not get going (a problem, not a note).
    blocks: bool,
    detail: String,
}

impl From<Finding> for SettingCheck {
    fn from(finding: Finding) -> SettingCheck {
        SettingCheck {
            agent: finding.agent.into(),
            setting: finding.setting.into(),
            ok: finding.standing == Standing::Ok,
            blocks: finding.standing == Standing::Problem,
            detail: finding.detail,
        }
    }
}

#[derive(Debug, Serialize)]
struct PathCheck {
    name: &'static str,
    path: String,
    usable: bool,
    detail: String,
}

/// Runs the checks and prints them; the exit code says whether the chosen agent is ready.
pub fn doctor(db: &Path, agent: Option<&str>, json: bool) -> Result<i32, Error> {
    let workdir = std::env::current_dir()
        .map_err(|err| Error::io("cannot read the current directory", err))?;
    let config = config_dir();
    if let Some(name) = agent
        && !adapter_names(config.as_deref()).iter().any(|n| n == name)
    {
        // The same error (and suggestion) `goalie run --agent` gives.
        Adapter::named(name, config.as_deref())?;
    }
    let agents: Vec<AgentCheck> = adapter_names(config.as_deref())
        .iter()
        .map(|name| check_agent(name, config.as_deref()))
        .collect();
    let looked_at: Vec<&str> = agents
        .iter()
        .filter(|a| a.path.is_some() || Some(a.name.as_str()) == agent)
        .map(|a| a.name.as_str())
        .collect();
    let settings = settings(&workdir, &looked_at, config.as_deref());
    let paths = paths(db, config.as_deref());
    let paths_ok = paths.iter().all(|p| p.usable);
    let ready = paths_ok
        && match agent {
            Some(name) => {
                agents
                    .iter()
                    .any(|a| a.name == name && matches!(a.status, "ready" | "other_version"))
                    && !settings.iter().any(|s| s.blocks && s.agent == name)
            }
            None => true,
        };
    let report = Doctor {
        goalie_version: env!("CARGO_PKG_VERSION"),
        workdir: workdir.display().to_string(),
        agent: agent.map(String::from),
        ready,
        agents,
        settings,
        paths,
    };
    if json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|err| Error::io("cannot write JSON", err.into()))?;
        println!("{text}");
    } else {
        for line in lines(&report) {
            println!("{line}");
        }
    }
    Ok(if ready {
        exit_code::ACHIEVED
    } else {
        exit_code::NOT_READY
    })
}

/// The built-in adapters' names and those of the overrides in `config/adapters/`.
pub fn adapter_names(config: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = BUILTIN.iter().map(|(name, _)| name.to_string()).collect();
    if let Some(dir) = config
        && let Ok(files) = std::fs::read_dir(dir.join("adapters"))
    {
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_some_and(|ext| ext == "yaml")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                && !names.iter().any(|n| n == stem)
            {
                names.push(stem.to_string());
            }
        }
    }
    names
}

fn check_agent(name: &str, config: Option<&Path>) -> AgentCheck {
    let pin = readiness::pin(name);
    let mut check = AgentCheck {
        name: name.to_string(),
        origin: String::new(),
        built_in: false,
        program: String::new(),
        path: None,
        version: None,
        tested_version: pin.as_ref().map(|pin| pin.version.clone()),
        status: "invalid",
        install: None,
        problem: None,
    };
    let adapter = match Adapter::named(name, config) {
        Ok(adapter) => adapter,
        Err(err) => {
            check.problem = Some(err.to_string());
            return check;
        }
    };
    let origin = adapter.origin.display().to_string();
    check.built_in = origin.ends_with("(built in)");
    check.origin = if check.built_in {
        "built in".into()
    } else {
        origin
    };
    let goalie = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("goalie"));
    check.program = adapter.program(&goalie);
    let Some(path) = find_program(&check.program, std::env::var_os("PATH").as_deref()) else {
        check.status = "missing";
        check.install = pin.map(|pin| pin.install);
        check.problem = Some(format!("`{}` is not on PATH", check.program));
        return check;
    };
    check.path = Some(path.display().to_string());
    if path == goalie {
        // The simulated agent is goalie itself.
        check.version = Some(env!("CARGO_PKG_VERSION").into());
        check.tested_version = check.version.clone();
        check.status = "ready";
        return check;
    }
    match program_version(&path) {
        Ok(version) => {
            check.status = match &check.tested_version {
                Some(tested) if *tested != version => "other_version",
                _ => "ready",
            };
            check.version = Some(version);
        }
        Err(problem) => {
            check.status = "no_version";
            check.problem = Some(problem);
        }
    }
    check
}

/// The own settings goalie depends on of the agents named.
fn settings(workdir: &Path, agents: &[&str], config: Option<&Path>) -> Vec<SettingCheck> {
    let env = |name: &str| std::env::var(name).ok();
    let mut out = Vec::new();
    for name in agents {
        match *name {
            "codex" => out.extend(codex_settings(workdir)),
            "claude" => out.extend(
                agent_settings::claude(workdir, &env)
                    .into_iter()
                    .map(Into::into),
            ),
            "gemini" => out.extend(
                agent_settings::gemini(workdir, &env)
                    .into_iter()
                    .map(Into::into),
            ),
            _ => {}
        }
        // What `goalie run` checks before it starts: that its MCP server can
        // be added to the person's settings where it goes into them
        // (gemini-cli's settings.json, an OPENCODE_CONFIG_CONTENT of theirs).
        if let Ok(adapter) = Adapter::named(name, config)
            && (adapter.mcp_home.is_some() || !adapter.mcp_env_merge.is_empty())
        {
            out.push(match adapter.check_mcp_registration(&env) {
                Ok(()) => SettingCheck {
                    agent: name.to_string(),
                    setting: "MCP server".into(),
                    ok: true,
                    blocks: false,
                    detail: "goalie can add its MCP server for the run".into(),
                },
                Err(err) => SettingCheck {
                    agent: name.to_string(),
                    setting: "MCP server".into(),
                    ok: false,
                    blocks: true,
                    detail: format!("{err} (goalie run refuses to start, exit 2)"),
                },
            });
        }
    }
    out
}

/// Whether Codex trusts this folder.
fn codex_settings(workdir: &Path) -> Vec<SettingCheck> {
    let mut out = Vec::new();
    let codex_home = std::env::var_os("CODEX_HOME").map(PathBuf::from);
    if let Some(trust) = codex_trust(workdir, codex_home) {
        let config = trust.config.display().to_string();
        out.push(match (trust.trusted, trust.error) {
            (_, Some(error)) => SettingCheck {
                agent: "codex".into(),
                setting: "trusted folder".into(),
                ok: false,
                blocks: false,
                detail: format!("cannot read {config}: {error}"),
            },
            (Some(folder), None) => SettingCheck {
                agent: "codex".into(),
                setting: "trusted folder".into(),
                ok: true,
                blocks: false,
                detail: format!("{folder} is trusted in {config}"),
            },
            (None, None) => SettingCheck {
                agent: "codex".into(),
                setting: "trusted folder".into(),
                ok: false,
                blocks: false,
                detail: format!(
                    "{} is not trusted in {config}: Codex asks at its start (goalie answers yes, \
                     as its trust-folder dialog policy says); to trust it for good, add \
                     [projects.\"{}\"] trust_level = \"trusted\"",
                    workdir.display(),
                    workdir.display()
                ),
            },
        });
    }
    out
}

/// The database, config, state and socket paths, and whether each is usable.
fn paths(db: &Path, config: Option<&Path>) -> Vec<PathCheck> {
    let mut out = Vec::new();
    let shown = crate::ledger::shown_db(db);
    out.push(match db.exists() || crate::ledger::is_postgres(db) {
        true => match Ledger::open_existing(db) {
            Ok(_) => usable("database", &shown, "exists and opens".into()),
            // A PostgreSQL database goalie never set up: its first run creates the tables.
            Err(crate::ledger::LedgerError::Empty(_)) => {
                usable("database", &shown, "reachable, no goals yet".into())
            }
            Err(err) => unusable("database", &shown, err.to_string()),
        },
        false => creatable("database", db),
    });
    match config {
        Some(dir) => out.push(match ConfigFile::load(Some(dir)) {
            Ok(_) if dir.join("config.yaml").is_file() => {
                usable("config", dir, "config.yaml reads".into())
            }
            Ok(_) if dir.is_dir() => usable("config", dir, "no config.yaml (defaults)".into()),
            Ok(_) => usable("config", dir, "absent (defaults)".into()),
            Err(err) => unusable("config", dir, err.to_string()),
        }),
        None => out.push(PathCheck {
            name: "config",
            path: String::new(),
            usable: true,
            detail: "no config folder (no HOME): defaults".into(),
        }),
    }
    if let Some(state) = dirs::state_dir().map(|dir| dir.join("goalie")) {
        out.push(if state.is_dir() {
            writable("state", &state)
        } else {
            creatable("state", &state)
        });
    }
    out.push(match crate::control::socket_dir::socket_dir() {
        Ok(dir) => writable("sockets", &dir),
        Err(err) => PathCheck {
            name: "sockets",
            path: String::new(),
            usable: false,
            detail: err.to_string(),
        },
    });
    out
}

fn usable(name: &'static str, path: &Path, detail: String) -> PathCheck {
    PathCheck {
        name,
        path: path.display().to_string(),
        usable: true,
        detail,
    }
}

fn unusable(name: &'static str, path: &Path, detail: String) -> PathCheck {
    PathCheck {
        name,
        path: path.display().to_string(),
        usable: false,
        detail,
    }
}

fn writable(name: &'static str, dir: &Path) -> PathCheck {
    match nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK) {
        Ok(()) => usable(name, dir, "exists, writable".into()),
        Err(err) => unusable(name, dir, format!("not writable: {err}")),
    }
}

/// A path that does not exist yet: usable when its nearest existing folder is writable.
fn creatable(name: &'static str, path: &Path) -> PathCheck {
    let Some(existing) = path.ancestors().skip(1).find(|dir| dir.exists()) else {
        return unusable(name, path, "no folder above it exists".into());
    };
    if !existing.is_dir() {
        return unusable(
            name,
            path,
            format!("{} is not a folder", existing.display()),
        );
    }
    match nix::unistd::access(existing, nix::unistd::AccessFlags::W_OK) {
        Ok(()) => usable(name, path, "absent; will be created".into()),
        Err(err) => unusable(
            name,
            path,
            format!(
                "cannot be created: {} is not writable ({err})",
                existing.display()
            ),
        ),
    }
}

/// The report for a person.
fn lines(report: &Doctor) -> Vec<String> {
    let mut out = vec![format!(
        "goalie {} in {}",
        report.goalie_version, report.workdir
    )];
    out.push(String::new());
    out.push("agents".into());
    for a in &report.agents {
        let found = match (&a.path, &a.version) {
            (Some(path), Some(version)) => format!("{version} at {path}"),
            (Some(path), None) => path.clone(),
            _ => String::new(),
        };
        let tested = match (a.status, &a.tested_version) {
            ("other_version", Some(tested)) => {
                format!(
                    " (goalie was tested with {tested}; it may work, or its screens may differ)"
                )
            }
            ("ready", Some(_)) => " (the tested version)".into(),
            _ => String::new(),
        };
        out.push(format!(
            "  {:<9} {:<14} {found}{tested}",
            a.name,
            a.status.replace('_', " ")
        ));
        out.push(format!("  {:<9} adapter: {}", "", a.origin));
        if let Some(problem) = &a.problem {
            out.push(format!("  {:<9} {problem}", ""));
        }
        if let Some(install) = &a.install {
            out.push(format!("  {:<9} install: {install}", ""));
        }
    }
    if !report.settings.is_empty() {
        out.push(String::new());
        out.push("agent settings".into());
        for s in &report.settings {
            out.push(format!(
                "  {:<9} {:<14} {}: {}",
                s.agent,
                match (s.ok, s.blocks) {
                    (true, _) => "ok",
                    (false, false) => "note",
                    (false, true) => "PROBLEM",
                },
                s.setting,
                s.detail
            ));
        }
    }
    out.push(String::new());
    out.push("paths".into());
    for p in &report.paths {
        out.push(format!(
            "  {:<9} {:<14} {} ({})",
            p.name,
            if p.usable { "ok" } else { "UNUSABLE" },
            p.path,
            p.detail
        ));
    }
    out.push(String::new());
    out.push(match (&report.agent, report.ready) {
        (Some(agent), true) => format!("ready: goalie can run {agent} here"),
        (Some(agent), false) => format!(
            "not ready: {agent} cannot run here (exit {})",
            exit_code::NOT_READY
        ),
        (None, true) => "ready (give --agent NAME to check one agent)".into(),
        (None, false) => format!(
            "not ready: a path is unusable (exit {})",
            exit_code::NOT_READY
        ),
    });
    out
}
