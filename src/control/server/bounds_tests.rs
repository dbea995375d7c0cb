//! The server's memory bounds, counted: a request line without end, and a
//! client that never reads its notifications.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use crate::control::ControlServer;
use crate::control::fanout::MAX_UNREAD_BYTES;
use crate::control::line::MAX_REQUEST_LINE;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn a_request_line_past_one_mib_gets_an_error_and_the_connection_closes() {
    let dir = tempfile::tempdir().unwrap();
    block_on(async {
        let server = ControlServer::bind(&dir.path().join("g.sock")).unwrap();
        let mut client = UnixStream::connect(server.path()).await.unwrap();
        let (mut read, mut write) = client.split();
        let sent = async {
            // 3 MiB and no newline; the server stops reading, so the write may stall.
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent = 0;
            while sent < 3 * MAX_REQUEST_LINE {
                if write.write_all(&chunk).await.is_err() {
                    break;
                }
                sent += chunk.len();
            }
            sent
        };
        let mut answer = Vec::new();
        let got = async {
            // Until the end (or a reset once the server has closed: the answer came first).
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = read.read(&mut chunk).await {
                answer.extend_from_slice(&chunk[..n]);
            }
        };
        let (_, ()) =
            tokio::time::timeout(Duration::from_secs(60), async { tokio::join!(sent, got) })
                .await
                .expect("the server answered and closed");
        let answer = String::from_utf8(answer).unwrap();
        assert!(answer.contains("\"code\":5"), "{answer}");
        assert!(
            answer.contains("a request line is at most 1 MiB; closing the connection"),
            "{answer}"
        );
        server.shutdown().await;
    });
}

#[test]
fn a_client_that_never_reads_is_dropped_once_eight_mib_wait_for_it() {
    let dir = tempfile::tempdir().unwrap();
    block_on(async {
        let server = ControlServer::bind(&dir.path().join("g.sock")).unwrap();
        let notifier = server.notifier();
        let idle = UnixStream::connect(server.path()).await.unwrap();
        let subscribed = async {
            while notifier.clients() == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), subscribed)
            .await
            .unwrap();
        // 64 MB of notifications, 64 KiB each: eight times the cap.
        let big = serde_json::Value::String("n".repeat(64 * 1024));
        let mut most = 0;
        for _ in 0..1000 {
            notifier.send("event", big.clone());
            most = most.max(notifier.unread_bytes());
            tokio::task::yield_now().await;
        }
        assert!(most <= MAX_UNREAD_BYTES, "{most} bytes waited");
        assert_eq!(notifier.clients(), 0, "the idle client was dropped");
        assert_eq!(notifier.unread_bytes(), 0);
        // It can still read what it was told: some notifications, then why it was
        // dropped (when its socket had room for that line), then the end.
        let mut idle = idle;
        let mut text = Vec::new();
        tokio::time::timeout(Duration::from_secs(60), idle.read_to_end(&mut text))
            .await
            .expect("closed")
            .unwrap();
        assert!(!text.is_empty());
        server.shutdown().await;
    });
}
