//! The demo scenario: a short, plausible log of making a small project's tests pass.

use crate::sim::scenario::{ClaimMode, Scenario, Turn};

impl Scenario {
    /// The demo scenario.
    pub fn builtin() -> Scenario {
        demo()
    }
}

pub(crate) fn demo() -> Scenario {
    Scenario {
        name: "demo".to_string(),
        claim_after_turns: Some(4),
        claim_mode: ClaimMode::Proper,
        turns: vec![
            Turn {
                work_ms: 1200,
                tokens: 48_213,
                reply: "Read the README and ran cargo test: 3 of 12 tests fail, \
                        all in tests/parse.rs, all on empty or trailing-comma input."
                    .to_string(),
                ..Turn::default()
            },
            Turn {
                work_ms: 1800,
                silent_at_ms: 600,
                silent_ms: 3000,
                tokens: 61_877,
                reply: "Fixed the tokenizer: empty input now yields an empty token list \
                        instead of an error.\nRan cargo test: 11 passed, 1 failed \
                        (parse_trailing_comma)."
                    .to_string(),
                ..Turn::default()
            },
            Turn {
                work_ms: 1600,
                compact: true,
                compact_ms: 1000,
                tokens: 23_450,
                reply: "Accepted a trailing comma in lists and added two regression tests \
                        for it."
                    .to_string(),
                ..Turn::default()
            },
            Turn {
                work_ms: 1400,
                tokens: 9_120,
                reply: "Ran the whole suite: 14 passed, 0 failed; cargo clippy is clean.\n\
                        The objective is met."
                    .to_string(),
                ..Turn::default()
            },
        ],
        ..Scenario::default()
    }
}
