//! A WebSocket as the services see it: [`WsSession`] implements the
//! session interface ([`Inbound`], [`Outbound`]) once, for every service
//! input that can be read from a message ([`Decode`]) and every output that
//! can be written as one ([`Encode`]). That is all the framing a WebSocket
//! needs:
//!
//! - chat: JSON text frames in ([`ChatInput`]), JSON text frames out; a
//!   room event's frame was encoded once for every member.
//! - echo and the relay: text and binary frames, as they came ([`Data`]).
//! - inspect: the handshake report out, as one JSON text frame.

use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use socketlab_shared::{ClientMessage, ErrorCode, ProtocolError, ServerMessage};
use tokio_tungstenite::tungstenite::{self, Message};

use super::socket::{self, ReadGate, WebSocket};
use super::wire::{self, Wire};
use crate::net::deadline::within;
use crate::service::chat::session::{ChatInput, ChatOutput};
use crate::service::session::{Data, Direct, Inbound, Incoming, Lost, Outbound, Split};
use socketlab_shared::close;

/// The close reason when a frame would overflow the connection's capped
/// write buffer (see `state::limited`): this client alone is closed, with
/// 1013, rather than the buffer growing without bound.
const WRITE_BUFFER_FULL: &str =
    "the server's write buffer for this connection is full; reconnect and read what it sends";

/// A service's input, read from one WebSocket data message (text or
/// binary; control frames never reach it).
pub trait Decode: Sized + Send {
    /// Decodes `message`.
    fn decode(message: Message) -> Self;
}

/// A service's output, written as one WebSocket message (or none).
pub trait Encode: Send {
    /// The message to send, if this output has one on a WebSocket.
    fn encode(self) -> Option<Message>;
}

/// Chat speaks JSON text frames.
impl Decode for ChatInput {
    fn decode(message: Message) -> Self {
        match message {
            Message::Text(text) => match ClientMessage::parse(&text) {
                Ok(message) => ChatInput::Message(message),
                Err(err) => ChatInput::Invalid(err),
            },
            _ => ChatInput::Invalid(ProtocolError::new(
                ErrorCode::BinaryNotSupported,
                "chat speaks JSON text frames; send {\"type\":\"say\",\"text\":\"...\"}",
            )),
        }
    }
}

impl Encode for ChatOutput {
    fn encode(self) -> Option<Message> {
        match self {
            ChatOutput::Event(event) => Some(Message::Text(event.frame)),
            ChatOutput::Reply(reply) => Some(Message::text(reply.to_json())),
            // The page has its own help; a WebSocket client never asks.
            ChatOutput::Help => None,
        }
    }
}

/// Echo and the relay take frames as they came.
impl Decode for Data {
    fn decode(message: Message) -> Self {
        match message {
            Message::Text(text) => Data::Text(text),
            other => Data::Binary(other.into_data()),
        }
    }
}

impl Encode for Data {
    fn encode(self) -> Option<Message> {
        Some(match self {
            Data::Text(text) => Message::Text(text),
            Data::Binary(bytes) => Message::Binary(bytes),
        })
    }
}

/// The inspector's report (and any single server message).
impl Encode for ServerMessage {
    fn encode(self) -> Option<Message> {
        Some(Message::text(self.to_json()))
    }
}

/// A server-side WebSocket session.
pub struct WsSession {
    ws: WebSocket,
    reader: Reader,
    /// The plain-TCP socket under `ws`, shared with a room's publisher;
    /// released after each flush (see [`wire`]).
    wire: Option<Arc<Wire>>,
}

/// What the reading side keeps between frames.
struct Reader {
    /// Polls the socket only after it signalled input (see [`ReadGate`]).
    gate: ReadGate,
    /// The code of the client's close frame, once it sent one.
    client_code: Option<u16>,
    /// The client sent its close frame: the session ends once it is answered.
    closing: bool,
    /// The stream queued an automatic reply (a pong, or the answer to the
    /// client's close) that must be written by then. It writes such replies
    /// from inside its reads too, but when the client does not read it
    /// simply reads on: without a deadline a client that pings (or closes)
    /// and never reads would hold the session forever.
    reply_by: Option<tokio::time::Instant>,
    /// How long a pong may wait (`--send-timeout-secs`).
    send_timeout: Duration,
}

impl Reader {
    fn new(send_timeout: Duration) -> Self {
        Self {
            gate: ReadGate::new(),
            client_code: None,
            closing: false,
            reply_by: None,
            send_timeout,
        }
    }

