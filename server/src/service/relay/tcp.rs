//! Relaying a client's session to a TCP target, or a Unix domain socket:
//! the same loop, over any [`ByteStream`].
//!
//! Text frames are relayed as their UTF-8 bytes, or refused with 1003 on a
//! `text=refuse` target; what the target sends always goes back as binary
//! frames, since a byte stream has no idea of text.
//!
//! Two directions run at once, each with one bounded buffer, and each waits
//! for its destination before reading more from its source: the relay never
//! reads the client faster than the target drains, nor the target faster
//! than the client drains. Memory per relay is therefore fixed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use socketlab_shared::{close, TextMode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;

use super::Relay;
use crate::service::session::{self, Data, Inbound, Incoming, Outbound, SendError, Split};

/// Bytes read from the target per message to the client, at most.
const READ_CHUNK: usize = 64 * 1024;

/// How a relay ended, and what to tell the client.
#[derive(Debug)]
enum End {
    /// The client sent a close frame (with this code); the target got a half-close.
    ClientClosed(Option<u16>),
    /// The client's connection broke.
    ClientLost,
    /// The target closed its side.
    TargetClosed,
    /// The target's connection failed.
    TargetFailed(std::io::Error),
    /// The client sent a text frame to a `text=refuse` target.
    TextFrame,
    /// The client broke the transport's rules (e.g. a message over the
    /// limit): close with this code and reason.
    ClientError(u16, String),
    /// The server is shutting down.
    Shutdown,
    /// The client did not read what the target sent for this long.
    TooSlow(Duration),
    /// The target did not read what the client sent for this long.
    TargetStuck(Duration),
    /// Nothing moved for the idle timeout.
    Idle,
}

/// When bytes last moved, in either direction; both directions update it.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let now = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    /// Resolves once nothing has moved for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let quiet = self.start.elapsed().saturating_sub(last);
            if quiet >= limit {
                return;
            }
            tokio::time::sleep(limit - quiet).await;
        }
    }
}

/// A connected byte stream the relay can split into two owned halves, so
/// both directions run at once without a lock between them.
pub trait ByteStream: Send {
    /// The half the relay reads the target from.
    type Read: AsyncRead + Unpin + Send;
    /// The half the relay writes the target to.
    type Write: AsyncWrite + Unpin + Send;

    /// The two halves.
    fn into_halves(self) -> (Self::Read, Self::Write);
}

impl ByteStream for TcpStream {
    type Read = tokio::net::tcp::OwnedReadHalf;
    type Write = tokio::net::tcp::OwnedWriteHalf;

    fn into_halves(self) -> (Self::Read, Self::Write) {
        self.into_split()
    }
}

impl ByteStream for tokio::net::UnixStream {
    type Read = tokio::net::unix::OwnedReadHalf;
    type Write = tokio::net::unix::OwnedWriteHalf;

    fn into_halves(self) -> (Self::Read, Self::Write) {
        self.into_split()
    }
}

