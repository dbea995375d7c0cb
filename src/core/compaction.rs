//! Context compactions, merged from every source the adapter has into one
//! `compacted` ledger row each. Pure: reports and gauge readings in, rows out.
//!
//! Sources, from the most exact: the agent's session log (a `compacted` record),
//! the screen (a compaction banner that held for a moment), and the context gauge
//! (its share of the window in use falling by [`GAUGE_DROP_PCT`] points or more
//! between two readings).
//!
//! The dedupe rule: a compaction is an *episode* that opens at its first report.
//! A report from a source joins the oldest open episode that source has not yet
//! reported; otherwise it opens a new one (a source never reports one compaction
//! twice, so a second report from it is a second compaction). While the agent's
//! session log is being read, only the log opens episodes: it is exact, and the
//! screen and the gauge only join its episodes (a TUI that clears and redraws
//! its screen could otherwise show an old banner as a new one). An episode
//! closes, and becomes its ledger row, once every source the adapter has has
//! reported it or [`MERGE_WINDOW_MS`] after it opened, whichever is first.

use serde::{Deserialize, Serialize};

/// Where a compaction was seen, from the most exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    SessionLog,
    Screen,
    Gauge,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::SessionLog => "session_log",
            Source::Screen => "screen",
            Source::Gauge => "gauge",
        }
    }
}

/// One compaction, merged from every source that saw it (the data of a `compacted` ledger row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compacted {
    /// The goal's compactions so far, this one included.
    pub compaction: u32,
    /// The most exact source that saw it, then all of them.
    pub source: Source,
    pub sources: Vec<Source>,
    pub turn: u32,
    pub during: During,
    /// The context's size (tokens) and the gauge (percent) before and after.
    pub context_before: Option<u64>,
    pub context_after: Option<u64>,
    pub context_used_pct_before: Option<u8>,
    pub context_used_pct_after: Option<u8>,
}

/// When a compaction happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum During {
    Turn,
    BetweenTurns,
}

/// How long reports of other sources may join an episode.
pub const MERGE_WINDOW_MS: u64 = 5000;
/// A fall of the gauge (percent of the window in use) this large between two
/// readings is a compaction.
pub const GAUGE_DROP_PCT: u8 = 20;

/// A reading of the context gauge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Percent of the window in use.
    pub used_pct: Option<u8>,
    /// Tokens in the context, when the session log says.
    pub tokens: Option<u64>,
}

/// When the compaction happened, as the supervisor saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub now_ms: u64,
    /// The turn under way (or the next one, between turns).
    pub turn: u32,
    /// The agent was on a turn goalie started (else between turns).
    pub mid_turn: bool,
}

#[derive(Debug, Clone)]
struct Episode {
    number: u32,
    opened: Moment,
    sources: Vec<Source>,
    /// The context size before, as the session log said it.
    log_before: Option<u64>,
    before: Option<Reading>,
    after: Option<Reading>,
}

/// The compactions of one run.
#[derive(Debug, Clone)]
pub struct Compactions {
    /// The sources the adapter has.
    sources: Vec<Source>,
    open: Vec<Episode>,
    /// Compactions seen in this run (episodes opened).
    count: u32,
    /// Compactions recorded before this run.
    prior: u32,
    last_reading: Option<Reading>,
    /// The session log is being read: only it opens episodes.
    log_active: bool,
}

impl Compactions {
    pub fn new(sources: Vec<Source>, prior: u32) -> Compactions {
        Compactions {
            sources,
            open: Vec::new(),
            count: 0,
            prior,
            last_reading: None,
            log_active: false,
        }
    }

    /// The agent's session log said something: from now on it alone opens episodes.
    pub fn log_active(&mut self) {
        self.log_active = true;
    }

    /// Compactions of the goal so far (earlier runs included).
    pub fn total(&self) -> u32 {
        self.prior + self.count
    }

