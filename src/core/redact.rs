//! Secrets out of everything goalie stores or shows: a pure redactor that
//! replaces API keys, tokens and private keys in a text with a marker that
//! says what was there (`[redacted:openai-key]`), and the exact values of the
//! secret-looking variables of the agent's environment
//! (`[redacted:env:OPENAI_API_KEY]`).
//!
//! The edges build one [`Redactor`] from goalie's environment
//! (`ledger::environment_redactor`, for the ledger and the log writer; the
//! recordings take the ledger's) and call [`Redactor::redact`]
//! (or [`Redactor::redact_json`]) on a text before it is written anywhere:
//! the ledger's one append path, the log file, hooks' input, recordings.
//! Pure: no I/O, so it can be fuzzed.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// A variable's value shorter than this is never treated as a secret: short
/// values (`1`, `true`, `dev`) would blank ordinary words everywhere.
pub const MIN_SECRET_LEN: usize = 8;

/// Words in a variable's name (upper-cased) that make its value a secret.
const SECRET_NAME_WORDS: &[&str] = &["KEY", "TOKEN", "SECRET", "PASSWORD"];

/// The shapes of well-known credentials, most specific first, each with the
/// label its marker shows.
const SHAPES: [(&str, &str); 8] = [
    (
        r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)",
        "private-key",
    ),
    (r"\bsk-ant-[A-Za-z0-9_\-]{8,}", "anthropic-key"),
    (r"\bsk-proj-[A-Za-z0-9_\-]{8,}", "openai-key"),
    (r"\bsk-[A-Za-z0-9_\-]{16,}", "openai-key"),
    (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", "aws-key"),
    (r"\bgithub_pat_[A-Za-z0-9_]{20,}", "github-token"),
    (r"\bgh[pousr]_[A-Za-z0-9]{20,}", "github-token"),
    (r"\bxox[bpaosr]-[A-Za-z0-9\-]{10,}", "slack-token"),
];

/// How credentials of a known shape begin: a run of output that ends a chunk
/// and begins so (or is the beginning of one of these) may be cut short.
/// Every match of every shape begins with one of these (a test holds them
/// to it), so a text with none of them holds no shape.
const BEGINNINGS: &[&str] = &[
    "sk-",
    "AKIA",
    "ASIA",
    "github_pat_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxo-",
    "xoxs-",
    "xoxr-",
    "-----BEGIN",
];

static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    SHAPES
        .into_iter()
        .map(|(pattern, label)| (Regex::new(pattern).expect("a valid pattern"), label))
        .collect()
});

/// All of [`SHAPES`] at once: one pass over a text says which of them may be
/// in it (most texts hold none), where each pattern alone was a pass of its
/// own. A marker put in place of one never makes another match, so the
/// shapes not in the text as it came are not looked for again.
///
/// Its word boundaries are ASCII ones: a Unicode `\b` makes the regex crate
/// give up its fast engine on any text with a character beyond ASCII (an
/// agent's screen nearly always has one: `•`, `›`, box drawing), and this
/// pass over every chunk of a recording was then the most of goalie's CPU
/// while Codex streamed. Every boundary Unicode sees before or after an
/// ASCII word character ASCII sees too (what is not a word character in
/// Unicode is not one in ASCII), so this set finds every shape the patterns
/// find, and the patterns themselves decide what is replaced.
static ANY_SHAPE: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(
        SHAPES
            .iter()
            .map(|(pattern, _)| pattern.replace(r"\b", r"(?-u:\b)")),
    )
    .expect("valid patterns")
});

/// Whether a text may hold a shape at all: any of the literals every shape
/// begins with ([`BEGINNINGS`]), looked for with the regex crate's
/// literal search (vectorised), at a byte or so an instruction. Most texts
/// hold none, and the set's overlapping search ([`ANY_SHAPE`], ~35
/// instructions a byte) is then not run: it was 4 % of goalie's
/// instructions in a flood, on its recording alone.
static MAY_HOLD_SHAPE: LazyLock<Regex> = LazyLock::new(|| {
    let literals: Vec<String> = BEGINNINGS.iter().map(|b| regex::escape(b)).collect();
    Regex::new(&literals.join("|")).expect("a valid pattern")
});

/// What to hide: the known credential shapes, and the values of the secret
/// variables it was given.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// `(value, marker)`, longest value first, so a value that contains
    /// another is hidden whole.
    /// Each value is there as it is and as it reads inside JSON (see
    /// [`json_forms`]).
    values: Vec<(String, String)>,
    /// How many variables' values it hides.
    vars: usize,
}

