//! The supervisor's end of the control socket.
//!
//! An accept task hands each connection to a task of its own. A connection
//! first has its peer's uid checked, then reads request lines and passes them to
//! the supervisor's loop ([`ControlServer::next`]), and writes the answers and
//! every notification ([`Notifier`]) back, in the order they were sent.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

use super::error::ControlError;
use super::fanout::{Fanout, MAX_UNREAD_BYTES, Note, Subscription};
use super::line::{Line, MAX_REQUEST_LINE, read_line};
use super::protocol::{self, ENDED, FORBIDDEN, LAGGED, Request, RpcError, TOO_LONG};
/// How long connections get to write their last notifications at shutdown.
const FLUSH: Duration = Duration::from_secs(1);

/// A request waiting for the supervisor's answer.
pub struct Pending {
    pub request: Request,
    reply: oneshot::Sender<String>,
}

impl Pending {
    pub fn answer(self, result: Result<Value, RpcError>) {
        let line = match result {
            Ok(result) => protocol::response(&self.request.id, result),
            Err(err) => protocol::error(&self.request.id, &err),
        };
        let _ = self.reply.send(line);
    }
}

/// Sends notifications to every connected client.
#[derive(Clone)]
pub struct Notifier {
    fanout: Arc<Fanout>,
}

impl Notifier {
    pub fn send(&self, method: &str, params: Value) {
        // No subscribers is fine.
        self.fanout
            .send(protocol::notification(method, params).into());
    }

    /// The clients subscribed to notifications.
    pub fn clients(&self) -> usize {
        self.fanout.clients()
    }

    /// The bytes of notifications waiting, unread, for all clients.
    pub fn unread_bytes(&self) -> usize {
        self.fanout.unread_bytes()
    }
}

/// A listening control socket. Dropping it removes the socket file.
pub struct ControlServer {
    path: PathBuf,
    requests: mpsc::Receiver<Pending>,
    notifier: Notifier,
    stop: watch::Sender<bool>,
    accept: Option<tokio::task::JoinHandle<()>>,
}

