//! Launch arguments: the agent's program and arguments, resuming its
//! conversation, the turn-complete hook, and the placeholders (`{goalie}`,
//! `{goal}`, `{db}`, `{file:NAME}`, `…:sh`) filled in for one run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::model::Adapter;

/// The longest prompt passed on a command line, in bytes: far below Linux's
/// limit for one argument (128 KiB) and its total for all (a quarter of the
/// stack limit, 2 MiB by default) with the environment beside it. A longer
/// one is typed.
pub const MAX_PROMPT_ARG: usize = 32 * 1024;

impl Adapter {
    /// The program to run, with `{goalie}` replaced by `goalie_exe`.
    pub fn program(&self, goalie_exe: &Path) -> String {
        self.command
            .replace("{goalie}", &goalie_exe.to_string_lossy())
    }

    /// The default arguments, with `{goalie}` replaced by `goalie_exe`.
    pub fn launch_args(&self, goalie_exe: &Path) -> Vec<String> {
        expand(&self.args, goalie_exe)
    }

    /// The arguments that resume the agent's conversation, if it has them:
    /// `{session_id}` stands for the id of the session to resume (from its
    /// session log); a template that needs one cannot resume without it.
    pub fn resume_launch_args(
        &self,
        goalie_exe: &Path,
        session_id: Option<&str>,
    ) -> Option<Vec<String>> {
        let args = self.resume_args.as_ref()?;
        let needs_id = args.iter().any(|arg| arg.contains("{session_id}"));
        if needs_id && session_id.is_none() {
            return None;
        }
        let args = expand(args, goalie_exe);
        Some(
            args.into_iter()
                .map(|arg| arg.replace("{session_id}", session_id.unwrap_or_default()))
                .collect(),
        )
    }

    /// The arguments that give the agent `prompt` as its first prompt, if the
    /// adapter has them and the prompt is short enough for a command line
    /// (`MAX_PROMPT_ARG`, 32 KiB); else the prompt is to be typed.
    pub fn prompt_launch_args(&self, prompt: &str) -> Option<Vec<String>> {
        let args = self.prompt_args.as_ref()?;
        if prompt.len() > MAX_PROMPT_ARG || prompt.contains('\0') {
            return None;
        }
        Some(
            args.iter()
                .map(|arg| arg.replacen("{prompt}", prompt, 1))
                .collect(),
        )
    }

    /// The arguments that register the turn-complete hook for goal `goal` in
    /// database `db` (escaped as for `mcp_args`).
    pub fn hook_launch_args(&self, goalie_exe: &Path, goal: &str, db: &Path) -> Vec<String> {
        let values = RunValues {
            goalie_exe,
            goal,
            db,
            // Hooks are command lines: the password reaches them in PGPASSWORD.
            db_password: None,
            files: &BTreeMap::new(),
        };
        self.hook_args
            .iter()
            .map(|arg| fill(arg, &values))
            .collect()
    }
}

fn expand(args: &[String], goalie_exe: &Path) -> Vec<String> {
    let exe = goalie_exe.to_string_lossy();
    args.iter()
        .map(|arg| arg.replace("{goalie}", &exe))
        .collect()
}

/// What the placeholders stand for in one run.
pub(super) struct RunValues<'a> {
    pub(super) goalie_exe: &'a Path,
    pub(super) goal: &'a str,
    pub(super) db: &'a Path,
    /// The ledger's password (a PostgreSQL URL's), for `{db_password}`.
    pub(super) db_password: Option<&'a str>,
    /// The paths of the `mcp_files`, by name.
    pub(super) files: &'a BTreeMap<String, PathBuf>,
}

impl RunValues<'_> {
    /// The text for the placeholder `{name}`, if `name` is one: `goalie`,
    /// `goal`, `db`, `db_password` (empty for none) and `file:NAME` escaped for a
    /// JSON or TOML string; `goalie:sh`,
    /// `goal:sh`, `db:sh` as one shell word, then escaped the same way.
    fn value(&self, name: &str) -> Option<String> {
        let exe = self.goalie_exe.to_string_lossy();
        let db = self.db.to_string_lossy();
        let shell = |text: &str| escape(&format!("'{}'", text.replace('\'', "'\\''")));
        Some(match name {
            "goalie" => escape(&exe),
            "goal" => escape(self.goal),
            "db" => escape(&db),
            "db_password" => escape(self.db_password.unwrap_or("")),
            "goalie:sh" => shell(&exe),
            "goal:sh" => shell(self.goal),
            "db:sh" => shell(&db),
            _ => escape(
                &self
                    .files
                    .get(name.strip_prefix("file:")?)?
                    .to_string_lossy(),
            ),
        })
    }
}

