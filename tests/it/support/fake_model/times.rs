//! A log of when requests arrive and when their answers were sent in full, for the
//! benchmarks (`scripts/bench`): set `FAKE_MODEL_TIMES=FILE` and every request appends
//! `{"event":"request","at":SECONDS,"index":N,"kind":"Turn","turn":T,"prompt":P}` and,
//! once its last byte is sent (never for a hung stream), `{"event":"end","at":…,"index":N}`.
//! `at` is Unix time in seconds with microseconds.

use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::Recorded;

static FILE: Mutex<Option<Option<std::fs::File>>> = Mutex::new(None);

fn append(line: serde_json::Value) {
    let mut guard = FILE.lock().unwrap_or_else(|e| e.into_inner());
    let file = guard.get_or_insert_with(|| {
        let path = std::env::var_os("FAKE_MODEL_TIMES").filter(|p| !p.is_empty())?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
    });
    if let Some(file) = file {
        let _ = writeln!(file, "{line}");
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn enabled() -> bool {
    std::env::var_os("FAKE_MODEL_TIMES").is_some_and(|p| !p.is_empty())
}

/// Notes a request's arrival; its index, to note its end with, when the log is on.
pub(crate) fn request(record: &Recorded, prompt: usize) -> Option<usize> {
    if !enabled() {
        return None;
    }
    append(json!({
        "event": "request", "at": now(), "index": record.index,
        "kind": format!("{:?}", record.kind), "turn": record.turn,
        "prompt": record.turn.map(|_| prompt), "status": record.status,
    }));
    Some(record.index)
}

/// Notes that the answer to request `index` was sent in full.
pub(crate) fn end(index: Option<usize>) {
    if let Some(index) = index {
        append(json!({ "event": "end", "at": now(), "index": index }));
    }
}
