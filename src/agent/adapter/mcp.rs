//! Registering `goalie mcp` with the agent for one run: arguments,
//! variables, private files and a private home, removed when the run ends.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::launch::{RunValues, fill};
use super::model::Adapter;
use crate::agent::home::{AgentHome, HomeError, HomeRule, Settled, io};

impl Adapter {
    /// Whether the agent gets `goalie mcp` (its claims can come through MCP).
    pub fn has_mcp(&self) -> bool {
        !self.mcp_args.is_empty() || !self.mcp_env.is_empty() || self.mcp_home.is_some()
    }

    /// Registers `goalie mcp` for goal `goal` in database `db`, for one run:
    /// writes the `mcp_files` (and makes the `mcp_home`) in a new private
    /// directory in `parent` (mode 0700, files 0600) and fills in the
    /// arguments and variables. `env` reads goalie's environment (for the
    /// person's home). The directory is removed, the home settled first, when
    /// the registration is dropped. A directory a killed goalie left for the
    /// same goal is settled and removed first.
    pub fn register_mcp(
        &self,
        goalie_exe: &Path,
        goal: &str,
        db: &Path,
        parent: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<McpRegistration, HomeError> {
        let prefix = format!("{goal}-mcp-");
        sweep_left_behind(parent, &prefix);
        let mut dir = None;
        let mut files = BTreeMap::new();
        if !self.mcp_files.is_empty() || self.mcp_home.is_some() {
            let made = tempfile::Builder::new()
                .prefix(&prefix)
                .tempdir_in(parent)
                .map_err(io("cannot create a private folder in", parent))?;
            std::fs::set_permissions(made.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(io("cannot set the mode of", made.path()))?;
            for name in self.mcp_files.keys() {
                files.insert(name.clone(), made.path().join(name));
            }
            dir = Some(made);
        }
        // A PostgreSQL ledger's password, which the runtime gives the agent in
        // PGPASSWORD: an agent that keeps such variables from its MCP servers
        // (gemini-cli) gets it in its private settings file (`{db_password}`).
        let password = self.lookup("PGPASSWORD", env);
        let values = RunValues {
            goalie_exe,
            goal,
            db,
            db_password: password.as_deref(),
            files: &files,
        };
        for (name, text) in &self.mcp_files {
            let path = &files[name];
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .and_then(|mut file| file.write_all(fill(text, &values).as_bytes()))
                .map_err(io("cannot write", path))?;
        }
        let mut vars = BTreeMap::new();
        for (name, value) in &self.mcp_env {
            let mut value = fill(value, &values);
            if self.mcp_env_merge.contains(name)
                && let Some(theirs) = self.lookup(name, env)
            {
                value = merged_variable(name, &theirs, &value)?;
            }
            vars.insert(name.clone(), value);
        }
        let mut home = None;
        if let (Some(rule), Some(dir)) = (&self.mcp_home, &dir) {
            let real_home = self.real_home(rule, env)?;
            // Valid JSON with its placeholders filled in JSON-escaped (checked at load).
            let merge = serde_json::from_str(&fill(&rule.merge, &values))
                .unwrap_or_else(|_| serde_json::json!({}));
            let root = dir.path().join("home");
            std::fs::create_dir(&root).map_err(io("cannot create", &root))?;
            let made = AgentHome::create(rule, &real_home, &root, &merge, goal)?;
            vars.insert(rule.var.clone(), made.path().to_string_lossy().into_owned());
            home = Some(made);
        }
        Ok(McpRegistration {
            args: self.mcp_args.iter().map(|arg| fill(arg, &values)).collect(),
            env: vars,
            home,
            dir,
        })
    }

    /// Checks, before anything is written, that `goalie mcp` can be
    /// registered: the person's values of the `mcp_env_merge` variables and
    /// the settings file of the private home (if any) read as JSON objects.
    pub fn check_mcp_registration(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), HomeError> {
        for name in &self.mcp_env_merge {
            if let Some(theirs) = self.lookup(name, env) {
                merged_variable(name, &theirs, "{}")?;
            }
        }
        match &self.mcp_home {
            Some(rule) => crate::agent::home::check_settings(rule, &self.real_home(rule, env)?),
            None => Ok(()),
        }
    }

    /// A variable of the agent's environment: the adapter's `env`, else
    /// `env` (goalie's own); empty counts as unset.
    fn lookup(&self, name: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        self.env
            .get(name)
            .cloned()
            .or_else(|| env(name))
            .filter(|value| !value.is_empty())
    }

    /// The person's own home for the agent: the rule's variable (the
    /// adapter's `env`, else `env`), else `HOME`.
    fn real_home(
        &self,
        rule: &HomeRule,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<PathBuf, HomeError> {
        self.lookup(&rule.var, env)
            .or_else(|| self.lookup("HOME", env))
            .map(PathBuf::from)
            .or_else(dirs::home_dir)
            .ok_or_else(|| HomeError::Io {
                context: "cannot find the home folder for",
                path: PathBuf::from(&rule.var),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "HOME is not set"),
            })
    }
}

/// `goalie mcp` registered with the agent for one run (see
/// [`Adapter::register_mcp`]).
#[derive(Debug)]
pub struct McpRegistration {
    /// Arguments for the agent's command line.
    pub args: Vec<String>,
    /// Variables for the agent's environment.
    pub env: BTreeMap<String, String>,
    /// The agent's private home, settled on drop (before `dir` is removed).
    home: Option<AgentHome>,
    /// The private directory of the registration's files; removed on drop.
    dir: Option<tempfile::TempDir>,
}

impl McpRegistration {
    /// Ends the registration now: settles the agent's private home (what
    /// that did, when it has one) and removes the private directory.
    pub fn finish(mut self) -> Option<Settled> {
        self.settle_home()
    }

    /// Settles the home; when something could not be moved back, the
    /// private directory is kept (with it) instead of removed.
    fn settle_home(&mut self) -> Option<Settled> {
        let settled = self.home.take()?.settle();
        if !settled.failed.is_empty()
            && let Some(dir) = self.dir.take()
        {
            let _ = dir.keep();
        }
        Some(settled)
    }

    /// The private directory holding the registration's files, if it has any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(tempfile::TempDir::path)
    }
}

/// The person's value of variable `name` (a JSON object) with goalie's
/// `ours` merged in.
fn merged_variable(name: &str, theirs: &str, ours: &str) -> Result<String, HomeError> {
    let mut value: serde_json::Value =
        serde_json::from_str(theirs).map_err(|err| HomeError::Variable {
            name: name.to_string(),
            message: err.to_string(),
        })?;
    if !value.is_object() {
        return Err(HomeError::Variable {
            name: name.to_string(),
            message: "not an object".into(),
        });
    }
    let ours: serde_json::Value = serde_json::from_str(ours).unwrap_or_default();
    crate::agent::home::merge_into(&mut value, &ours);
    Ok(value.to_string())
}

/// Settles and removes the private directories named `prefix…` in `parent`
/// that a killed goalie left behind.
fn sweep_left_behind(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(prefix));
        // Kept when part of the agent's writes could not be moved back.
        if ours
            && crate::agent::home::settle_dir(&entry.path().join("home"))
                .failed
                .is_empty()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for McpRegistration {
    fn drop(&mut self) {
        self.settle_home();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> PathBuf {
        PathBuf::from("my.yaml")
    }

    #[test]
    fn codex_and_claude_register_goalie_mcp_for_the_run_only() {
        let exe = Path::new("/opt/goalie");
        let db = Path::new("/data/go\"al.db");
        let parent = tempfile::tempdir().unwrap();
        let codex = Adapter::named("codex", None).unwrap();
        assert!(codex.has_mcp());
        let mcp = codex
            .register_mcp(exe, "ab12cd34", db, parent.path(), &|_| None)
            .unwrap();
        assert_eq!(
            mcp.args,
            vec![
                "-c",
                "mcp_servers.goalie.command=\"/opt/goalie\"",
                "-c",
                "mcp_servers.goalie.args=[\"mcp\", \"--goal\", \"ab12cd34\", \"--db\", \"/data/go\\\"al.db\"]",
                "-c",
                "mcp_servers.goalie.default_tools_approval_mode=\"approve\"",
                "-c",
                "mcp_servers.goalie.env_vars=[\"PGPASSWORD\"]",
            ]
        );
        assert!(mcp.env.is_empty() && mcp.dir().is_none());
        let claude = Adapter::named("claude", None).unwrap();
        let mcp = claude
            .register_mcp(
                exe,
                "ab12cd34",
                Path::new("/data/g.db"),
                parent.path(),
                &|_| None,
            )
            .unwrap();
        let args = mcp.args.clone();
        let config = args
            .iter()
            .position(|a| a == "--mcp-config")
            .map(|i| &args[i + 1])
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(config).unwrap();
        assert_eq!(json["mcpServers"]["goalie"]["command"], "/opt/goalie");
        assert_eq!(
            json["mcpServers"]["goalie"]["args"],
            serde_json::json!(["mcp", "--goal", "ab12cd34", "--db", "/data/g.db"])
        );
        let sim = Adapter::named("sim", None).unwrap();
        assert!(!sim.has_mcp());
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
    }

    /// The goalie, goal and database of a run whose paths hold quotes,
    /// backslashes, a newline and a brace placeholder's look-alike.
    fn awkward_run() -> (PathBuf, &'static str, PathBuf) {
        (
            PathBuf::from("/opt/my \"goalie\"\\{goal}/goalie"),
            "ab12cd34",
            PathBuf::from("/data/it's\\a\n\"db\".db"),
        )
    }

    #[test]
    fn mcp_env_and_files_are_filled_escaped_and_private() {
        use std::os::unix::fs::MetadataExt;
        let text = r#"name: x
command: y
mcp_args: [--settings, '{file:settings.json}']
mcp_env:
  AGENT_CONFIG: '{"servers":{"goalie":{"command":"{goalie}","args":["mcp","--goal","{goal}","--db","{db}"]}}}'
  AGENT_SETTINGS: '{file:settings.json}'
mcp_files:
  settings.json: '{"goalie":{"command":"{goalie}","db":"{db}","self":"{file:settings.json}","sh":"{db:sh}"}}'
screen:
  busy: [a]
  idle: [b]
"#;
        let adapter = Adapter::from_yaml(text, &origin()).unwrap();
        assert!(adapter.has_mcp());
        let (exe, goal, db) = awkward_run();
        // A parent whose own name needs escaping too.
        let tmp = tempfile::tempdir().unwrap();
        let parent = tmp.path().join("run \"x\"\\y");
        std::fs::create_dir(&parent).unwrap();
        let mcp = adapter
            .register_mcp(&exe, goal, &db, &parent, &|_| None)
            .unwrap();
        let dir = mcp.dir().unwrap().to_path_buf();
        assert!(dir.starts_with(&parent));
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        let file = dir.join("settings.json");
        assert_eq!(std::fs::metadata(&file).unwrap().mode() & 0o777, 0o600);

        // The path placeholder is the plain path in an argument and a variable
        // as far as JSON goes: each parses back to the path.
        let as_json =
            |text: &str| -> String { serde_json::from_str(&format!("\"{text}\"")).unwrap() };
        assert_eq!(mcp.args[0], "--settings");
        assert_eq!(as_json(&mcp.args[1]), file.to_string_lossy());
        assert_eq!(as_json(&mcp.env["AGENT_SETTINGS"]), file.to_string_lossy());

        let config: serde_json::Value = serde_json::from_str(&mcp.env["AGENT_CONFIG"]).unwrap();
        let server = &config["servers"]["goalie"];
        assert_eq!(server["command"], exe.to_string_lossy().as_ref());
        assert_eq!(
            server["args"],
            serde_json::json!(["mcp", "--goal", goal, "--db", db.to_string_lossy()])
        );

        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(written["goalie"]["command"], exe.to_string_lossy().as_ref());
        assert_eq!(written["goalie"]["db"], db.to_string_lossy().as_ref());
        assert_eq!(written["goalie"]["self"], file.to_string_lossy().as_ref());
        assert_eq!(
            written["goalie"]["sh"], "'/data/it'\\''s\\a\n\"db\".db'",
            "one shell word"
        );

        drop(mcp);
        assert!(!dir.exists(), "the private directory goes with the run");
        assert_eq!(std::fs::read_dir(&parent).unwrap().count(), 0);
    }

    #[test]
    fn gemini_gets_a_private_home_whose_settings_register_goalie() {
        let gemini = Adapter::named("gemini", None).unwrap();
        assert!(gemini.has_mcp());
        let (exe, goal, db) = awkward_run();
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("home");
        std::fs::create_dir_all(real.join(".gemini")).unwrap();
        std::fs::write(
            real.join(".gemini/settings.json"),
            r#"{"ui":{"theme":"x"}}"#,
        )
        .unwrap();
        let parent = tmp.path().join("run");
        std::fs::create_dir(&parent).unwrap();
        // A directory a killed goalie left for this goal is cleared first.
        std::fs::create_dir(parent.join(format!("{goal}-mcp-old"))).unwrap();
        let home_var = real.to_string_lossy().into_owned();
        let env = move |name: &str| (name == "HOME").then(|| home_var.clone());
        let mcp = gemini.register_mcp(&exe, goal, &db, &parent, &env).unwrap();
        assert!(!parent.join(format!("{goal}-mcp-old")).exists());
        let home = PathBuf::from(&mcp.env["GEMINI_CLI_HOME"]);
        assert!(home.starts_with(mcp.dir().unwrap()));
        let settings: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(home.join(".gemini/settings.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(settings["ui"]["theme"], "x");
        let server = &settings["mcpServers"]["goalie"];
        assert_eq!(server["command"], exe.to_string_lossy().as_ref());
        assert_eq!(
            server["args"],
            serde_json::json!(["mcp", "--goal", goal, "--db", db.to_string_lossy()])
        );
        assert_eq!(server["trust"], true);
        assert_eq!(server["env"]["PGPASSWORD"], "", "no ledger password: none");
        assert!(mcp.finish().unwrap().is_empty());
        assert_eq!(std::fs::read_dir(&parent).unwrap().count(), 0);
        assert_eq!(
            std::fs::read_to_string(real.join(".gemini/settings.json")).unwrap(),
            r#"{"ui":{"theme":"x"}}"#
        );

        // GEMINI_CLI_HOME of the person's own is their home.
        let own = tmp.path().join("own");
        std::fs::create_dir(&own).unwrap();
        let own_var = own.to_string_lossy().into_owned();
        let env = move |name: &str| (name == "GEMINI_CLI_HOME").then(|| own_var.clone());
        let mcp = gemini.register_mcp(&exe, goal, &db, &parent, &env).unwrap();
        assert_ne!(PathBuf::from(&mcp.env["GEMINI_CLI_HOME"]), own);
        assert!(own.join(".gemini").is_dir());
    }

    /// gemini-cli keeps variables named like secrets from its MCP servers:
    /// a PostgreSQL ledger's password (the agent's PGPASSWORD) is in the
    /// private settings file, and never on the server's command line.
    #[test]
    fn gemini_gets_the_ledgers_password_in_its_private_settings_only() {
        let gemini = Adapter::named("gemini", None).unwrap();
        let (exe, goal, _) = awkward_run();
        let db = PathBuf::from("postgres://goalie@db.example:5432/goals");
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("home");
        std::fs::create_dir_all(real.join(".gemini")).unwrap();
        let parent = tmp.path().join("run");
        std::fs::create_dir(&parent).unwrap();
        let home_var = real.to_string_lossy().into_owned();
        let env = move |name: &str| match name {
            "HOME" => Some(home_var.clone()),
            "PGPASSWORD" => Some("pa\"ss".to_string()),
            _ => None,
        };
        let mcp = gemini.register_mcp(&exe, goal, &db, &parent, &env).unwrap();
        let home = PathBuf::from(&mcp.env["GEMINI_CLI_HOME"]);
        let file = home.join(".gemini/settings.json");
        let settings: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let server = &settings["mcpServers"]["goalie"];
        assert_eq!(server["env"]["PGPASSWORD"], "pa\"ss");
        assert!(
            !server["args"].to_string().contains("pa"),
            "{}",
            server["args"]
        );
        assert!(mcp.args.iter().all(|arg| !arg.contains("pa\"ss")));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the file is private: {mode:o}");
        assert!(mcp.finish().unwrap().is_empty());
    }

    #[test]
    fn opencode_adds_its_registration_to_the_persons_inline_config() {
        let opencode = Adapter::named("opencode", None).unwrap();
        let (exe, goal, db) = awkward_run();
        let parent = tempfile::tempdir().unwrap();
        let theirs = r#"{"model":"mine/m","permission":{"bash":"ask"},"mcp":{"theirs":{"type":"local","command":["x"]}}}"#;
        let env = |name: &str| (name == "OPENCODE_CONFIG_CONTENT").then(|| theirs.to_string());
        let mcp = opencode
            .register_mcp(&exe, goal, &db, parent.path(), &env)
            .unwrap();
        let config: serde_json::Value =
            serde_json::from_str(&mcp.env["OPENCODE_CONFIG_CONTENT"]).unwrap();
        assert_eq!(config["model"], "mine/m");
        assert_eq!(config["permission"]["bash"], "ask");
        assert_eq!(config["permission"]["goalie_update_goal"], "allow");
        assert_eq!(config["mcp"]["theirs"]["command"], serde_json::json!(["x"]));
        assert_eq!(
            config["mcp"]["goalie"]["command"][0],
            exe.to_string_lossy().as_ref()
        );
        // Without one of theirs, goalie's alone.
        let mcp = opencode
            .register_mcp(&exe, goal, &db, parent.path(), &|_| None)
            .unwrap();
        let config: serde_json::Value =
            serde_json::from_str(&mcp.env["OPENCODE_CONFIG_CONTENT"]).unwrap();
        assert_eq!(
            config.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["mcp", "permission"]
        );
        // One that is not a JSON object is an error, not silently replaced.
        let env = |name: &str| (name == "OPENCODE_CONFIG_CONTENT").then(|| "{model:".to_string());
        let err = opencode
            .register_mcp(&exe, goal, &db, parent.path(), &env)
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "OPENCODE_CONFIG_CONTENT is set but is not a JSON object goalie can add its server to (key must be a string"
            ),
            "{err}"
        );
        let bad = "name: x\ncommand: y\nmcp_env:\n  A: '[1]'\nmcp_env_merge: [A]\nscreen:\n  busy: [a]\n  idle: [b]\n";
        assert_eq!(
            Adapter::from_yaml(bad, &origin()).unwrap_err().to_string(),
            "my.yaml:5:1: `mcp_env_merge`: `A` must be a variable of `mcp_env` whose value is a JSON object"
        );
    }
}