/// Connects to a TCP target, with Nagle's algorithm off: the relay
/// already batches writes itself.
pub async fn connect_tcp(addr: std::net::SocketAddr) -> std::io::Result<TcpStream> {
    let tcp = TcpStream::connect(addr).await?;
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

/// Relays `conn` to the stream `connecting` opens (a TCP or a Unix
/// socket: [`connect_tcp`], `UnixStream::connect`) until either side ends;
/// returns the close code.
pub async fn run<C, S, F>(mut conn: C, relay: Relay, connecting: F) -> Option<u16>
where
    C: Split<Data>,
    S: ByteStream,
    F: std::future::Future<Output = std::io::Result<S>>,
{
    match connect(&relay, connecting).await {
        Ok(stream) => pump(conn, stream, relay).await,
        Err(reason) => unreachable(&mut conn, &reason).await,
    }
}

/// Runs `connecting` within the connect timeout and counts how long it
/// took; the error is the close reason, naming the target.
async fn connect<S, F>(relay: &Relay, connecting: F) -> Result<S, String>
where
    F: std::future::Future<Output = std::io::Result<S>>,
{
    let Relay {
        name,
        addr,
        limits,
        metrics,
        ..
    } = relay;
    let started = Instant::now();
    match tokio::time::timeout(limits.connect_timeout, connecting).await {
        Ok(Ok(stream)) => {
            metrics.relay_connected(name, started.elapsed());
            tracing::debug!(target_name = %name, %addr, "relay connected");
            Ok(stream)
        }
        Ok(Err(err)) => Err(format!("cannot reach {name} ({addr}): {err}")),
        Err(_) => Err(format!(
            "cannot reach {name} ({addr}): timed out after {:?}",
            limits.connect_timeout
        )),
    }
}

/// Relays `conn` to the connected `stream` until either side ends.
async fn pump<C: Split<Data>, S: ByteStream>(conn: C, stream: S, relay: Relay) -> Option<u16> {
    let Relay {
        name,
        shutdown,
        limits,
        metrics,
        send_timeout,
        text,
        ..
    } = relay;
    let counters = metrics.relay_counters(&name);
    let (mut from_target, mut to_target) = stream.into_halves();
    let activity = Activity::new();
    let (mut from_client, mut to_client) = conn.split();

    // Client → target. Writes go through a buffer that is flushed once no
    // further message is already waiting: a burst of small messages costs
    // one system call, not one per message; a large message bypasses the
    // buffer, so nothing is copied twice.
    let upstream = async {
        let mut to_target = BufWriter::with_capacity(READ_CHUNK, &mut to_target);
        let mut incoming = from_client.recv().await;
        loop {
            match incoming {
                Incoming::Message(message) => {
                    // A text frame's payload is its UTF-8 bytes (`text=bytes`).
                    let bytes = match message {
                        Data::Binary(bytes) => bytes,
                        Data::Text(utf8) if text == TextMode::Bytes => Bytes::from(utf8),
                        Data::Text(_) => return End::TextFrame,
                    };
                    activity.touch();
                    if let Err(end) = bounded(send_timeout, to_target.write_all(&bytes)).await {
                        return end;
                    }
                    counters.to_target.inc_by(bytes.len() as u64);
                }
                Incoming::Closed(code) => {
                    // Half-close: the target sees EOF after the last byte.
                    let _ = bounded(send_timeout, to_target.shutdown()).await;
                    return End::ClientClosed(code);
                }
                Incoming::Heard => {}
                Incoming::Invalid { code, reason } => {
                    let _ = bounded(send_timeout, to_target.flush()).await;
                    return End::ClientError(code, reason);
                }
                Incoming::Lost => {
                    let _ = bounded(send_timeout, to_target.flush()).await;
                    return End::ClientLost;
                }
            }
            incoming = match from_client.recv_now().await {
                Some(incoming) => incoming,
                None => {
                    if let Err(end) = bounded(send_timeout, to_target.flush()).await {
                        return end;
                    }
                    from_client.recv().await
                }
            };
        }
    };
    let downstream = async {
        let mut buffer = BytesMut::with_capacity(READ_CHUNK);
        loop {
            buffer.reserve(READ_CHUNK);
            match from_target.read_buf(&mut buffer).await {
                Ok(0) => return End::TargetClosed,
                Ok(n) => {
                    activity.touch();
                    let chunk = buffer.split().freeze();
                    match session::send(&mut to_client, Data::Binary(chunk), send_timeout).await {
                        Ok(()) => {}
                        Err(SendError::Timeout(limit)) => return End::TooSlow(limit),
                        Err(SendError::Lost) => return End::ClientLost,
                    }
                    counters.to_client.inc_by(n as u64);
                }
                Err(err) => return End::TargetFailed(err),
            }
        }
    };

    let end = tokio::select! {
        end = upstream => end,
        end = downstream => end,
        () = shutdown.begun() => End::Shutdown,
        () = activity.idle_for(limits.tcp_idle_timeout) => End::Idle,
    };
    tracing::debug!(target_name = %name, ?end, "relay ended");
    let mut conn = C::unsplit(from_client, to_client)?;
    let (code, reason) = match end {
        End::TargetClosed => (close::NORMAL, "the target closed the connection".to_owned()),
        End::TargetFailed(err) => (
            close::BAD_GATEWAY,
            format!("target connection failed: {err}"),
        ),
        End::TextFrame => (
            close::UNSUPPORTED_DATA,
            format!("{name} takes bytes only (text=refuse): send binary frames, not text"),
        ),
        End::Shutdown => (close::GOING_AWAY, "server shutting down".to_owned()),
        End::TargetStuck(limit) => (
            close::BAD_GATEWAY,
            format!("the target did not read for {limit:?} (--send-timeout-secs)"),
        ),
        End::TooSlow(limit) => (
            close::TRY_AGAIN_LATER,
            format!("not reading for {limit:?} (--send-timeout-secs)"),
        ),
        End::ClientError(code, reason) => (code, reason),
        End::Idle => (
            close::NORMAL,
            format!(
                "idle for {:?} (--relay-tcp-idle-secs)",
                limits.tcp_idle_timeout
            ),
        ),
        // The transport already answered the client's close.
        End::ClientClosed(code) => {
            let _ = session::flush(send_timeout, Outbound::<Data>::flush(&mut conn)).await;
            return code;
        }
        End::ClientLost => return None,
    };
    Outbound::<Data>::close(&mut conn, code, &reason).await;
    Some(code)
}

/// A write to the target, with the send deadline: a target that stops
/// reading must not pin the relay (and the client's sends) forever.
async fn bounded<F>(limit: Duration, write: F) -> Result<(), End>
where
    F: std::future::Future<Output = std::io::Result<()>>,
{
    match crate::net::deadline::within(limit, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(End::TargetFailed(err)),
        Err(_) => Err(End::TargetStuck(limit)),
    }
}

/// Closes with 1014 (bad gateway) when the target cannot be reached.
async fn unreachable<C: Outbound<Data>>(conn: &mut C, reason: &str) -> Option<u16> {
    tracing::info!("relay: {reason}");
    conn.close(close::BAD_GATEWAY, reason).await;
    Some(close::BAD_GATEWAY)
}
