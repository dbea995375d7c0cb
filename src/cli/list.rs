//! `goalie ls [--state STATE] [--here] [--all] [--json]`: the goals, newest
//! first, with their state, whether they run, their counters, when they were
//! made (local time), the working directory and the objective, sized to the
//! terminal. Archived goals (`goalie archive`) are left out unless `--all`.
//! `goalie archive GOAL [--undo]` writes the row that hides (or shows) one.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{goal_selector, local_time, status};
use crate::control::protocol::state_text;
use crate::core::row::{Row, RowKind};
use crate::error::Error;
use crate::goal::change::Refusal;
use crate::goal::lifecycle::GoalState;
use crate::goal::units::thousands;
use crate::ledger::{Goal, Ledger, LedgerError};

/// What `goalie ls` lists.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    pub json: bool,
    /// Only goals in this state.
    pub state: Option<GoalState>,
    /// Only goals whose working directory is the current one or above it.
    pub here: bool,
    /// Archived goals too.
    pub all: bool,
}

/// `goalie ls`.
pub fn list(db: &Path, options: &ListOptions) -> Result<i32, Error> {
    let ledger = match Ledger::open_read_only(db) {
        Ok(ledger) => Some(ledger),
        Err(LedgerError::Empty(_)) => None,
        Err(err) => return Err(err.into()),
    };
    let goals = match &ledger {
        Some(ledger) => ledger.goals()?,
        None => Vec::new(),
    };
    let here = canonical(
        &std::env::current_dir()
            .map_err(|err| Error::io("cannot read the current directory", err))?,
    );
    let mut rows: Vec<(Goal, bool, bool, bool)> = Vec::new();
    for goal in &goals {
        let archived = match &ledger {
            Some(ledger) => is_archived(ledger, &goal.id)?,
            None => false,
        };
        if archived && !options.all {
            continue;
        }
        if options.here && !here.starts_with(canonical(Path::new(&goal.workdir))) {
            continue;
        }
        let live = goal_selector::supervisor_alive(goal)
            .then(|| status::ask(goal))
            .flatten();
        let (merged, takeover) = status::merged(goal, live.as_ref());
        if options.state.is_some_and(|state| state != merged.state) {
            continue;
        }
        rows.push((merged, live.is_some(), takeover, archived));
    }
    let mut out = std::io::stdout().lock();
    if options.json {
        let all: Vec<_> = rows
            .iter()
            .map(|(goal, running, takeover, archived)| {
                let mut value = status::to_json(goal, *running, *takeover);
                value["archived"] = serde_json::json!(archived);
                value
            })
            .collect();
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&all).unwrap_or_default()
        );
        return Ok(0);
    }
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            if goals.is_empty() {
                "no goals yet (start one with `goalie run` or `goalie demo`)"
            } else {
                "no goal matches (`goalie ls --all` lists every goal)"
            }
        );
        return Ok(0);
    }
    let width = terminal_width();
    let tz = local_time::zone();
    let home = dirs::home_dir();
    let table: Vec<Line> = rows
        .iter()
        .map(|(goal, running, takeover, archived)| Line {
            id: goal.id.clone(),
            state: format!(
                "{}{}",
                state_text(goal.state, *takeover),
                if *archived { " (archived)" } else { "" }
            ),
            runs: match goal_selector::remote(goal) {
                Some(remote) => status::remote_text(&remote, |at| local_time::clock(at, &tz)),
                None if *running => "yes".into(),
                None => "no".into(),
            },
            turns: goal.turns.to_string(),
            tokens: thousands(goal.tokens_used),
            agent: goal.agent.clone(),
            created: local_time::local(&goal.created_at, &tz)
                .get(..16)
                .unwrap_or_default()
                .to_string(),
            workdir: tilde(&goal.workdir, home.as_deref()),
            objective: goal.objective.lines().next().unwrap_or("").to_string(),
        })
        .collect();
    for line in render(&table, width) {
        let _ = writeln!(out, "{line}");
    }
    Ok(0)
}

/// `goalie archive GOAL [--undo]`.
pub fn archive(db: &Path, id: &str, undo: bool) -> Result<i32, Error> {
    let ledger = Ledger::open_existing(db)?;
    let goal = ledger.goal(id)?;
    if goal_selector::supervisor_alive(&goal) {
        return Err(Refusal(format!(
            "goal {} runs: pause or clear it before archiving it",
            goal.id
        ))
        .into());
    }
    let archived = is_archived(&ledger, &goal.id)?;
    if archived != undo {
        println!(
            "goal {} is {}",
            goal.id,
            if undo {
                "not archived"
            } else {
                "already archived"
            }
        );
        return Ok(0);
    }
    ledger.append(
        &goal.id,
        &if undo {
            Row::Unarchived {}
        } else {
            Row::Archived {}
        },
    )?;
    println!(
        "goal {} {}",
        goal.id,
        if undo {
            "is listed again"
        } else {
            "archived: `goalie ls` leaves it out (`goalie ls --all` lists it; the ledger keeps it)"
        }
    );
    Ok(0)
}

/// Whether the goal's last archive row archived it.
fn is_archived(ledger: &Ledger, id: &str) -> Result<bool, Error> {
    let last = |kind| -> Result<i64, Error> {
        Ok(ledger
            .entries_after(id, kind, 0)?
            .last()
            .map(|e| e.seq)
            .unwrap_or(0))
    };
    Ok(last(RowKind::Archived)? > last(RowKind::Unarchived)?)
}

struct Line {
    id: String,
    state: String,
    runs: String,
    turns: String,
    tokens: String,
    agent: String,
    created: String,
    workdir: String,
    objective: String,
}

