//! A WebTransport session as the services see it: the session interface
//! ([`Inbound`], [`Outbound`]) framed two ways.
//!
//! - [`Datagrams`]: one datagram is one message, each way, as a UDP
//!   datagram is: unordered, unreliable, never split or joined. A datagram
//!   is sent at once or not at all (QUIC drops the oldest when its buffer
//!   is full, as a network would), so a send never waits on a slow client.
//! - [`Stream`]: one bidirectional stream, an ordered byte stream like TCP;
//!   a message is whatever chunk arrived, as on a TCP socket.
//!
//! Either way, [`Outbound::close`] closes the whole session with the code
//! and reason (a `CLOSE_WEBTRANSPORT_SESSION` capsule, which a browser
//! shows as `closed`'s `closeCode` and `reason`): a stream reset carries a
//! code but no reason, and a reason is what tells a person what happened.
//! The codes are the WebSocket ones (1001 going away, 1009 too big, 1013
//! try again later, 1014 bad gateway), so one table explains both.

use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use socketlab_shared::close;
use web_transport_quinn::{ReadError, Session, SessionError, WebTransportError};

use crate::service::session::{Data, Inbound, Incoming, Lost, Outbound, Split};

/// Bytes read from a stream per message, at most: what one read of a TCP
/// socket would give the relay, and the largest message echo sees.
pub const STREAM_CHUNK: usize = 64 * 1024;

/// How long a close waits for the client to acknowledge it, so the
/// capsule with the reason arrives before the connection is torn down.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Closes `session` with `code` and `reason`, and waits briefly until the
/// client has seen it.
pub async fn close_session(session: &Session, code: u16, reason: &str) {
    session.close(u32::from(code), reason.as_bytes());
    let _ = tokio::time::timeout(CLOSE_WAIT, session.closed()).await;
}

/// What a session error means for the service: the client closed with a
/// code (which fits a WebSocket close code, or is dropped), or the session
/// is simply gone.
fn ended<T>(err: &SessionError) -> Incoming<T> {
    match err {
        SessionError::WebTransportError(WebTransportError::Closed(code, _)) => {
            Incoming::Closed(u16::try_from(*code).ok())
        }
        _ => Incoming::Lost,
    }
}

/// A session's datagrams, one message each.
pub struct Datagrams {
    session: Session,
}

impl Datagrams {
    /// The datagrams of `session`.
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    fn received(result: Result<Bytes, SessionError>) -> Incoming<Data> {
        match result {
            Ok(datagram) => Incoming::Message(Data::Binary(datagram)),
            // A datagram for another session id on this connection: the
            // client's mistake, not a reason to end; nothing to act on.
            Err(SessionError::WebTransportError(WebTransportError::UnknownSession)) => {
                Incoming::Heard
            }
            Err(err) => ended(&err),
        }
    }
}

impl Inbound<Data> for Datagrams {
    async fn recv(&mut self) -> Incoming<Data> {
        Self::received(self.session.read_datagram().await)
    }

    async fn recv_now(&mut self) -> Option<Incoming<Data>> {
        self.session
            .read_datagram()
            .now_or_never()
            .map(Self::received)
    }
}

impl Outbound<Data> for Datagrams {
    /// Sends one datagram now. One that does not fit the path to this
    /// client (`datagrams.maxDatagramSize` on its side) is refused: the
    /// session closes with 1009 and says so, since splitting it would
    /// break the one rule a datagram has.
    async fn feed(&mut self, item: Data) -> Result<(), Lost> {
        let bytes = match item {
            Data::Binary(bytes) => bytes,
            Data::Text(text) => Bytes::from(text),
        };
        let max = self.session.max_datagram_size();
        if bytes.len() > max {
            let reason = format!(
                "a datagram of {} bytes does not fit this session (at most {max}); \
                 datagrams are never fragmented",
                bytes.len()
            );
            tracing::debug!(%reason, "closing a WebTransport session");
            close_session(&self.session, close::MESSAGE_TOO_BIG, &reason).await;
            return Err(Lost);
        }
        self.session.send_datagram(bytes).map_err(|_| Lost)
    }

