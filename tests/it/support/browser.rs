//! Headless Chromium (Debian's `chromium`, which `scripts/test` installs when
//! it is missing) loading a page goalie wrote: the DOM after its scripts ran,
//! and what it logged to the console.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Chromium's path; fails the test when it is not installed (there is no
/// other way to know that the page works in a browser).
pub fn require() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
            .find(|candidate| candidate.is_file())
    });
    match found {
        Some(path) => path,
        None => panic!(
            "`chromium` is not on PATH: install it (`apt-get install -y chromium`; scripts/test does){}",
            if std::env::var_os("GOALIE_E2E_REQUIRED").is_some() {
                " (GOALIE_E2E_REQUIRED is set)"
            } else {
                ""
            }
        ),
    }
}

/// What Chromium made of a page.
pub struct Loaded {
    /// The DOM after the page's scripts ran.
    pub dom: String,
    /// The console lines Chromium logged (`CONSOLE(...)`: errors, warnings, logs).
    pub console: Vec<String>,
    pub stderr: String,
}

/// Loads `page` (a local file) in headless Chromium, with no network, in a
/// fresh profile under `scratch`.
pub fn load(page: &Path, scratch: &Path) -> Loaded {
    let chromium = require();
    let profile = scratch.join("chromium-profile");
    std::fs::create_dir_all(&profile).expect("profile dir");
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        // Nothing but the file itself may load.
        "--proxy-server=127.0.0.1:9",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg("--dump-dom")
    .arg(format!("file://{}", page.display()))
    .env("HOME", scratch)
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("start chromium");
    let out = super::finish(child, Duration::from_secs(120));
    assert_eq!(out.code, 0, "chromium failed: {}", out.stderr);
    let console = out
        .stderr
        .lines()
        .filter(|line| line.contains("CONSOLE"))
        .map(String::from)
        .collect();
    Loaded {
        dom: out.stdout,
        console,
        stderr: out.stderr,
    }
}