    /// One frame as one of the session's events.
    fn incoming<T: Decode>(
        &mut self,
        frame: Option<Result<Message, tungstenite::Error>>,
    ) -> Incoming<T> {
        match frame {
            None => Incoming::Closed(self.client_code),
            Some(Err(err)) => invalid(&err),
            // The stream queues the answer; it is written (with its
            // deadline) before the session hears `Closed`.
            Some(Ok(Message::Close(frame))) => {
                self.client_code = frame.map(|f| u16::from(f.code));
                self.closing = true;
                self.reply_by = Some(tokio::time::Instant::now() + socket::CLOSE_HANDSHAKE_TIMEOUT);
                Incoming::Heard
            }
            // The stream queues the pong; it is written, with the send
            // deadline, before the next frame is read.
            Some(Ok(Message::Ping(_))) => {
                if self.reply_by.is_none() {
                    self.reply_by = Some(tokio::time::Instant::now() + self.send_timeout);
                }
                Incoming::Heard
            }
            // Every frame is a sign of life.
            Some(Ok(Message::Pong(_) | Message::Frame(_))) => Incoming::Heard,
            Some(Ok(message)) => Incoming::Message(T::decode(message)),
        }
    }

    /// Writes the automatic reply the stream queued, if any, by its
    /// deadline (kept across calls, so a cancelled `recv` does not restart
    /// it). `Some` ends the session: the close was answered (or could not
    /// be in time), or the client did not take a pong.
    async fn answer<T, S>(&mut self, ws: &mut S) -> Option<Incoming<T>>
    where
        S: futures_util::Sink<Message, Error = tungstenite::Error> + Unpin,
    {
        let by = self.reply_by?;
        let left = by.saturating_duration_since(tokio::time::Instant::now());
        let written = within(left, SinkExt::<Message>::flush(ws)).await;
        self.reply_by = None;
        if self.closing {
            // Answered or not, the client is done; a client that does not
            // read its answer is let go after the close handshake timeout.
            return Some(Incoming::Closed(self.client_code));
        }
        match written {
            Ok(Ok(())) => None,
            Ok(Err(_)) => Some(Incoming::Lost),
            Err(_) => Some(Incoming::Invalid {
                code: socketlab_shared::close::TRY_AGAIN_LATER,
                reason: format!(
                    "not reading: a pong waited {:?} (--send-timeout-secs)",
                    self.send_timeout
                ),
            }),
        }
    }

    async fn recv<T: Decode, S>(&mut self, stream: &mut S) -> Incoming<T>
    where
        S: futures_util::Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
    {
        let frame = self.gate.next(stream).await;
        self.incoming(frame)
    }

    async fn recv_now<T: Decode, S>(&mut self, stream: &mut S) -> Option<Incoming<T>>
    where
        S: futures_util::Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
    {
        let frame = self.gate.now(stream).await?;
        Some(self.incoming(frame))
    }
}

impl WsSession {
    /// Wraps an upgraded connection; the pong it owes a client's ping
    /// must be written within `send_timeout`.
    pub fn new(ws: WebSocket, send_timeout: Duration) -> Self {
        Self {
            wire: wire::of(ws.get_ref().get_ref()),
            ws,
            reader: Reader::new(send_timeout),
        }
    }

    /// All this session wrote is out: a room's publisher may write to the
    /// socket again, unless the session is closing (nothing may follow a
    /// close frame).
    fn release(&self) {
        if let Some(wire) = self.wire.as_ref().filter(|_| !self.reader.closing) {
            wire.release();
        }
    }
}

/// A read error as the close RFC 6455 prescribes for it: 1009 for a
/// message over the limit, 1007 for invalid UTF-8, 1002 for a protocol
/// violation. Connection failures get no close frame (no one is there to
/// read it).
fn invalid<T>(err: &tungstenite::Error) -> Incoming<T> {
    use tungstenite::error::CapacityError;
    use tungstenite::Error;
    let (code, reason) = match err {
        Error::Capacity(CapacityError::MessageTooLong { size, max_size }) => (
            socketlab_shared::close::MESSAGE_TOO_BIG,
            format!("message of {size} bytes exceeds this endpoint's limit of {max_size}"),
        ),
        Error::Capacity(other) => (socketlab_shared::close::MESSAGE_TOO_BIG, other.to_string()),
        Error::Utf8(_) => (
            socketlab_shared::close::INVALID_PAYLOAD,
            "text frame is not valid UTF-8".to_owned(),
        ),
        Error::Protocol(violation) => (
            socketlab_shared::close::PROTOCOL_ERROR,
            violation.to_string(),
        ),
        _ => return Incoming::Lost,
    };
    tracing::debug!(code, %reason, "closing after a client error");
    Incoming::Invalid { code, reason }
}

impl<T: Decode> Inbound<T> for WsSession {
    async fn recv(&mut self) -> Incoming<T> {
        if let Some(end) = self.reader.answer(&mut self.ws).await {
            return end;
        }
        self.reader.recv(&mut self.ws).await
    }

