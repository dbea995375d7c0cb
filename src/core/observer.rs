//! Reads the agent's screen (as text rows from the terminal model) with the
//! adapter's rules and says what it shows. Pure: text in, observation out.

use regex::RegexSet;

use crate::core::claim_block::ClaimReader;
use crate::core::screen_rules::{ScreenRules, is_token_group};
use crate::core::usage_reset::ResetTime;
use crate::goal::claim::Claim;
use crate::goal::units::parse_token_figure;

/// What one look at the screen showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    /// The screen's text differs from the previous look.
    pub changed: bool,
    /// It differs in more than its busy rows (a spinner's frame and seconds
    /// are no sign of work; a hung turn shows nothing else).
    pub text_changed: bool,
    /// A busy indicator is shown.
    pub busy: bool,
    /// The input box is shown, and no dialog is.
    pub idle: bool,
    /// The agent's start screen is still being drawn (the adapter's `starting`).
    pub starting: bool,
    /// The first of the adapter's dialogs shown, by its index.
    pub dialog: Option<usize>,
    /// Rows showing a usage-limit message.
    pub usage_limit: u32,
    /// When the usage limit shown resets, if the screen says.
    pub usage_limit_reset: Option<ResetTime>,
    /// Rows showing an API error (other than a usage limit).
    pub api_error: u32,
    /// The token figure shown, if any.
    pub tokens: Option<u64>,
    /// The share of the context window in use, in percent, if the gauge shows it.
    pub context_used_pct: Option<u8>,
    /// Finished-turn lines seen so far (on screen now plus scrolled away).
    pub turns_done: u32,
    /// Compaction banners seen so far (on screen now plus scrolled away).
    pub compactions: u32,
    /// This turn's claim block, when the transcript holds a valid one (the last).
    pub claim: Option<Claim>,
    /// Why this turn's last block, a `waiting` one, asks for a wait goalie
    /// cannot do (then there is no claim).
    pub bad_wait: Option<String>,
    /// When the latest output before this look came (the run's clock), if
    /// the shell knows: a look may come a while after it (while output
    /// streams in, the screen is looked at only at the clock's ticks), and
    /// the screen changed when it was drawn, not when it was looked at.
    pub drawn_ms: Option<u64>,
}

/// Keeps what must outlive one look: rows already scrolled off the screen.
#[derive(Debug)]
pub struct Observer {
    rules: ScreenRules,
    dialogs: Vec<RegexSet>,
    claims: ClaimReader,
    previous: Vec<String>,
    /// The previous look's rows but its busy rows.
    previous_calm: Vec<String>,
    scrolled_done: u32,
    scrolled_compactions: u32,
    /// Per-reply token figures (`tokens_per_reply`) on rows that scrolled away.
    scrolled_tokens: Option<u64>,
    /// What the last full reading of the screen showed: a look at the same
    /// rows, with none scrolled and nothing typed since, shows the same (an
    /// agent's spinner redraws the screen many times a second in new colours).
    last: Option<Observation>,
    /// Full readings of the screen so far (looks that read it with the rules).
    readings: u64,
}

impl Observer {
    pub fn new(rules: ScreenRules) -> Observer {
        Observer {
            claims: ClaimReader::new(rules.tool_output.clone()),
            rules,
            dialogs: Vec::new(),
            previous: Vec::new(),
            previous_calm: Vec::new(),
            scrolled_done: 0,
            scrolled_compactions: 0,
            scrolled_tokens: None,
            last: None,
            readings: 0,
        }
    }

    /// An observer that also says which of `dialogs` (by index) a screen
    /// shows. `Observer::for_adapter` (in `agent::adapter`) gives it an adapter's.
    pub fn with_dialogs(rules: ScreenRules, dialogs: Vec<RegexSet>) -> Observer {
        Observer {
            dialogs,
            ..Observer::new(rules)
        }
    }

    /// goalie typed `text`, which starts a turn whose claim nonce is `nonce`:
    /// its echo never counts as a claim, and only blocks with that nonce do.
    pub fn typed(&mut self, text: &str, nonce: &str) {
        self.claims.typed(text);
        self.claims.new_turn(nonce);
        self.last = None;
    }

