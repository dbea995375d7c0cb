//! The event loop: reads keys, advances time, draws.

use crate::sim::app::App;
use crate::sim::input::Parser;
use crate::sim::scenario::Scenario;
use crate::sim::screen::Screen;
use crate::sim::signals::Signals;
use crate::sim::term::{self, Terminal, Wait};
use crate::sim::ui;
use std::io::{self, Write};
use std::time::{Duration, Instant};

const CURSOR_QUERY: &str = "\x1b[6n";
/// Longest sleep between two looks at the clock and the signal flags.
const MAX_POLL: Duration = Duration::from_millis(100);
/// Quiet time after which a lone ESC is the Esc key.
const ESC_WAIT: Duration = Duration::from_millis(25);
/// Exit status base for a terminating signal (128 + signal number).
const SIGNAL_EXIT_BASE: i32 = 128;

/// With `GOALIE_SIM_INPUT_LOG=FILE`, every byte the sim reads from its
/// terminal is appended to FILE (tests check what reached the agent).
fn input_log() -> Option<std::fs::File> {
    let path = std::env::var_os("GOALIE_SIM_INPUT_LOG")?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .ok()
}

pub(crate) fn run(
    scenario: Scenario,
    first_prompt: Option<String>,
    mcp_config: Option<String>,
) -> io::Result<i32> {
    let signals = Signals::install()?;
    // Ended when the sim ends.
    let _mcp = match mcp_config {
        Some(config) => Some(crate::sim::mcp::McpClient::start(
            &config,
            Instant::now(),
            Duration::from_millis(scenario.mcp_list_ms),
            scenario.input_log.clone(),
        )?),
        None => None,
    };
    let terminal = Terminal::enter()?;
    let app = App::new(scenario, Instant::now()).with_first_prompt(first_prompt);
    event_loop(app, &terminal, &signals)
}

fn event_loop(mut app: App, terminal: &Terminal, signals: &Signals) -> io::Result<i32> {
    let mut parser = Parser::default();
    let mut screen = Screen::default();
    let mut size = term::size();
    let mut last_byte_at = Instant::now();
    let mut buf = [0u8; 4096];
    let mut input_log = input_log();
    if app.awaiting_cursor() {
        terminal.write(CURSOR_QUERY)?;
    }
    loop {
        if let Some(sig) = signals.terminated() {
            return Ok(SIGNAL_EXIT_BASE + sig);
        }
        if signals.take_resized() {
            size = term::size();
            screen.invalidate();
        }
        let now = Instant::now();
        let exit = app.tick(now);
        if !app.is_quiet(now) {
            let output = screen.update(ui::frame(&app.view(now), size));
            if !output.is_empty() {
                terminal.write(&output)?;
            }
            app.mark_drawn();
        }
        if let Some(code) = exit {
            return Ok(code);
        }
        let mut timeout = app
            .next_wakeup(now)
            .map_or(MAX_POLL, |at| at.saturating_duration_since(now))
            .min(MAX_POLL);
        if parser.has_pending() {
            timeout = timeout.min(ESC_WAIT);
        }
        match terminal.wait(timeout)? {
            Wait::Readable => {
                let n = terminal.read(&mut buf)?;
                if n == 0 {
                    return Ok(0);
                }
                last_byte_at = Instant::now();
                if let Some(log) = input_log.as_mut() {
                    let _ = log.write_all(&buf[..n]);
                }
                for key in parser.feed(&buf[..n]) {
                    if let Some(code) = app.handle(key, last_byte_at) {
                        return Ok(code);
                    }
                }
            }
            Wait::Nothing => {
                let now = Instant::now();
                let settled = now.duration_since(last_byte_at) >= ESC_WAIT;
                let key = if settled { parser.flush() } else { None };
                if let Some(code) = key.and_then(|key| app.handle(key, now)) {
                    return Ok(code);
                }
            }
        }
    }
}
