//! Typing a prompt: the paste, then its Enter as soon as the agent can take
//! it, and not later.
//!
//! The text goes at once. Its Enter waits for two things, each only where
//! the adapter asks for it:
//!
//! - the paste landed (`submit.taken`: Claude Code draws `[Pasted text #1 +40
//!   lines]` in its input box 50-80 ms after the paste, later under load):
//!   the Enter follows the first look that shows one more such row than
//!   before the paste, `submit.pause_ms` at the latest (without `taken`, the
//!   pause is all). An Enter that went before the sign showed may have been
//!   lost (Claude Code drops an Enter that comes while it still takes in the
//!   paste): when the sign shows after it and the agent is not busy, it is
//!   sent again, once;
//! - the core's word ([`Action::Submit`](crate::core::supervisor::Action::Submit))
//!   when it holds the Enter until `goalie mcp`'s tools are listed
//!   ([`Supervisor::enter_held`](crate::core::supervisor::Supervisor::enter_held)),
//!   and then `submit.mcp_settle_ms` after the tools were listed at the
//!   soonest: Claude Code takes them in some milliseconds after it read
//!   them (tens under load), and a prompt it takes sooner goes to the model
//!   without them.
//!
//! Then the task reports [`Event::InjectionDone`](crate::core::supervisor::Event::InjectionDone).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::shell::{Shell, Typing};

/// Where the Enter is ([`Typing::state`]): it has not gone, and the paste's
/// sign has not shown.
const WAITING: u8 = 0;
/// The sign showed; the Enter has not gone yet.
const SEEN: u8 = 1;
/// The Enter went after the sign showed.
const SENT: u8 = 2;
/// The Enter went before the sign showed (the pause ran out, or there is no sign).
const BLIND: u8 = 3;

impl Shell<'_> {
    /// Types `text` the adapter's way (paste, then the Enter when it may
    /// go) on a task of its own, then reports the injection done.
    pub(super) fn type_text(&mut self, text: String, done_tx: mpsc::UnboundedSender<()>) {
        let submit = &self.spec.adapter.submit;
        let mut body = Vec::with_capacity(text.len() + 12);
        let pasted = submit.bracketed_paste && self.screen.bracketed_paste();
        if pasted {
            body.extend_from_slice(b"\x1b[200~");
            body.extend_from_slice(text.as_bytes());
            body.extend_from_slice(b"\x1b[201~");
        } else {
            body.extend_from_slice(text.as_bytes());
        }
        let enter = submit.enter.clone().into_bytes();
        let pause = Duration::from_millis(submit.pause_ms);
        // Only a sign drawn after the paste counts: one more row showing it
        // than the screen shows now (an earlier prompt may still show).
        let before = submit.taken.as_ref().filter(|_| pasted).map(|taken| {
            let rows = self.screen.rows();
            rows.iter().filter(|row| taken.is_match(row)).count()
        });
        let (landed_tx, landed_rx) = oneshot::channel();
        let (release_tx, release_rx) = oneshot::channel();
        let held = self.core.enter_held();
        // The agent takes the tools in a moment after goalie mcp hears it
        // has them: the Enter goes that long after, at the soonest.
        let settle = Duration::from_millis(submit.mcp_settle_ms);
        let settled_at = self
            .tools_listed_at
            .map(|at| tokio::time::Instant::from_std(at + settle));
        let state = Arc::new(AtomicU8::new(WAITING));
        self.typing = Some(Typing {
            before,
            landed: before.map(|_| landed_tx),
            release: held.then_some(release_tx),
            state: Arc::clone(&state),
            enter: enter.clone(),
        });
        let signed = before.is_some();
        let writer = self.agent.writer();
        tokio::spawn(async move {
            let _ = writer.send(body);
            let landed = async {
                if signed {
                    // A sender gone (the prompt replaced, the run over) lets it go too.
                    let _ = tokio::time::timeout(pause, landed_rx).await;
                } else {
                    tokio::time::sleep(pause).await;
                }
            };
            let released = async {
                if held {
                    let _ = release_rx.await;
                    tokio::time::sleep(settle).await;
                } else if let Some(at) = settled_at {
                    tokio::time::sleep_until(at).await;
                }
            };
            tokio::join!(landed, released);
            let _ = state.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| match now {
                WAITING => Some(BLIND),
                SEEN => Some(SENT),
                _ => None,
            });
            let _ = writer.send(enter);
            let _ = done_tx.send(());
        });
    }

    /// The core lets the held Enter go.
    pub(super) fn release_enter(&mut self) {
        if let Some(release) = self.typing.as_mut().and_then(|t| t.release.take()) {
            let _ = release.send(());
        }
    }

    /// A look at `rows` while a prompt is being typed: the Enter goes when
    /// they show the paste landed; one that went before they did is sent
    /// again if the agent is not busy. Once the Enter is known taken (the
    /// agent busy, or it went after the sign), nothing more is watched.
    pub(super) fn typing_look(&mut self, rows: &[String], busy: bool) {
        let Some(typing) = self.typing.as_mut() else {
            return;
        };
        let shows = match (&self.spec.adapter.submit.taken, typing.before) {
            (Some(taken), Some(before)) => {
                rows.iter().filter(|row| taken.is_match(row)).count() > before
            }
            _ => false,
        };
        if shows {
            let _ =
                typing
                    .state
                    .compare_exchange(WAITING, SEEN, Ordering::SeqCst, Ordering::SeqCst);
            if let Some(landed) = typing.landed.take() {
                let _ = landed.send(());
            }
        }
        match typing.state.load(Ordering::SeqCst) {
            SENT => self.typing = None,
            BLIND if busy || typing.before.is_none() => self.typing = None,
            BLIND if shows => {
                tracing::debug!("the paste showed after its Enter: Enter again");
                let _ = self.agent.writer().send(typing.enter.clone());
                self.typing = None;
            }
            _ => {}
        }
    }
}
