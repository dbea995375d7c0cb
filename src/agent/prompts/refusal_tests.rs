//! Overrides that would break a goal are refused when the templates load.

use crate::agent::prompts::{MAX_RENDERED_BYTES, PromptError, Prompts};
use crate::core::prompt::{PromptKind, PromptVars};

fn load_with(files: &[(&str, &str)]) -> Result<Prompts, String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    Prompts::load(Some(dir.path())).map_err(|err: PromptError| {
        err.to_string()
            .replace(&dir.path().display().to_string(), "DIR")
    })
}

#[test]
fn an_override_without_the_nonce_is_refused() {
    let err = load_with(&[("continuation.md", "Keep going on: {{ objective }}\n")]).unwrap_err();
    assert!(
        err.starts_with(
            "DIR/continuation.md:1:1: this template never shows the turn's claim nonce"
        ),
        "{err}"
    );
    // With the nonce (or the part that carries it) it is fine.
    let ok = load_with(&[(
        "continuation.md",
        "Keep going on: {{ objective }}\nNonce: {{ nonce }}\n",
    )])
    .unwrap();
    let text = ok
        .render(PromptKind::Continuation, &PromptVars::sample())
        .unwrap();
    assert!(text.ends_with("Nonce: abcd1234ef"), "{text}");
}

#[test]
fn a_misnamed_override_is_refused_with_the_names_goalie_reads() {
    let err = load_with(&[("continue.md", "Go on. {{ nonce }}\n")]).unwrap_err();
    assert!(
        err.starts_with("DIR/continue.md:1:1: no prompt is named `continue.md`"),
        "{err}"
    );
    assert!(err.contains("continuation.md"), "{err}");
    // Files that are not templates (notes, backups) are left alone.
    assert!(load_with(&[("README.txt", "my notes"), ("start.md.bak", "old")]).is_ok());
}

#[test]
fn a_render_past_the_cap_is_refused_holding_no_more_than_the_cap() {
    // 100 MB if it ran to its end: `x` a thousand times, a hundred thousand times.
    let runaway = "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}{{ nonce }}";
    let err = load_with(&[("start.md", runaway)]).unwrap_err();
    assert!(
        err.contains("the prompt is longer than 256 KiB, the most goalie types into the agent"),
        "{err}"
    );
    assert!(err.starts_with("DIR/start.md:"), "{err}");
    let mut out = super::Capped::default();
    let chunk = vec![b'x'; 1000];
    let written = (0..100_000)
        .take_while(|_| std::io::Write::write(&mut out, &chunk).is_ok())
        .count();
    assert_eq!(out.bytes.len(), MAX_RENDERED_BYTES / 1000 * 1000);
    assert_eq!(written, MAX_RENDERED_BYTES / 1000);
    assert!(out.over);
}

#[test]
fn a_template_that_loops_without_end_runs_out_of_fuel() {
    let spin = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}{{ nonce }}";
    let err = load_with(&[("start.md", spin)]).unwrap_err();
    assert!(err.contains("fuel"), "{err}");
}
