//! The errors a user can see, each with its exit code and, where one helps, a hint.

use crate::agent::adapter::AdapterError;
use crate::agent::home::HomeError;
use crate::agent::process::SpawnError;
use crate::agent::prompts::PromptError;
use crate::config_file::ConfigError;
use crate::control::ControlError;
use crate::goal::change::Refusal;
use crate::goal::exit_code;
use crate::goal::spec::SpecError;
use crate::ledger::LedgerError;
use crate::sim::ScenarioError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Adapter(#[from] AdapterError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The agent's private home for the run (its MCP registration).
    #[error("cannot register goalie mcp with the agent: {0}")]
    Home(#[from] HomeError),
    /// A control command the goal's state does not allow.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

/// The candidate nearest to a misspelt `name` (Jaro-Winkler, strsim), if
/// one is near enough to be what was meant.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The documented exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_)
            | Error::Adapter(_)
            | Error::Prompt(_)
            | Error::Scenario(_)
            | Error::Spec(
                SpecError::Invalid(_) | SpecError::Read { .. } | SpecError::Exists { .. },
            )
            | Error::Config(_)
            | Error::Home(HomeError::Settings(_) | HomeError::Variable { .. }) => exit_code::USAGE,
            Error::Spawn(SpawnError::NotFound { .. }) => exit_code::USAGE,
            Error::Ledger(LedgerError::NotFound(_) | LedgerError::Ambiguous { .. })
            | Error::Ledger(LedgerError::Empty(_))
            | Error::Ledger(LedgerError::ReadOnly { .. } | LedgerError::ReadOnlyNow) => {
                exit_code::USAGE
            }
            Error::Ledger(
                LedgerError::Full
                | LedgerError::Damaged { .. }
                | LedgerError::DamagedNow { .. }
                | LedgerError::Lost { .. },
            ) => exit_code::LEDGER,
            Error::Refused(_) => exit_code::REFUSED,
            Error::Spawn(_)
            | Error::Ledger(_)
            | Error::Control(_)
            | Error::Io { .. }
            | Error::Home(_)
            | Error::Spec(_) => exit_code::INTERNAL,
        }
    }

    /// A next step for the user, where there is an obvious one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Spawn(SpawnError::NotFound { .. }) => Some(
                "install the agent CLI, pass its path with an adapter file (--adapter FILE), or try `goalie demo`".into(),
            ),
            Error::Home(HomeError::Settings(_)) => Some(
                "the agent reads this settings file too: fix it (goalie copies it for the run and never writes it)".into(),
            ),
            Error::Ledger(LedgerError::Empty(_)) => {
                Some("start one with `goalie run` or `goalie demo`".into())
            }
            Error::Adapter(AdapterError::Unknown { name, known }) => {
                nearest(name, known.split(", ")).map(|near| format!("did you mean `{near}`?"))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_agent_name_suggests_the_nearest() {
        let known = "sim, codex, claude, gemini, opencode, aider";
        let hint = |name: &str| {
            Error::Adapter(AdapterError::Unknown {
                name: name.into(),
                known: known.into(),
            })
            .hint()
        };
        assert_eq!(hint("codx").as_deref(), Some("did you mean `codex`?"));
        assert_eq!(hint("cladue").as_deref(), Some("did you mean `claude`?"));
        assert_eq!(hint("gemeni").as_deref(), Some("did you mean `gemini`?"));
        assert_eq!(hint("opencod").as_deref(), Some("did you mean `opencode`?"));
        assert_eq!(hint("zzzzzz"), None);
    }
}
