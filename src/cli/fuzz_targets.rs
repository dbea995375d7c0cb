//! What each fuzz target of `fuzz/` feeds its input to, here so that the
//! corpus replay test (`tests/it/fuzz_corpus.rs`, on stable) calls the very
//! same functions. Each takes arbitrary bytes, must never panic, and checks
//! what must hold whatever the input (a panic is a finding).

use std::sync::OnceLock;

use regex::RegexSet;

use crate::agent::adapter::Adapter;
use crate::agent::prompts::{MAX_RENDERED_BYTES, Prompts};
use crate::agent::screen::Screen;
use crate::agent::session_log::{LogFormat, LogParser};
use crate::core::claim_block::ClaimReader;
use crate::core::observer::Observer;
use crate::core::prompt::{PromptKind, PromptVars};
use crate::core::redact::Redactor;

/// What a fuzz target runs on one input.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name (the names of `fuzz/fuzz_targets/*.rs` and of
/// the folders of `fuzz/corpus/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("screen", screen),
    ("claim_block", claim_block),
    ("session_log", session_log),
    ("goal_spec", goal_spec),
    ("adapter", adapter),
    ("prompt_vars", prompt_vars),
    ("control", control),
    ("redact", redact),
];

/// The turn's nonce the claim reader is given.
const NONCE: &str = "abcd1234ef";

