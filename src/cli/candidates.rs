//! What the shell's completion offers for a goal id and an agent name, read
//! when the Tab is pressed (see `completion.rs`).

use clap_complete::engine::CompletionCandidate;

/// The goals in the database (the command line's `--db` being completed, else
/// `GOALIE_DB`, else the default), newest first,
/// each with its state and objective as the help text.
pub fn goal_candidates() -> Vec<CompletionCandidate> {
    let db = db_in(std::env::args())
        .or_else(|| std::env::var_os("GOALIE_DB").map(std::path::PathBuf::from))
        .unwrap_or_else(crate::ledger::default_path);
    let Ok(ledger) = crate::ledger::Ledger::open_read_only(&db) else {
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

/// The `--db PATH` (or `--db=PATH`) among the words being completed, which the
/// shell passes to goalie after its own `--`.
fn db_in(args: impl Iterator<Item = String>) -> Option<std::path::PathBuf> {
    let words: Vec<String> = args.skip_while(|word| word != "--").collect();
    words.iter().enumerate().find_map(|(i, word)| {
        if let Some(path) = word.strip_prefix("--db=") {
            return Some(path.into());
        }
        (word == "--db")
            .then(|| words.get(i + 1))
            .flatten()
            .filter(|path| !path.is_empty())
            .map(Into::into)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_db_being_completed_is_the_one_goals_come_from() {
        let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(
            db_in(words(&["goalie", "--", "goalie", "--db", "/x.db", "report", ""]).into_iter()),
            Some("/x.db".into())
        );
        assert_eq!(
            db_in(words(&["goalie", "--", "goalie", "report", "--db=/y.db", ""]).into_iter()),
            Some("/y.db".into())
        );
        assert_eq!(
            db_in(words(&["goalie", "--", "goalie", "report", ""]).into_iter()),
            None
        );
        // The word being completed is no path yet.
        assert_eq!(
            db_in(words(&["goalie", "--", "goalie", "--db", ""]).into_iter()),
            None
        );
    }
}
