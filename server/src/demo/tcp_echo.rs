//! `tcp-echo`: a plain TCP echo server that keeps the first bytes of its
//! last few connections.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use socketlab_shared::TcpCapture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::clock::now_ms;
use crate::shutdown::Shutdown;
use crate::sync::lock;

/// How many connections' first bytes are remembered.
const CAPTURES_KEPT: usize = 8;
/// Most simultaneous connections; more wait in the accept queue.
const MAX_CONNECTIONS: usize = 256;

/// The first bytes of recent connections, newest first.
#[derive(Debug, Clone, Default)]
pub struct Captures {
    inner: Arc<Mutex<VecDeque<TcpCapture>>>,
}

impl Captures {
    /// Newest first.
    pub fn list(&self) -> Vec<TcpCapture> {
        let captures = lock(&self.inner);
        captures.iter().cloned().collect()
    }

    fn record(&self, capture: TcpCapture) {
        let mut captures = lock(&self.inner);
        if captures.len() == CAPTURES_KEPT {
            captures.pop_back();
        }
        captures.push_front(capture);
    }
}

/// Accepts and echoes until shutdown.
pub async fn serve(listener: TcpListener, captures: Captures, shutdown: Shutdown) {
    let stop = shutdown.clone();
    crate::net::accept::accept_loop(
        "tcp-echo",
        listener,
        MAX_CONNECTIONS,
        shutdown,
        move |stream, peer| {
            let captures = captures.clone();
            let stop = stop.clone();
            async move {
                tokio::select! {
                    () = stop.begun() => {}
                    () = echo(stream, peer, captures) => {}
                }
            }
        },
    )
    .await;
}

async fn echo(mut stream: TcpStream, peer: SocketAddr, captures: Captures) {
    let at_ms = now_ms();
    let mut first = Vec::new();
    let mut recorded = false;
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !recorded {
            let room = TcpCapture::MAX_BYTES - first.len();
            first.extend_from_slice(&buffer[..n.min(room)]);
            // A browser's request ends with an empty line; record as soon as
            // it is complete, so the page can fetch it while the browser is
            // still waiting for an answer.
            if first.len() == TcpCapture::MAX_BYTES || first.windows(4).any(|w| w == b"\r\n\r\n") {
                captures.record(capture(peer, at_ms, &first));
                recorded = true;
            }
        }
        if stream.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    if !recorded && !first.is_empty() {
        captures.record(capture(peer, at_ms, &first));
    }
}

fn capture(peer: SocketAddr, at_ms: u64, bytes: &[u8]) -> TcpCapture {
    TcpCapture {
        peer: peer.to_string(),
        at_ms,
        text: String::from_utf8_lossy(bytes).into_owned(),
        len: bytes.len(),
    }
}
