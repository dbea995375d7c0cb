//! Structured logs (tracing): quiet by default, never on the agent's screen.

use std::path::PathBuf;

use std::os::unix::fs::OpenOptionsExt;

use tracing_subscriber::EnvFilter;

use super::log_redact::Redacting;

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
    // Secrets never reach the log: those of goalie's environment (which the
    // agent inherits) and every credential shape the redactor knows.
    let redactor = crate::ledger::environment_redactor();
    // A log line that cannot be written (stderr is a closed pipe: `goalie …
    // 2>&1 | head`) is dropped; the subscriber's own complaint about it
    // would go to the same closed stderr, and panic there.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .log_internal_errors(false);
    let Some(path) = file else {
        let _ = builder
            .with_writer(Redacting::new(std::io::stderr, redactor))
            .try_init();
        return;
    };
    // The log file's folder is made first (a first run in a fresh data
    // folder); where the file cannot be had, logs are dropped rather than
    // shown on the agent's screen.
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        use std::os::unix::fs::DirBuilderExt;
        // Private, like the data folder the ledger lives in.
        let _ = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir);
    }
    let opened = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path);
    let result = match opened {
        Ok(file) => builder
            .with_ansi(false)
            .with_writer(Redacting::new(std::sync::Mutex::new(file), redactor))
            .try_init(),
        Err(_) => builder.with_writer(std::io::sink).try_init(),
    };
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = result;
}
