//! Structured logs (tracing): quiet by default, never on the agent's screen.

use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

/// Starts logging. `verbose` counts `-v`s; `GOALIE_LOG` (a tracing filter)
/// wins over it. With `file`, logs are appended there instead of to stderr,
/// because stderr is the terminal that shows the agent's screen.
pub fn init(verbose: u8, file: Option<PathBuf>) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("GOALIE_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("goalie={level}")));
    // A log line that cannot be written (stderr is a closed pipe: `goalie …
    // 2>&1 | head`) is dropped; the subscriber's own complaint about it
    // would go to the same closed stderr, and panic there.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .log_internal_errors(false);
    let result = match file.and_then(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
    }) {
        Some(file) => builder
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init(),
        None => builder.with_writer(std::io::stderr).try_init(),
    };
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = result;
}