impl ControlServer {
    /// Listens on `path` (mode 0600), replacing a stale socket file left by a
    /// supervisor that was killed. Must be called inside the tokio runtime.
    pub fn bind(path: &Path) -> Result<ControlServer, ControlError> {
        let fail = |source| ControlError::Bind {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(fail(err)),
        }
        let listener = UnixListener::bind(path).map_err(fail)?;
        // The directory is 0700, so no one else can reach the socket before this.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
        let (requests_tx, requests) = mpsc::channel(64);
        let notifier = Notifier {
            fanout: Arc::new(Fanout::default()),
        };
        let (stop, stopped) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(
            listener,
            requests_tx,
            notifier.clone(),
            stopped,
        ));
        Ok(ControlServer {
            path: path.to_path_buf(),
            requests,
            notifier,
            stop,
            accept: Some(accept),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn notifier(&self) -> Notifier {
        self.notifier.clone()
    }

    /// The next request from any client.
    pub async fn next(&mut self) -> Option<Pending> {
        self.requests.recv().await
    }

    /// Stops listening, removes the socket file, and gives the connections a
    /// moment to write the notifications already sent; then closes them.
    pub async fn shutdown(mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = self.stop.send(true);
        // Requests that came too late are answered, not dropped.
        self.requests.close();
        while let Ok(pending) = self.requests.try_recv() {
            pending.answer(Err(RpcError::new(
                ENDED,
                "the goal's supervisor is stopping",
            )));
        }
        if let Some(accept) = self.accept.take() {
            let _ = tokio::time::timeout(FLUSH * 2, accept).await;
        }
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let Some(accept) = &self.accept {
            accept.abort();
        }
    }
}

async fn accept_loop(
    listener: UnixListener,
    requests: mpsc::Sender<Pending>,
    notifier: Notifier,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let notes = notifier.fanout.subscribe();
                    connections.spawn(serve(stream, requests.clone(), notes, stop.clone()));
                }
                Err(err) => {
                    tracing::warn!(%err, "control socket: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(FLUSH, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}

/// Whether a peer with `peer_uid` may talk to a supervisor running as `owner_uid`.
pub fn peer_allowed(peer_uid: u32, owner_uid: u32) -> bool {
    peer_uid == owner_uid
}

async fn serve(
    stream: UnixStream,
    requests: mpsc::Sender<Pending>,
    mut notes: Subscription,
    mut stop: watch::Receiver<bool>,
) {
    let owner = nix::unistd::geteuid().as_raw();
    let peer = stream.peer_cred().map(|cred| cred.uid());
    let (read, mut write) = stream.into_split();
    match peer {
        Ok(uid) if peer_allowed(uid, owner) => {}
        other => {
            let who = other.map_or_else(|err| format!("unknown ({err})"), |uid| uid.to_string());
            tracing::warn!(peer = %who, "control socket: refused a peer of another user");
            let err = RpcError::new(
                FORBIDDEN,
                format!("permission denied: uid {who} is not the goal's owner (uid {owner})"),
            );
            let _ = write_line(&mut write, &protocol::error(&Value::Null, &err)).await;
            // Close gently: with the peer's request still unread, closing at once
            // would reset the connection and the peer could lose the refusal.
            let _ = write.shutdown().await;
            let mut read = read;
            let mut sink = Vec::new();
            let _ = tokio::time::timeout(
                std::time::Duration::from_millis(500),
                tokio::io::AsyncReadExt::read_to_end(&mut read, &mut sink),
            )
            .await;
            return;
        }
    }
    let mut reader = BufReader::new(read);
    let mut partial = Vec::new();
    loop {
        tokio::select! {
            note = notes.recv() => match note {
                Note::Line(line) => {
                    if !write_unless_dropped(&mut write, &notes, &line).await {
                        return;
                    }
                }
                Note::Dropped => return tell_dropped(&write),
                Note::Closed => return,
            },
            line = read_line(&mut reader, &mut partial, MAX_REQUEST_LINE) => {
                let line = match line {
                    Ok(Line::Text(line)) => line,
                    Ok(Line::TooLong) => {
                        let err = RpcError::new(
                            TOO_LONG,
                            format!(
                                "a request line is at most {} MiB; closing the connection",
                                MAX_REQUEST_LINE / (1024 * 1024)
                            ),
                        );
                        let _ = write_line(&mut write, &protocol::error(&Value::Null, &err)).await;
                        // Close gently (see the refusal above): the rest of the line is
                        // read and thrown away for a moment, never stored.
                        let _ = write.shutdown().await;
                        let _ = tokio::time::timeout(
                            Duration::from_millis(500),
                            tokio::io::copy(&mut reader, &mut tokio::io::sink()),
                        )
                        .await;
                        return;
                    }
                    Ok(Line::End) | Err(_) => return,
                };
                if line.trim().is_empty() {
                    continue;
                }
                let answer = match protocol::parse_request(&line) {
                    Err((id, err)) => protocol::error(&id, &err),
                    Ok(request) => {
                        let id = request.id.clone();
                        let (reply, answer) = oneshot::channel();
                        let ended = || protocol::error(
                            &id,
                            &RpcError::new(ENDED, "the goal's supervisor is stopping"),
                        );
                        if requests.send(Pending { request, reply }).await.is_err() {
                            ended()
                        } else {
                            answer.await.unwrap_or_else(|_| ended())
                        }
                    }
                };
                // What the request caused is told before its answer.
                if flush(&mut notes, &mut write).await.is_err()
                    || !write_unless_dropped(&mut write, &notes, &answer).await
                {
                    return;
                }
            }
            _ = stop.changed() => {
                let _ = flush(&mut notes, &mut write).await;
                return;
            }
        }
    }
}

/// Writes the notifications already sent.
async fn flush(
    notes: &mut Subscription,
    write: &mut tokio::net::unix::OwnedWriteHalf,
) -> std::io::Result<()> {
    while let Some(line) = notes.try_recv() {
        write_line(write, &line).await?;
    }
    Ok(())
}

/// Writes `line`, unless the client is dropped for not reading while the
/// write waits on it; whether the connection goes on.
async fn write_unless_dropped(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    notes: &Subscription,
    line: &str,
) -> bool {
    tokio::select! {
        written = write_line(write, line) => written.is_ok(),
        () = notes.dropped() => {
            tell_dropped(write);
            false
        }
    }
}

/// Tells a client dropped for not reading why, if its socket still takes a
/// line without waiting (it may not: it is not reading).
fn tell_dropped(write: &tokio::net::unix::OwnedWriteHalf) {
    tracing::warn!("control socket: dropped a client that left too many notifications unread");
    let err = RpcError::new(
        LAGGED,
        format!(
            "this connection left more than {} MiB of notifications unread; it is closed \
             (read what goalie sends, or reconnect)",
            MAX_UNREAD_BYTES / (1024 * 1024)
        ),
    );
    let mut line = protocol::error(&Value::Null, &err).into_bytes();
    line.push(b'\n');
    let _ = write.try_write(&line);
}

async fn write_line(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    line: &str,
) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    write.write_all(&bytes).await
}

#[cfg(test)]
mod bounds_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_owner_may_talk() {
        assert!(peer_allowed(1000, 1000));
        assert!(!peer_allowed(0, 1000));
        assert!(!peer_allowed(1001, 1000));
    }
}
