//! The session interface: all a service needs from a transport.
//!
//! A service (chat, echo, inspect, relay) is written once, against the two
//! traits here; a transport (WebSocket, the nc door, next WebTransport)
//! implements them by framing: it turns what arrives into the service's
//! input type and the service's output into frames or lines. So a limit a
//! service applies (a token bucket, validation, a send deadline) holds on
//! every transport by construction.
//!
//! - [`Inbound`]: receive the client's next message, decoded.
//! - [`Outbound`]: feed replies, flush them, ping, close with a code and a
//!   reason.
//! - [`send`] and [`flush`]: the only ways a service writes, each with a
//!   deadline (a client that stops reading is dropped, never waited for).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::net::deadline::within;

/// What the client did next, as the transport decoded it.
#[derive(Debug)]
pub enum Incoming<T> {
    /// A message, decoded into the service's input type.
    Message(T),
    /// The client closed the session, with its close code where the
    /// transport has codes. The transport has answered the close already.
    Closed(Option<u16>),
    /// The client broke the transport's rules (a message over the limit,
    /// invalid UTF-8, a protocol violation): the session must end with this
    /// close code and reason.
    Invalid {
        /// The close code the transport's standard prescribes.
        code: u16,
        /// What was wrong, for the client.
        reason: String,
    },
    /// The client showed it is still there (a ping, a pong, its close
    /// frame) without a message to act on; it only counts for keep-alive.
    Heard,
    /// The connection is gone; no one is left to tell.
    Lost,
}

/// The client's side of a session, as the service reads it.
pub trait Inbound<T: Send>: Send {
    /// The client's next message. Cancel-safe: services `select!` on it
    /// beside their other sources.
    fn recv(&mut self) -> impl Future<Output = Incoming<T>> + Send;

    /// The next message if it can be had without waiting (already
    /// buffered, or already on the socket), else `None`. Lets a service
    /// batch its replies: feed while input is waiting, flush once it is
    /// not.
    fn recv_now(&mut self) -> impl Future<Output = Option<Incoming<T>>> + Send {
        std::future::ready(None)
    }
}

/// The way back to the client, as the service writes it. Services never
/// call these directly for a reply; they go through [`send`] and
/// [`flush`], which add the deadline.
pub trait Outbound<T: Send>: Send {
    /// Queues `item` for the client; may write out when buffers fill.
    fn feed(&mut self, item: T) -> impl Future<Output = Result<(), Lost>> + Send;

    /// Writes out everything queued.
    fn flush(&mut self) -> impl Future<Output = Result<(), Lost>> + Send;

    /// Probes a quiet client (a WebSocket ping). Transports that have no
    /// such probe keep this default and get no keep-alive.
    fn ping(&mut self) -> impl Future<Output = Result<(), Lost>> + Send {
        std::future::ready(Ok(()))
    }

    /// Ends the session with `code` and `reason`: a close frame, or a last
    /// line; waits briefly for the client's side of a close handshake.
    fn close(&mut self, code: u16, reason: &str) -> impl Future<Output = ()> + Send;

    /// A way to write to this client from outside the session's task, for
    /// transports that have one (see [`Direct`]).
    fn direct(&self) -> Option<Arc<dyn Direct>> {
        None
    }
}

/// A transport's way to take a text message from outside the session's
/// task: a room's publisher writes an event to an idle member without
/// waking the member's task. It never waits, and never writes while the
/// session itself is writing (its writes stay whole and in order).
///
/// A message is framed once per event ([`Direct::frame`]) for every member
/// whose transport frames alike (the same [`Direct::framing`]), then
/// written to each ([`Direct::try_write`]).
pub trait Direct: Send + Sync {
    /// Names how this transport frames a text message.
    fn framing(&self) -> &'static str;

    /// `text` framed as this transport sends it.
    fn frame(&self, text: &str) -> bytes::Bytes;

    /// Writes `framed` (from [`Direct::frame`]) if the connection takes it
    /// now.
    fn try_write(&self, framed: &bytes::Bytes) -> Written;
}

/// How much of a message a [`Direct`] write took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// All of it.
    All,
    /// Part: the transport holds the rest and sends it before anything
    /// else, at the session's next write or flush.
    Part,
    /// None: the session writes it (the connection is busy or full).
    Nothing,
}

/// The connection failed or was closed under the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the connection was lost")]
pub struct Lost;

/// Why a service could not send: the peer is gone or not reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The connection failed or was closed.
    #[error("connection lost")]
    Lost,
    /// The client did not accept the data within the send timeout.
    #[error("the client did not read for {0:?}")]
    Timeout(Duration),
}

impl From<Lost> for SendError {
    fn from(_: Lost) -> Self {
        SendError::Lost
    }
}

/// Sends one item and flushes it, giving up after `limit`.
pub async fn send<T: Send, O: Outbound<T>>(
    out: &mut O,
    item: T,
    limit: Duration,
) -> Result<(), SendError> {
    let work = async {
        out.feed(item).await?;
        out.flush().await
    };
    match within(limit, work).await {
        Ok(result) => result.map_err(SendError::from),
        Err(_) => Err(SendError::Timeout(limit)),
    }
}

/// Runs `work` (feeds and a flush) with the send deadline `limit`.
///
/// A plain function returning the deadline's own future, not an `async
/// fn`: this wraps every message echo feeds, and each async layer would
/// copy `work` once more before its first poll.
pub fn flush<F>(limit: Duration, work: F) -> impl Future<Output = Result<F::Output, SendError>>
where
    F: Future,
{
    futures_util::TryFutureExt::map_err(within(limit, work), |elapsed| {
        SendError::Timeout(elapsed.0)
    })
}

/// Pings the client, with the send deadline `limit`.
pub async fn ping<T: Send, O: Outbound<T>>(out: &mut O, limit: Duration) -> Result<(), SendError> {
    flush(limit, out.ping()).await?.map_err(SendError::from)
}

/// A message of a service that carries the client's own data (echo): text
/// or bytes, as the client framed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// UTF-8 text (a WebSocket text frame).
    Text(tokio_tungstenite::tungstenite::Utf8Bytes),
    /// Bytes (a WebSocket binary frame).
    Binary(bytes::Bytes),
}

/// A session whose two directions can run at once, for a service that
/// pumps both ways (the TCP relay): [`Split::split`] gives a receiving and
/// a sending half, [`Split::unsplit`] puts them back together to close.
pub trait Split<T: Send>: Sized + Inbound<T> + Outbound<T> {
    /// The receiving half.
    type Rx: Inbound<T>;
    /// The sending half.
    type Tx: Outbound<T>;

    /// The two halves.
    fn split(self) -> (Self::Rx, Self::Tx);

    /// The session again, from the halves [`Split::split`] gave.
    fn unsplit(rx: Self::Rx, tx: Self::Tx) -> Option<Self>;
}
