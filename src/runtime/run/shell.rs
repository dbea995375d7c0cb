//! The shell: the edges one run wires to the core, and the goal as the control
//! socket shows it.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::agent::process::{AgentProcess, Exit, Launch};
use crate::agent::recording::Recorder;
use crate::agent::screen::Screen;
use crate::agent::session_tail::SessionTail;
use crate::audit::auditor::Auditor;
use crate::audit::wait_check::WaitChecker;
use crate::control::protocol::{self as control_protocol};
use crate::control::{GoalSnapshot, Notifier};
use crate::core::observer::Observer;
use crate::core::progress::Workspace;
use crate::core::supervisor::Supervisor;
use crate::ledger::Ledger;
use crate::ledger::claim_inbox::ClaimInbox;
use crate::terminal::status::StatusDisplay;
use crate::terminal::takeover::ChordFilter;
use crate::workspace::baseline::Baseline;

use super::spec::RunSpec;

/// A turn's measured workspace, with the reply the screen showed when the
/// core asked for it, and which request it answers.
pub(super) type Measured = (u64, Workspace, Option<String>);

/// The shell's watchdog state.
#[derive(Debug)]
pub(super) struct Watch {
    /// The workspace and its last look, measured off the event loop (git
    /// may take seconds, hashing reads files); its baseline too.
    pub(super) tracker: Arc<Mutex<Baseline>>,
    pub(super) measured_tx: tokio::sync::mpsc::UnboundedSender<Measured>,
    /// Measurements done, heard by the loop in the order they were asked for.
    pub(super) measured: tokio::sync::mpsc::UnboundedReceiver<Measured>,
    /// Measurements asked for: only the answer to the last one is heard
    /// (one asked before a restart may finish after the next is asked).
    pub(super) asked: u64,
    /// The next restart resumes the agent's own session.
    pub(super) resume: bool,
    /// The last walk of the agent's tree (`work_stats.rs`).
    pub(super) last_walk: Option<std::time::Instant>,
    /// The supervisor's own work, counted (`work_stats.rs`).
    pub(super) work: super::work_stats::SupervisorWork,
    /// The goal's counters as the last checkpoint wrote them: the same
    /// again (a goal paused at rest) is not written again.
    pub(super) checkpointed: Option<crate::goal::limits::Progress>,
}

impl Watch {
    /// Starts taking the workspace's baseline (off this thread), before the
    /// agent starts; the first measurement waits for it.
    pub(super) fn new(workdir: &Path) -> Watch {
        let (measured_tx, measured) = tokio::sync::mpsc::unbounded_channel();
        Watch {
            tracker: Arc::new(Mutex::new(Baseline::start(workdir))),
            measured_tx,
            measured,
            asked: 0,
            resume: false,
            last_walk: None,
            work: Default::default(),
            checkpointed: None,
        }
    }
}

/// How long the agent's processes get to end after SIGTERM.
pub(super) const STOP_GRACE: Duration = Duration::from_secs(3);

/// The agent process's recording, shared by the shell (output) and the
/// ledger's observer (markers); `None` while nothing is recorded.
pub(super) type SharedRecorder = Rc<RefCell<Option<Recorder>>>;

/// A first prompt given on the agent's command line, not yet recorded.
pub(super) struct GivenPrompt {
    pub(super) kind: crate::core::prompt::PromptKind,
    pub(super) turn: u32,
    pub(super) text: String,
}

pub(super) struct Shell<'a> {
    pub(super) spec: &'a RunSpec,
    /// The control socket's subscribers.
    pub(super) notifier: Notifier,
    /// Takes the takeover chord out of the person's keys.
    pub(super) chords: ChordFilter,
    pub(super) ledger: Ledger,
    pub(super) goal_id: String,
    pub(super) core: Supervisor,
    pub(super) observer: Observer,
    pub(super) auditor: Auditor,
    /// Runs the commands of waits the agent asks for.
    pub(super) wait_checker: WaitChecker,
    pub(super) inbox: ClaimInbox,
    pub(super) screen: Screen,
    pub(super) agent: AgentProcess,
    pub(super) exit: Option<Exit>,
    pub(super) started: Instant,
    pub(super) interactive: bool,
    pub(super) tokens_seen: bool,
    /// The agent's session log, when its adapter names one.
    pub(super) session_tail: Option<SessionTail>,
    /// How the agent is started (again, for a context rotation).
    pub(super) launch: Launch,
    /// The core asked for a new agent process: (why, the handoff file to read).
    pub(super) restart: Option<(String, Option<String>)>,
    /// The agent process, from 1.
    pub(super) process: u32,
    /// Room kept for the end of the run when the disk fills.
    pub(super) reserve: super::reserve::Reserve,
    /// Test hook: `GOALIE_TEST_PANIC=1` panics at the first end of turn, so
    /// tests can check that a panic still restores the terminal and ends the agent.
    pub(super) panic_for_test: bool,
    /// The current agent process's recording (shared with the ledger's observer).
    pub(super) recording: SharedRecorder,
    /// goalie's title and status row on the person's terminal.
    pub(super) status: StatusDisplay,
    /// The workspace measured at each turn's end, and a hung agent's restart.
    pub(super) watch: Watch,
    /// The goal's newest row when this run began: control requests in the
    /// ledger after it are this run's to carry out (`ledger_control.rs`).
    pub(super) requests_from: i64,
    /// The first prompt, given on the agent's command line, until the core
    /// says the agent took it (`launch_prompt.rs`).
    pub(super) at_launch: Option<GivenPrompt>,
    /// The prompt being typed, until its Enter is taken (`submit.rs`).
    pub(super) typing: Option<Typing>,
    /// When `goalie mcp` last said the agent's tools were listed.
    pub(super) tools_listed_at: Option<Instant>,
}

/// A prompt being typed, until its Enter is known taken.
pub(super) struct Typing {
    /// The rows showing the paste's sign before the paste (`None`: no sign
    /// to look for).
    pub(super) before: Option<usize>,
    /// Tells the typing task the sign showed.
    pub(super) landed: Option<tokio::sync::oneshot::Sender<()>>,
    /// Tells the typing task the core lets the Enter go.
    pub(super) release: Option<tokio::sync::oneshot::Sender<()>>,
    /// Where the Enter is (`submit.rs`: `WAITING`, `SEEN`, `SENT`, `BLIND`).
    pub(super) state: Arc<std::sync::atomic::AtomicU8>,
    pub(super) enter: Vec<u8>,
}

impl Shell<'_> {
    pub(super) fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The goal as the control socket shows it.
    pub(super) fn snapshot(&self) -> GoalSnapshot {
        let used = self.core.used(self.now_ms());
        let limits = self.core.limits();
        GoalSnapshot {
            id: self.goal_id.clone(),
            objective: self.core.objective().to_string(),
            state: self.core.state(),
            takeover: self.core.takeover(),
            state_text: control_protocol::state_text(self.core.state(), self.core.takeover()),
            agent: self.spec.adapter.name.clone(),
            workdir: self.spec.workdir.display().to_string(),
            max_turns: limits.max_turns,
            max_time_ms: limits.max_time_ms,
            budget_tokens: limits.budget_tokens,
            turns: used.turns,
            tokens_used: used.tokens_used,
            time_used_ms: used.time_used_ms,
            supervisor_pid: std::process::id(),
            agent_pid: Some(self.agent.pid()),
        }
    }
}
