//! Recordings of the agent's screen: every agent process's output, as the
//! agent wrote it to its PTY, in an asciicast v2 file
//! (`$XDG_STATE_HOME/goalie/recordings/GOAL-N.cast`, N the process), with
//! marker events (`"m"`) where the shell says something happened (a prompt
//! typed, a turn's end, a compaction, a claim, an audit's result), so a
//! player jumps to them. What goalie draws on the person's terminal itself
//! (the title, the status row) is never in it.
//!
//! Writing is cheap: the agent's output is one event per [`EVENT_EVERY`]
//! (or [`EVENT_BYTES`]) of it, not one per read of its PTY (a reply streamed
//! a few words at a time is a read every few milliseconds, and each event is
//! redacted and written as a JSON line: most of goalie's CPU while Codex
//! streamed); an event's time is when its last chunk came, so a player shows
//! at that time what the screen showed then. Events are buffered (64 KiB)
//! and flushed now and then and at the end, never synced per chunk. The goal's recordings are bounded
//! together: past the cap, the goal's oldest other recording is deleted
//! first; when this one alone reaches it, a last marker says so and nothing
//! more is written.
//!
//! The format (<https://docs.asciinema.org/manual/asciicast/v2/>): a header
//! line `{"version": 2, "width", "height", "timestamp", "env", "title"}`, then
//! one line per event, `[seconds, code, data]`: `"o"` output, `"r"` a resize
//! (`"COLSxROWS"`), `"m"` a marker (its label).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::core::redact::Redactor;

/// The goal's recordings together stay under this many bytes by default.
pub const DEFAULT_CAP: u64 = 50 * 1024 * 1024;

/// Bytes kept free under the cap for the last marker.
const LAST_MARKER_ROOM: u64 = 256;

/// Buffered output is written to the file at least this often.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// The agent's output is gathered into one event over this long at most
/// (a player's ten frames a second)...
pub const EVENT_EVERY: Duration = Duration::from_millis(100);

/// ...or until this many bytes of it are waiting.
pub const EVENT_BYTES: usize = 16 * 1024;

/// Every byte written to a recording passes through here, once: each line
/// of the file (the header, then one event: the agent's output, a marker's
/// label, a resize) just before it is written. The secrets redactor (what
/// goalie redacts in its ledger and logs) is applied here, so a recording
/// never holds what goalie would redact elsewhere; the line is JSON (so
/// UTF-8: the output is taken in whole characters), where the redactor
/// finds a secret variable's value in its escaped form too, and what it
/// puts in place of a secret is plain text.
pub fn recorded<'a>(line: &'a str, redactor: &Redactor) -> Cow<'a, str> {
    redactor.redact(line)
}

/// Where recordings are kept: `$XDG_STATE_HOME/goalie/recordings` (by
/// default `~/.local/state`), else beside the database's default folder.
pub fn recordings_dir() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("goalie")
        .join("recordings")
}

/// The file of process `process` of goal `goal_id`.
pub fn path_for(dir: &Path, goal_id: &str, process: u32) -> PathBuf {
    dir.join(format!("{goal_id}-{process}.cast"))
}

/// The goal's recordings in `dir`, by process number: (process, path).
pub fn recordings_of(dir: &Path, goal_id: &str) -> Vec<(u32, PathBuf)> {
    let prefix = format!("{goal_id}-");
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let number = name.strip_prefix(&prefix)?.strip_suffix(".cast")?;
            Some((number.parse().ok()?, entry.path()))
        })
        .collect();
    found.sort();
    found
}

