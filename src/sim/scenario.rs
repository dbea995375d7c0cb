//! The scenario file: everything the simulated agent does is driven by it.
//!
//! ```yaml
//! name: demo
//! cursor_query: true            # write ESC[6n at start-up and wait for the reply
//! cursor_query_timeout_ms: 3000
//! startup_ms: 200
//! spinner_ms: 100               # > 0
//! drop_fast_enter_ms: 0         # 0 = off
//! paste_sign_ms: 0              # 0 = off; else a paste shows in the input row as
//!                               # `[Pasted text #N +L lines]` only this long after it
//!                               # came, and an Enter before that is ignored (logged
//!                               # as "enter dropped" in input_log), as Claude Code
//!                               # takes in a paste
//! mcp_list_ms: 0                # with --mcp-config: the server's tools are listed
//!                               # this long after the sim's start ("mcp tools
//!                               # listed: …" in input_log)
//! context_window: 200000        # > 0
//! after_compaction_pct: 20      # 0..=100
//! claim_after_turns: 4          # null/absent = never; 0 behaves like 1
//! claim_mode: proper            # proper | none | mention | echo | blocked | stale | display
//!                               # | waiting (in turn claim_after_turns only)
//! evidence: "ran the verify commands; they pass"   # each checklist line's evidence
//! blocked_reason: "the test database is not reachable"
//! wait: ["for: 5s"]             # a waiting claim's lines
//! exit_after_turns: null        # exit 1 after this turn; turns count submissions,
//!                               # interrupted ones included
//! input_log: null               # or a file: "started N" / "finished N" / "interrupted N"
//!                               # per turn, and "input while working N: …" for any
//!                               # key but Esc and Ctrl-C that arrives during a turn
//! random_compactions: null      # or {count: 20, turns: 30, seed: 7}: one compaction in
//!                               # each of `count` distinct turns drawn from 1..=turns,
//!                               # at the turn's start (before any work, as agents
//!                               # auto-compact when a new prompt arrives), at its end
//!                               # (after the work, before the reply) or at a random
//!                               # point in between; the same seed, the same placement
//! turns:                        # at least one; turn n uses entry n-1, the last repeats
//!   - work_ms: 1500
//!     silent_at_ms: 0
//!     silent_ms: 0              # a silence reaching past work_ms lengthens the turn
//!     compact: false            # compaction starts at work_ms/2 and adds compact_ms
//!     compact_at_ms: null       # or where it starts, from the start of the turn
//!     compact_ms: 1000
//!     tokens: 1800
//!     reply: "Read the code and listed what the objective needs."
//!     run: null                 # a shell command run in the working directory at
//!                               # the end of the turn, before the reply (to "fix"
//!                               # things, or to edit a protected file)
//!     hang: false               # the spinner runs until Esc or Ctrl-C, nothing else
//!     cpu: false                # a child process burns CPU while the turn works
//!                               # (a long build: the model silent, the tree busy)
//!     stream: false             # a line of output each second while the turn works
//!                               # (a reply streaming in: signs of work on the screen)
//!     wait: []                  # this turn asks goalie to wait: a waiting claim
//!                               # block with these lines (`for: 1s`), whatever
//!                               # the claim mode
//! ```
//!
//! An empty file (or one with only comments) is all defaults.

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Unexpected, Visitor};
use std::fmt;
use std::path::{Path, PathBuf};

