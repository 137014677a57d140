//! `tcp-echo`: a plain TCP echo server that keeps the first bytes of its
//! last few connections.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use socketlab_shared::TcpCapture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::clock::now_ms;
use crate::net::admission::ConnectionLimiter;
use crate::net::deadline::within;
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
    /// Newest first, only those of connections from `client`: what other
    /// clients sent, and their addresses, are theirs.
    pub fn list_for(&self, client: IpAddr) -> Vec<TcpCapture> {
        let captures = lock(&self.inner);
        captures
            .iter()
            .filter(|c| c.peer.parse::<SocketAddr>().is_ok_and(|p| p.ip() == client))
            .cloned()
            .collect()
    }

    fn record(&self, capture: TcpCapture) {
        let mut captures = lock(&self.inner);
        if captures.len() == CAPTURES_KEPT {
            captures.pop_back();
        }
        captures.push_front(capture);
    }
}

/// The limits of one tcp-echo connection.
#[derive(Debug, Clone)]
pub struct EchoLimits {
    /// The server's connection caps, per IP and in total, which tcp-echo
    /// clients count under like everyone else.
    pub connections: ConnectionLimiter,
    /// How long a connection may send nothing before it is closed.
    pub idle: Duration,
    /// How long one write back may take before the client counts as gone.
    pub send_timeout: Duration,
}

/// Accepts and echoes until shutdown.
pub async fn serve(
    listener: TcpListener,
    captures: Captures,
    shutdown: Shutdown,
    limits: EchoLimits,
) {
    let stop = shutdown.clone();
    crate::net::accept::accept_loop(
        "tcp-echo",
        listener,
        MAX_CONNECTIONS,
        shutdown,
        move |stream, peer| {
            let captures = captures.clone();
            let stop = stop.clone();
            let limits = limits.clone();
            async move {
                // Over a cap, the connection is closed at once: 256 idle
                // connections from one address must not shut everyone
                // else out of the lab.
                let Ok(_permit) = limits.connections.try_acquire(peer.ip()) else {
                    return;
                };
                tokio::select! {
                    () = stop.begun() => {}
                    () = echo(stream, peer, captures, &limits) => {}
                }
            }
        },
    )
    .await;
}

async fn echo(mut stream: TcpStream, peer: SocketAddr, captures: Captures, limits: &EchoLimits) {
    let at_ms = now_ms();
    let mut first = Vec::new();
    let mut recorded = false;
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match tokio::time::timeout(limits.idle, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => break,
            Ok(Ok(n)) => n,
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
        let written = within(limits.send_timeout, stream.write_all(&buffer[..n])).await;
        if !matches!(written, Ok(Ok(()))) {
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