    async fn recv_now(&mut self) -> Option<Incoming<T>> {
        // A reply waiting to be written is not "without waiting": the
        // service flushes its batch, then `recv` writes the reply.
        if self.reader.reply_by.is_some() {
            return None;
        }
        self.reader.recv_now(&mut self.ws).await
    }
}

impl<T: Encode> Outbound<T> for WsSession {
    async fn feed(&mut self, item: T) -> Result<(), Lost> {
        let Some(message) = item.encode() else {
            return Ok(());
        };
        match self.ws.feed(message).await {
            Ok(()) => Ok(()),
            Err(tungstenite::Error::WriteBufferFull(_)) => {
                socket::close(&mut self.ws, close::TRY_AGAIN_LATER, WRITE_BUFFER_FULL).await;
                Err(Lost)
            }
            Err(_) => Err(Lost),
        }
    }

    async fn flush(&mut self) -> Result<(), Lost> {
        SinkExt::<Message>::flush(&mut self.ws)
            .await
            .map_err(|_| Lost)?;
        self.release();
        Ok(())
    }

    async fn ping(&mut self) -> Result<(), Lost> {
        self.ws
            .send(Message::Ping(Default::default()))
            .await
            .map_err(|_| Lost)?;
        self.release();
        Ok(())
    }

    async fn close(&mut self, code: u16, reason: &str) {
        socket::close(&mut self.ws, code, reason).await;
    }

    fn direct(&self) -> Option<Arc<dyn Direct>> {
        Some(self.wire.as_ref()?.share())
    }
}

/// The receiving half of a split [`WsSession`].
pub struct WsRx {
    stream: futures_util::stream::SplitStream<WebSocket>,
    reader: Reader,
}

/// The sending half of a split [`WsSession`].
pub struct WsTx {
    sink: futures_util::stream::SplitSink<WebSocket, Message>,
}

impl Split<Data> for WsSession {
    type Rx = WsRx;
    type Tx = WsTx;

    fn split(self) -> (WsRx, WsTx) {
        // Nothing writes around a split session (only chat members do), so
        // its wire is never released.
        let (sink, stream) = futures_util::StreamExt::split(self.ws);
        (
            WsRx {
                stream,
                reader: self.reader,
            },
            WsTx { sink },
        )
    }

    fn unsplit(rx: WsRx, tx: WsTx) -> Option<Self> {
        let ws = tx.sink.reunite(rx.stream).ok()?;
        Some(Self {
            wire: wire::of(ws.get_ref().get_ref()),
            ws,
            reader: rx.reader,
        })
    }
}

impl<T: Decode> Inbound<T> for WsRx {
    /// The receiving half cannot write: the client's close ends it at once
    /// (reading on would wait for the stream to write the answer, with no
    /// deadline); the caller unsplits and flushes the answer with its own.
    /// Pongs go out with the sending half's next write.
    async fn recv(&mut self) -> Incoming<T> {
        if self.reader.closing {
            return Incoming::Closed(self.reader.client_code);
        }
        let incoming = self.reader.recv(&mut self.stream).await;
        self.reader.reply_by = None;
        if self.reader.closing {
            return Incoming::Closed(self.reader.client_code);
        }
        incoming
    }

    async fn recv_now(&mut self) -> Option<Incoming<T>> {
        if self.reader.closing {
            return Some(Incoming::Closed(self.reader.client_code));
        }
        let incoming = self.reader.recv_now(&mut self.stream).await?;
        self.reader.reply_by = None;
        if self.reader.closing {
            return Some(Incoming::Closed(self.reader.client_code));
        }
        Some(incoming)
    }
}

impl<T: Encode> Outbound<T> for WsTx {
    async fn feed(&mut self, item: T) -> Result<(), Lost> {
        let Some(message) = item.encode() else {
            return Ok(());
        };
        match self.sink.feed(message).await {
            Ok(()) => Ok(()),
            Err(tungstenite::Error::WriteBufferFull(_)) => {
                Outbound::<T>::close(self, close::TRY_AGAIN_LATER, WRITE_BUFFER_FULL).await;
                Err(Lost)
            }
            Err(_) => Err(Lost),
        }
    }

    async fn flush(&mut self) -> Result<(), Lost> {
        self.sink.flush().await.map_err(|_| Lost)
    }

    async fn ping(&mut self) -> Result<(), Lost> {
        self.sink
            .send(Message::Ping(Default::default()))
            .await
            .map_err(|_| Lost)
    }

    async fn close(&mut self, code: u16, reason: &str) {
        // Without the receiving half there is no handshake to finish:
        // send the close frame and let the caller unsplit for the rest.
        let frame = tungstenite::protocol::CloseFrame {
            code: code.into(),
            reason: socket::truncate_reason(reason).into(),
        };
        let send = self.sink.send(Message::Close(Some(frame)));
        let _ = within(socket::CLOSE_HANDSHAKE_TIMEOUT, send).await;
    }
}