/// `template` with its placeholders filled in, in one pass (a value that
/// happens to contain `{goal}` stays as it is); other braces are kept.
pub(super) fn fill(template: &str, values: &RunValues) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let filled = after
            .find('}')
            .and_then(|close| Some((close, values.value(&after[..close])?)));
        match filled {
            Some((close, value)) => {
                out.push_str(&value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` escaped for the inside of a JSON or TOML string: backslash, quote,
/// and control characters as `\uXXXX`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() && (c as u32) < 0x80 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> PathBuf {
        PathBuf::from("my.yaml")
    }

    #[test]
    fn codex_and_claude_register_their_turn_hook_for_the_run_only() {
        let exe = Path::new("/opt/my goalie/goalie");
        let db = Path::new("/data/it's.db");
        let codex = Adapter::named("codex", None).unwrap();
        let args = codex.hook_launch_args(exe, "ab12cd34", db);
        assert_eq!(args[0], "-c");
        let notify = args[1].strip_prefix("notify=").unwrap();
        let notify: Vec<String> = serde_json::from_str(notify).unwrap();
        assert_eq!(
            notify,
            [
                "/opt/my goalie/goalie",
                "hook",
                "turn-complete",
                "--goal",
                "ab12cd34",
                "--db",
                "/data/it's.db",
                "--source",
                "codex-notify"
            ]
        );
        let claude = Adapter::named("claude", None).unwrap();
        let args = claude.hook_launch_args(exe, "ab12cd34", db);
        assert_eq!(args[0], "--settings");
        let settings: serde_json::Value = serde_json::from_str(&args[1]).unwrap();
        assert_eq!(
            settings["hooks"]["Stop"][0]["hooks"][0]["command"],
            "'/opt/my goalie/goalie' hook turn-complete --goal 'ab12cd34' --db '/data/it'\\''s.db' --source claude-stop"
        );
        assert!(Adapter::named("sim", None).unwrap().hook_args.is_empty());
    }

    #[test]
    fn a_first_prompt_goes_on_the_command_line_only_where_the_adapter_says_and_it_fits() {
        let codex = Adapter::named("codex", None).unwrap();
        assert_eq!(
            codex.prompt_launch_args("-Make it so"),
            Some(vec!["--".to_string(), "-Make it so".to_string()])
        );
        let long = "x".repeat(MAX_PROMPT_ARG + 1);
        assert_eq!(codex.prompt_launch_args(&long), None, "too long: typed");
        assert_eq!(codex.prompt_launch_args("a\0b"), None);
        let sim = Adapter::named("sim", None).unwrap();
        assert_eq!(sim.prompt_launch_args("Go"), None, "none: typed");
        let text = "name: x\ncommand: y\nprompt_args: ['--prompt={prompt}']\nscreen:\n  busy: [a]\n  idle: [b]\n";
        let adapter = Adapter::from_yaml(text, &origin()).unwrap();
        assert_eq!(
            adapter.prompt_launch_args("{prompt} twice"),
            Some(vec!["--prompt={prompt} twice".to_string()])
        );
        for bad in ["['--prompt']", "['{prompt}', '{prompt}']"] {
            let text = format!(
                "name: x\ncommand: y\nprompt_args: {bad}\nscreen:\n  busy: [a]\n  idle: [b]\n"
            );
            let err = Adapter::from_yaml(&text, &origin())
                .unwrap_err()
                .to_string();
            assert!(err.contains("exactly once"), "{err}");
            assert!(err.contains(":3:"), "points at the key: {err}");
        }
    }

    #[test]
    fn resume_args_are_optional() {
        let exe = Path::new("/bin/goalie");
        let sim = Adapter::named("sim", None).unwrap();
        assert_eq!(sim.resume_launch_args(exe, Some("x")), None);
        let claude = Adapter::named("claude", None).unwrap();
        assert_eq!(
            claude.resume_launch_args(exe, None),
            None,
            "no session, no resume"
        );
        assert_eq!(
            claude.resume_launch_args(exe, Some("e98f3d61-ac2c-4c1f-87cc-15ac176ec389")),
            Some(vec![
                "--resume".to_string(),
                "e98f3d61-ac2c-4c1f-87cc-15ac176ec389".to_string()
            ])
        );
        let codex = Adapter::named("codex", None).unwrap();
        assert_eq!(
            codex.resume_launch_args(exe, Some("01a1fe14")),
            Some(vec![
                "resume".into(),
                "--no-daemon".into(),
                "01a1fe14".into()
            ])
        );
        let text = "name: x\ncommand: y\nresume_args: ['{goalie}', resume]\nscreen:\n  busy: [a]\n  idle: [b]\n";
        let adapter = Adapter::from_yaml(text, &origin()).unwrap();
        assert_eq!(
            adapter.resume_launch_args(exe, None),
            Some(vec!["/bin/goalie".to_string(), "resume".to_string()])
        );
    }
}