/// A whole simulated session. Every field is optional in YAML.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Shown in the first transcript line.
    pub name: String,
    /// Ask the terminal for the cursor position (`ESC[6n`) at start-up.
    pub cursor_query: bool,
    /// How long to wait for the cursor position reply.
    pub cursor_query_timeout_ms: u64,
    /// Pause before the first draw.
    pub startup_ms: u64,
    /// Spinner frame period while working.
    #[serde(deserialize_with = "positive")]
    pub spinner_ms: u64,
    /// Ignore an Enter that follows typed or pasted text by less than this (0 = off).
    pub drop_fast_enter_ms: u64,
    /// A paste shows as `[Pasted text #N +L lines]` this long after it came,
    /// and an Enter before that is ignored (0 = off: the text shows at once).
    pub paste_sign_ms: u64,
    /// With `--mcp-config`: when the MCP server's tools are listed, from the start.
    pub mcp_list_ms: u64,
    /// Context window size in tokens.
    #[serde(deserialize_with = "positive")]
    pub context_window: u64,
    /// Share of the window still used after a compaction, in percent.
    #[serde(deserialize_with = "percent")]
    pub after_compaction_pct: u64,
    /// First turn number whose reply claims completion (absent = never).
    pub claim_after_turns: Option<u32>,
    /// How the claim is made.
    pub claim_mode: ClaimMode,
    /// The evidence written on each checklist line.
    pub evidence: String,
    /// The reason a blocked claim gives.
    pub blocked_reason: String,
    /// The lines of a waiting claim (`for: 5s`, `until: TIME`, `command: CMD`).
    pub wait: Vec<String>,
    /// Exit with code 1 after this turn completes (absent = never).
    pub exit_after_turns: Option<u32>,
    /// Where to log turns and any input that arrives during one (absent = nowhere).
    pub input_log: Option<PathBuf>,
    /// Compactions at seeded random points (absent = none).
    pub random_compactions: Option<RandomCompactions>,
    /// Turn n uses entry n-1; past the end the last entry repeats.
    #[serde(deserialize_with = "non_empty")]
    pub turns: Vec<Turn>,
}

/// One turn of the agent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Turn {
    /// How long the agent works (the spinner shows).
    pub work_ms: u64,
    /// Where the silent stretch starts, from the start of the turn.
    pub silent_at_ms: u64,
    /// How long nothing at all is written (0 = no silence).
    pub silent_ms: u64,
    /// Compact the context in the middle of the turn.
    pub compact: bool,
    /// Where the compaction starts, from the start of the turn (absent: `work_ms / 2`).
    pub compact_at_ms: Option<u64>,
    /// How long the compaction shows.
    pub compact_ms: u64,
    /// Tokens the turn uses.
    pub tokens: u64,
    /// The reply text (may span several lines).
    pub reply: String,
    /// A shell command run (`sh -c`, in the working directory) at the end of
    /// the turn, before the reply is written.
    pub run: Option<String>,
    /// The spinner runs until the turn is interrupted: no other output.
    pub hang: bool,
    /// A child process burns CPU while the turn works.
    pub cpu: bool,
    /// A line of output each second while the turn works.
    pub stream: bool,
    /// This turn asks goalie to wait: a waiting claim block with these
    /// lines (`for: 1s`, `command: …`), whatever the claim mode.
    pub wait: Vec<String>,
}

/// Compactions at seeded random points: one in each of `count` distinct turns.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomCompactions {
    pub count: u32,
    /// The turns to draw from: 1..=turns (at least `count`).
    pub turns: u32,
    #[serde(default)]
    pub seed: u64,
}

impl RandomCompactions {
    /// Where each compaction goes: turn number → its start as a share of the
    /// turn's work, in thousandths (0: at the start, 1000: at the end).
    pub fn placement(&self) -> std::collections::BTreeMap<u32, u64> {
        let mut rng = SplitMix(self.seed);
        let mut turns: Vec<u32> = (1..=self.turns).collect();
        let count = self.count.min(self.turns) as usize;
        let mut placed = std::collections::BTreeMap::new();
        for i in 0..count {
            let pick = i + (rng.next() % (turns.len() - i) as u64) as usize;
            turns.swap(i, pick);
            let at = match rng.next() % 3 {
                0 => 0,
                1 => 1000,
                _ => 1 + rng.next() % 999,
            };
            placed.insert(turns[i], at);
        }
        placed
    }
}

