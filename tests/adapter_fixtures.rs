//! Each built-in adapter's screen rules against recorded screens of the real
//! CLI, one fixture per CLI version and situation (`tests/fixtures/screens/`,
//! named `AGENT-VERSION-SITUATION.txt`). A CLI update that changes its screen
//! shows up here as a failing fixture, not as a misdetection in an overnight run.

use goalie::adapter::Adapter;
use goalie::observer::{Observation, Observer};

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
}

#[test]
fn claude_2_1_197() {
    let idle = look("claude", "claude-2.1.197-idle-after-turn");
    assert!(!idle.busy && idle.idle, "idle after a turn: {idle:?}");
    assert_eq!(
        idle.turns_done, 2,
        "`✻ Brewed for 10s` and `✻ Churned for 6s`"
    );

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
        let adapter = goalie::adapter::Adapter::named("aider", None).unwrap();
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
}

#[test]
fn every_fixture_is_checked_by_a_test() {
    let dir = format!("{}/tests/fixtures/screens", env!("CARGO_MANIFEST_DIR"));
    let this = include_str!("adapter_fixtures.rs");
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
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
    }
}