    /// A source reports a compaction; `true` when it is a new one.
    pub fn report(&mut self, at: Moment, source: Source, log_before: Option<u64>) -> bool {
        if let Some(episode) = self
            .open
            .iter_mut()
            .find(|episode| !episode.sources.contains(&source))
        {
            episode.sources.push(source);
            episode.log_before = episode.log_before.or(log_before);
            return false;
        }
        if self.log_active && source != Source::SessionLog {
            return false;
        }
        self.count += 1;
        self.open.push(Episode {
            number: self.total(),
            opened: at,
            sources: vec![source],
            log_before,
            before: self.last_reading,
            after: None,
        });
        true
    }

    /// A new gauge reading; `true` when its fall shows a new compaction.
    pub fn reading(&mut self, at: Moment, reading: Reading) -> bool {
        let previous = self.last_reading.replace(reading);
        if previous == Some(reading) {
            return false;
        }
        for episode in &mut self.open {
            if episode.after.is_none() && episode.before != Some(reading) {
                episode.after = Some(reading);
            }
        }
        let fell = match (previous.and_then(|p| p.used_pct), reading.used_pct) {
            (Some(before), Some(now)) => before >= now.saturating_add(GAUGE_DROP_PCT),
            _ => false,
        };
        if !fell || !self.sources.contains(&Source::Gauge) {
            return false;
        }
        let new = self.report(at, Source::Gauge, None);
        if new && let Some(episode) = self.open.last_mut() {
            episode.before = previous;
            episode.after = Some(reading);
        }
        new
    }

    /// The rows of the episodes that closed by `now_ms`.
    pub fn close_due(&mut self, now_ms: u64) -> Vec<Compacted> {
        let sources = self.sources.clone();
        let (done, open): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.open)
                .into_iter()
                .partition(|episode| {
                    now_ms.saturating_sub(episode.opened.now_ms) >= MERGE_WINDOW_MS
                        || sources.iter().all(|s| episode.sources.contains(s))
                });
        self.open = open;
        done.iter().map(row).collect()
    }

    /// Whether an episode is open (a later tick may close it).
    pub fn any_open(&self) -> bool {
        !self.open.is_empty()
    }

    /// The rows of every open episode (the run ends, or the agent process does).
    pub fn close_all(&mut self) -> Vec<Compacted> {
        std::mem::take(&mut self.open).iter().map(row).collect()
    }

    /// A new agent process: its gauge starts again.
    pub fn new_process(&mut self) {
        self.last_reading = None;
        self.log_active = false;
    }
}

