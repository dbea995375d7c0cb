//! The agent's first prompt and `goalie mcp`'s tools: an agent that sends a
//! prompt to the model without the tools it has not listed yet (Claude Code)
//! gets each process's first prompt typed as soon as it is ready, but its
//! Enter waits until `goalie mcp` says it answered the agent's `tools/list`
//! ([`Event::McpToolsListed`](super::Event::McpToolsListed)), or until
//! [`Config::mcp_tools_wait_ms`](crate::core::config::Config::mcp_tools_wait_ms)
//! has passed (an agent that never lists them still gets its prompt, and
//! its process's later prompts do not wait again).

use crate::core::row::Row;

use super::Supervisor;
use super::action::Action;

impl Supervisor {
    /// Whether the Enter of the prompt just typed waits for
    /// [`Action::Submit`] (the shell asks when it types it).
    pub fn enter_held(&self) -> bool {
        self.tools.held()
    }

    /// A prompt is being typed: its Enter waits when this process has not
    /// listed the tools yet and the adapter says it must have.
    pub(super) fn hold_enter(&mut self, now_ms: u64) {
        let waits = self.config.mcp && self.config.mcp_tools_wait_ms > 0;
        self.tools.typed(now_ms, waits);
    }

    /// `goalie mcp` answered the agent's `tools/list`: a held Enter goes.
    /// Only the first answer of a process is recorded.
    pub(super) fn on_tools_listed(&mut self, actions: &mut Vec<Action>) {
        let Some(enter_held) = self.tools.listed() else {
            return;
        };
        actions.push(Action::Record(Row::McpToolsListed {
            process: self.processes.number(),
            enter_held,
        }));
        if enter_held {
            actions.push(Action::Submit);
        }
    }

    /// A held Enter goes once it has waited the longest the adapter allows.
    pub(super) fn tools_overdue(&mut self, now_ms: u64, actions: &mut Vec<Action>) {
        let Some(waited_ms) = self.tools.overdue(now_ms, self.config.mcp_tools_wait_ms) else {
            return;
        };
        actions.push(Action::Record(Row::McpToolsUnlisted {
            process: self.processes.number(),
            waited_ms,
        }));
        actions.push(Action::Submit);
    }

    /// The typing finished (or a new process starts): nothing is held; a new
    /// process lists its tools anew.
    pub(super) fn tools_reset(&mut self, new_process: bool) {
        self.tools.reset(new_process);
    }
}
