//! The agents' own settings that goalie's adapters rely on, read from the
//! agents' files as the agents read them (what `goalie doctor` shows; see
//! `readiness.rs` for Codex's trusted folder):
//!
//! - Claude Code's state, `$CLAUDE_CONFIG_DIR/.claude.json` (else
//!   `~/.claude.json`): its first-run screens done (`hasCompletedOnboarding`;
//!   no adapter dialog answers them), this folder or one above it trusted
//!   (`projects[DIR].hasTrustDialogAccepted`; else its trust dialog, which
//!   goalie accepts), and an `ANTHROPIC_API_KEY` approved (its last 20
//!   characters in `customApiKeyResponses.approved`; else Claude Code asks,
//!   and goalie leaves that question to the person).
//! - gemini-cli's settings (`~/.gemini/settings.json`, or under
//!   `$GEMINI_CLI_HOME`; the system's and the folder's own too): a sign-in
//!   method chosen (`security.auth.selectedType`, else one its environment
//!   names, such as `GEMINI_API_KEY`; with neither it waits for a Google
//!   sign-in at its start, which no adapter dialog answers), and, while folder
//!   trust is on (its default), this folder's rule in `trustedFolders.json`
//!   (the longest rule that covers it; `TRUST_PARENT` covers the rule's
//!   parent), else its trust dialog, which goalie accepts. A trusted-folders
//!   file it cannot read stops gemini-cli at its start.
//!
//! Nothing is written. Each finding is ok, a note (goalie copes, or a person
//! must answer once), or a problem (goalie's run would not get going).

use std::path::{Path, PathBuf};

use serde_json::Value;

/// How a setting stands for goalie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Ok,
    /// goalie copes (it answers the dialog), or an unattended run would wait
    /// for the person once.
    Note,
    /// goalie's run would not get going.
    Problem,
}

/// One of an agent's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub agent: &'static str,
    pub setting: &'static str,
    pub standing: Standing,
    pub detail: String,
}

fn finding(
    agent: &'static str,
    setting: &'static str,
    standing: Standing,
    detail: String,
) -> Finding {
    Finding {
        agent,
        setting,
        standing,
        detail,
    }
}

/// A variable, empty counting as unset.
fn var(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|value| !value.is_empty())
}

/// The home folder: `HOME`, else the system's idea of it.
fn home(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    var(env, "HOME").map(PathBuf::from).or_else(dirs::home_dir)
}

/// JSON read as the agents read it (comments allowed); `Ok(None)`: no file.
fn read_json(path: &Path) -> Result<Option<Value>, String> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err.to_string()),
    };
    let mut text = String::new();
    json_comments::StripComments::new(file)
        .read_to_string(&mut text)
        .map_err(|err| err.to_string())?;
    if text.trim().is_empty() {
        return Ok(Some(Value::Object(Default::default())));
    }
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|err| err.to_string())
}

