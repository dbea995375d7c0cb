//! Each built-in adapter's screen rules against recorded screens of the real
//! CLI, one fixture per CLI version and situation (`tests/fixtures/screens/`,
//! named `AGENT-VERSION-SITUATION.txt`). A CLI update that changes its screen
//! shows up here as a failing fixture, not as a misdetection in an overnight run.

use goalie::agent::adapter::Adapter;
use goalie::core::observer::{Observation, Observer};
use goalie::core::usage_reset::ResetTime;

fn look(agent: &str, fixture: &str) -> Observation {
    let path = format!(
        "{}/tests/fixtures/screens/{fixture}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let rows: Vec<String> = text.lines().map(str::to_string).collect();
    let adapter = Adapter::named(agent, None).expect("built-in adapter");
    Observer::for_adapter(&adapter).observe(&rows, &[])
}

#[test]
fn codex_0_169_0() {
    let idle = look("codex", "codex-0.169.0-idle-after-turn");
    assert!(!idle.busy && idle.idle, "idle after a turn: {idle:?}");
    assert_eq!(idle.turns_done, 1);
    assert_eq!(
        idle.compactions, 1,
        "the banner of the compaction earlier in the turn"
    );
    assert_eq!(idle.tokens, Some(443_000));

    let working = look("codex", "codex-0.169.0-working-tool-calls");
    assert!(
        working.busy && working.idle,
        "the input box shows while it works: {working:?}"
    );
    assert_eq!(working.turns_done, 0);

    let compacting = look("codex", "codex-0.169.0-compacting-mid-turn");
    assert!(compacting.busy, "{compacting:?}");
    assert_eq!(compacting.compactions, 0, "not compacted yet");

    let trust = look("codex", "codex-0.169.0-trust-dialog");
    assert_eq!(trust.dialog, Some(0), "{trust:?}");
    assert!(!trust.idle, "`› 1. Trust and continue` is not the prompt");

    let compacted = look("codex", "codex-0.169.0-compacted-still-working");
    assert!(
        compacted.busy,
        "it carries on after compacting: {compacted:?}"
    );
    assert_eq!(compacted.compactions, 1);
    assert_eq!(compacted.tokens, Some(225_000));

    let limit = look("codex", "codex-0.169.0-usage-limit");
    assert_eq!(
        (limit.usage_limit, limit.api_error),
        (1, 0),
        "`■ You’ve hit your usage limit.`: {limit:?}"
    );
    assert!(!limit.busy && limit.idle);
    // `… or try again` / `at 3:35 PM.`, wrapped onto the next row.
    assert_eq!(
        limit.usage_limit_reset,
        Some(ResetTime::At {
            date: None,
            hour: 15,
            minute: 35,
            shown: "try again at 3:35 PM".into()
        })
    );
    // A reset on a later day is shown with its date.
    let later = look("codex", "codex-0.169.0-usage-limit-later-day");
    assert_eq!(
        later.usage_limit_reset,
        Some(ResetTime::At {
            date: Some((2026, 11, 30)),
            hour: 20,
            minute: 56,
            shown: "try again at Nov 30th, 2026 8:56 PM".into()
        })
    );
    let error = look("codex", "codex-0.169.0-api-error-500");
    assert_eq!(
        (error.usage_limit, error.api_error),
        (0, 1),
        "`■ We’re currently experiencing high demand` once its retries are spent: {error:?}"
    );
    assert!(!error.busy && error.idle);
    let retrying = look("codex", "codex-0.169.0-api-error-retrying");
    assert_eq!(
        (retrying.usage_limit, retrying.api_error),
        (0, 0),
        "`Reconnecting... 3/5` is not the error yet: {retrying:?}"
    );
    assert!(retrying.busy);
}

#[test]
fn claude_2_1_197() {
    let idle = look("claude", "claude-2.1.197-idle-after-turn");
    assert!(!idle.busy && idle.idle, "idle after a turn: {idle:?}");
    assert_eq!(
        idle.turns_done, 2,
        "`✻ Brewed for 10s` and `✻ Churned for 6s`"
    );

    // Its whole start screen comes in one frame (no splash before the input
    // box): ready for the first prompt as drawn.
    let start = look("claude", "claude-2.1.197-start-screen");
    assert!(start.idle && !start.busy && !start.starting, "{start:?}");
    assert_eq!(start.dialog, None);
    let adapter = Adapter::named("claude", None).expect("built-in adapter");
    assert!(adapter.screen.start_known, "`screen.starting: []`");

    let trust = look("claude", "claude-2.1.197-trust-dialog");
    assert_eq!(trust.dialog, Some(0), "{trust:?}");
    assert!(!trust.idle && !trust.busy);
    let key = look("claude", "claude-2.1.197-api-key-dialog");
    assert_eq!(key.dialog, Some(1), "{key:?}");
    assert!(!key.idle && !key.busy);

    let working = look("claude", "claude-2.1.197-working-tool-calls");
    assert!(
        working.busy && working.idle,
        "`✢ Bunning… (4s · ↓ 71 tokens)`: {working:?}"
    );
    assert_eq!(working.compactions, 0);

    // After a "prompt is too long" error it compacts on its own and answers.
    let reactive = look("claude", "claude-2.1.197-compacted-reactive");
    assert_eq!(reactive.compactions, 1, "{reactive:?}");
    assert!(!reactive.busy && reactive.idle, "{reactive:?}");
    // `/compact` prints its own line under the header: still one compaction.
    let command = look("claude", "claude-2.1.197-compacted-by-command");
    assert_eq!(command.compactions, 1, "{command:?}");
    assert!(!command.busy && command.idle, "{command:?}");

    let limit = look("claude", "claude-2.1.197-usage-limit-429");
    assert_eq!(
        (limit.usage_limit, limit.api_error),
        (1, 0),
        "`● API Error: Request rejected (429)` is the usage limit, not another API error: {limit:?}"
    );
    assert!(!limit.busy && limit.idle);
    let error = look("claude", "claude-2.1.197-api-error-500");
    assert_eq!(
        (error.usage_limit, error.api_error),
        (0, 1),
        "`● API Error: 500 …` after 10 attempts: {error:?}"
    );
    assert!(!error.busy && error.idle);
    assert_eq!(error.turns_done, 1, "`✻ Churned for 3m 5s` ends the turn");
    let retrying = look("claude", "claude-2.1.197-api-error-retrying");
    assert_eq!(
        (retrying.usage_limit, retrying.api_error),
        (0, 0),
        "`✻ API error · Retrying in 21s · attempt 7/10`: {retrying:?}"
    );
    assert!(retrying.busy);
}

#[test]
fn gemini_0_61_0() {
    let idle = look("gemini", "gemini-0.61.0-idle-after-turn");
    assert!(!idle.busy && idle.idle, "idle after a turn: {idle:?}");
    assert_eq!(idle.dialog, None);

    let working = look("gemini", "gemini-0.61.0-working");
    assert!(
        working.busy && working.idle,
        "`⠇ Thinking... (esc to cancel, 3s)` above the input box: {working:?}"
    );

    let trust = look("gemini", "gemini-0.61.0-trust-dialog");
    assert_eq!(trust.dialog, Some(0), "{trust:?}");
    assert!(!trust.idle && !trust.busy);

    let permission = look("gemini", "gemini-0.61.0-shell-permission-dialog");
    assert_eq!(permission.dialog, Some(1), "{permission:?}");
    assert!(!permission.idle && !permission.busy);
    assert_eq!(idle.compactions, 0);

    let compressed = look("gemini", "gemini-0.61.0-compressed");
    assert_eq!(
        compressed.compactions, 1,
        "`Chat history compressed from 9000 to 152 tokens.`: {compressed:?}"
    );
    assert!(!compressed.busy && compressed.idle, "{compressed:?}");

    let quota = look("gemini", "gemini-0.61.0-quota-dialog");
    assert_eq!(
        quota.dialog,
        Some(2),
        "`Usage limit reached for gemini-3.8-flash.`, answered `2. Stop`: {quota:?}"
    );
    assert!(!quota.idle && !quota.busy);
    assert_eq!(
        (quota.usage_limit, quota.api_error),
        (0, 0),
        "the dialog is not the message"
    );
    let limit = look("gemini", "gemini-0.61.0-usage-limit");
    assert_eq!(
        (limit.usage_limit, limit.api_error),
        (1, 0),
        "`✕ [API Error: You have exhausted your daily quota on this model.]`: {limit:?}"
    );
    assert!(!limit.busy && limit.idle);
    let error = look("gemini", "gemini-0.61.0-api-error-400");
    assert_eq!(
        (error.usage_limit, error.api_error),
        (0, 1),
        "`✕ [API Error: {{\"error\":{{\"code\":400,…` at once (a 500 is retried for minutes): {error:?}"
    );
    assert!(!error.busy && error.idle);
}

#[test]
fn opencode_1_18_33() {
    let start = look("opencode", "opencode-1.18.33-idle-start");
    assert!(!start.busy && start.idle, "{start:?}");
    assert_eq!(start.turns_done, 0);

    let working = look("opencode", "opencode-1.18.33-working");
    assert!(working.busy && working.idle, "{working:?}");
    assert_eq!(
        working.turns_done, 0,
        "`▣  Build · fake-model` has no time yet"
    );

    let idle = look("opencode", "opencode-1.18.33-idle-after-turn");
    assert!(!idle.busy && idle.idle, "{idle:?}");
    assert_eq!(idle.turns_done, 1, "`▣  Build · fake-model · 4.0s`");
    assert_eq!(idle.tokens, None, "the sidebar's context size is not usage");
    assert_eq!(idle.compactions, 0);

    let compacted = look("opencode", "opencode-1.18.33-compacted");
    assert_eq!(
        compacted.compactions, 1,
        "the `Compaction` divider: {compacted:?}"
    );
    assert!(!compacted.busy && compacted.idle, "{compacted:?}");
    assert_eq!(
        compacted.turns_done, 2,
        "the reply before it, and the summary's own `▣  Compaction · fake-model · 59ms`"
    );

    let permission = look("opencode", "opencode-1.18.33-permission-dialog");
    assert_eq!(permission.dialog, Some(0), "{permission:?}");
    assert!(!permission.idle, "{permission:?}");

    let retrying = look("opencode", "opencode-1.18.33-usage-limit-retrying");
    assert!(
        retrying.busy,
        "`[retrying in 29s attempt #5]` in place of `esc interrupt`: {retrying:?}"
    );
    assert_eq!((retrying.usage_limit, retrying.api_error), (0, 0));
    let limit = look("opencode", "opencode-1.18.33-usage-limit");
    assert_eq!(
        (limit.usage_limit, limit.api_error),
        (1, 0),
        "`┃  You exceeded your current quota, …` after 6 attempts: {limit:?}"
    );
    assert!(!limit.busy && limit.idle);
    let server = look("opencode", "opencode-1.18.33-server-error-500");
    assert!(!server.busy && server.idle, "{server:?}");
    assert_eq!(
        (server.usage_limit, server.api_error),
        (0, 0),
        "`┃  fake model: scripted HTTP 500` reads like a prompt: not detected"
    );
    assert_eq!(
        server.turns_done, 0,
        "`▣  Build · fake-model` without a time"
    );
}

#[test]
fn aider_0_86_2() {
    let idle = look("aider", "aider-0.86.2-idle-after-turn");
    assert!(!idle.busy && idle.idle, "{idle:?}");
    assert_eq!(idle.turns_done, 1);
    assert_eq!(
        idle.tokens,
        Some(10_050),
        "`Tokens: 10k sent, 50 received.`"
    );

    let working = look("aider", "aider-0.86.2-working-waiting");
    assert!(working.busy, "`Waiting for openai/fake-model`: {working:?}");
    assert_eq!(working.turns_done, 0);

    // Without --yes-always its questions are dialogs; the first that matches is answered.
    let dialog = |name: &str| {
        let adapter = goalie::agent::adapter::Adapter::named("aider", None).unwrap();
        adapter.dialogs.iter().position(|d| d.name == name)
    };
    let shell = look("aider", "aider-0.86.2-shell-command-dialog");
    assert_eq!(shell.dialog, dialog("run-shell-command"), "{shell:?}");
    assert!(!shell.idle && !shell.busy, "{shell:?}");
    assert_eq!(shell.turns_done, 1, "the reply ended before the question");

    let url = look("aider", "aider-0.86.2-open-url-dialog");
    assert_eq!(url.dialog, dialog("open-url-or-install"), "{url:?}");

    // Once answered, the question's row ends with the answer: no dialog any more.
    let after = look("aider", "aider-0.86.2-idle-after-shell-command");
    assert_eq!(after.dialog, None, "{after:?}");
    assert!(after.idle && !after.busy, "{after:?}");
    let limit = look("aider", "aider-0.86.2-usage-limit");
    assert_eq!(
        (limit.usage_limit, limit.api_error),
        (9, 0),
        "`litellm.RateLimitError: …` once per attempt, none an API error too: {limit:?}"
    );
    assert!(!limit.busy && limit.idle);
    let error = look("aider", "aider-0.86.2-api-error-500");
    assert_eq!(
        (error.usage_limit, error.api_error),
        (0, 9),
        "`litellm.InternalServerError: …` once per attempt: {error:?}"
    );
    assert!(!error.busy && error.idle);
}

/// No screen but a usage limit's or an API error's shows one: idle, working
/// and dialog screens, and an agent still retrying, show neither.
#[test]
fn only_error_screens_show_errors() {
    let dir = format!("{}/tests/fixtures/screens", env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(name) = name.strip_suffix(".txt") else {
            continue;
        };
        checked += 1;
        let agent = name.split('-').next().unwrap();
        let seen = look(agent, name);
        let expected = if name.ends_with("-retrying") {
            (0, 0)
        } else if name.contains("-usage-limit") {
            (1, 0)
        } else if name.contains("-api-error-") {
            (0, 1)
        } else {
            (0, 0)
        };
        assert_eq!(
            (seen.usage_limit.min(1), seen.api_error.min(1)),
            expected,
            "{name}: (usage limit, API error) rows"
        );
    }
    // An empty or misplaced fixture folder checks nothing: that is a failure.
    assert!(checked > 0, "no screens in {dir}");
}

#[test]
fn every_fixture_is_checked_by_a_test() {
    let dir = format!("{}/tests/fixtures/screens", env!("CARGO_MANIFEST_DIR"));
    let this = include_str!("adapter_fixtures.rs");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".txt")
            .to_string();
        if name.ends_with("README") || name == "README.md" {
            continue;
        }
        assert!(
            this.contains(&format!("\"{name}\"")),
            "fixture {name} is not tested"
        );
        checked += 1;
    }
    assert!(checked > 0, "no screens in {dir}");
}
