//! Every fuzz target's corpus (`fuzz/corpus/TARGET/`) and the inputs of its
//! past findings (`fuzz/regressions/TARGET/`), fed to the same function the
//! target calls (`goalie::cli::fuzz_targets`), on stable: a crash once found
//! stays fixed. `cargo fuzz run TARGET` (nightly) explores further.

use std::path::{Path, PathBuf};

use goalie::cli::fuzz_targets::TARGETS;

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_and_regression_input_runs_through_its_target() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut fed = 0;
    for (name, target) in TARGETS {
        let corpus = files(&fuzz.join("corpus").join(name));
        assert!(!corpus.is_empty(), "fuzz/corpus/{name}/ is empty");
        assert!(
            fuzz.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "no fuzz target {name}"
        );
        for file in corpus
            .iter()
            .chain(&files(&fuzz.join("regressions").join(name)))
        {
            let bytes = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&bytes));
            assert!(outcome.is_ok(), "{} panicked", file.display());
            fed += 1;
        }
    }
    // Each folder of the corpus is a target's.
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir)) else {
            continue; // No finding yet: no `regressions/`.
        };
        for entry in entries.filter_map(Result::ok).filter(|e| e.path().is_dir()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                TARGETS.iter().any(|(target, _)| *target == name),
                "fuzz/{dir}/{name} names no target"
            );
        }
    }
    assert!(fed >= TARGETS.len());
}