/// Claude Code's findings for a run in `workdir`.
pub fn claude(workdir: &Path, env: &dyn Fn(&str) -> Option<String>) -> Vec<Finding> {
    let dir = var(env, "CLAUDE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| home(env));
    let Some(dir) = dir else {
        return Vec::new();
    };
    let path = dir.join(".claude.json");
    let shown = path.display().to_string();
    let state = match read_json(&path) {
        Ok(state) => state.unwrap_or(Value::Null),
        Err(err) => {
            return vec![finding(
                "claude",
                "state",
                Standing::Problem,
                format!("cannot read {shown}: {err}"),
            )];
        }
    };
    let mut out = Vec::new();
    out.push(if state["hasCompletedOnboarding"] == true {
        finding(
            "claude",
            "first run",
            Standing::Ok,
            format!("done ({shown})"),
        )
    } else {
        finding(
            "claude",
            "first run",
            Standing::Problem,
            format!(
                "not done in {shown}: Claude Code shows its first-run screens (theme, sign-in), \
                 which goalie does not answer; run `claude` here once yourself"
            ),
        )
    });
    let trusted = workdir.ancestors().find_map(|dir| {
        let key = dir.to_string_lossy();
        (state["projects"][key.as_ref()]["hasTrustDialogAccepted"] == true)
            .then(|| key.into_owned())
    });
    out.push(match trusted {
        Some(folder) => finding(
            "claude",
            "trusted folder",
            Standing::Ok,
            format!("{folder} is trusted in {shown}"),
        ),
        None => finding(
            "claude",
            "trusted folder",
            Standing::Note,
            format!(
                "{} is not trusted in {shown}: Claude Code asks at its start (goalie answers \
                 yes, as its trust-folder dialog policy says)",
                workdir.display()
            ),
        ),
    });
    if let Some(key) = var(env, "ANTHROPIC_API_KEY") {
        let tail: String = {
            let chars: Vec<char> = key.chars().collect();
            chars[chars.len().saturating_sub(20)..].iter().collect()
        };
        let listed = |list: &str| {
            state["customApiKeyResponses"][list]
                .as_array()
                .is_some_and(|keys| keys.iter().any(|k| k == tail.as_str()))
        };
        out.push(if listed("approved") {
            finding(
                "claude",
                "API key",
                Standing::Ok,
                format!("ANTHROPIC_API_KEY is approved in {shown}"),
            )
        } else if listed("rejected") {
            finding(
                "claude",
                "API key",
                Standing::Problem,
                format!(
                    "ANTHROPIC_API_KEY was declined in {shown}: Claude Code will not use it and \
                     asks you to sign in instead"
                ),
            )
        } else {
            finding(
                "claude",
                "API key",
                Standing::Note,
                format!(
                    "ANTHROPIC_API_KEY is not approved in {shown}: Claude Code asks whether to \
                     use it, and goalie leaves that to you (its custom-api-key dialog policy is \
                     escalate), so an unattended run waits; answer it once in `claude`"
                ),
            )
        });
    }
    out
}

/// gemini-cli's findings for a run in `workdir`.
pub fn gemini(workdir: &Path, env: &dyn Fn(&str) -> Option<String>) -> Vec<Finding> {
    let Some(home) = var(env, "GEMINI_CLI_HOME")
        .map(PathBuf::from)
        .or_else(|| home(env))
    else {
        return Vec::new();
    };
    let user = home.join(".gemini/settings.json");
    let system = var(env, "GEMINI_CLI_SYSTEM_SETTINGS_PATH").map_or_else(
        || PathBuf::from("/etc/gemini-cli/settings.json"),
        PathBuf::from,
    );
    let workspace = workdir.join(".gemini/settings.json");
    // Unreadable settings are the MCP registration's finding (goalie reads
    // the user's to add its server); here they count as unset.
    let read = |path: &Path| read_json(path).ok().flatten().unwrap_or(Value::Null);
    let (user_settings, system_settings) = (read(&user), read(&system));
    let mut out = Vec::new();
    let auth = [&system_settings, &user_settings, &read(&workspace)]
        .iter()
        .find_map(|settings| {
            settings["security"]["auth"]["selectedType"]
                .as_str()
                .map(String::from)
        });
    out.push(match (auth, gemini_env_auth(env)) {
        (Some(kind), _) => finding(
            "gemini",
            "sign-in",
            Standing::Ok,
            format!("security.auth.selectedType is {kind}"),
        ),
        (None, Some((kind, from))) => finding(
            "gemini",
            "sign-in",
            Standing::Note,
            format!(
                "no security.auth.selectedType in {}: gemini-cli takes {kind} from {from}",
                user.display()
            ),
        ),
        (None, None) => finding(
            "gemini",
            "sign-in",
            Standing::Problem,
            format!(
                "no sign-in method chosen (security.auth.selectedType in {}, or GEMINI_API_KEY): \
                 gemini-cli waits for a Google sign-in at its start, which goalie does not \
                 answer; run `gemini` once yourself and choose one",
                user.display()
            ),
        ),
    });
    out.push(gemini_trust(
        workdir,
        env,
        &home,
        [&system_settings, &user_settings],
    ));
    out
}

/// The sign-in gemini-cli takes from its environment when its settings
/// choose none, in its order: (method, variable).
fn gemini_env_auth(env: &dyn Fn(&str) -> Option<String>) -> Option<(&'static str, &'static str)> {
    let is_true = |name| var(env, name).as_deref() == Some("true");
    if is_true("GOOGLE_GENAI_USE_GCA") {
        Some(("oauth-personal", "GOOGLE_GENAI_USE_GCA"))
    } else if is_true("GOOGLE_GENAI_USE_VERTEXAI") {
        Some(("vertex-ai", "GOOGLE_GENAI_USE_VERTEXAI"))
    } else if var(env, "GOOGLE_GEMINI_BASE_URL").is_some() {
        Some(("gateway", "GOOGLE_GEMINI_BASE_URL"))
    } else if var(env, "GEMINI_API_KEY").is_some() {
        Some(("gemini-api-key", "GEMINI_API_KEY"))
    } else if is_true("CLOUD_SHELL") || is_true("GEMINI_CLI_USE_COMPUTE_ADC") {
        Some(("compute-default-credentials", "CLOUD_SHELL"))
    } else {
        None
    }
}

fn gemini_trust(
    workdir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    home: &Path,
    settings: [&Value; 2],
) -> Finding {
    let trust = |standing, detail| finding("gemini", "trusted folder", standing, detail);
    match var(env, "GEMINI_CLI_TRUST_WORKSPACE").as_deref() {
        Some("true") => return trust(Standing::Ok, "GEMINI_CLI_TRUST_WORKSPACE=true".into()),
        Some("false") => {
            return trust(
                Standing::Note,
                "GEMINI_CLI_TRUST_WORKSPACE=false: gemini-cli treats this folder as untrusted"
                    .into(),
            );
        }
        _ => {}
    }
    // The system's setting wins over the user's, as gemini-cli merges them.
    let enabled = settings
        .iter()
        .find_map(|s| s["security"]["folderTrust"]["enabled"].as_bool())
        .unwrap_or(true);
    if !enabled {
        return trust(
            Standing::Ok,
            "folder trust is off (security.folderTrust.enabled)".into(),
        );
    }
    let path = var(env, "GEMINI_CLI_TRUSTED_FOLDERS_PATH")
        .map_or_else(|| home.join(".gemini/trustedFolders.json"), PathBuf::from);
    let shown = path.display();
    let rules = match read_json(&path) {
        Ok(rules) => rules.unwrap_or(Value::Null),
        Err(err) => {
            return trust(
                Standing::Problem,
                format!(
                    "cannot read {shown}: {err}: gemini-cli stops at its start until it is fixed"
                ),
            );
        }
    };
    let place = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let here = place(workdir);
    let rule = rules.as_object().and_then(|rules| {
        rules
            .iter()
            .filter_map(|(rule, level)| {
                let level = level.as_str()?;
                let covered = match level {
                    "TRUST_PARENT" => Path::new(rule).parent().unwrap_or(Path::new(rule)),
                    _ => Path::new(rule),
                };
                here.starts_with(place(covered))
                    .then_some((rule.len(), rule, level))
            })
            .max_by_key(|(len, _, _)| *len)
    });
    match rule {
        Some((_, rule, "TRUST_FOLDER" | "TRUST_PARENT")) => trust(
            Standing::Ok,
            format!("{} is trusted by {rule} in {shown}", workdir.display()),
        ),
        Some((_, rule, level)) => trust(
            Standing::Note,
            format!(
                "{} is {level} by {rule} in {shown}: gemini-cli runs here as in an untrusted folder",
                workdir.display()
            ),
        ),
        None => trust(
            Standing::Note,
            format!(
                "{} is not trusted in {shown}: gemini-cli asks at its start (goalie answers yes, \
                 as its trust-folder dialog policy says)",
                workdir.display()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn standing(findings: &[Finding], setting: &str) -> Standing {
        findings
            .iter()
            .find(|f| f.setting == setting)
            .unwrap_or_else(|| panic!("no {setting}: {findings:?}"))
            .standing
    }

    #[test]
    fn claude_onboarding_trust_and_key_are_read_from_its_state() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work/sub");
        let env = env_of(&[
            ("CLAUDE_CONFIG_DIR", dir.path().display().to_string()),
            (
                "ANTHROPIC_API_KEY",
                "sk-0123456789abcdefghijKLMNOPQRST".into(),
            ),
        ]);
        let none = claude(&work, &env);
        assert_eq!(standing(&none, "first run"), Standing::Problem);
        assert_eq!(standing(&none, "trusted folder"), Standing::Note);
        assert_eq!(standing(&none, "API key"), Standing::Note);
        let state = serde_json::json!({
            "hasCompletedOnboarding": true,
            "customApiKeyResponses": {"approved": ["abcdefghijKLMNOPQRST"]},
            "projects": {dir.path().join("work").display().to_string(): {"hasTrustDialogAccepted": true}},
        });
        std::fs::write(dir.path().join(".claude.json"), state.to_string()).unwrap();
        let all = claude(&work, &env);
        for setting in ["first run", "trusted folder", "API key"] {
            assert_eq!(standing(&all, setting), Standing::Ok, "{setting}: {all:?}");
        }
        std::fs::write(dir.path().join(".claude.json"), "{").unwrap();
        assert_eq!(standing(&claude(&work, &env), "state"), Standing::Problem);
    }

    #[test]
    fn gemini_sign_in_and_folder_trust_are_read_as_it_reads_them() {
        let home = tempfile::tempdir().unwrap();
        let work = home.path().join("work/sub");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::create_dir_all(home.path().join(".gemini")).unwrap();
        let env = env_of(&[
            ("GEMINI_CLI_HOME", home.path().display().to_string()),
            (
                "GEMINI_CLI_SYSTEM_SETTINGS_PATH",
                "/nonexistent/settings.json".into(),
            ),
        ]);
        let none = gemini(&work, &env);
        assert_eq!(standing(&none, "sign-in"), Standing::Problem);
        let keyed = |name: &str| match name {
            "GEMINI_API_KEY" => Some("k".to_string()),
            name => env(name),
        };
        assert_eq!(standing(&gemini(&work, &keyed), "sign-in"), Standing::Note);
        assert_eq!(standing(&none, "trusted folder"), Standing::Note);
        std::fs::write(
            home.path().join(".gemini/settings.json"),
            "{\n // mine\n \"security\": {\"auth\": {\"selectedType\": \"gemini-api-key\"}}}\n",
        )
        .unwrap();
        // The parent of a TRUST_PARENT rule covers this folder; a longer
        // DO_NOT_TRUST rule wins over a shorter TRUST_FOLDER.
        let rules = home.path().join(".gemini/trustedFolders.json");
        let work_dir = home.path().join("work");
        std::fs::write(
            &rules,
            serde_json::json!({ work_dir.join("x").display().to_string(): "TRUST_PARENT" })
                .to_string(),
        )
        .unwrap();
        let trusted = gemini(&work, &env);
        assert_eq!(standing(&trusted, "sign-in"), Standing::Ok);
        assert_eq!(
            standing(&trusted, "trusted folder"),
            Standing::Ok,
            "{trusted:?}"
        );
        std::fs::write(
            &rules,
            serde_json::json!({
                home.path().display().to_string(): "TRUST_FOLDER",
                work.display().to_string(): "DO_NOT_TRUST",
            })
            .to_string(),
        )
        .unwrap();
        assert_eq!(
            standing(&gemini(&work, &env), "trusted folder"),
            Standing::Note
        );
        std::fs::write(&rules, "{ nope").unwrap();
        assert_eq!(
            standing(&gemini(&work, &env), "trusted folder"),
            Standing::Problem
        );
        std::fs::write(
            home.path().join(".gemini/settings.json"),
            r#"{"security": {"auth": {"selectedType": "x"}, "folderTrust": {"enabled": false}}}"#,
        )
        .unwrap();
        assert_eq!(
            standing(&gemini(&work, &env), "trusted folder"),
            Standing::Ok
        );
    }
}
