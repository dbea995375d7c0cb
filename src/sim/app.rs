//! The simulated agent's state machine: start-up, idle, working turns.
//!
//! Time is passed in, so every behaviour can be tested without a terminal.

use crate::sim::claim;
use crate::sim::effects::Effects;
use crate::sim::handoff;
use crate::sim::input::Key;
use crate::sim::prompt::InputBox;
use crate::sim::scenario::Scenario;
use crate::sim::turn::Timeline;
use crate::sim::ui::{Status, View};
use std::time::{Duration, Instant};

pub(crate) const NO_CURSOR_REPLY: &str = "! terminal did not answer the cursor query";
pub(crate) const INTERRUPTED: &str = "■ Conversation interrupted";
pub(crate) const COMPACTED: &str = "• Context compacted";
pub(crate) const QUIT_COMMAND: &str = "/quit";

/// Exit code when the user quits.
const EXIT_OK: i32 = 0;
/// Exit code for the simulated crash after `exit_after_turns`.
const EXIT_CRASH: i32 = 1;

#[derive(Debug)]
enum Phase {
    /// `ESC[6n` was written; waiting for the reply until `deadline`.
    AwaitingCursor {
        deadline: Instant,
    },
    /// Nothing drawn yet; the first draw happens at `ready_at`.
    Starting {
        ready_at: Instant,
    },
    Idle,
    Working(ActiveTurn),
}

#[derive(Debug)]
struct ActiveTurn {
    number: u32,
    prompt: String,
    started: Instant,
    timeline: Timeline,
    compacted: bool,
    /// The spinner runs until the turn is interrupted.
    hang: bool,
    /// Whether a frame of this turn reached the screen (silence starts after that).
    drawn: bool,
    /// A line of output each second while it works: how many were written.
    stream: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct App {
    scenario: Scenario,
    phase: Phase,
    transcript: Vec<String>,
    input: InputBox,
    tokens: u64,
    context_used: u64,
    turns_started: u32,
    /// The prompt of the last finished turn (for the stale-nonce claim mode).
    previous_prompt: Option<String>,
    effects: Effects,
    /// The prompt it was started with (`goalie sim --prompt`): its first
    /// turn, begun as soon as it is ready, as a real agent's initial prompt.
    first_prompt: Option<String>,
    /// Pastes so far, and what the input row shows of the last one once its
    /// sign is due (`paste_sign_ms`).
    pastes: u32,
    paste_sign: Option<String>,
}

impl App {
    /// A new session whose process started at `now`.
    pub(crate) fn new(scenario: Scenario, now: Instant) -> Self {
        let phase = if scenario.cursor_query {
            Phase::AwaitingCursor {
                deadline: later(now, Duration::from_millis(scenario.cursor_query_timeout_ms)),
            }
        } else {
            Phase::Starting {
                ready_at: later(now, Duration::from_millis(scenario.startup_ms)),
            }
        };
        App {
            input: InputBox::new(Duration::from_millis(
                scenario.drop_fast_enter_ms.max(scenario.paste_sign_ms),
            )),
            transcript: vec![format!("  scenario: {}", scenario.name)],
            effects: Effects::new(scenario.input_log.as_ref()),
            scenario,
            phase,
            tokens: 0,
            context_used: 0,
            turns_started: 0,
            previous_prompt: None,
            first_prompt: None,
            pastes: 0,
            paste_sign: None,
        }
    }

    /// The same, started with `prompt` as its first turn's.
    pub(crate) fn with_first_prompt(mut self, prompt: Option<String>) -> Self {
        self.first_prompt = prompt;
        self
    }

    /// True until the terminal answered the cursor query (or the wait timed out).
    pub(crate) fn awaiting_cursor(&self) -> bool {
        matches!(self.phase, Phase::AwaitingCursor { .. })
    }

