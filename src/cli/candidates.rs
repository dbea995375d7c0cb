//! What the shell's completion offers for a goal id and an agent name, read
//! when the Tab is pressed (see `completion.rs`).

use clap_complete::engine::CompletionCandidate;

/// The goals in the database (`GOALIE_DB`, else the default), newest first,
/// each with its state and objective as the help text.
pub fn goal_candidates() -> Vec<CompletionCandidate> {
    let db = std::env::var_os("GOALIE_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(crate::ledger::default_path);
    let Ok(ledger) = crate::ledger::Ledger::open_existing(&db) else {
        return Vec::new();
    };
    ledger
        .goals()
        .unwrap_or_default()
        .into_iter()
        .map(|goal| {
            let objective: String = goal.objective.chars().take(50).collect();
            CompletionCandidate::new(goal.id)
                .help(Some(format!("{}: {objective}", goal.state).into()))
        })
        .collect()
}

/// The adapters' names: the built-in ones and the user's overrides.
pub fn agent_candidates() -> Vec<CompletionCandidate> {
    crate::cli::doctor::adapter_names(crate::config_file::config_dir().as_deref())
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}
