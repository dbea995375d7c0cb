//! Response bodies: a channel-fed streaming body, server-sent events, and what a protocol
//! module hands back to the server (`Outcome`).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

/// A response body fed chunk by chunk from a channel; it ends when the sender is dropped.
pub(crate) struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|b| Ok(Frame::data(b))))
    }
}

/// One server-sent event, sent after `delay`.
#[derive(Clone, Debug)]
pub(crate) struct SseEvent {
    pub delay: Duration,
    /// The `event:` line (Responses and Anthropic name their events; Chat and Gemini do not).
    pub name: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn named(name: &str, data: &Value) -> Self {
        SseEvent {
            delay: Duration::ZERO,
            name: Some(name.to_string()),
            data: data.to_string(),
        }
    }

    pub fn data(data: &Value) -> Self {
        SseEvent {
            delay: Duration::ZERO,
            name: None,
            data: data.to_string(),
        }
    }

    pub fn raw_data(data: &str) -> Self {
        SseEvent {
            delay: Duration::ZERO,
            name: None,
            data: data.to_string(),
        }
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    fn encode(&self) -> Bytes {
        let mut s = String::with_capacity(self.data.len() + 32);
        if let Some(name) = &self.name {
            s.push_str("event: ");
            s.push_str(name);
            s.push('\n');
        }
        for line in self.data.split('\n') {
            s.push_str("data: ");
            s.push_str(line);
            s.push('\n');
        }
        s.push('\n');
        Bytes::from(s)
    }
}

/// What the server sends back for one request.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Json {
        status: u16,
        body: Value,
        headers: Vec<(String, String)>,
    },
    Sse {
        events: Vec<SseEvent>,
        /// After the events, keep the stream open until the server stops.
        hang: bool,
    },
}

impl Outcome {
    pub fn json(status: u16, body: Value) -> Self {
        Outcome::Json {
            status,
            body,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        if let Outcome::Json { headers, .. } = &mut self {
            headers.push((name.to_string(), value.into()));
        }
        self
    }

    pub fn status(&self) -> u16 {
        match self {
            Outcome::Json { status, .. } => *status,
            Outcome::Sse { .. } => 200,
        }
    }
}

/// Starts a task that writes `events` (then hangs if asked) into a new streaming body;
/// the last event sent is noted in the times log (see `times`) when `timed`.
pub(crate) fn spawn_sse(
    events: Vec<SseEvent>,
    hang: bool,
    mut shutdown: watch::Receiver<bool>,
    timed: Option<usize>,
) -> ChannelBody {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        for event in events {
            if !event.delay.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(event.delay) => {}
                    _ = shutdown.wait_for(|stop| *stop) => return,
                }
            }
            if tx.send(event.encode()).await.is_err() {
                // The client went away.
                return;
            }
        }
        super::times::end(timed);
        if hang {
            // Keep the sender (and so the stream) alive until the client closes or we stop.
            tokio::select! {
                _ = tx.closed() => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
        }
    });
    ChannelBody { rx }
}

/// Splits text into streaming chunks of a few words (at most ~`max` bytes, never inside a
/// character). Empty text yields no chunk.
pub(crate) fn chunk_text(text: &str, max: usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    for piece in text.split_inclusive(' ') {
        if !current.is_empty() && current.len() + piece.len() > max {
            chunks.push(std::mem::take(&mut current));
        }
        current.push_str(piece);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_rejoin() {
        let text = "ECHO-SAFE reply #12 with a few more words in it, ünïcödé too";
        let chunks = chunk_text(text, 10);
        assert!(chunks.len() > 3);
        assert_eq!(chunks.concat(), text);
        assert!(chunk_text("", 10).is_empty());
    }

    #[test]
    fn encode_multiline() {
        let e = SseEvent {
            delay: Duration::ZERO,
            name: Some("x".into()),
            data: "a\nb".into(),
        };
        assert_eq!(&e.encode()[..], b"event: x\ndata: a\ndata: b\n\n");
    }
}
