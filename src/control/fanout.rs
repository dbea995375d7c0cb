//! Notifications to every connected client, bounded in bytes: each client
//! has its own queue, and a client that lets more than [`MAX_UNREAD_BYTES`]
//! wait unread is dropped (told why, if it can still be told) instead of
//! growing goalie's memory. The lines are shared between the queues (one
//! copy each, however many clients), so all the queues together hold at most
//! [`MAX_UNREAD_BYTES`] of distinct text, plus one line being written per
//! connection.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, mpsc};

/// The most a client may leave unread before it is dropped: 8 MiB.
pub const MAX_UNREAD_BYTES: usize = 8 * 1024 * 1024;
/// What a queued line costs beyond its text (the queue's own node).
const PER_LINE: usize = 64;

/// One client's side of its queue, as the fan-out sees it.
struct Client {
    tx: mpsc::UnboundedSender<Arc<str>>,
    shared: Arc<Shared>,
}

/// What the fan-out and a subscription both see.
#[derive(Default)]
struct Shared {
    /// Bytes queued and not yet taken (each line's length plus [`PER_LINE`]).
    unread: AtomicUsize,
    /// Set when the client was dropped for reading too slowly.
    dropped: AtomicBool,
    wake: Notify,
}

/// Sends each line to every subscription.
#[derive(Default)]
pub struct Fanout {
    clients: Mutex<Vec<Client>>,
}

impl Fanout {
    /// A new subscription, which gets every line sent from now on.
    pub fn subscribe(&self) -> Subscription {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        self.lock().push(Client {
            tx,
            shared: shared.clone(),
        });
        Subscription { rx, shared }
    }

    /// Queues `line` for every client; drops a client it would put past
    /// [`MAX_UNREAD_BYTES`], and forgets those that went away.
    pub fn send(&self, line: Arc<str>) {
        let cost = line.len() + PER_LINE;
        self.lock().retain(|client| {
            if client.tx.is_closed() {
                return false;
            }
            let unread = client.shared.unread.load(Ordering::SeqCst);
            if unread + cost > MAX_UNREAD_BYTES {
                client.shared.dropped.store(true, Ordering::SeqCst);
                client.shared.wake.notify_one();
                return false;
            }
            client.shared.unread.fetch_add(cost, Ordering::SeqCst);
            client.tx.send(line.clone()).is_ok()
        });
    }

    /// How many clients are subscribed.
    pub fn clients(&self) -> usize {
        self.lock().len()
    }

    /// The bytes waiting, unread, in all the queues together (each queue counted).
    pub fn unread_bytes(&self) -> usize {
        self.lock()
            .iter()
            .map(|client| client.shared.unread.load(Ordering::SeqCst))
            .sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Client>> {
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What a subscription gets next.
#[derive(Debug, PartialEq, Eq)]
pub enum Note {
    Line(Arc<str>),
    /// The client was dropped for leaving too much unread.
    Dropped,
    /// No more lines will come.
    Closed,
}

/// One client's queue.
pub struct Subscription {
    rx: mpsc::UnboundedReceiver<Arc<str>>,
    shared: Arc<Shared>,
}

impl Subscription {
    /// The next line, or why there is none.
    pub async fn recv(&mut self) -> Note {
        if self.is_dropped() {
            return Note::Dropped;
        }
        tokio::select! {
            biased;
            () = self.shared.wake.notified() => Note::Dropped,
            line = self.rx.recv() => match line {
                Some(line) => self.taken(line),
                None if self.is_dropped() => Note::Dropped,
                None => Note::Closed,
            },
        }
    }

    /// A line already queued, without waiting.
    pub fn try_recv(&mut self) -> Option<Arc<str>> {
        if self.is_dropped() {
            return None;
        }
        self.rx.try_recv().ok().map(|line| match self.taken(line) {
            Note::Line(line) => line,
            _ => unreachable!("taken returns a line"),
        })
    }

    /// Resolves once the client has been dropped (to stop a write that waits
    /// on a client that does not read).
    pub async fn dropped(&self) {
        while !self.is_dropped() {
            self.shared.wake.notified().await;
        }
    }

    pub fn is_dropped(&self) -> bool {
        self.shared.dropped.load(Ordering::SeqCst)
    }

    fn taken(&self, line: Arc<str>) -> Note {
        self.shared
            .unread
            .fetch_sub(line.len() + PER_LINE, Ordering::SeqCst);
        Note::Line(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_that_never_reads_is_dropped_at_the_cap_and_a_reader_is_not() {
        let fanout = Fanout::default();
        let idle = fanout.subscribe();
        let mut reader = fanout.subscribe();
        let line: Arc<str> = "x".repeat(64 * 1024).into();
        let mut delivered = 0;
        for _ in 0..1000 {
            // 64 MB in all: eight times the cap.
            fanout.send(line.clone());
            assert!(fanout.unread_bytes() <= 2 * MAX_UNREAD_BYTES);
            if reader.try_recv().is_some() {
                delivered += 1;
            }
        }
        assert_eq!(delivered, 1000, "the reader got every line");
        assert!(idle.is_dropped());
        assert_eq!(fanout.clients(), 1, "the idle client is gone");
        assert_eq!(fanout.unread_bytes(), 0);
    }

    #[test]
    fn the_cap_counts_each_lines_cost_and_taking_a_line_gives_it_back() {
        let fanout = Fanout::default();
        let mut sub = fanout.subscribe();
        let line: Arc<str> = "y".repeat(1000).into();
        let fits = MAX_UNREAD_BYTES / (1000 + PER_LINE);
        for _ in 0..fits {
            fanout.send(line.clone());
        }
        assert_eq!(fanout.unread_bytes(), fits * (1000 + PER_LINE));
        assert!(!sub.is_dropped());
        assert!(sub.try_recv().is_some());
        fanout.send(line.clone());
        assert!(!sub.is_dropped(), "one taken, one more fits");
        fanout.send(line.clone());
        assert!(sub.is_dropped());
        assert_eq!(sub.try_recv(), None);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(rt.block_on(sub.recv()), Note::Dropped);
        rt.block_on(sub.dropped());
    }
}