    /// Applies a key; returns the exit code if the session ends.
    pub(crate) fn handle(&mut self, key: Key, now: Instant) -> Option<i32> {
        if let Phase::Working(turn) = &self.phase {
            let what = match &key {
                Key::Text(_) => Some("text"),
                Key::Paste(_) => Some("paste"),
                Key::Enter => Some("enter"),
                Key::Backspace => Some("backspace"),
                _ => None,
            };
            if let Some(what) = what {
                self.effects.input_while_working(turn.number, what);
            }
        }
        match key {
            Key::CursorReport { .. } => {
                if self.awaiting_cursor() {
                    self.phase = self.starting(now);
                }
            }
            Key::Paste(text) if self.scenario.paste_sign_ms > 0 => {
                self.input.insert(&text, now);
                self.pastes = self.pastes.saturating_add(1);
                self.paste_sign = None;
            }
            Key::Text(text) | Key::Paste(text) => self.input.insert(&text, now),
            Key::Backspace => self.input.backspace(),
            Key::Enter => return self.enter(now),
            Key::CtrlD if self.input.is_empty() => return Some(EXIT_OK),
            Key::CtrlD => {}
            Key::CtrlC if self.is_working() => self.interrupt(),
            Key::CtrlC => return Some(EXIT_OK),
            Key::Esc if self.is_working() => self.interrupt(),
            Key::Esc => {}
        }
        None
    }

    /// Advances time; returns the exit code if the session ends.
    pub(crate) fn tick(&mut self, now: Instant) -> Option<i32> {
        self.draw_paste_sign(now);
        if let Phase::Working(turn) = &self.phase
            && let Some(line) = turn.stream
            && line < now.saturating_duration_since(turn.started).as_secs()
            && !self.is_quiet(now)
        {
            self.stream_line(line + 1);
        }
        match &self.phase {
            Phase::AwaitingCursor { deadline } if now >= *deadline => {
                self.push_entry(vec![NO_CURSOR_REPLY.to_string()]);
                self.phase = self.starting(now);
            }
            Phase::Starting { ready_at } if now >= *ready_at => {
                self.phase = Phase::Idle;
                if let Some(prompt) = self.first_prompt.take() {
                    self.start_turn(prompt, now);
                }
            }
            Phase::Working(turn) => {
                let t = now.saturating_duration_since(turn.started);
                let compaction_due =
                    !turn.compacted && turn.timeline.compaction_end().is_some_and(|end| t >= end);
                let done = !turn.hang && t >= turn.timeline.end();
                if compaction_due {
                    self.compact();
                }
                if done {
                    return self.finish_turn(now);
                }
            }
            _ => {}
        }
        None
    }

    /// When [`App::tick`] next has something to do (or the screen changes).
    pub(crate) fn next_wakeup(&self, now: Instant) -> Option<Instant> {
        match &self.phase {
            Phase::AwaitingCursor { deadline } => Some(*deadline),
            Phase::Starting { ready_at } => Some(*ready_at),
            Phase::Idle => None,
            Phase::Working(turn) => {
                let t = now.saturating_duration_since(turn.started);
                let spin = self.spinner_period();
                let frames = frame_index(t, spin).saturating_add(1);
                let next_frame =
                    Duration::from_millis(self.scenario.spinner_ms.max(1).saturating_mul(frames));
                let next_second = Duration::from_secs(t.as_secs() + 1);
                let mut next = next_frame.min(next_second);
                if let Some(boundary) = turn.timeline.next_boundary(t) {
                    next = next.min(boundary);
                }
                Some(later(turn.started, next))
            }
        }
    }

    /// True when nothing may be written to the terminal: before the first draw
    /// and during a turn's silent stretch.
    pub(crate) fn is_quiet(&self, now: Instant) -> bool {
        match &self.phase {
            Phase::AwaitingCursor { .. } | Phase::Starting { .. } => true,
            Phase::Idle => false,
            Phase::Working(turn) => {
                turn.drawn
                    && turn
                        .timeline
                        .is_silent(now.saturating_duration_since(turn.started))
            }
        }
    }

    /// Records that the current state reached the screen.
    pub(crate) fn mark_drawn(&mut self) {
        if let Phase::Working(turn) = &mut self.phase {
            turn.drawn = true;
        }
    }

