//! What the shell tells the core: something that happened, with its time.

use crate::core::log_event::LogEvent;
use crate::core::observer::Observation;
use crate::core::progress::Workspace;
use crate::goal::change::UserCommand;
use crate::goal::claim::{Channel, Claim};

/// Something that happened. `now_ms` counts from the start of this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The agent's screen was looked at after new output.
    Screen { now_ms: u64, seen: Observation },
    /// The person typed into the agent.
    UserInput { now_ms: u64 },
    /// Time passed.
    Tick { now_ms: u64 },
    /// The agent's session log said something.
    SessionLog { now_ms: u64, event: LogEvent },
    /// goalie finished typing a prompt (text, pause, Enter).
    InjectionDone { now_ms: u64 },
    /// The agent's process ended.
    AgentExited { now_ms: u64, status: String },
    /// goalie was asked to stop by a signal.
    Interrupted { now_ms: u64, signal: i32 },
    /// The shell started a new agent process (after
    /// [`Action::RestartAgent`](super::Action::RestartAgent));
    /// `handoff` is the note the previous one left, if any.
    AgentRestarted {
        now_ms: u64,
        handoff: Option<String>,
    },
    /// The user asked for something (control socket or command line).
    Command { now_ms: u64, command: UserCommand },
    /// The person pressed the takeover chord in the mirrored terminal.
    TakeoverChord { now_ms: u64 },
    /// A claim arrived through MCP (`goalie mcp` wrote it to the ledger).
    Claim {
        now_ms: u64,
        channel: Channel,
        claim: Claim,
    },
    /// The agent's own turn-complete hook fired (`goalie hook turn-complete`
    /// through the control socket): like the session log's turn end.
    TurnSignal {
        now_ms: u64,
        /// Which hook (`codex-notify`, `claude-stop`).
        source: String,
        /// What the agent handed its hook, shortened.
        data: serde_json::Value,
    },
    /// `goalie mcp` answered the agent's `tools/list` (through the control
    /// socket, `goal/tools_listed`).
    McpToolsListed { now_ms: u64 },
    /// A wait's command finished (see [`Action::RunWaitCheck`](super::Action::RunWaitCheck)):
    /// whether it exited 0, and its output's end, shortened.
    WaitChecked {
        now_ms: u64,
        passed: bool,
        exit_code: Option<i32>,
        output: String,
    },
    /// The shell measured the workspace (after
    /// [`Action::MeasureProgress`](super::Action::MeasureProgress)).
    Workspace {
        now_ms: u64,
        workspace: Workspace,
        /// The reply as the screen shows it (for an agent whose log has none).
        screen_reply: Option<String>,
    },
    /// The CPU time the agent's process tree has used so far, in ms (read
    /// every few seconds).
    AgentCpu { now_ms: u64, cpu_ms: u64 },
    /// The audit of a completion claim finished.
    AuditFinished {
        now_ms: u64,
        passed: bool,
        reasons: Vec<String>,
    },
}
