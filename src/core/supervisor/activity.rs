//! What the run is doing now, as the person's status line and title show it.

/// What goalie (or the agent) is doing at a moment of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// The agent is starting: goalie waits for its input box.
    Starting,
    /// The agent is on a turn.
    Working,
    /// The agent is idle and goalie types nothing for now.
    Idle,
    /// goalie is typing a prompt.
    Typing,
    /// goalie is auditing a completion claim.
    Auditing,
    /// goalie waits for the person: they typed a moment ago, or a dialog on
    /// the agent's screen is theirs to answer.
    WaitingForKeys,
    /// The last turn ended with an API error or a usage limit: the next
    /// prompt comes at `until_ms` (the run's clock).
    BackingOff { until_ms: u64 },
    /// goalie waits, as the agent asked, without typing: at the latest until
    /// `until_ms` (the run's clock).
    Waiting { until_ms: u64 },
    /// The goal is paused.
    Paused,
    /// The person has taken the agent over.
    TakenOver,
    /// A new agent process is starting (a context rotation).
    Restarting,
    /// The run is over.
    Stopped,
}

impl Activity {
    /// How the status shows it (a back-off's end is a time of day the edge adds).
    pub fn label(self) -> &'static str {
        match self {
            Activity::Starting => "starting",
            Activity::Working => "working",
            Activity::Idle => "idle",
            Activity::Typing => "typing",
            Activity::Auditing => "auditing",
            Activity::WaitingForKeys => "waiting for your keys",
            Activity::BackingOff { .. } => "backing off",
            Activity::Waiting { .. } => "waiting",
            Activity::Paused => "paused",
            Activity::TakenOver => "taken over",
            Activity::Restarting => "restarting the agent",
            Activity::Stopped => "stopped",
        }
    }
}