    /// What the screen shows at `now`.
    pub(crate) fn view(&self, now: Instant) -> View<'_> {
        let status = match &self.phase {
            Phase::Working(turn) => {
                let t = now.saturating_duration_since(turn.started);
                Status::Busy {
                    activity: turn.timeline.activity(t),
                    frame: frame_index(t, self.spinner_period()),
                    secs: t.as_secs(),
                }
            }
            _ => Status::Idle,
        };
        View {
            transcript: &self.transcript,
            status,
            input: match (self.scenario.paste_sign_ms, &self.paste_sign) {
                (0, _) => self.input.text(),
                (_, Some(sign)) if !self.input.is_empty() => sign,
                _ => "",
            },
            tokens: self.tokens,
            context_left_pct: self.context_left_pct(),
        }
    }

    fn is_working(&self) -> bool {
        matches!(self.phase, Phase::Working(_))
    }

    fn starting(&self, now: Instant) -> Phase {
        Phase::Starting {
            ready_at: later(now, Duration::from_millis(self.scenario.startup_ms)),
        }
    }

    fn spinner_period(&self) -> Duration {
        Duration::from_millis(self.scenario.spinner_ms.max(1))
    }

    fn enter(&mut self, now: Instant) -> Option<i32> {
        if !matches!(self.phase, Phase::Idle) {
            return None;
        }
        let had_text = !self.input.text().trim().is_empty();
        let Some(prompt) = self.input.enter(now) else {
            if had_text {
                self.effects.enter_dropped();
            }
            return None;
        };
        self.paste_sign = None;
        if prompt.trim() == QUIT_COMMAND {
            return Some(EXIT_OK);
        }
        self.start_turn(prompt, now);
        None
    }

    /// With `paste_sign_ms`: the last paste's sign, once it is due.
    fn draw_paste_sign(&mut self, now: Instant) {
        let due = Duration::from_millis(self.scenario.paste_sign_ms);
        if due.is_zero() || self.paste_sign.is_some() || self.input.is_empty() {
            return;
        }
        if self.input.since_text(now).is_some_and(|since| since >= due) {
            let lines = self.input.text().lines().count();
            self.paste_sign = Some(format!("[Pasted text #{} +{lines} lines]", self.pastes));
        }
    }

    fn start_turn(&mut self, prompt: String, now: Instant) {
        self.turns_started = self.turns_started.saturating_add(1);
        let number = self.turns_started;
        self.push_entry(claim::entry("› ", &prompt));
        let turn = self.scenario.turn_with_compactions(number);
        self.effects.turn_started(number, turn.cpu);
        self.phase = Phase::Working(ActiveTurn {
            number,
            timeline: Timeline::new(&turn),
            prompt,
            started: now,
            compacted: false,
            hang: turn.hang,
            drawn: false,
            stream: turn.stream.then_some(0),
        });
    }

    /// Line `n` of a streaming turn's output.
    fn stream_line(&mut self, n: u64) {
        if let Phase::Working(turn) = &mut self.phase {
            turn.stream = Some(n);
        }
        self.transcript.push(format!("  streamed line {n}"));
    }

    fn interrupt(&mut self) {
        if let Phase::Working(turn) = &self.phase {
            self.effects.turn_ended(turn.number, "interrupted");
        }
        self.phase = Phase::Idle;
        self.push_entry(vec![INTERRUPTED.to_string()]);
    }

    fn compact(&mut self) {
        if let Phase::Working(turn) = &mut self.phase {
            turn.compacted = true;
        }
        let window = u128::from(self.scenario.context_window);
        let kept = window * u128::from(self.scenario.after_compaction_pct.min(100)) / 100;
        self.context_used = u64::try_from(kept).unwrap_or(u64::MAX);
        self.push_entry(vec![COMPACTED.to_string()]);
    }

