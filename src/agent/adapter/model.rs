//! The adapter model: what an adapter is (its command, registration,
//! screen rules, dialogs and timing), and what a run may change in it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use regex::RegexSet;
use serde::Deserialize;

use crate::agent::home::HomeRule;
use crate::core::config::{DialogPolicy, Timing};
use crate::core::observer::Observer;
use crate::core::screen_rules::ScreenRules;
use crate::goal::source_location::Located;

/// The adapters compiled into the binary: (name, YAML text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("sim", include_str!("../../../adapters/sim.yaml")),
    ("codex", include_str!("../../../adapters/codex.yaml")),
    ("claude", include_str!("../../../adapters/claude.yaml")),
    ("gemini", include_str!("../../../adapters/gemini.yaml")),
    ("opencode", include_str!("../../../adapters/opencode.yaml")),
    ("aider", include_str!("../../../adapters/aider.yaml")),
];

/// A loaded, validated adapter.
#[derive(Debug, Clone)]
pub struct Adapter {
    pub name: String,
    pub description: String,
    /// Where it came from: a file path, or `adapters/NAME.yaml (built in)`.
    pub origin: PathBuf,
    /// The program. `{goalie}` stands for goalie's own executable (here and in `args`).
    pub command: String,
    pub args: Vec<String>,
    /// Arguments that register `goalie mcp` with the agent for this run only
    /// (never by editing the user's config). `{goalie}`, `{goal}` and `{db}`
    /// stand for goalie's executable, the goal's id and the database path.
    /// Empty (and no `mcp_env` or `mcp_home`): the agent has no MCP, and
    /// claims come through the text channel only.
    pub mcp_args: Vec<String>,
    /// Variables that register `goalie mcp` for this run only (opencode's
    /// `OPENCODE_CONFIG_CONTENT`), with the placeholders of `mcp_args`.
    pub mcp_env: BTreeMap<String, String>,
    /// Variables of `mcp_env` whose value (a JSON object) is merged into the
    /// person's own value of that variable, when they have one, instead of
    /// replacing it (opencode's `OPENCODE_CONFIG_CONTENT`).
    pub mcp_env_merge: Vec<String>,
    /// Files goalie writes for the run, by name, into a private directory that
    /// is removed when the run ends: `{file:NAME}` in `mcp_args`, `mcp_env` or
    /// another file stands for that file's path. Their text has the placeholders
    /// of `mcp_args` too.
    pub mcp_files: BTreeMap<String, String>,
    /// A home of the agent's own for the run, whose settings file registers
    /// `goalie mcp` (gemini-cli; see [`crate::agent::home`]).
    pub mcp_home: Option<HomeRule>,
    /// Arguments that register the agent's turn-complete hook for this run only
    /// (Codex `notify`, Claude Code's `Stop` hook), which runs `goalie hook
    /// turn-complete`. The same placeholders as `mcp_args`, plus `{goalie:sh}`,
    /// `{goal:sh}` and `{db:sh}`: the value as one shell word (for a hook that
    /// is a shell command line).
    pub hook_args: Vec<String>,
    /// The arguments that start the agent again in its last conversation in the
    /// working directory (`goalie resume`), instead of `args`; none if it cannot.
    pub resume_args: Option<Vec<String>>,
    /// The arguments that give a new agent its first prompt on its command
    /// line (`{prompt}` stands for the prompt's text), placed after all the
    /// others: it starts its first turn as soon as it can, instead of goalie
    /// waiting for its input box to type it. None: the prompt is typed.
    pub prompt_args: Option<Vec<String>>,
    /// The keys that interrupt the agent's turn (Esc for most; typed as they
    /// are, one after another), sent when a turn hangs; empty: none.
    pub interrupt: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Variables removed from the agent's environment: the agent runs in
    /// goalie's terminal, so a `CI=true` that makes it headless must not reach it.
    pub env_remove: Vec<String>,
    pub submit: Submit,
    pub screen: ScreenRules,
    pub dialogs: Vec<Dialog>,
    pub session_log: Option<SessionLogRule>,
    pub timing: Timing,
}

/// Where the agent writes its session log, and in which format.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionLogRule {
    pub format: crate::agent::session_log::LogFormat,
    /// Candidate folders, first that expands wins: `$VAR` from the
    /// environment (skipped when unset), `~` for the home folder.
    pub dirs: Vec<String>,
    /// The model's context window in tokens, when the log says how many
    /// tokens the context holds but not the window (Claude Code's transcript):
    /// the share `--rotate-at` reads.
    #[serde(default)]
    pub context_window: Option<u64>,
}

