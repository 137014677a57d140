//! A WebSocket as the services see it: [`WsSession`] implements the
//! session interface ([`Inbound`], [`Outbound`]) once per service, which
//! is all the framing a WebSocket needs.
//!
//! - chat: JSON text frames in ([`ChatInput`]), JSON text frames out; a
//!   room event's frame was encoded once for every member.
//! - echo: text and binary frames, as they came ([`Data`]).
//! - inspect: the handshake report out, as one JSON text frame.

use futures_util::SinkExt;
use socketlab_shared::{ClientMessage, ErrorCode, ProtocolError, ServerMessage};
use tokio_tungstenite::tungstenite::{self, Message};

use super::socket::{self, ReadGate, WebSocket};
use crate::service::chat::session::{ChatInput, ChatOutput};
use crate::service::session::{Data, Inbound, Incoming, Lost, Outbound, Split};

/// A server-side WebSocket session.
pub struct WsSession {
    ws: WebSocket,
    /// Polls the socket only after it signalled input (see [`ReadGate`]).
    gate: ReadGate,
    /// The code of the client's close frame, once it sent one.
    client_code: Option<u16>,
}

impl WsSession {
    /// Wraps an upgraded connection.
    pub fn new(ws: WebSocket) -> Self {
        Self {
            ws,
            gate: ReadGate::new(),
            client_code: None,
        }
    }

    /// The next frame as one of the session's events, with `decode` turning
    /// a data frame into the service's input.
    fn incoming<T>(
        &mut self,
        frame: Option<Result<Message, tungstenite::Error>>,
        decode: impl FnOnce(Message) -> T,
    ) -> Incoming<T> {
        match frame {
            None => Incoming::Closed(self.client_code),
            Some(Err(err)) => invalid(&err),
            // tungstenite answers the close, then ends the stream.
            Some(Ok(Message::Close(frame))) => {
                self.client_code = frame.map(|f| u16::from(f.code));
                Incoming::Heard
            }
            // tungstenite answers pings itself; every frame is a sign of life.
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Incoming::Heard,
            Some(Ok(message)) => Incoming::Message(decode(message)),
        }
    }

    /// Reads the next frame and decodes it.
    async fn next<T>(&mut self, decode: impl FnOnce(Message) -> T) -> Incoming<T> {
        let frame = self.gate.next(&mut self.ws).await;
        self.incoming(frame, decode)
    }

    /// The next frame if it is already here, decoded.
    async fn next_now<T>(&mut self, decode: impl FnOnce(Message) -> T) -> Option<Incoming<T>> {
        let frame = self.gate.now(&mut self.ws).await?;
        Some(self.incoming(frame, decode))
    }

    async fn feed_message(&mut self, message: Message) -> Result<(), Lost> {
        self.ws.feed(message).await.map_err(|_| Lost)
    }

    async fn flush_socket(&mut self) -> Result<(), Lost> {
        SinkExt::<Message>::flush(&mut self.ws)
            .await
            .map_err(|_| Lost)
    }