    fn finish_turn(&mut self, now: Instant) -> Option<i32> {
        let Phase::Working(turn) = std::mem::replace(&mut self.phase, Phase::Idle) else {
            return None;
        };
        self.effects.turn_ended(turn.number, "finished");
        if let Some(command) = self.scenario.turn(turn.number).run {
            // The scenario's "work": a real command in the working directory.
            let _ = std::process::Command::new("sh")
                .arg("-c")
                .arg(&command)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
        let mut lines = claim::reply_lines(
            &self.scenario,
            turn.number,
            &turn.prompt,
            self.previous_prompt.as_deref(),
        );
        if let Some(file) = handoff::requested_file(&turn.prompt) {
            let reply = self.scenario.turn(turn.number).reply;
            if let Err(err) = handoff::write(file, &handoff::note(turn.number, &reply)) {
                lines.push(format!("! cannot write the handoff note {file}: {err}"));
            } else {
                lines.push(format!("• Wrote the handoff note to {file}"));
            }
        }
        self.previous_prompt = Some(turn.prompt.clone());
        let worked = now.saturating_duration_since(turn.started).as_secs();
        lines.push(format!("  Worked for {worked}s"));
        self.push_entry(lines);
        let tokens = self.scenario.turn(turn.number).tokens;
        self.tokens = self.tokens.saturating_add(tokens);
        self.context_used = self
            .context_used
            .saturating_add(tokens)
            .min(self.scenario.context_window);
        let crash = self
            .scenario
            .exit_after_turns
            .is_some_and(|n| turn.number >= n);
        crash.then_some(EXIT_CRASH)
    }

    /// Adds transcript lines, separated from the previous entry by a blank line.
    fn push_entry(&mut self, lines: Vec<String>) {
        if !self.transcript.is_empty() {
            self.transcript.push(String::new());
        }
        self.transcript.extend(lines);
    }

    fn context_left_pct(&self) -> u64 {
        let window = u128::from(self.scenario.context_window.max(1));
        let used = u128::from(self.context_used).min(window);
        u64::try_from((window - used) * 100 / window).unwrap_or(0)
    }
}

/// `at + delay`, saturating at a far future for absurd scenario values.
fn later(at: Instant, delay: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    at.checked_add(delay.min(FAR)).unwrap_or(at)
}

/// Which spinner frame shows `t` into a turn.
fn frame_index(t: Duration, period: Duration) -> u64 {
    let index = t.as_millis() / period.as_millis().max(1);
    u64::try_from(index).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::{ClaimMode, Turn};
    use crate::sim::turn::Activity;

    const MS: Duration = Duration::from_millis(1);

    fn scenario() -> Scenario {
        Scenario {
            cursor_query: false,
            startup_ms: 0,
            claim_after_turns: Some(1),
            turns: vec![Turn {
                work_ms: 1000,
                tokens: 5000,
                reply: "Done.".to_string(),
                ..Turn::default()
            }],
            ..Scenario::default()
        }
    }

    /// A started, idle app.
    fn idle(s: Scenario, t0: Instant) -> App {
        let mut app = App::new(s, t0);
        assert_eq!(app.tick(t0), None);
        app
    }

    fn submit(app: &mut App, text: &str, now: Instant) -> Option<i32> {
        assert_eq!(app.handle(Key::Paste(text.to_string()), now), None);
        app.handle(Key::Enter, now + 1000 * MS)
    }

    fn status(app: &App, now: Instant) -> Status {
        app.view(now).status
    }

    #[test]
    fn a_streaming_turn_writes_a_line_each_second_it_works() {
        let t0 = Instant::now();
        let mut s = scenario();
        s.turns[0].work_ms = 3500;
        s.turns[0].stream = true;
        let mut app = idle(s, t0);
        assert_eq!(submit(&mut app, "Go.", t0), None);
        let start = t0 + 1000 * MS;
        let streamed = |app: &App| {
            app.transcript
                .iter()
                .filter(|l| l.contains("streamed line"))
                .count()
        };
        app.tick(start + 999 * MS);
        assert_eq!(streamed(&app), 0);
        app.tick(start + 1000 * MS);
        app.tick(start + 1500 * MS);
        assert_eq!(streamed(&app), 1);
        app.tick(start + 2000 * MS);
        app.tick(start + 3000 * MS);
        assert_eq!(streamed(&app), 3);
        app.tick(start + 3500 * MS);
        assert!(!app.is_working());
        assert_eq!(streamed(&app), 3);
    }

    #[test]
    fn full_turn_with_claim() {
        let t0 = Instant::now();
        let mut app = idle(scenario(), t0);
        assert_eq!(submit(&mut app, "Go.\nclaim nonce: abc123", t0), None);
        let start = t0 + 1000 * MS;
        assert!(
            app.transcript
                .ends_with(&["› Go.".to_string(), "  claim nonce: abc123".to_string()])
        );
        assert!(matches!(
            status(&app, start + 250 * MS),
            Status::Busy {
                activity: Activity::Working,
                frame: 2,
                secs: 0
            }
        ));
        assert_eq!(app.tick(start + 999 * MS), None);
        assert!(app.is_working());
        assert_eq!(app.tick(start + 1000 * MS), None);
        assert_eq!(status(&app, start + 1000 * MS), Status::Idle);
        let tail: Vec<&str> = app
            .transcript
            .iter()
            .rev()
            .take(5)
            .map(String::as_str)
            .collect();
        assert_eq!(
            tail,
            [
                "  Worked for 1s",
                "  GOALIE-END abc123",
                "  - the objective: ran the verify commands; they pass",
                "  GOALIE-CLAIM abc123 complete",
                "• Done."
            ]
        );
        let view = app.view(start + 1000 * MS);
        assert_eq!(view.tokens, 5000);
        assert_eq!(view.context_left_pct, 97);
    }

    #[test]
    fn quitting() {
        let t0 = Instant::now();
        let mut app = idle(scenario(), t0);
        assert_eq!(submit(&mut app, "/quit", t0), Some(0));
        let mut app = idle(scenario(), t0);
        assert_eq!(app.handle(Key::CtrlD, t0), Some(0));
        let mut app = idle(scenario(), t0);
        app.handle(Key::Text("x".into()), t0);
        assert_eq!(app.handle(Key::CtrlD, t0), None);
        assert_eq!(app.handle(Key::CtrlC, t0), Some(0));
    }

    #[test]
    fn esc_interrupts_and_keys_are_buffered_while_working() {
        let t0 = Instant::now();
        let mut app = idle(scenario(), t0);
        submit(&mut app, "work", t0);
        app.handle(Key::Text("next".into()), t0 + 1100 * MS);
        assert_eq!(app.handle(Key::Enter, t0 + 1200 * MS), None);
        assert!(app.is_working());
        assert_eq!(app.input.text(), "next");
        app.handle(Key::Esc, t0 + 1300 * MS);
        assert!(!app.is_working());
        assert_eq!(app.transcript.last().map(String::as_str), Some(INTERRUPTED));
        assert_eq!(app.view(t0).tokens, 0);
        // Now idle, the buffered text submits.
        assert_eq!(app.handle(Key::Enter, t0 + 1400 * MS), None);
        assert!(app.is_working());
        assert_eq!(
            app.handle(Key::CtrlC, t0 + 1500 * MS),
            None,
            "Ctrl-C interrupts a turn"
        );
        assert!(!app.is_working());
    }

    #[test]
    fn cursor_query_reply_or_timeout() {
        let t0 = Instant::now();
        let s = Scenario {
            cursor_query: true,
            cursor_query_timeout_ms: 3000,
            ..scenario()
        };
        let mut app = App::new(s.clone(), t0);
        assert!(app.is_quiet(t0));
        app.handle(Key::CursorReport { row: 1, col: 1 }, t0 + 10 * MS);
        assert_eq!(app.tick(t0 + 10 * MS), None);
        assert!(!app.is_quiet(t0 + 10 * MS));
        assert!(app.transcript.iter().all(|l| l != NO_CURSOR_REPLY));

        let mut app = App::new(s, t0);
        app.tick(t0 + 2999 * MS);
        assert!(app.awaiting_cursor());
        app.tick(t0 + 3000 * MS);
        assert_eq!(
            app.transcript.last().map(String::as_str),
            Some(NO_CURSOR_REPLY)
        );
    }

    #[test]
    fn silence_starts_after_the_first_frame() {
        let t0 = Instant::now();
        let s = Scenario {
            turns: vec![Turn {
                work_ms: 1000,
                silent_ms: 500,
                ..Turn::default()
            }],
            ..scenario()
        };
        let mut app = idle(s, t0);
        submit(&mut app, "x", t0);
        let start = t0 + 1000 * MS;
        assert!(!app.is_quiet(start), "the echo and spinner are drawn first");
        app.mark_drawn();
        assert!(app.is_quiet(start + 100 * MS));
        assert!(!app.is_quiet(start + 500 * MS));
    }

    #[test]
    fn compaction_resets_context() {
        let t0 = Instant::now();
        let s = Scenario {
            turns: vec![Turn {
                work_ms: 1000,
                compact: true,
                compact_ms: 400,
                tokens: 10_000,
                ..Turn::default()
            }],
            claim_after_turns: None,
            ..scenario()
        };
        let mut app = idle(s, t0);
        submit(&mut app, "x", t0);
        let start = t0 + 1000 * MS;
        assert!(matches!(
            status(&app, start + 600 * MS),
            Status::Busy {
                activity: Activity::Compacting,
                ..
            }
        ));
        app.tick(start + 900 * MS);
        assert_eq!(app.transcript.last().map(String::as_str), Some(COMPACTED));
        assert_eq!(app.view(start).context_left_pct, 80);
        app.tick(start + 1400 * MS);
        assert_eq!(app.view(start).context_left_pct, 75);
    }

    #[test]
    fn crash_after_turns() {
        let t0 = Instant::now();
        let s = Scenario {
            exit_after_turns: Some(2),
            ..scenario()
        };
        let mut app = idle(s, t0);
        submit(&mut app, "a", t0);
        assert_eq!(app.tick(t0 + 5000 * MS), None);
        submit(&mut app, "b", t0 + 5000 * MS);
        assert_eq!(app.tick(t0 + 10_000 * MS), Some(1));
    }

    #[test]
    fn echo_mode_parrots() {
        let t0 = Instant::now();
        let s = Scenario {
            claim_mode: ClaimMode::Echo,
            ..scenario()
        };
        let mut app = idle(s, t0);
        submit(&mut app, "say it\nclaim nonce: zz", t0);
        app.tick(t0 + 5000 * MS);
        assert!(app.transcript.contains(&"• say it".to_string()));
        assert!(!app.transcript.iter().any(|l| l.contains("GOALIE-CLAIM")));
    }

    #[test]
    fn absurd_durations_do_not_panic() {
        let t0 = Instant::now();
        let s = Scenario {
            cursor_query_timeout_ms: u64::MAX,
            startup_ms: u64::MAX,
            spinner_ms: u64::MAX,
            turns: vec![Turn {
                work_ms: u64::MAX,
                silent_at_ms: u64::MAX,
                silent_ms: u64::MAX,
                compact: true,
                compact_ms: u64::MAX,
                tokens: u64::MAX,
                ..Turn::default()
            }],
            ..scenario()
        };
        let mut app = App::new(s.clone(), t0);
        assert!(app.next_wakeup(t0).is_some());
        app.handle(Key::CursorReport { row: 1, col: 1 }, t0);
        let mut app = App::new(
            Scenario {
                cursor_query: false,
                ..s
            },
            t0,
        );
        app.phase = Phase::Idle;
        submit(&mut app, "x", t0);
        assert!(app.next_wakeup(t0 + 2000 * MS).is_some());
        assert_eq!(app.tick(t0 + 5000 * MS), None);
        let _ = app.view(t0 + 5000 * MS);
    }

    #[test]
    fn context_is_capped() {
        let t0 = Instant::now();
        let s = Scenario {
            context_window: 3000,
            ..scenario()
        };
        let mut app = idle(s, t0);
        submit(&mut app, "a", t0);
        app.tick(t0 + 5000 * MS);
        let view = app.view(t0);
        assert_eq!((view.tokens, view.context_left_pct), (5000, 0));
    }
}