fn codex() -> &'static Adapter {
    static CODEX: OnceLock<Adapter> = OnceLock::new();
    CODEX.get_or_init(|| Adapter::named("codex", None).expect("the built-in codex adapter"))
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Agent output through the terminal model, then the screen observer (with
/// Codex's rules) and the claim-block reader on what it shows.
pub fn screen(data: &[u8]) {
    let mut screen = Screen::new(24, 80, true);
    let mut observer = Observer::for_adapter(codex());
    let mut reader = ClaimReader::new(RegexSet::empty());
    reader.new_turn(NONCE);
    // In two pieces, as output arrives in chunks that split sequences.
    let (first, second) = data.split_at(data.len() / 2);
    for piece in [first, second] {
        screen.process(piece);
        let rows = screen.rows();
        let scrolled = screen.take_scrolled();
        let _ = observer.observe(&rows, &scrolled);
        let _ = reader.read(&rows, &scrolled);
        let _ = screen.take_replies();
    }
    assert!(screen.rows().len() == 24);
}

/// A transcript's rows (lines of the input) read for this turn's claim.
pub fn claim_block(data: &[u8]) {
    let text = text(data);
    let rows: Vec<String> = text.lines().map(str::to_string).collect();
    let (scrolled, shown) = rows.split_at(rows.len() / 2);
    static TOOL_OUTPUT: OnceLock<RegexSet> = OnceLock::new();
    let tool_output =
        TOOL_OUTPUT.get_or_init(|| RegexSet::new(["^\\s*└", "^\\s*\\$ "]).expect("patterns"));
    let mut reader = ClaimReader::new(tool_output.clone());
    reader.new_turn(NONCE);
    reader.typed(shown.first().map_or("", String::as_str));
    if let Some(claim) = reader.read(shown, scrolled) {
        // A claim is only ever read from text that holds this turn's nonce.
        assert!(text.contains(NONCE));
        let _ = claim;
    }
}

/// Each line-based session-log parser, line by line.
pub fn session_log(data: &[u8]) {
    let text = text(data);
    for format in [
        LogFormat::CodexRollout,
        LogFormat::ClaudeTranscript,
        LogFormat::GeminiChat,
    ] {
        let mut parser = LogParser::new(format);
        for line in text.lines() {
            let _ = parser.line(line);
        }
    }
}

/// A goal spec file, as `goalie check` reads one.
pub fn goal_spec(data: &[u8]) {
    let path = std::path::Path::new("goal.yaml");
    let Ok(text) = crate::goal::yaml_input::text_of(path, data) else {
        return;
    };
    if let Ok((spec, _)) = crate::goal::spec::check(text, path) {
        assert!(spec.objective.len() <= crate::goal::spec::MAX_OBJECTIVE_BYTES);
        assert!(!spec.verify.is_empty());
    }
}

/// An adapter file.
pub fn adapter(data: &[u8]) {
    let path = std::path::Path::new("my.yaml");
    let Ok(text) = crate::goal::yaml_input::text_of(path, data) else {
        return;
    };
    if let Ok(adapter) = Adapter::from_yaml(text, path) {
        assert!(!adapter.submit.enter.is_empty());
        let _ = Observer::for_adapter(&adapter);
    }
}

/// The values the prompt templates are rendered with: the input, split at
/// NUL bytes, fills the text fields.
pub fn prompt_vars(data: &[u8]) {
    static PROMPTS: OnceLock<Prompts> = OnceLock::new();
    let prompts = PROMPTS.get_or_init(|| Prompts::load(None).expect("the built-in prompts"));
    let text = text(data);
    let mut parts = text.split('\0').map(str::to_string);
    let mut next = || parts.next().unwrap_or_default();
    let mut vars = PromptVars::sample();
    vars.objective = next();
    vars.notice = Some(next());
    vars.previous_objective = Some(next());
    vars.handoff = Some(next());
    vars.rejection_reasons = vec![next(), next()];
    // A requirement's text is a numbered item of the (untrusted) objective.
    vars.requirements[0].text = next();
    // The verify commands are the person's own spec, typed as written.
    vars.verify = vec!["cargo test".into()];
    for kind in PromptKind::ALL {
        if let Ok(prompt) = prompts.render(kind, &vars) {
            assert!(prompt.len() <= MAX_RENDERED_BYTES);
            // Nothing the agent or an objective wrote closes the tag it is quoted in.
            assert!(prompt.matches("</untrusted_objective>").count() <= 1);
        }
    }
}

/// A request line of the control protocol, and the bounded line reader.
pub fn control(data: &[u8]) {
    let _ = crate::control::protocol::parse_request(&text(data));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut reader = data;
    let mut buf = Vec::new();
    runtime.block_on(async {
        loop {
            match crate::control::line::read_line(&mut reader, &mut buf, 64).await {
                Ok(crate::control::line::Line::Text(line)) => {
                    assert!(line.len() <= 64 * 3, "a capped line, lossily decoded");
                    let _ = crate::control::protocol::parse_request(&line);
                }
                Ok(crate::control::line::Line::TooLong) => {
                    assert!(buf.is_empty());
                    break;
                }
                Ok(crate::control::line::Line::End) | Err(_) => break,
            }
        }
    });
}

/// The redactor: what it returns holds no credential shape it knows, and a
/// variable's value is gone; its readers of rows, of drawn output and of
/// where a chunk may be cut take any text.
pub fn redact(data: &[u8]) {
    let text = text(data);
    let value = text.split('\0').nth(1).unwrap_or("").to_string();
    let redactor = Redactor::from_vars([("FUZZ_TOKEN", value.as_str())]);
    let clean = redactor.redact(&text);
    let again = Redactor::new().redact(&clean);
    assert!(
        matches!(again, std::borrow::Cow::Borrowed(_)),
        "a secret shape survived: {clean:?}"
    );
    if value.chars().count() >= crate::core::redact::MIN_SECRET_LEN {
        // Markers set apart: a value may be a piece of one (`redacted`).
        static MARKER: OnceLock<regex::Regex> = OnceLock::new();
        let marker = MARKER.get_or_init(|| regex::Regex::new(r"\[redacted:[^\]]*\]").unwrap());
        // Between markers (a value that spans one is not the value shown).
        assert!(
            !marker
                .split(&clean)
                .any(|piece| piece.contains(value.as_str())),
            "the variable's value survived"
        );
    }
    // The pieces' readers: a screen of the text's lines, the text as drawn,
    // and where a chunk may be cut (a character boundary, never past its end).
    let rows: Vec<String> = text.lines().map(String::from).collect();
    let width = rows
        .iter()
        .map(|row| row.chars().count())
        .max()
        .unwrap_or(0);
    let clean_rows = redactor.redact_rows(&rows, width);
    assert_eq!(clean_rows.len(), rows.len());
    let drawn = redactor.redact_drawn(&text);
    if !text.contains(['\x1b', '\r', '\n']) {
        // Without a move or a line break nothing is drawn in pieces.
        assert!(matches!(drawn, std::borrow::Cow::Borrowed(_)));
    }
    let cut = redactor.hold_from(&text);
    assert!(cut <= text.len() && text.is_char_boundary(cut));
}