impl Redactor {
    /// A redactor for the credential shapes only.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// A redactor that also hides the values (of at least
    /// [`MIN_SECRET_LEN`] characters) of the variables among `vars` whose
    /// names contain KEY, TOKEN, SECRET or PASSWORD (in any case).
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Redactor
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut redactor = Redactor::new();
        redactor.add_vars(vars);
        redactor
    }

    /// Adds the secret variables among `vars` (see [`Redactor::from_vars`]).
    pub fn add_vars<K, V>(&mut self, vars: impl IntoIterator<Item = (K, V)>)
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        for (name, value) in vars {
            let (name, value) = (name.as_ref(), value.as_ref());
            if is_secret_name(name) && value.chars().count() >= MIN_SECRET_LEN {
                let marker = format!("[redacted:env:{name}]");
                if !self.values.iter().any(|(known, _)| known == value) {
                    self.vars += 1;
                    for form in json_forms(value) {
                        if !self.values.iter().any(|(known, _)| *known == form) {
                            self.values.push((form, marker.clone()));
                        }
                    }
                }
            }
        }
        self.values
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    }

    /// How many variable values it hides.
    pub fn secret_values(&self) -> usize {
        self.vars
    }

    /// `text` with every secret replaced by its marker (borrowed when there
    /// was none).
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (value, marker) in &self.values {
            if out.contains(value.as_str()) {
                out = Cow::Owned(out.replace(value.as_str(), marker));
            }
        }
        if !MAY_HOLD_SHAPE.is_match(&out) {
            return out;
        }
        let shapes = ANY_SHAPE.matches(&out);
        if !shapes.matched_any() {
            return out;
        }
        for (_, (pattern, label)) in PATTERNS
            .iter()
            .enumerate()
            .filter(|(index, _)| shapes.matched(*index))
        {
            if pattern.is_match(&out) {
                let marker = format!("[redacted:{label}]");
                out = Cow::Owned(pattern.replace_all(&out, marker.as_str()).into_owned());
            }
        }
        out
    }

    /// Redacts every string of a JSON value in place (keys too); whether
    /// anything was hidden.
    pub fn redact_json(&self, value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(text) => match self.redact(text) {
                Cow::Borrowed(_) => false,
                Cow::Owned(clean) => {
                    *text = clean;
                    true
                }
            },
            serde_json::Value::Array(items) => items
                .iter_mut()
                .fold(false, |any, item| self.redact_json(item) | any),
            serde_json::Value::Object(map) => {
                let mut any = false;
                let renamed: Vec<(String, String)> = map
                    .keys()
                    .filter_map(|key| match self.redact(key) {
                        Cow::Borrowed(_) => None,
                        Cow::Owned(clean) => Some((key.clone(), clean)),
                    })
                    .collect();
                for (old, new) in renamed {
                    if let Some(item) = map.remove(&old) {
                        map.insert(new, item);
                        any = true;
                    }
                }
                for item in map.values_mut() {
                    any |= self.redact_json(item);
                }
                any
            }
            _ => false,
        }
    }
}

/// A value as it is and as it reads inside a JSON string, where the agent's
/// session logs, hooks' input and recordings hold it: with `"`, `\` and
/// control characters escaped; also with every other character beyond ASCII
/// as `\uXXXX` (lower or upper case hex), as some writers do; and escaped
/// once more (JSON in a JSON string).
fn json_forms(value: &str) -> Vec<String> {
    fn escaped(text: &str) -> String {
        let quoted = serde_json::to_string(text).unwrap_or_default();
        quoted[1..quoted.len() - 1].to_string()
    }
    fn ascii(text: &str, upper: bool) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_ascii() {
                out.push(c);
                continue;
            }
            for unit in c.encode_utf16(&mut [0; 2]) {
                if upper {
                    out.push_str(&format!("\\u{unit:04X}"));
                } else {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
        out
    }
    let json = escaped(value);
    let mut forms = vec![
        value.to_string(),
        escaped(&json),
        ascii(&json, false),
        ascii(&json, true),
        escaped(&ascii(&json, false)),
        json,
    ];
    forms.sort();
    forms.dedup();
    forms
}

/// Whether a variable named `name` holds a secret by its name.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAME_WORDS.iter().any(|word| upper.contains(word))
}

pub mod pieces;

#[cfg(test)]
mod tests;