/// A small, seeded pseudo-random sequence (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// How the agent claims that the work is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimMode {
    /// A claim block with this turn's nonce and a checklist line per requirement.
    #[default]
    Proper,
    /// Never claims (YAML `none`).
    #[serde(rename = "none")]
    Never,
    /// A sentence about the marker, never the marker alone on a line.
    Mention,
    /// Repeats the prompt verbatim as the reply and never claims on its own.
    Echo,
    /// A proper block, reporting the goal blocked (with `blocked_reason`).
    Blocked,
    /// A block carrying the previous turn's nonce.
    Stale,
    /// A current block, but inside displayed command output (`└`).
    Display,
    /// In turn `claim_after_turns` only: a block asking goalie to wait (the
    /// scenario's `wait` lines, e.g. `for: 5s`).
    Waiting,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{}: cannot read scenario: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The YAML is malformed or does not fit the schema.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// An error the YAML parser could not place in the file.
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "scenario".to_string(),
            cursor_query: true,
            cursor_query_timeout_ms: 3000,
            startup_ms: 200,
            spinner_ms: 100,
            drop_fast_enter_ms: 0,
            paste_sign_ms: 0,
            mcp_list_ms: 0,
            context_window: 200_000,
            after_compaction_pct: 20,
            claim_after_turns: None,
            claim_mode: ClaimMode::Proper,
            evidence: "ran the verify commands; they pass".to_string(),
            blocked_reason: "the test database is not reachable".to_string(),
            wait: vec!["for: 5s".to_string()],
            exit_after_turns: None,
            input_log: None,
            random_compactions: None,
            turns: vec![Turn::default()],
        }
    }
}

impl Default for Turn {
    fn default() -> Self {
        Turn {
            work_ms: 1500,
            silent_at_ms: 0,
            silent_ms: 0,
            compact: false,
            compact_at_ms: None,
            compact_ms: 1000,
            tokens: 1800,
            reply: "Read the code and listed what the objective needs.".to_string(),
            run: None,
            hang: false,
            cpu: false,
            stream: false,
            wait: Vec::new(),
        }
    }
}

impl Scenario {
    /// Reads a scenario from a YAML file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Scenario::from_yaml_str(&text, path)
    }

    /// Parses a scenario from YAML text; `origin` names it in errors.
    pub fn from_yaml_str(text: &str, origin: &Path) -> Result<Scenario, ScenarioError> {
        if is_blank_yaml(text) {
            return Ok(Scenario::default());
        }
        serde_yaml_ng::from_str(text).map_err(|err| describe(&err, origin))
    }

    /// The configuration of turn number `n` (1-based).
    pub(crate) fn turn(&self, n: u32) -> Turn {
        let index = usize::try_from(n.saturating_sub(1)).unwrap_or(usize::MAX);
        self.turns
            .get(index)
            .or_else(|| self.turns.last())
            .cloned()
            .unwrap_or_default()
    }

    /// Turn `n` with its random compaction, if the placement gives it one.
    pub(crate) fn turn_with_compactions(&self, n: u32) -> Turn {
        let mut turn = self.turn(n);
        if let Some(at) = self
            .random_compactions
            .as_ref()
            .and_then(|random| random.placement().get(&n).copied())
        {
            turn.compact = true;
            turn.compact_at_ms = Some(turn.work_ms.saturating_mul(at) / 1000);
        }
        turn
    }
}

/// True for text with nothing but comments and blank lines (an empty document).
fn is_blank_yaml(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|line| line.is_empty() || line.starts_with('#') || line == "---")
}

fn describe(err: &serde_yaml_ng::Error, origin: &Path) -> ScenarioError {
    let message = err.to_string();
    match err.location() {
        Some(at) => {
            // The parser appends its own " at line L column C"; we print it in front.
            let suffix = format!(" at line {} column {}", at.line(), at.column());
            let message = message
                .strip_suffix(&suffix)
                .map(str::to_string)
                .unwrap_or(message);
            ScenarioError::Parse {
                path: origin.to_path_buf(),
                line: at.line(),
                column: at.column(),
                message,
            }
        }
        None => ScenarioError::Invalid {
            path: origin.to_path_buf(),
            message,
        },
    }
}