/// One agent process's recording, being written.
pub struct Recorder {
    out: BufWriter<File>,
    path: PathBuf,
    started: Instant,
    /// Bytes in this file so far (buffered ones included).
    written: u64,
    /// The goal's other recordings, oldest first, with their sizes.
    others: Vec<(PathBuf, u64)>,
    cap: u64,
    /// The cap was reached (or writing failed): nothing more is written.
    closed: bool,
    /// The start of a UTF-8 character the last chunk ended in.
    partial: Vec<u8>,
    /// Output not written yet: gathered for the next event (see
    /// [`EVENT_EVERY`]), and what may be the start of a secret, held back
    /// until the next chunk shows whether it is (see [`Redactor::hold_from`]).
    held: String,
    /// When the first and the last chunk of `held` came.
    held_since: Option<Instant>,
    held_last: Instant,
    last_flush: Instant,
    /// What is hidden before anything is written (see [`recorded`]).
    redactor: Redactor,
}

impl Recorder {
    /// Starts the recording of process `process` of `goal_id` in `dir`, for a
    /// screen of `rows` × `cols`; `cap` bounds the goal's recordings together.
    pub fn create(
        dir: &Path,
        goal_id: &str,
        process: u32,
        (rows, cols): (u16, u16),
        cap: u64,
        redactor: Redactor,
    ) -> std::io::Result<Recorder> {
        std::fs::create_dir_all(dir)?;
        let path = path_for(dir, goal_id, process);
        let others = recordings_of(dir, goal_id)
            .into_iter()
            .filter(|(number, _)| *number != process)
            .map(|(_, path)| {
                let size = std::fs::metadata(&path).map_or(0, |m| m.len());
                (path, size)
            })
            .collect();
        let file = File::create(&path)?;
        let mut recorder = Recorder {
            out: BufWriter::with_capacity(64 * 1024, file),
            path,
            started: Instant::now(),
            written: 0,
            others,
            cap,
            closed: false,
            partial: Vec::new(),
            held: String::new(),
            held_since: None,
            held_last: Instant::now(),
            last_flush: Instant::now(),
            redactor,
        };
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let header = serde_json::json!({
            "version": 2,
            "width": cols,
            "height": rows,
            "timestamp": timestamp,
            "env": {
                "TERM": std::env::var("TERM").unwrap_or_else(|_| "xterm-256color".into()),
                "SHELL": std::env::var("SHELL").unwrap_or_default(),
            },
            "title": format!("goalie {goal_id}, agent process {process}"),
        });
        let mut line = serde_json::to_string(&header).map_err(std::io::Error::other)?;
        line.push('\n');
        recorder.write_line(&line);
        Ok(recorder)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The agent wrote `chunk` to its PTY; how many events were written
    /// (its output is gathered for [`EVENT_EVERY`] into one).
    pub fn output(&mut self, chunk: &[u8]) -> u32 {
        if self.closed {
            return 0;
        }
        // A character cut by the last read is completed by this one; most
        // chunks cut none, and are taken as they are (no copy).
        let joined;
        let bytes = if self.partial.is_empty() {
            chunk
        } else {
            let mut partial = std::mem::take(&mut self.partial);
            partial.extend_from_slice(chunk);
            joined = partial;
            &joined
        };
        let (complete, rest) = split_partial_char(bytes);
        self.partial.clear();
        self.partial.extend_from_slice(rest);
        let mut events = 0;
        if !complete.is_empty() {
            self.held.push_str(&String::from_utf8_lossy(complete));
            let now = Instant::now();
            self.held_last = now;
            let since = *self.held_since.get_or_insert(now);
            // What waits counts against the cap already: the goal's oldest
            // recording goes as soon as this one's output needs its room.
            self.room_for(self.held.len() as u64);
            if now.duration_since(since) >= EVENT_EVERY || self.held.len() >= EVENT_BYTES {
                events += self.write_held(false);
            }
        }
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            events += self.flush();
        }
        events
    }

