//! The report as one self-contained HTML page (`goalie report --html FILE`):
//! the summary, a table with one row per turn, a chart of tokens and context
//! over the turns with the compactions marked (inline SVG), and the timeline
//! of every row. CSS, SVG and the one small script are inline: the page loads
//! nothing. The template is `report.html` beside this file (minijinja, which
//! escapes every value for HTML).

use minijinja::Environment;
use serde::Serialize;

use super::rows::render_at;
use crate::cli::local_time;
use crate::error::Error;
use crate::goal::units::{format_duration, thousands};
use crate::ledger::Entry;
use crate::ledger::report::GoalReport;

const TEMPLATE: &str = include_str!("report.html");

/// The chart's drawing area, in SVG user units.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 48.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 28.0;

/// The page of `report`, whose rows are `entries`.
pub fn page(report: &GoalReport, entries: &[Entry]) -> Result<String, Error> {
    let tz = local_time::zone();
    let timeline: Vec<TimelineRow> = entries
        .iter()
        .map(|entry| TimelineRow {
            at: local_time::local(&entry.at, &tz),
            kind: entry.kind.clone(),
            text: render_at(entry, "")
                .iter()
                .map(|line| line.trim())
                .collect::<Vec<_>>()
                .join("\n"),
        })
        .collect();
    let turns: Vec<TurnCells> = report
        .turns
        .iter()
        .map(|t| TurnCells {
            turn: t.turn,
            prompt: t.prompt.clone().unwrap_or_else(|| "-".into()),
            prompt_chars: t.prompt_chars,
            started: t
                .started_at
                .as_deref()
                .map(|at| local_time::clock(at, &tz))
                .unwrap_or_else(|| "-".into()),
            duration: t.duration_ms.map(format_duration).unwrap_or_default(),
            tokens: t.tokens.map(thousands).unwrap_or_default(),
            tokens_used: t.tokens_used.map(thousands).unwrap_or_default(),
            context: t
                .context_used_pct
                .map(|p| format!("{p}%"))
                .unwrap_or_default(),
            progress: t.progress.clone().unwrap_or_default(),
            outcome: t.outcome.clone(),
            compactions: t.compactions,
            events: t.events.join(", "),
        })
        .collect();
    let local = |at: &Option<String>| at.as_deref().map(|at| local_time::local(at, &tz));
    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)
        .map_err(|err| template_error(&err))?;
    let page = Page {
        report,
        state: report.summary.state.as_str(),
        limit: report.limit_sentence(),
        tokens: thousands(report.summary.tokens_used),
        time: format_duration(report.summary.time_used_ms),
        started: local(&report.goal.started_at),
        ended: local(&report.goal.ended_at),
        turns,
        chart: chart(report),
        timeline,
    };
    let page = env
        .get_template("report.html")
        .and_then(|template| template.render(minijinja::value::Serde(&page)))
        .map_err(|err| template_error(&err))?;
    Ok(page)
}

fn template_error(err: &minijinja::Error) -> Error {
    Error::io(
        "cannot draw the HTML report",
        std::io::Error::other(err.to_string()),
    )
}

/// What the template reads.
#[derive(Serialize)]
struct Page<'a> {
    report: &'a GoalReport,
    state: &'static str,
    limit: Option<String>,
    tokens: String,
    time: String,
    started: Option<String>,
    ended: Option<String>,
    turns: Vec<TurnCells>,
    chart: Chart,
    timeline: Vec<TimelineRow>,
}

#[derive(Serialize)]
struct TimelineRow {
    at: String,
    kind: String,
    text: String,
}

#[derive(Serialize)]
struct TurnCells {
    turn: u32,
    prompt: String,
    prompt_chars: Option<usize>,
    started: String,
    duration: String,
    tokens: String,
    tokens_used: String,
    context: String,
    progress: String,
    outcome: String,
    compactions: u32,
    events: String,
}

/// The chart, drawn: polylines' points, the compactions' x, the axes' labels.
#[derive(Serialize, Debug)]
struct Chart {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    tokens_points: String,
    context_points: String,
    /// Each turn's x and number (for the axis).
    ticks: Vec<(f64, u32)>,
    /// Each compaction's x and turn.
    compactions: Vec<(f64, u32)>,
    max_tokens: String,
}

fn chart(report: &GoalReport) -> Chart {
    let turns = &report.turns;
    let n = turns.len().max(1) as f64;
    let span = WIDTH - LEFT - RIGHT;
    let x = |i: usize| {
        if n <= 1.0 {
            LEFT + span / 2.0
        } else {
            LEFT + span * i as f64 / (n - 1.0)
        }
    };
    let plot = HEIGHT - TOP - BOTTOM;
    let max_tokens = turns
        .iter()
        .filter_map(|t| t.tokens_used)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let y = |share: f64| TOP + plot * (1.0 - share.clamp(0.0, 1.0));
    let points = |values: Vec<(usize, f64)>| {
        values
            .iter()
            .map(|(i, share)| format!("{:.1},{:.1}", x(*i), y(*share)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let tokens = turns
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.tokens_used.map(|used| (i, used as f64 / max_tokens)))
        .collect();
    let context = turns
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.context_used_pct.map(|pct| (i, f64::from(pct) / 100.0)))
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
        tokens_points: points(tokens),
        context_points: points(context),
        ticks: turns
            .iter()
            .enumerate()
            .map(|(i, t)| (x(i), t.turn))
            .collect(),
        compactions: turns
            .iter()
            .enumerate()
            .filter(|(_, t)| t.compactions > 0)
            .map(|(i, t)| (x(i), t.turn))
            .collect(),
        max_tokens: thousands(max_tokens as u64),
    }
}
