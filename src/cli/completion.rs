//! Shell completion and the man page. `goalie completions bash|zsh|fish`
//! prints a small script that registers goalie with the shell; at each Tab
//! the shell runs goalie with `GOALIE_COMPLETE` set (clap_complete's dynamic
//! completion, [`complete_if_asked`]), so the candidates always match this
//! binary's command line, and goal ids and adapter names come from the
//! database and the adapters as they are now (`candidates.rs`). `goalie man` prints the man
//! page (clap_mangen). `scripts/gen-docs` writes both into docs/, and a test
//! checks that those files are current.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};

use super::args::Cli;
use crate::error::Error;

/// The variable that asks goalie for completions instead of running a command.
pub const COMPLETE_VAR: &str = "GOALIE_COMPLETE";

/// Answers the shell and exits, when it asked for completions.
pub fn complete_if_asked() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(COMPLETE_VAR)
        .complete();
}

/// `goalie completions SHELL`: the script that registers goalie's completion.
pub fn completions(shell: &str) -> Result<i32, Error> {
    let completer: &dyn EnvCompleter = match shell {
        "bash" => &Bash,
        "zsh" => &Zsh,
        "fish" => &Fish,
        other => {
            return Err(Error::Usage(format!(
                "no completion for `{other}`: use bash, zsh or fish"
            )));
        }
    };
    let mut out = std::io::stdout().lock();
    completer
        .write_registration(COMPLETE_VAR, "goalie", "goalie", "goalie", &mut out)
        .map_err(|err| Error::io("cannot write the completion script", err))?;
    Ok(0)
}

/// `goalie man [--dir DIR]`: the man page, roff; with `dir`, every page
/// (goalie.1 and goalie-SUBCOMMAND.1, which it refers to) written there.
pub fn man(dir: Option<&std::path::Path>) -> Result<i32, Error> {
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .map_err(|err| Error::io(format!("cannot create {}", dir.display()), err))?;
        clap_mangen::generate_to(Cli::command(), dir)
            .map_err(|err| Error::io("cannot write the man pages", err))?;
        return Ok(0);
    }
    // As `generate_to` makes it: the `help` subcommand has no page of its own.
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(|err| Error::io("cannot write the man page", err))?;
    std::io::stdout()
        .lock()
        .write_all(&page)
        .map_err(|err| Error::io("cannot write the man page", err))?;
    Ok(0)
}