    /// Writes the output gathered as one event, but for what may be the
    /// start of a secret (that waits for the next chunk) unless `all`; how
    /// many events were written.
    fn write_held(&mut self, all: bool) -> u32 {
        if self.held.is_empty() || self.closed {
            return 0;
        }
        // What may be the start of a secret waits for the next chunk, so
        // that a secret the PTY's reads cut in two is redacted whole.
        let ready = if all {
            self.held.len()
        } else {
            self.redactor.hold_from(&self.held)
        };
        if ready == 0 {
            return 0;
        }
        let rest = self.held.split_off(ready);
        let text = std::mem::replace(&mut self.held, rest);
        self.held_since = (!self.held.is_empty()).then_some(self.held_last);
        let seconds = self
            .held_last
            .saturating_duration_since(self.started)
            .as_secs_f64();
        let redacted = self.redactor.redact_drawn(&text).into_owned();
        self.event_at(seconds, "o", &redacted);
        1
    }

    /// A marker: something happened here (`label` says what).
    pub fn marker(&mut self, label: &str) {
        if self.closed {
            return;
        }
        self.release_held();
        self.event("m", label);
    }

    /// The agent's screen is now `rows` × `cols`.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        if !self.closed {
            self.release_held();
            self.event("r", &format!("{cols}x{rows}"));
        }
    }

    /// Writes all the output gathered and held back (before anything else
    /// is written, and at the end).
    fn release_held(&mut self) {
        self.write_held(true);
    }

    /// Writes what is buffered to the file (no sync), the output gathered
    /// first (but for the possible start of a secret); how many events of
    /// output that wrote.
    pub fn flush(&mut self) -> u32 {
        let events = self.write_held(false);
        self.last_flush = Instant::now();
        if let Err(err) = self.out.flush() {
            tracing::warn!(%err, path = %self.path.display(), "the recording cannot be written");
            self.closed = true;
        }
        events
    }

    fn event(&mut self, code: &str, data: &str) {
        let seconds = self.started.elapsed().as_secs_f64();
        self.event_at(seconds, code, data);
    }

    fn event_at(&mut self, seconds: f64, code: &str, data: &str) {
        // One buffer for the whole line; a string as JSON cannot fail to be
        // written, and is UTF-8.
        let mut line = format!("[{seconds:.6}, \"{code}\", ").into_bytes();
        line.reserve(data.len() + 4);
        let _ = serde_json::to_writer(&mut line, data);
        line.extend_from_slice(b"]\n");
        let line = String::from_utf8(line).unwrap_or_default();
        if !self.room_for(line.len() as u64) {
            let cap_mb = self.cap / (1024 * 1024);
            let last = format!(
                "[{seconds:.6}, \"m\", \"recording stopped: the goal's recordings reached their cap of {cap_mb} MB\"]\n"
            );
            self.write_line(&last);
            self.flush();
            self.closed = true;
            return;
        }
        self.write_line(&line);
    }

    /// Whether `len` more bytes fit under the cap, once the goal's oldest
    /// other recordings are deleted if need be.
    fn room_for(&mut self, len: u64) -> bool {
        let fits = |this: &Recorder| {
            let others: u64 = this.others.iter().map(|(_, size)| size).sum();
            this.written + others + len + LAST_MARKER_ROOM <= this.cap
        };
        while !fits(self) && !self.others.is_empty() {
            let (oldest, _) = self.others.remove(0);
            match std::fs::remove_file(&oldest) {
                Ok(()) => {
                    tracing::info!(path = %oldest.display(), "deleted the goal's oldest recording: the cap was reached")
                }
                Err(err) => {
                    tracing::warn!(%err, path = %oldest.display(), "cannot delete an old recording")
                }
            }
        }
        fits(self)
    }

    fn write_line(&mut self, line: &str) {
        let line = recorded(line, &self.redactor);
        if let Err(err) = self.out.write_all(line.as_bytes()) {
            tracing::warn!(%err, path = %self.path.display(), "the recording cannot be written");
            self.closed = true;
            return;
        }
        self.written += line.len() as u64;
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.release_held();
        let _ = self.out.flush();
    }
}