/// A dialog the agent may show, and what goalie does about it.
#[derive(Debug, Clone)]
pub struct Dialog {
    pub name: String,
    /// Any match on any row: this dialog is on screen.
    pub detect: RegexSet,
    pub policy: DialogPolicy,
    /// The keys that accept it.
    pub accept: String,
    /// The keys that decline it.
    pub deny: String,
}

/// How text is typed into the agent.
#[derive(Debug, Clone)]
pub struct Submit {
    /// Wrap the text in bracketed-paste markers when the agent enabled that mode.
    pub bracketed_paste: bool,
    /// Pause between the text and the Enter key (Codex drops an Enter that
    /// follows too fast); with `taken`, the longest the Enter waits for it.
    pub pause_ms: u64,
    /// Screen rows that show a paste landed in the input box (Claude Code's
    /// `[Pasted text #1 +40 lines]`): the Enter follows the first look that
    /// shows one more of them than before the paste; one sent before (after
    /// `pause_ms`) is sent again when they show after it.
    pub taken: Option<RegexSet>,
    /// The Enter of each agent process's first prompt waits until `goalie
    /// mcp` has answered the agent's `tools/list`, this long at most (0: no wait).
    pub mcp_tools_ms: u64,
    /// The Enter goes no sooner than this after `goalie mcp` said the tools
    /// were listed (the agent takes them in a moment after it read them).
    pub mcp_settle_ms: u64,
    /// The bytes that submit the input.
    pub enter: String,
}

/// A problem with an adapter.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    #[error("{0}")]
    Invalid(Located),
    #[error("cannot read adapter {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no adapter named `{name}` (built in: {known}; or give one with --adapter FILE)")]
    Unknown { name: String, known: String },
}

impl Adapter {
    /// Whether goalie can read the agent's plan quota (what `--max-quota`
    /// needs): only a Codex rollout carries it (see `agent::quota_log`).
    pub fn reports_quota(&self) -> bool {
        self.session_log
            .as_ref()
            .is_some_and(|log| log.format == crate::agent::session_log::LogFormat::CodexRollout)
    }

    /// Answers the dialog named `name` by `policy` for this run (`--dialog
    /// NAME=POLICY`). An unknown name is an error listing the adapter's dialogs.
    pub fn set_dialog_policy(&mut self, name: &str, policy: DialogPolicy) -> Result<(), String> {
        if let Some(dialog) = self.dialogs.iter_mut().find(|d| d.name == name) {
            dialog.policy = policy;
            return Ok(());
        }
        match self.dialogs.is_empty() {
            true => Err(format!(
                "the {} adapter has no dialogs, so there is no dialog `{name}`",
                self.name
            )),
            false => Err(format!(
                "the {} adapter has no dialog `{name}` (its dialogs: {})",
                self.name,
                self.dialogs
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

impl Observer {
    /// An observer with the adapter's screen rules and dialogs. It is defined
    /// here, with the adapter, so that the core never names the adapter.
    pub fn for_adapter(adapter: &Adapter) -> Observer {
        let dialogs = adapter.dialogs.iter().map(|d| d.detect.clone()).collect();
        Observer::with_dialogs(adapter.screen.clone(), dialogs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dialog_policy_can_be_changed_for_a_run() {
        let mut gemini = Adapter::named("gemini", None).unwrap();
        gemini
            .set_dialog_policy("tool-permission", DialogPolicy::Accept)
            .unwrap();
        let dialog = gemini.dialogs.iter().find(|d| d.name == "tool-permission");
        assert_eq!(dialog.unwrap().policy, DialogPolicy::Accept);
        assert_eq!(
            gemini
                .set_dialog_policy("nope", DialogPolicy::Deny)
                .unwrap_err(),
            "the gemini adapter has no dialog `nope` (its dialogs: trust-folder, tool-permission, usage-limit)"
        );
        let mut sim = Adapter::named("sim", None).unwrap();
        assert_eq!(
            sim.set_dialog_policy("x", DialogPolicy::Deny).unwrap_err(),
            "the sim adapter has no dialogs, so there is no dialog `x`"
        );
        assert_eq!(DialogPolicy::parse("deny"), Some(DialogPolicy::Deny));
        assert_eq!(DialogPolicy::parse("Deny"), None);
    }
}