fn row(episode: &Episode) -> Compacted {
    let mut sources = episode.sources.clone();
    sources.sort();
    let tokens = |reading: Option<Reading>| reading.and_then(|r| r.tokens);
    let pct = |reading: Option<Reading>| reading.and_then(|r| r.used_pct);
    Compacted {
        compaction: episode.number,
        // The most exact source that saw it, then all of them.
        source: sources[0],
        sources,
        turn: episode.opened.turn,
        during: if episode.opened.mid_turn {
            During::Turn
        } else {
            During::BetweenTurns
        },
        context_before: episode.log_before.or(tokens(episode.before)),
        context_after: tokens(episode.after),
        context_used_pct_before: pct(episode.before),
        context_used_pct_after: pct(episode.after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The rows as the ledger stores their data.
    fn json(rows: Vec<Compacted>) -> Vec<Value> {
        rows.iter()
            .map(|row| serde_json::to_value(row).unwrap())
            .collect()
    }

    fn at(now_ms: u64) -> Moment {
        Moment {
            now_ms,
            turn: 3,
            mid_turn: true,
        }
    }

    fn pct(used: u8) -> Reading {
        Reading {
            used_pct: Some(used),
            tokens: None,
        }
    }

    #[test]
    fn the_log_and_the_banner_of_one_compaction_are_one_row() {
        let mut c = Compactions::new(vec![Source::SessionLog, Source::Screen], 0);
        assert!(c.report(at(100), Source::Screen, None));
        assert!(
            json(c.close_due(200)).is_empty(),
            "the log has not said yet"
        );
        assert!(!c.report(at(900), Source::SessionLog, Some(170_000)));
        let rows = json(c.close_due(900));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["source"], "session_log");
        assert_eq!(rows[0]["sources"], json!(["session_log", "screen"]));
        assert_eq!(rows[0]["context_before"], 170_000);
        assert_eq!(rows[0]["during"], "turn");
        assert_eq!(c.total(), 1);
    }

    #[test]
    fn two_compactions_in_a_burst_are_two_rows_whatever_the_order() {
        let mut c = Compactions::new(vec![Source::SessionLog, Source::Screen], 4);
        assert!(c.report(at(100), Source::SessionLog, None));
        assert!(c.report(at(200), Source::SessionLog, None));
        assert!(!c.report(at(300), Source::Screen, None));
        assert!(!c.report(at(400), Source::Screen, None));
        let rows = json(c.close_due(400));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["compaction"], 5);
        assert_eq!(rows[1]["compaction"], 6);
        assert_eq!(c.total(), 6);
    }

    #[test]
    fn while_the_log_is_read_the_screen_only_joins_its_compactions() {
        let mut c = Compactions::new(vec![Source::SessionLog, Source::Screen], 0);
        c.log_active();
        assert!(
            !c.report(at(100), Source::Screen, None),
            "no log report to join"
        );
        assert!(json(c.close_due(10_000)).is_empty());
        assert!(c.report(at(20_000), Source::SessionLog, None));
        assert!(!c.report(at(20_100), Source::Screen, None));
        assert_eq!(
            json(c.close_due(20_100))[0]["sources"],
            json!(["session_log", "screen"])
        );
        assert_eq!(c.total(), 1);
    }

    #[test]
    fn a_source_alone_closes_after_the_window() {
        let mut c = Compactions::new(vec![Source::SessionLog, Source::Screen], 0);
        assert!(c.report(at(100), Source::Screen, None));
        assert!(json(c.close_due(100 + MERGE_WINDOW_MS - 1)).is_empty());
        let rows = json(c.close_due(100 + MERGE_WINDOW_MS));
        assert_eq!(rows[0]["sources"], json!(["screen"]));
        // A later log report is a new compaction.
        assert!(c.report(at(10_000), Source::SessionLog, None));
    }

    #[test]
    fn a_sudden_gauge_drop_is_a_compaction_with_its_figures() {
        let mut c = Compactions::new(vec![Source::Screen, Source::Gauge], 0);
        assert!(!c.reading(at(0), pct(40)));
        assert!(!c.reading(at(10), pct(75)));
        assert!(
            !c.reading(at(20), pct(60)),
            "a fall of 15 points is not sudden"
        );
        assert!(c.reading(at(30), pct(20)));
        assert!(
            !c.report(at(40), Source::Screen, None),
            "the banner joins it"
        );
        let rows = json(c.close_due(40));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["source"], "screen");
        assert_eq!(rows[0]["sources"], json!(["screen", "gauge"]));
        assert_eq!(rows[0]["context_used_pct_before"], 60);
        assert_eq!(rows[0]["context_used_pct_after"], 20);
    }

    #[test]
    fn a_gauge_the_adapter_does_not_count_reports_nothing() {
        let mut c = Compactions::new(vec![Source::Screen], 0);
        c.reading(at(0), pct(90));
        assert!(!c.reading(at(10), pct(10)));
        assert!(c.report(at(20), Source::Screen, None));
        let rows = json(c.close_due(20));
        assert_eq!(rows[0]["context_used_pct_before"], 10);
    }

    #[test]
    fn the_reading_after_a_log_report_is_its_after_figure() {
        let mut c = Compactions::new(vec![Source::SessionLog], 0);
        let tokens = |t| Reading {
            used_pct: Some(50),
            tokens: Some(t),
        };
        c.reading(at(0), tokens(120_000));
        assert!(c.report(at(10), Source::SessionLog, None));
        c.reading(at(20), tokens(9_000));
        let rows = json(c.close_all());
        assert_eq!(rows[0]["context_before"], 120_000);
        assert_eq!(rows[0]["context_after"], 9_000);
    }
}