/// Splits `bytes` before a UTF-8 character its end only begins.
fn split_partial_char(bytes: &[u8]) -> (&[u8], &[u8]) {
    let start = bytes.len().saturating_sub(3);
    for i in (start..bytes.len()).rev() {
        let byte = bytes[i];
        if byte & 0xC0 == 0x80 {
            continue;
        }
        let needs = match byte {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        if bytes.len() - i < needs {
            return bytes.split_at(i);
        }
        break;
    }
    (bytes, &[])
}

/// One event read back from a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct CastEvent {
    pub seconds: f64,
    pub code: String,
    pub data: String,
}

/// A recording read back: its header and its events.
#[derive(Debug, Clone)]
pub struct Cast {
    pub header: serde_json::Value,
    pub events: Vec<CastEvent>,
}

impl Cast {
    /// Reads an asciicast v2 file; a line that is not an event is an error
    /// (but a last line cut short, as by a crash, is left out).
    pub fn read(path: &Path) -> Result<Cast, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        let mut lines = text.lines();
        let header: serde_json::Value = lines
            .next()
            .and_then(|line| serde_json::from_str(line).ok())
            .ok_or_else(|| format!("{}: no asciicast header", path.display()))?;
        if header["version"] != 2 {
            return Err(format!("{}: not an asciicast v2 file", path.display()));
        }
        let lines: Vec<&str> = lines.filter(|line| !line.trim().is_empty()).collect();
        let mut events = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            match serde_json::from_str::<(f64, String, String)>(line) {
                Ok((seconds, code, data)) => events.push(CastEvent {
                    seconds,
                    code,
                    data,
                }),
                Err(_) if i + 1 == lines.len() => {}
                Err(err) => {
                    return Err(format!("{}:{}: {err}", path.display(), i + 2));
                }
            }
        }
        Ok(Cast { header, events })
    }

    /// The labels of the markers, in order.
    pub fn markers(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter(|e| e.code == "m")
            .map(|e| e.data.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_markers_and_resizes_read_back_with_utf8_split_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec =
            Recorder::create(dir.path(), "g1", 1, (24, 80), DEFAULT_CAP, Redactor::new()).unwrap();
        let text = "héllo \x1b[1mwörld\x1b[0m\r\n".as_bytes();
        // Split inside the two-byte é.
        rec.output(&text[..2]);
        rec.output(&text[2..]);
        rec.marker("turn 1: objective prompt");
        rec.resize(30, 100);
        let path = rec.path().to_path_buf();
        drop(rec);
        assert_eq!(path, dir.path().join("g1-1.cast"));
        let cast = Cast::read(&path).unwrap();
        assert_eq!(cast.header["version"], 2);
        assert_eq!(cast.header["width"], 80);
        assert_eq!(cast.header["height"], 24);
        let output: String = cast
            .events
            .iter()
            .filter(|e| e.code == "o")
            .map(|e| e.data.as_str())
            .collect();
        assert_eq!(output.as_bytes(), text);
        assert_eq!(cast.markers(), vec!["turn 1: objective prompt"]);
        assert_eq!(cast.events.last().unwrap().data, "100x30");
    }

    #[test]
    fn a_secret_cut_in_two_by_the_reads_and_a_quoted_value_are_redacted_whole() {
        let dir = tempfile::tempdir().unwrap();
        let value = "pa\"ss\\wörd-7";
        let redactor = Redactor::from_vars([("SERVICE_PASSWORD", value)]);
        let mut rec =
            Recorder::create(dir.path(), "g", 1, (24, 80), DEFAULT_CAP, redactor).unwrap();
        let key = "sk-Qx7RmT2vLp9WzK4nB8cY3hJ6dF1gA5sE0uIoPa";
        rec.output(format!("the key: {}", &key[..10]).as_bytes());
        rec.output(format!("{} and the password: pa\"s", &key[10..]).as_bytes());
        rec.output("s\\wörd-7 done".as_bytes());
        rec.marker("turn 1 ended");
        rec.output(b"last words");
        let path = rec.path().to_path_buf();
        drop(rec);
        let file = std::fs::read_to_string(&path).unwrap();
        assert!(
            !file.contains(&key[..10]) && !file.contains(&key[10..]),
            "{file}"
        );
        assert!(!file.contains("rd-7"), "{file}");
        let cast = Cast::read(&path).unwrap();
        let output: String = cast
            .events
            .iter()
            .filter(|e| e.code == "o")
            .map(|e| e.data.as_str())
            .collect();
        assert_eq!(
            output,
            "the key: [redacted:openai-key] and the password: \
             [redacted:env:SERVICE_PASSWORD] donelast words"
        );
        // What was held is written before the marker.
        assert_eq!(cast.events.last().unwrap().data, "last words");
        assert_eq!(cast.markers(), vec!["turn 1 ended"]);
    }

    #[test]
    fn the_cap_deletes_the_oldest_recording_first_then_stops_with_a_marker() {
        let dir = tempfile::tempdir().unwrap();
        let cap = 8 * 1024;
        let chunk = vec![b'x'; 1000];
        let mut first =
            Recorder::create(dir.path(), "g", 1, (24, 80), cap, Redactor::new()).unwrap();
        for _ in 0..5 {
            first.output(&chunk);
        }
        drop(first);
        // Another goal's recording is never touched.
        let other = Recorder::create(dir.path(), "h", 1, (24, 80), cap, Redactor::new()).unwrap();
        drop(other);
        let mut second =
            Recorder::create(dir.path(), "g", 2, (24, 80), cap, Redactor::new()).unwrap();
        for _ in 0..4 {
            second.output(&chunk);
        }
        assert!(
            !dir.path().join("g-1.cast").exists(),
            "the oldest went first"
        );
        for _ in 0..10 {
            second.output(&chunk);
        }
        drop(second);
        let size = std::fs::metadata(dir.path().join("g-2.cast"))
            .unwrap()
            .len();
        assert!(size <= cap, "{size}");
        let cast = Cast::read(&dir.path().join("g-2.cast")).unwrap();
        let markers = cast.markers();
        assert_eq!(markers.len(), 1);
        assert!(markers[0].starts_with("recording stopped"), "{markers:?}");
        assert_eq!(cast.events.last().unwrap().code, "m");
        assert!(dir.path().join("h-1.cast").exists());
        assert_eq!(
            recordings_of(dir.path(), "g"),
            vec![(2, dir.path().join("g-2.cast"))]
        );
    }

    #[test]
    fn small_chunks_are_gathered_into_few_events_and_none_is_lost() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec =
            Recorder::create(dir.path(), "g", 1, (24, 80), DEFAULT_CAP, Redactor::new()).unwrap();
        // A reply a few words at a time: 1,000 reads of 12 bytes.
        let mut events = 0;
        let mut expected = String::new();
        for i in 0..1000 {
            let chunk = format!("word {i:05}, ");
            expected.push_str(&chunk);
            events += rec.output(chunk.as_bytes());
        }
        events += rec.flush();
        let path = rec.path().to_path_buf();
        drop(rec);
        let cast = Cast::read(&path).unwrap();
        let output: Vec<&CastEvent> = cast.events.iter().filter(|e| e.code == "o").collect();
        assert_eq!(output.len() as u32, events);
        // One event per 100 ms or 16 KiB: 12 KB written in far less than
        // 10 s is a few events, not one per read.
        assert!((1..=100).contains(&events), "{events} events");
        let text: String = output.iter().map(|e| e.data.as_str()).collect();
        assert_eq!(text, expected);
        assert!(output.windows(2).all(|w| w[0].seconds <= w[1].seconds));
    }

    #[test]
    fn partial_characters_wait_for_their_end() {
        let e_acute = "é".as_bytes();
        assert_eq!(split_partial_char(&e_acute[..1]), (&b""[..], &e_acute[..1]));
        assert_eq!(split_partial_char(e_acute), (e_acute, &b""[..]));
        let euro = "a€".as_bytes();
        assert_eq!(split_partial_char(&euro[..3]), (&b"a"[..], &euro[1..3]));
        assert_eq!(split_partial_char(b"abc"), (&b"abc"[..], &b""[..]));
    }
}