    async fn ping_socket(&mut self) -> Result<(), Lost> {
        self.ws
            .send(Message::Ping(Default::default()))
            .await
            .map_err(|_| Lost)
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

/// Chat speaks JSON text frames.
fn chat_input(message: Message) -> ChatInput {
    match message {
        Message::Text(text) => match ClientMessage::parse(&text) {
            Ok(message) => ChatInput::Message(message),
            Err(err) => ChatInput::Invalid(err),
        },
        _ => ChatInput::Refused(ProtocolError::new(
            ErrorCode::BinaryNotSupported,
            "chat speaks JSON text frames; send {\"type\":\"say\",\"text\":\"...\"}",
        )),
    }
}

/// Echo and the inspector take frames as they came.
fn data(message: Message) -> Data {
    match message {
        Message::Text(text) => Data::Text(text),
        other => Data::Binary(other.into_data()),
    }
}

impl Inbound<ChatInput> for WsSession {
    async fn recv(&mut self) -> Incoming<ChatInput> {
        self.next(chat_input).await
    }
}

impl Outbound<ChatOutput> for WsSession {
    async fn feed(&mut self, item: ChatOutput) -> Result<(), Lost> {
        let message = match item {
            ChatOutput::Event(event) => Message::Text(event.frame),
            ChatOutput::Reply(reply) => Message::text(reply.to_json()),
            // The page has its own help; a WebSocket client never asks.
            ChatOutput::Help => return Ok(()),
        };
        self.feed_message(message).await
    }

    async fn flush(&mut self) -> Result<(), Lost> {
        self.flush_socket().await
    }

    async fn ping(&mut self) -> Result<(), Lost> {
        self.ping_socket().await
    }

    async fn close(&mut self, code: u16, reason: &str) {
        socket::close(&mut self.ws, code, reason).await;
    }
}

impl Inbound<Data> for WsSession {
    async fn recv(&mut self) -> Incoming<Data> {
        self.next(data).await
    }

    async fn recv_now(&mut self) -> Option<Incoming<Data>> {
        self.next_now(data).await
    }
}

impl Outbound<Data> for WsSession {
    async fn feed(&mut self, item: Data) -> Result<(), Lost> {
        let message = match item {
            Data::Text(text) => Message::Text(text),
            Data::Binary(bytes) => Message::Binary(bytes),
        };
        self.feed_message(message).await
    }

    async fn flush(&mut self) -> Result<(), Lost> {
        self.flush_socket().await
    }

    async fn ping(&mut self) -> Result<(), Lost> {
        self.ping_socket().await
    }

    async fn close(&mut self, code: u16, reason: &str) {
        socket::close(&mut self.ws, code, reason).await;
    }
}

impl Outbound<ServerMessage> for WsSession {
    async fn feed(&mut self, item: ServerMessage) -> Result<(), Lost> {
        self.feed_message(Message::text(item.to_json())).await
    }

    async fn flush(&mut self) -> Result<(), Lost> {
        self.flush_socket().await
    }

    async fn ping(&mut self) -> Result<(), Lost> {
        self.ping_socket().await
    }

    async fn close(&mut self, code: u16, reason: &str) {
        socket::close(&mut self.ws, code, reason).await;
    }
}

/// The receiving half of a split [`WsSession`].
pub struct WsRx {
    stream: futures_util::stream::SplitStream<WebSocket>,
    gate: ReadGate,
    client_code: Option<u16>,
}

/// The sending half of a split [`WsSession`].
pub struct WsTx {
    sink: futures_util::stream::SplitSink<WebSocket, Message>,
}

impl Split<Data> for WsSession {
    type Rx = WsRx;
    type Tx = WsTx;

    fn split(self) -> (WsRx, WsTx) {
        let (sink, stream) = futures_util::StreamExt::split(self.ws);
        (
            WsRx {
                stream,
                gate: self.gate,
                client_code: self.client_code,
            },
            WsTx { sink },
        )
    }

    fn unsplit(rx: WsRx, tx: WsTx) -> Option<Self> {
        let ws = tx.sink.reunite(rx.stream).ok()?;
        Some(Self {
            ws,
            gate: rx.gate,
            client_code: rx.client_code,
        })
    }
}

impl WsRx {
    fn incoming(&mut self, frame: Option<Result<Message, tungstenite::Error>>) -> Incoming<Data> {
        match frame {
            None => Incoming::Closed(self.client_code),
            Some(Err(err)) => invalid(&err),
            Some(Ok(Message::Close(frame))) => {
                self.client_code = frame.map(|f| u16::from(f.code));
                Incoming::Heard
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Incoming::Heard,
            Some(Ok(message)) => Incoming::Message(data(message)),
        }
    }
}

impl Inbound<Data> for WsRx {
    async fn recv(&mut self) -> Incoming<Data> {
        let frame = self.gate.next(&mut self.stream).await;
        self.incoming(frame)
    }

    async fn recv_now(&mut self) -> Option<Incoming<Data>> {
        let frame = self.gate.now(&mut self.stream).await?;
        Some(self.incoming(frame))
    }
}

impl Outbound<Data> for WsTx {
    async fn feed(&mut self, item: Data) -> Result<(), Lost> {
        let message = match item {
            Data::Text(text) => Message::Text(text),
            Data::Binary(bytes) => Message::Binary(bytes),
        };
        self.sink.feed(message).await.map_err(|_| Lost)
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
        let _ = self.sink.send(Message::Close(Some(frame))).await;
    }
}