    /// How many looks read the screen with the rules (the others saw the
    /// same rows as the look before and said the same).
    pub fn readings(&self) -> u64 {
        self.readings
    }

    /// When the usage limit shown on row `last` resets: the adapter's pattern
    /// on the text from that row on, its rows joined with spaces (a message
    /// the terminal wrapped reads as one line).
    fn usage_limit_reset(&self, rows: &[String], last: usize) -> Option<ResetTime> {
        let pattern = self.rules.usage_limit_reset.as_ref()?;
        let text = rows[last..]
            .iter()
            .map(|row| row.trim())
            .filter(|row| !row.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        ResetTime::find(pattern, &text)
    }

    /// Looks at the screen. `scrolled` holds the rows that left the top of the
    /// screen since the previous look.
    pub fn observe(&mut self, rows: &[String], scrolled: &[String]) -> Observation {
        if scrolled.is_empty()
            && rows == self.previous.as_slice()
            && let Some(last) = &self.last
        {
            return Observation {
                changed: false,
                text_changed: false,
                ..last.clone()
            };
        }
        self.readings += 1;
        for row in scrolled {
            if self.rules.done.is_match(row) {
                self.scrolled_done += 1;
            }
            if self.rules.compaction.is_match(row) {
                self.scrolled_compactions += 1;
            }
            if self.rules.tokens_per_reply
                && let Some(tokens) = self.tokens_in(row)
            {
                *self.scrolled_tokens.get_or_insert(0) += tokens;
            }
        }
        let mut observation = Observation {
            changed: rows != self.previous.as_slice() || !scrolled.is_empty(),
            turns_done: self.scrolled_done,
            compactions: self.scrolled_compactions,
            claim: self.claims.read(rows, scrolled),
            bad_wait: self.claims.bad_wait().map(str::to_string),
            ..Observation::default()
        };
        // The last row showing a usage limit.
        let mut last_limit = None;
        for (index, row) in rows.iter().enumerate() {
            if row.trim().is_empty() {
                continue;
            }
            observation.busy |= self.rules.busy.is_match(row);
            observation.idle |= self.rules.idle.is_match(row);
            observation.starting |= self.rules.starting.is_match(row);
            // A usage limit is an API error of its own kind: a row counts as one or the other.
            if self.rules.usage_limit.is_match(row) {
                observation.usage_limit += 1;
                last_limit = Some(index);
            } else if self.rules.api_error.is_match(row) {
                observation.api_error += 1;
            }
            if self.rules.done.is_match(row) {
                observation.turns_done += 1;
            }
            if self.rules.compaction.is_match(row) {
                observation.compactions += 1;
            }
            if self.rules.tokens_per_reply {
                if let Some(tokens) = self.tokens_in(row) {
                    *observation.tokens.get_or_insert(0) += tokens;
                }
            } else if observation.tokens.is_none() {
                observation.tokens = self.tokens_in(row);
            }
            if observation.context_used_pct.is_none() {
                observation.context_used_pct = self.context_in(row);
            }
        }
        observation.usage_limit_reset =
            last_limit.and_then(|last| self.usage_limit_reset(rows, last));
        if self.rules.tokens_per_reply
            && let Some(scrolled) = self.scrolled_tokens
        {
            *observation.tokens.get_or_insert(0) += scrolled;
        }
        observation.dialog = self
            .dialogs
            .iter()
            .position(|detect| rows.iter().any(|row| detect.is_match(row)));
        // A dialog is never the input box, whatever its rows look like (Codex
        // marks the selected option with the same `›` as its prompt).
        observation.idle &= observation.dialog.is_none();
        if observation.changed {
            self.previous.clear();
            self.previous.extend_from_slice(rows);
            let calm: Vec<String> = rows
                .iter()
                .filter(|row| !row.trim().is_empty() && !self.rules.busy.is_match(row))
                .cloned()
                .collect();
            // Rows that only went blank are a redraw under way (gemini-cli's
            // Ink erases its live region in one write and draws it again in
            // the next): no sign of work, and the next look is compared with
            // the screen before the erasure.
            let erased = is_subsequence(&calm, &self.previous_calm);
            observation.text_changed =
                !erased || scrolled.iter().any(|row| !self.rules.busy.is_match(row));
            if !erased {
                self.previous_calm = calm;
            }
        }
        self.last = Some(observation.clone());
        observation
    }

    /// The context gauge's reading as percent used (`Context 32% left` → 68).
    fn context_in(&self, row: &str) -> Option<u8> {
        let captures = self.rules.context.as_ref()?.captures(row)?;
        let percent = |name: &str| -> Option<u8> {
            let value: u8 = captures.name(name)?.as_str().parse().ok()?;
            (value <= 100).then_some(value)
        };
        percent("used").or_else(|| percent("left").map(|left| 100 - left))
    }

    /// The token figure on `row`: the sum of its `tokens` and `tokens_…` groups.
    fn tokens_in(&self, row: &str) -> Option<u64> {
        let pattern = self.rules.tokens.as_ref()?;
        let captures = pattern.captures(row)?;
        let mut total = None;
        for name in pattern.capture_names().flatten() {
            if is_token_group(name)
                && let Some(figure) = captures.name(name)
            {
                *total.get_or_insert(0) += parse_token_figure(figure.as_str())?;
            }
        }
        total
    }
}

/// Whether every row of `rows` is in `of`, in order (only rows vanished).
fn is_subsequence(rows: &[String], of: &[String]) -> bool {
    let mut of = of.iter();
    rows.iter().all(|row| of.any(|other| other == row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::adapter::Adapter;

    fn observer() -> Observer {
        let adapter = Adapter::named("sim", None).unwrap();
        let mut observer = Observer::new(adapter.screen);
        observer.typed("the first prompt", "nonce12345");
        observer
    }

    fn rows(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn working_and_idle_screens_of_the_sim() {
        let mut o = observer();
        let working = rows(
            "  >_ Sim Agent (v1.0)\n\n› fix it\n⠙ Working (3s • esc to interrupt)\n› Ask the sim to do anything\n  sim-model · 1,800 tokens used · Context 99% left",
        );
        let seen = o.observe(&working, &[]);
        assert!(seen.busy && seen.idle && seen.changed);
        assert_eq!(seen.tokens, Some(1_800));
        assert_eq!(seen.context_used_pct, Some(1));
        let again = o.observe(&working, &[]);
        assert!(!again.changed);
        let idle = rows(
            "  >_ Sim Agent (v1.0)\n\n› fix it\n• done\n\n› Ask the sim to do anything\n  sim-model · 3,600 tokens used · Context 98% left",
        );
        let seen = o.observe(&idle, &[]);
        assert!(!seen.busy && seen.idle && seen.changed);
        assert_eq!(seen.tokens, Some(3_600));
    }

    #[test]
    fn a_spinner_frame_changes_the_screen_but_not_its_text() {
        let mut o = observer();
        let frame = |glyph: &str, secs: u32| {
            rows(&format!(
                "› fix it\n{glyph} Working ({secs}s • esc to interrupt)\n› Ask the sim to do anything"
            ))
        };
        assert!(
            o.observe(&frame("⠋", 1), &[]).text_changed,
            "the first look"
        );
        let spun = o.observe(&frame("⠙", 2), &[]);
        assert!(spun.changed && !spun.text_changed);
        let mut more = frame("⠹", 3);
        more.insert(1, "• ran cargo build".into());
        let worked = o.observe(&more, &[]);
        assert!(worked.changed && worked.text_changed);
    }

    #[test]
    fn an_erased_and_redrawn_live_region_is_not_a_text_change() {
        // gemini-cli 0.61.0 while its model is silent: the live region (the
        // busy row, the input box, the footer) is erased in one write and
        // drawn again, one spinner frame on, in the next.
        let adapter = Adapter::named("gemini", None).unwrap();
        let mut o = Observer::for_adapter(&adapter);
        let live = |glyph: &str, secs: u32| {
            rows(&format!(
                "> fix it\n\n {glyph} Thinking... (esc to cancel, {secs}s)    ? for shortcuts\n Shift+Tab to accept edits    1 MCP server\n\n >   Type your message or @path/to/file\n\n workspace (/directory)    sandbox    /model"
            ))
        };
        assert!(o.observe(&live("⠋", 5), &[]).text_changed, "the first look");
        let erased = rows("> fix it\n\n\n\n\n\n\n");
        for secs in 6..40 {
            let seen = o.observe(&erased, &[]);
            assert!(seen.changed && !seen.text_changed, "erased at {secs}s");
            let seen = o.observe(&live("⠙", secs), &[]);
            assert!(seen.busy && seen.changed && !seen.text_changed, "{secs}s");
        }
        // New text above the live region is work.
        let mut worked = live("⠹", 40);
        worked.insert(1, "✓ Shell cargo build".into());
        assert!(o.observe(&worked, &[]).text_changed);
        // And a row that changes rather than vanishes.
        let mut edited = live("⠸", 41);
        edited[1] = "✓ Shell cargo test".into();
        assert!(o.observe(&edited, &[]).text_changed);
    }

    #[test]
    fn the_same_rows_again_are_not_read_again_and_say_the_same() {
        let mut o = observer();
        let block = "• GOALIE-CLAIM nonce12345 complete\n  R1: tests pass\n  GOALIE-END nonce12345";
        let screen = rows(&format!(
            "{block}\n⠙ Working (3s • esc to interrupt)\n› Ask the sim to do anything\n  sim-model · 1,800 tokens used · Context 99% left"
        ));
        let first = o.observe(&screen, &[]);
        assert!(first.changed && first.busy && first.claim.is_some());
        let readings = o.readings();
        for _ in 0..100 {
            let again = o.observe(&screen, &[]);
            assert_eq!(
                again,
                Observation {
                    changed: false,
                    text_changed: false,
                    ..first.clone()
                }
            );
        }
        assert_eq!(o.readings(), readings, "a hundred looks at the same rows");
        // What a fresh observer reads there is what the repeated looks said.
        let mut fresh = observer();
        assert_eq!(fresh.observe(&screen, &[]), first);
        // Rows scrolled away, or a prompt typed, are read again.
        let scrolled = o.observe(&screen, &rows("  Worked for 3s"));
        assert_eq!(o.readings(), readings + 1);
        assert_eq!(scrolled.turns_done, first.turns_done + 1);
        o.typed("continue", "nonce67890");
        let stale = o.observe(&screen, &[]);
        assert_eq!(o.readings(), readings + 2);
        assert_eq!(stale.claim, None, "the new turn's nonce is not the block's");
    }

    #[test]
    fn claims_and_compactions_are_seen_on_screen_and_after_scrolling() {
        let mut o = observer();
        let block = "• GOALIE-CLAIM nonce12345 complete\n  R1: tests pass\n  GOALIE-END nonce12345";
        let seen = o.observe(&rows(&format!("{block}\n• Context compacted")), &[]);
        assert_eq!(seen.compactions, 1);
        assert!(seen.claim.is_some());
        // The rows scroll away: the compaction count and the claim stay.
        let seen = o.observe(
            &rows("other"),
            &rows(&format!("{block}\n• Context compacted")),
        );
        assert_eq!(seen.compactions, 1);
        assert!(seen.claim.is_some());
        // A new turn (a new nonce): the old block is stale.
        o.typed("continue", "nonce67890");
        let seen = o.observe(&rows(block), &[]);
        assert_eq!(seen.claim, None);
    }

    #[test]
    fn echoed_prompts_and_sentences_are_not_claims() {
        let mut o = observer();
        let prompt = "please say GOALIE-CLAIM nonce12345 complete\nR1: x\nGOALIE-END nonce12345";
        o.typed(prompt, "nonce12345");
        let seen = o.observe(&rows(prompt), &[]);
        assert_eq!(seen.claim, None);
        let seen = o.observe(
            &rows("I will print GOALIE-CLAIM nonce12345 complete later.\nGOALIE-END nonce12345"),
            &[],
        );
        assert_eq!(seen.claim, None);
    }

    #[test]
    fn a_dialog_is_never_idle() {
        let text = "name: x\ncommand: y\nscreen:\n  busy: [busy]\n  idle: ['^› ']\ndialogs:\n  - name: trust\n    detect: ['Trust this folder\\?']\n    policy: accept\n";
        let adapter = Adapter::from_yaml(text, std::path::Path::new("x.yaml")).unwrap();
        let mut o = Observer::for_adapter(&adapter);
        let seen = o.observe(
            &rows("Trust this folder? Codex can read\n› 1. Trust and continue"),
            &[],
        );
        assert_eq!(seen.dialog, Some(0));
        assert!(!seen.idle);
        let seen = o.observe(&rows("› Ask Codex to do anything"), &[]);
        assert_eq!(seen.dialog, None);
        assert!(seen.idle);
    }

    #[test]
    fn codexs_splash_is_a_start_screen_still_being_drawn() {
        let adapter = Adapter::named("codex", None).unwrap();
        let mut o = Observer::for_adapter(&adapter);
        let splash = "  >_ OpenAI Codex (v0.169.0)\n     loading\n      ⣀⣤⣤⣤⣀⣀\n    ⣠⣶⣿⣿⣿⣿⣿⣿⣿⣿⣦⣤⣤\n› Ask Codex to do anything\n  ? for shortcuts";
        let seen = o.observe(&rows(splash), &[]);
        assert!(seen.idle && seen.starting);
        let with_path = splash.replace("     loading", "     /home/me/project");
        assert!(
            o.observe(&rows(&with_path), &[]).starting,
            "the footer hint alone"
        );
        // The logo stays on the full screen.
        let ready = "  >_ OpenAI Codex (v0.169.0)\n     /home/me/project\n      ⣀⣤⣤⣤⣀⣀\n› Ask Codex to do anything\n  fake-model default · Ready · Context 100% left\n  ← for agents · ? for shortcuts                ⚠ 1 warning · f2 to view";
        let seen = o.observe(&rows(ready), &[]);
        assert!(seen.idle && !seen.starting);
    }

    #[test]
    fn per_reply_figures_add_up_across_the_screen_and_scrolled_rows() {
        let text = "name: x\ncommand: y\nscreen:\n  busy: [busy]\n  idle: ['^> ']\n  tokens: 'Tokens: (?P<tokens_sent>[\\d.]+k?) sent, (?P<tokens_received>[\\d.]+k?) received'\n  tokens_per_reply: true\n";
        let adapter = Adapter::from_yaml(text, std::path::Path::new("x.yaml")).unwrap();
        let mut o = Observer::for_adapter(&adapter);
        let seen = o.observe(&rows("> hi\nTokens: 1.5k sent, 50 received.\n> "), &[]);
        assert_eq!(seen.tokens, Some(1_550));
        let seen = o.observe(
            &rows("Tokens: 2k sent, 7 received.\n> "),
            &rows("> hi\nTokens: 1.5k sent, 50 received."),
        );
        assert_eq!(seen.tokens, Some(3_557));
        let seen = o.observe(&rows("> "), &rows("Tokens: 2k sent, 7 received."));
        assert_eq!(seen.tokens, Some(3_557));
    }

    #[test]
    fn usage_limits_and_api_errors_are_counted_row_by_row() {
        let text = "name: x\ncommand: y\nscreen:\n  busy: [busy]\n  idle: ['^> ']\n  usage_limit: ['Error: 429']\n  api_error: ['^Error: ']\n";
        let adapter = Adapter::from_yaml(text, std::path::Path::new("x.yaml")).unwrap();
        let mut o = Observer::for_adapter(&adapter);
        let seen = o.observe(&rows("> hi\nError: 500 busy\n> "), &[]);
        assert_eq!((seen.usage_limit, seen.api_error), (0, 1));
        let seen = o.observe(
            &rows("> hi\nError: 500 busy\n> again\nError: 429 quota\nError: 503\n> "),
            &[],
        );
        assert_eq!(
            (seen.usage_limit, seen.api_error),
            (1, 2),
            "the usage-limit row is not an API error too"
        );
        let seen = o.observe(&rows("> "), &[]);
        assert_eq!((seen.usage_limit, seen.api_error), (0, 0));
    }

    #[test]
    fn garbage_rows_do_not_panic() {
        let mut o = observer();
        let garbage: Vec<String> = vec!["\u{0}\u{1b}[[[".into(), "�".repeat(500), "K".into()];
        let seen = o.observe(&garbage, &garbage);
        assert_eq!(seen.claim, None);
    }
}
