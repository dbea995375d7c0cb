//! A panic in the run is a bug, but the goal's ledger still tells the
//! truth: the event loop's future is polled inside `catch_unwind`, so a
//! panic ends the loop like a stop (the goal left paused, the agent ended,
//! the `stopped` row written), and is then resumed, so goalie still exits
//! 101 with Rust's message (which the panic hook printed after restoring
//! the terminal).

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Goalie's exit code after a panic (Rust's own).
pub(super) const PANICKED: i32 = 101;

/// A future's output, or the payload of the panic it raised.
pub(super) struct CatchPanic<F>(pub(super) F);

impl<F: Future + Unpin> Future for CatchPanic<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// The panic's message.
pub(super) fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}
