//! Whether this agent process listed `goalie mcp`'s tools, and an Enter held
//! until it does (see `supervisor/mcp_tools.rs`).

/// The tools of one agent process, and a held Enter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct McpTools {
    /// `goalie mcp` answered this process's `tools/list`.
    listed: bool,
    /// A held Enter of this process went without that: later prompts do
    /// not wait again.
    waited_out: bool,
    /// The Enter of the prompt being typed waits for the tools: since when.
    held_since_ms: Option<u64>,
}

impl McpTools {
    /// Whether an Enter is held.
    pub fn held(&self) -> bool {
        self.held_since_ms.is_some()
    }

    /// A prompt is typed at `now_ms`: its Enter is held when `waits` and
    /// this process has neither listed the tools nor waited for them once.
    pub fn typed(&mut self, now_ms: u64, waits: bool) {
        let unlisted = !self.listed && !self.waited_out;
        self.held_since_ms = (waits && unlisted).then_some(now_ms);
    }

    /// The tools were listed: `None` when they were already, else whether
    /// an Enter was held (it goes now).
    pub fn listed(&mut self) -> Option<bool> {
        if self.listed {
            return None;
        }
        self.listed = true;
        Some(self.held_since_ms.take().is_some())
    }

    /// At `now_ms`, an Enter held `wait_ms` or more goes: how long it waited.
    pub fn overdue(&mut self, now_ms: u64, wait_ms: u64) -> Option<u64> {
        let waited_ms = now_ms.saturating_sub(self.held_since_ms?);
        if waited_ms < wait_ms {
            return None;
        }
        self.held_since_ms = None;
        self.waited_out = true;
        Some(waited_ms)
    }

    /// The typing finished: nothing is held. A new process (`new_process`)
    /// lists its tools anew.
    pub fn reset(&mut self, new_process: bool) {
        self.held_since_ms = None;
        if new_process {
            *self = McpTools::default();
        }
    }
}