// The checks below run inside the visitor, while the YAML parser still knows
// where the value is, so their errors carry the value's line and column.

fn positive<'de, D: Deserializer<'de>>(de: D) -> Result<u64, D::Error> {
    de.deserialize_u64(Bounded {
        min: 1,
        max: u64::MAX,
        expecting: "a number greater than 0",
    })
}

fn percent<'de, D: Deserializer<'de>>(de: D) -> Result<u64, D::Error> {
    de.deserialize_u64(Bounded {
        min: 0,
        max: 100,
        expecting: "a percentage from 0 to 100",
    })
}

fn non_empty<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<Turn>, D::Error> {
    de.deserialize_seq(NonEmptyTurns)
}

struct Bounded {
    min: u64,
    max: u64,
    expecting: &'static str,
}

impl Visitor<'_> for Bounded {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(E::invalid_value(Unexpected::Unsigned(value), &self))
        }
    }
}

struct NonEmptyTurns;

impl<'de> Visitor<'de> for NonEmptyTurns {
    type Value = Vec<Turn>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of at least one turn")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Turn>, A::Error> {
        let mut turns = Vec::new();
        while let Some(turn) = seq.next_element()? {
            turns.push(turn);
        }
        if turns.is_empty() {
            return Err(de::Error::invalid_length(0, &self));
        }
        Ok(turns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_yaml_str(text, Path::new("dir/s.yaml"))
    }

    #[test]
    fn empty_document_is_all_defaults() {
        let s = parse("# nothing here\n").expect("empty scenario parses");
        assert_eq!(s, Scenario::default());
        assert!(s.cursor_query);
        assert_eq!(s.cursor_query_timeout_ms, 3000);
        assert_eq!(s.startup_ms, 200);
        assert_eq!(s.spinner_ms, 100);
        assert_eq!(s.drop_fast_enter_ms, 0);
        assert_eq!(s.context_window, 200_000);
        assert_eq!(s.after_compaction_pct, 20);
        assert_eq!(s.claim_after_turns, None);
        assert_eq!(s.claim_mode, ClaimMode::Proper);
        assert_eq!(s.exit_after_turns, None);
        assert_eq!(s.turns, vec![Turn::default()]);
    }

    #[test]
    fn partial_fields_take_defaults() {
        let s = parse(
            "name: t\nclaim_after_turns: 2\nclaim_mode: echo\nexit_after_turns: null\n\
             turns:\n  - work_ms: 10\n  - reply: |\n      two\n      lines\n",
        )
        .expect("scenario parses");
        assert_eq!(s.name, "t");
        assert_eq!(s.claim_after_turns, Some(2));
        assert_eq!(s.claim_mode, ClaimMode::Echo);
        assert_eq!(s.turns.len(), 2);
        assert_eq!(s.turns[0].work_ms, 10);
        assert_eq!(s.turns[0].tokens, 1800);
        assert_eq!(s.turns[1].reply, "two\nlines\n");
        assert_eq!(s.turn(1).work_ms, 10);
        assert_eq!(s.turn(9).reply, "two\nlines\n");
    }

    #[test]
    fn claim_mode_none_parses() {
        let s = parse("claim_mode: none\n").expect("scenario parses");
        assert_eq!(s.claim_mode, ClaimMode::Never);
    }

    #[test]
    fn unknown_field_error_has_location() {
        let err = parse("name: x\nturns:\n  - work_ms: 5\n    bogus: 1\n").expect_err("must fail");
        match &err {
            ScenarioError::Parse { line, column, .. } => {
                assert_eq!((*line, *column), (4, 5));
            }
            other => panic!("unexpected error {other:?}"),
        }
        let shown = err.to_string();
        assert!(
            shown.starts_with("dir/s.yaml:4:5: turns[0]: unknown field `bogus`"),
            "{shown}"
        );
    }