/// The table: every column as wide as its widest cell, the working directory
/// at most 32 columns (cut from the left, and narrower on a narrow terminal),
/// and the objective in what is left of `width` (all of it when there is no
/// terminal).
fn render(lines: &[Line], width: Option<usize>) -> Vec<String> {
    let wide = |header: &str, cell: &dyn Fn(&Line) -> &str| {
        lines
            .iter()
            .map(|l| cell(l).chars().count())
            .chain([header.len()])
            .max()
            .unwrap_or(0)
    };
    let w_id = wide("ID", &|l| &l.id);
    // As wide as the longest state text ("paused (taken over)" is 19).
    let w_state = wide("STATE", &|l| &l.state).max(18);
    // "yes", "no", or where a supervisor on another host is.
    let w_runs = wide("RUNS", &|l| &l.runs);
    let w_turns = wide("TURNS", &|l| &l.turns);
    let w_tokens = wide("TOKENS", &|l| &l.tokens);
    let w_agent = wide("AGENT", &|l| &l.agent);
    let w_created = wide("CREATED", &|l| &l.created);
    // The folder gives way (down to 10 columns) so the objective keeps 20.
    let fixed = w_id + w_state + w_runs + w_turns + w_tokens + w_agent + w_created + 7;
    let mut w_dir = wide("WORKDIR", &|l| &l.workdir).min(32);
    if let Some(width) = width
        && fixed + w_dir + 21 > width
    {
        w_dir = width.saturating_sub(fixed + 21).clamp(10, w_dir.max(10));
    }
    let row = |id: &str,
               state: &str,
               runs: &str,
               turns: &str,
               tokens: &str,
               agent: &str,
               created: &str,
               dir: &str| {
        format!(
            "{id:<w_id$} {state:<w_state$} {runs:<w_runs$} {turns:>w_turns$} {tokens:>w_tokens$} {agent:<w_agent$} {created:<w_created$} {:<w_dir$}",
            cut_left(dir, w_dir)
        )
    };
    let fit = |head: String, objective: &str| {
        let room = width.map(|w| w.saturating_sub(head.chars().count() + 1));
        match room {
            Some(room) if room < 10 => head.trim_end().to_string(),
            Some(room) => format!("{head} {}", cut_right(objective, room)),
            None => format!("{head} {objective}"),
        }
    };
    let mut out = vec![fit(
        row(
            "ID", "STATE", "RUNS", "TURNS", "TOKENS", "AGENT", "CREATED", "WORKDIR",
        ),
        "OBJECTIVE",
    )];
    for l in lines {
        out.push(fit(
            row(
                &l.id, &l.state, &l.runs, &l.turns, &l.tokens, &l.agent, &l.created, &l.workdir,
            ),
            &l.objective,
        ));
    }
    out
}

/// The terminal's width: the terminal on stdout, else `COLUMNS`, else none.
fn terminal_width() -> Option<usize> {
    crate::terminal::size()
        .map(|(_, cols)| usize::from(cols))
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .filter(|&cols| cols > 0)
}

fn cut_right(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        let kept: String = text.chars().take(chars.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

fn cut_left(text: &str, chars: usize) -> String {
    let count = text.chars().count();
    if count <= chars {
        text.to_string()
    } else {
        let kept: String = text.chars().skip(count - chars + 1).collect();
        format!("…{kept}")
    }
}

/// `/home/me/src/x` → `~/src/x`.
fn tilde(dir: &str, home: Option<&Path>) -> String {
    match home.and_then(|home| Path::new(dir).strip_prefix(home).ok()) {
        Some(rest) if rest.as_os_str().is_empty() => "~".into(),
        Some(rest) => format!("~/{}", rest.display()),
        None => dir.to_string(),
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, dir: &str, objective: &str) -> Line {
        Line {
            id: id.into(),
            state: "paused".into(),
            runs: "no".into(),
            turns: "3".into(),
            tokens: "1,000".into(),
            agent: "codex".into(),
            created: "2026-01-02 11:11".into(),
            workdir: dir.into(),
            objective: objective.into(),
        }
    }

    #[test]
    fn the_table_fits_the_terminal() {
        let lines = [
            line(
                "ab12cd34",
                "~/src/project",
                &"Make the parser pass ".repeat(10),
            ),
            line(
                "ef56gh78",
                "/a/very/long/path/that/goes/on/and/on/and/on",
                "short",
            ),
        ];
        let table = render(&lines, Some(120));
        for row in &table {
            assert!(row.chars().count() <= 120, "{row}");
        }
        assert!(
            table[0].starts_with(
                "ID       STATE              RUNS TURNS TOKENS AGENT CREATED          WORKDIR"
            ),
            "{}",
            table[0]
        );
        assert!(table[1].ends_with('…'), "{}", table[1]);
        assert!(
            table[2].contains(" …th/that/goes/on/and/on/and/on short"),
            "{}",
            table[2]
        );
        assert!(table[2].ends_with(" short"), "{}", table[2]);
        // Without a terminal, nothing is cut but the folder.
        let table = render(&lines, None);
        assert!(table[1].ends_with("Make the parser pass "), "{}", table[1]);
    }

    #[test]
    fn home_reads_as_a_tilde() {
        let home = Path::new("/home/me");
        assert_eq!(tilde("/home/me/src/x", Some(home)), "~/src/x");
        assert_eq!(tilde("/home/me", Some(home)), "~");
        assert_eq!(tilde("/srv/x", Some(home)), "/srv/x");
    }
}