    async fn flush(&mut self) -> Result<(), Lost> {
        Ok(())
    }

    async fn close(&mut self, code: u16, reason: &str) {
        close_session(&self.session, code, reason).await;
    }
}

/// The receiving half of a [`Stream`].
pub struct StreamRx {
    recv: web_transport_quinn::RecvStream,
}

/// The sending half of a [`Stream`].
pub struct StreamTx {
    session: Session,
    send: web_transport_quinn::SendStream,
}

/// One bidirectional stream of a session, as an ordered byte stream.
pub struct Stream {
    rx: StreamRx,
    tx: StreamTx,
}

impl Stream {
    /// The stream `send`/`recv` of `session`.
    pub fn new(
        session: Session,
        send: web_transport_quinn::SendStream,
        recv: web_transport_quinn::RecvStream,
    ) -> Self {
        Self {
            rx: StreamRx { recv },
            tx: StreamTx { session, send },
        }
    }

    /// Ends the server's side of the stream (FIN) after what was written:
    /// the client reads to the end, as after a TCP half-close.
    pub fn finish(&mut self) {
        let _ = self.tx.send.finish();
    }
}

impl StreamRx {
    fn received(
        result: Result<Option<web_transport_quinn::quinn::Chunk>, ReadError>,
    ) -> Incoming<Data> {
        match result {
            Ok(Some(chunk)) => Incoming::Message(Data::Binary(chunk.bytes)),
            // The client finished its side (FIN), as a TCP half-close.
            Ok(None) => Incoming::Closed(None),
            Err(ReadError::SessionError(err)) => ended(&err),
            Err(_) => Incoming::Lost,
        }
    }
}

impl Inbound<Data> for StreamRx {
    async fn recv(&mut self) -> Incoming<Data> {
        Self::received(self.recv.read_chunk(STREAM_CHUNK, true).await)
    }

    async fn recv_now(&mut self) -> Option<Incoming<Data>> {
        self.recv
            .read_chunk(STREAM_CHUNK, true)
            .now_or_never()
            .map(Self::received)
    }
}

impl Outbound<Data> for StreamTx {
    /// Writes into QUIC's send buffer, waiting while the client's flow
    /// control window is full (the caller's deadline bounds that).
    async fn feed(&mut self, item: Data) -> Result<(), Lost> {
        let bytes = match item {
            Data::Binary(bytes) => bytes,
            Data::Text(text) => Bytes::from(text),
        };
        self.send.write_chunk(bytes).await.map_err(|_| Lost)
    }

    /// QUIC sends what was written as soon as it may; nothing to push.
    async fn flush(&mut self) -> Result<(), Lost> {
        Ok(())
    }

    async fn close(&mut self, code: u16, reason: &str) {
        close_session(&self.session, code, reason).await;
    }
}

impl Inbound<Data> for Stream {
    async fn recv(&mut self) -> Incoming<Data> {
        self.rx.recv().await
    }

    async fn recv_now(&mut self) -> Option<Incoming<Data>> {
        self.rx.recv_now().await
    }
}

impl Outbound<Data> for Stream {
    async fn feed(&mut self, item: Data) -> Result<(), Lost> {
        self.tx.feed(item).await
    }

    async fn flush(&mut self) -> Result<(), Lost> {
        Outbound::<Data>::flush(&mut self.tx).await
    }

    async fn close(&mut self, code: u16, reason: &str) {
        self.tx.close(code, reason).await;
    }
}

impl Split<Data> for Stream {
    type Rx = StreamRx;
    type Tx = StreamTx;

    fn split(self) -> (StreamRx, StreamTx) {
        (self.rx, self.tx)
    }

    fn unsplit(rx: StreamRx, tx: StreamTx) -> Option<Self> {
        Some(Self { rx, tx })
    }
}