    #[test]
    fn top_level_unknown_field() {
        let err = parse("name: x\nspinner: 3\n").expect_err("must fail");
        assert!(
            err.to_string()
                .starts_with("dir/s.yaml:2:1: unknown field `spinner`"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_are_located() {
        let err = parse("name: x\nspinner_ms: 0\n").expect_err("must fail");
        assert!(
            err.to_string()
                .starts_with("dir/s.yaml:2:13: spinner_ms: invalid value"),
            "{err}"
        );
        let err = parse("claim_mode: loud\n").expect_err("must fail");
        assert!(err.to_string().starts_with("dir/s.yaml:1:"), "{err}");
        let err = parse("turns: []\n").expect_err("must fail");
        assert!(
            err.to_string()
                .starts_with("dir/s.yaml:1:8: turns: invalid length 0"),
            "{err}"
        );
        let err = parse("\nafter_compaction_pct: 101\n").expect_err("must fail");
        assert!(err.to_string().starts_with("dir/s.yaml:2:"), "{err}");
    }

    #[test]
    fn malformed_yaml_is_located() {
        let err = parse("name: [unclosed\n").expect_err("must fail");
        assert!(matches!(err, ScenarioError::Parse { .. }), "{err:?}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = Scenario::load(Path::new("/nonexistent/x.yaml")).expect_err("must fail");
        assert!(
            err.to_string().starts_with("/nonexistent/x.yaml: "),
            "{err}"
        );
    }

    #[test]
    fn random_compactions_are_placed_in_distinct_turns_the_same_way_every_time() {
        let s = parse(
            "random_compactions: {count: 20, turns: 30, seed: 7}\nturns:\n  - work_ms: 1000\n",
        )
        .expect("scenario parses");
        let random = s.random_compactions.clone().unwrap();
        let placed = random.placement();
        assert_eq!(placed.len(), 20);
        assert!(placed.keys().all(|turn| (1..=30).contains(turn)));
        assert_eq!(placed, random.placement(), "seeded");
        let starts = placed.values().filter(|at| **at == 0).count();
        let ends = placed.values().filter(|at| **at == 1000).count();
        assert!(starts > 0 && ends > 0 && starts + ends < 20, "{placed:?}");
        let (turn, at) = placed.iter().next().map(|(t, a)| (*t, *a)).unwrap();
        let planned = s.turn_with_compactions(turn);
        assert!(planned.compact);
        assert_eq!(planned.compact_at_ms, Some(at));
        let other = (1..=30).find(|t| !placed.contains_key(t)).unwrap();
        assert!(!s.turn_with_compactions(other).compact);
    }

    #[test]
    fn the_pty_soaks_hung_and_waiting_turns_carry_no_compaction() {
        // tests/it/stall_sim.rs `soak_500_…`: its turns 150 and 350 hang (a
        // hang shows nothing but its spinner, so a compaction there would
        // never show), and 100, 250, 310 and 400 ask goalie to wait (after a
        // compaction the next prompt restores the goal, not the after-wait
        // one): none of its 40 seeded compactions may fall on them.
        let soak = RandomCompactions {
            count: 40,
            turns: 500,
            seed: 13,
        };
        let placed = soak.placement();
        for turn in [150, 350, 100, 250, 310, 400] {
            assert!(!placed.contains_key(&turn), "{turn}: {placed:?}");
        }
    }

    #[test]
    fn builtin_is_valid() {
        let s = Scenario::builtin();
        assert_eq!(s.claim_after_turns, Some(4));
        assert_eq!(s.claim_mode, ClaimMode::Proper);
        assert!(s.turns.len() >= 4);
        assert!(s.turns.iter().any(|t| t.compact));
        assert!(s.turns.iter().any(|t| t.silent_ms >= 3000));
        assert!(s.turns.iter().all(|t| !t.reply.is_empty()));
        assert!(s.spinner_ms > 0 && s.context_window > 0);
    }
}
