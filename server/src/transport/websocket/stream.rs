//! A server-side WebSocket over any byte stream, after the handshake: a
//! [`Stream`] of the client's messages and a [`Sink`] of the server's, with
//! tungstenite's message and error types and its limits
//! ([`WebSocketConfig`]), so the session above reads as it would over
//! `tokio_tungstenite::WebSocketStream`.
//!
//! Why not that stream: an echo message cost about half the server's
//! user-space time inside it, in work that a server's side of RFC 6455
//! does not need. Its read zero-fills its whole read buffer before every
//! read (also the one that only learns the socket is empty), hands each
//! payload out as a shared view of that buffer (two atomic reference-count
//! updates per message), and swaps two atomic wakers on every poll. Here
//! the read buffer is filled in place, each payload is copied into a
//! buffer of its own, and the socket's readiness is registered by the
//! socket itself.
//!
//! What the protocol asks of a server, and where it is done:
//! - frame heads checked before any payload is read: [`super::frame`];
//! - fragments joined, text checked as UTF-8 fragment by fragment (so a
//!   broken message is refused at the fragment that broke it), messages
//!   over `max_message_size` refused from the head that would pass it;
//! - pings answered (only the latest unanswered one, so a client that
//!   pings and never reads cannot grow memory), the client's close
//!   answered with its own code, or with 1002 for a code RFC 6455 forbids;
//! - at most `max_write_buffer_size` bytes waiting to be written; a
//!   message that would pass it fails with `WriteBufferFull`.
//!
//! Automatic replies (pongs, the close answer) are written by the next
//! flush, and by the next read when no write is waiting for the socket:
//! a split session's reading half then answers a ping without taking the
//! socket's write readiness from its sending half.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::error::{CapacityError, Error, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data as DataCode};
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, Utf8Bytes};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use super::frame::{self, Head, Opcode, MAX_HEAD};

/// A whole frame: its head and its unmasked payload.
type Whole = (Head, Vec<u8>);

/// The most read at once straight into a long payload.
const DIRECT_READ: usize = 256 * 1024;

/// A server-side WebSocket over `S`.
#[derive(Debug)]
pub struct WsStream<S> {
    io: S,
    config: WebSocketConfig,
    state: State,
    inbox: Inbox,
    outbox: Outbox,
}

/// Where the close handshake stands (section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    /// The client closed; our answer may still be waiting to be written.
    ClosedByPeer,
    /// We closed and wait for the client's answer.
    ClosedByUs,
    /// We closed and the client answered.
    CloseAcknowledged,
}

/// The reading side: bytes read and not yet parsed, the frame being read,
/// the message being joined.
#[derive(Debug)]
struct Inbox {
    /// Always fully initialised; `buf[start..end]` is unparsed input.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// A frame whose head was parsed and whose payload is still arriving.
    frame: Option<Partial>,
    /// The fragments of a message so far.
    message: Option<Fragments>,
    /// Nothing more is read: the close handshake is over, the connection
    /// ended, or the client broke the protocol (the session may still send
    /// its close frame).
    ended: bool,
}

#[derive(Debug)]
struct Partial {
    head: Head,
    /// The payload so far, still masked.
    payload: Vec<u8>,
}

impl Partial {
    fn remaining(&self) -> usize {
        self.head.len - self.payload.len()
    }
}

#[derive(Debug)]
struct Fragments {
    text: bool,
    bytes: Vec<u8>,
    /// How much of `bytes` is known to be whole UTF-8 (text only).
    checked: usize,
}

/// The writing side: whole frames waiting for the socket, and the
/// automatic reply waiting to join them.
#[derive(Debug, Default)]
struct Outbox {
    buf: Vec<u8>,
    written: usize,
    /// The latest pong owed, or the answer to the client's close.
    reply: Option<Vec<u8>>,
    /// A write (feed or flush) is waiting for the socket: a read leaves
    /// the replies to it.
    writer_waiting: bool,
}

impl<S> WsStream<S> {
    /// A WebSocket over `io`, whose handshake is done; `read` is what the
    /// client sent behind its handshake.
    pub fn new(io: S, read: Vec<u8>, config: WebSocketConfig) -> Self {
        let size = config.read_buffer_size.max(MAX_HEAD).max(read.len());
        let mut buf = read;
        let end = buf.len();
        buf.resize(size, 0);
        Self {
            io,
            config,
            state: State::Active,
            inbox: Inbox {
                buf,
                start: 0,
                end,
                frame: None,
                message: None,
                ended: false,
            },
            outbox: Outbox::default(),
        }
    }

    /// The byte stream underneath.
    pub fn get_ref(&self) -> &S {
        &self.io
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsStream<S> {
    /// Sends a close frame (`None`: one without a code) and flushes it.
    pub async fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), Error> {
        self.send(Message::Close(frame)).await
    }

    /// Writes out everything waiting, the automatic reply included.
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let outbox = &mut self.outbox;
        if let Some(reply) = outbox.reply.take() {
            if outbox.waiting() + reply.len() <= self.config.max_write_buffer_size {
                outbox.buf.extend_from_slice(&reply);
            } else {
                outbox.reply = Some(reply);
            }
        }
        while outbox.written < outbox.buf.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &outbox.buf[outbox.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(Error::Io(io::ErrorKind::WriteZero.into())));
            }
            outbox.written += n;
        }
        outbox.buf.clear();
        outbox.written = 0;
        // A large message's buffer is not kept for the connection's life.
        if outbox.buf.capacity() > self.config.write_buffer_size {
            outbox.buf = Vec::new();
        }
        Poll::Ready(Ok(()))
    }

    /// The next whole frame, reading from the socket as needed; `None` at
    /// the end of the stream.
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Whole>, Error>> {
        loop {
            if let Some(frame) = self.inbox.parse(&self.config)? {
                return Poll::Ready(Ok(Some(frame)));
            }
            let inbox = &mut self.inbox;
            let io = Pin::new(&mut self.io);
            let long = inbox.frame.as_mut().filter(|partial| {
                inbox.start == inbox.end && partial.remaining() >= inbox.buf.len()
            });
            let n = if let Some(partial) = long {
                // A long payload is read straight into its own buffer.
                let at = partial.payload.len();
                let chunk = partial.remaining().min(DIRECT_READ);
                partial.payload.resize(at + chunk, 0);
                let mut read = ReadBuf::new(&mut partial.payload[at..]);
                let polled = io.poll_read(cx, &mut read);
                let n = read.filled().len();
                partial.payload.truncate(at + n);
                ready!(polled)?;
                n
            } else {
                inbox.compact();
                let mut read = ReadBuf::new(&mut inbox.buf[inbox.end..]);
                ready!(io.poll_read(cx, &mut read))?;
                let n = read.filled().len();
                inbox.end += n;
                n
            };
            if n == 0 {
                return Poll::Ready(Ok(None));
            }
        }
    }

    /// What a whole frame means for the session: a message to hand on, or
    /// `None` for a fragment or a frame the protocol answers by itself.
    fn on_frame(&mut self, head: Head, payload: Vec<u8>) -> Result<Option<Message>, Error> {
        let text = match head.opcode {
            Opcode::Ping => {
                self.owe_pong(&payload);
                return Ok(Some(Message::Ping(Bytes::from(payload))));
            }
            Opcode::Pong => return Ok(Some(Message::Pong(Bytes::from(payload)))),
            Opcode::Close => return self.on_close(&payload),
            Opcode::Text => true,
            Opcode::Binary => false,
            Opcode::Continue => {
                let message = self
                    .inbox
                    .message
                    .as_mut()
                    .expect("checked by Inbox::check");
                message.bytes.extend_from_slice(&payload);
                if message.text {
                    check_utf8(&message.bytes, &mut message.checked, head.fin)?;
                }
                if !head.fin {
                    return Ok(None);
                }
                let message = self.inbox.message.take().expect("just used");
                return whole(message.text, message.bytes).map(Some);
            }
        };
        if head.fin {
            return whole(text, payload).map(Some);
        }
        let mut checked = 0;
        if text {
            check_utf8(&payload, &mut checked, false)?;
        }
        self.inbox.message = Some(Fragments {
            text,
            bytes: payload,
            checked,
        });
        Ok(None)
    }

    /// The client's close frame: answered with its own code (1002 for one
    /// the RFC does not allow on the wire), or, after ours, the end.
    fn on_close(&mut self, payload: &[u8]) -> Result<Option<Message>, Error> {
        let frame = frame::parse_close(payload)?;
        match self.state {
            State::Active => {
                self.state = State::ClosedByPeer;
                let frame = frame.map(|frame| {
                    if frame.code.is_allowed() {
                        frame
                    } else {
                        CloseFrame {
                            code: CloseCode::Protocol,
                            reason: Utf8Bytes::from_static("Protocol violation"),
                        }
                    }
                });
                let mut answer = Vec::new();
                frame::write_frame(
                    &mut answer,
                    Opcode::Close,
                    &frame::close_payload(frame.as_ref()),
                );
                self.outbox.reply = Some(answer);
                Ok(Some(Message::Close(frame)))
            }
            State::ClosedByUs => {
                self.state = State::CloseAcknowledged;
                Ok(Some(Message::Close(frame)))
            }
            _ => Ok(None),
        }
    }

    /// Queues the pong a ping is owed, in place of any older one; none
    /// once a close was sent or received.
    fn owe_pong(&mut self, payload: &[u8]) {
        if self.state == State::Active {
            let mut pong = Vec::with_capacity(frame::frame_len(payload.len()));
            frame::write_frame(&mut pong, Opcode::Pong, payload);
            self.outbox.reply = Some(pong);
        }
    }
}

impl Inbox {
    /// The next whole frame in the buffer, if it holds one; the frame's
    /// head is checked against the message it belongs to.
    fn parse(&mut self, config: &WebSocketConfig) -> Result<Option<Whole>, Error> {
        if self.frame.is_none() {
            let max_frame = config.max_frame_size.unwrap_or(usize::MAX);
            let input = &self.buf[self.start..self.end];
            let Some(head) = frame::parse_head(input, max_frame, config.accept_unmasked_frames)?
            else {
                return Ok(None);
            };
            self.check(&head, config)?;
            self.start += head.size;
            if self.end - self.start >= head.len {
                // The usual case: the whole frame was read at once.
                let mut payload = self.buf[self.start..self.start + head.len].to_vec();
                self.start += head.len;
                unmask(&head, &mut payload);
                return Ok(Some((head, payload)));
            }
            // Grown as the payload arrives: a head alone cannot make the
            // server set aside the endpoint's whole limit.
            self.frame = Some(Partial {
                head,
                payload: Vec::with_capacity(head.len.min(DIRECT_READ)),
            });
        }
        let partial = self.frame.as_mut().expect("set above");
        let n = (self.end - self.start).min(partial.remaining());
        partial
            .payload
            .extend_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        if partial.remaining() > 0 {
            return Ok(None);
        }
        let Partial { head, mut payload } = self.frame.take().expect("set above");
        unmask(&head, &mut payload);
        Ok(Some((head, payload)))
    }

    /// A data frame must start a message or continue one, as its opcode
    /// says, and keep the message within the endpoint's limit.
    fn check(&self, head: &Head, config: &WebSocketConfig) -> Result<(), Error> {
        let so_far = match (&self.message, head.opcode) {
            (_, opcode) if opcode.is_control() => return Ok(()),
            (None, Opcode::Continue) => return Err(ProtocolError::UnexpectedContinueFrame.into()),
            (Some(message), Opcode::Continue) => message.bytes.len(),
            (Some(message), _) => {
                let kind = if message.text {
                    DataCode::Text
                } else {
                    DataCode::Binary
                };
                return Err(ProtocolError::ExpectedFragment(kind).into());
            }
            (None, _) => 0,
        };
        let max_size = config.max_message_size.unwrap_or(usize::MAX);
        let size = so_far.saturating_add(head.len);
        if size > max_size {
            return Err(Error::Capacity(CapacityError::MessageTooLong {
                size,
                max_size,
            }));
        }
        Ok(())
    }

    /// Moves unparsed input to the front, so the next read has the whole
    /// buffer. After [`Inbox::parse`] found no whole frame, that input is
    /// at most the start of a head: a few bytes.
    fn compact(&mut self) {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
    }
}

fn unmask(head: &Head, payload: &mut [u8]) {
    if let Some(key) = head.mask {
        frame::apply_mask(payload, key);
    }
}

/// A whole message from its bytes; text must be UTF-8.
fn whole(text: bool, bytes: Vec<u8>) -> Result<Message, Error> {
    let bytes = Bytes::from(bytes);
    Ok(if text {
        Message::Text(Utf8Bytes::try_from(bytes)?)
    } else {
        Message::Binary(bytes)
    })
}

/// Checks `bytes[*checked..]` as UTF-8, moving `checked` past what is
/// whole. A character cut at the end is allowed until the last fragment.
fn check_utf8(bytes: &[u8], checked: &mut usize, fin: bool) -> Result<(), Error> {
    match std::str::from_utf8(&bytes[*checked..]) {
        Ok(_) => *checked = bytes.len(),
        Err(err) if err.error_len().is_none() && !fin => *checked += err.valid_up_to(),
        Err(err) => return Err(Error::Utf8(err.to_string())),
    }
    Ok(())
}

impl Outbox {
    /// Bytes queued and not yet written.
    fn waiting(&self) -> usize {
        self.buf.len() - self.written
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WsStream<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.inbox.ended {
            return Poll::Ready(None);
        }
        let polled = ready!(this.poll_message(cx));
        if !matches!(polled, Some(Ok(_))) {
            this.inbox.ended = true;
        }
        Poll::Ready(polled)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsStream<S> {
    /// The client's next message; after `None` or an error nothing more is
    /// read.
    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        loop {
            let owed = self.outbox.reply.is_some() || self.outbox.waiting() > 0;
            if matches!(self.state, State::ClosedByPeer | State::CloseAcknowledged) {
                // The handshake is over once our side of it is written.
                if owed {
                    if let Err(err) = ready!(self.poll_write_out(cx)) {
                        return Poll::Ready(Some(Err(err)));
                    }
                }
                return Poll::Ready(None);
            }
            if self.outbox.reply.is_some() && !self.outbox.writer_waiting {
                // Not ready is fine: the reply waits for the next flush.
                if let Poll::Ready(Err(err)) = self.poll_write_out(cx) {
                    return Poll::Ready(Some(Err(err)));
                }
            }
            let (head, payload) = match ready!(self.poll_frame(cx)) {
                Ok(Some(frame)) => frame,
                Ok(None) => {
                    let reset = ProtocolError::ResetWithoutClosingHandshake;
                    return Poll::Ready(Some(Err(reset.into())));
                }
                Err(err) => return Poll::Ready(Some(Err(err))),
            };
            if let Some(message) = self.on_frame(head, payload).transpose() {
                return Poll::Ready(Some(message));
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WsStream<S> {
    type Error = Error;

    /// Room for a message: the frames waiting are written out first once
    /// they pass `write_buffer_size`.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.outbox.waiting() <= this.config.write_buffer_size {
            return Poll::Ready(Ok(()));
        }
        this.writer_poll(cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        let this = self.get_mut();
        match (this.state, &message) {
            (State::Active, _) => {}
            // Our answer to the client's close is queued already.
            (State::ClosedByPeer, Message::Close(_)) => return Ok(()),
            _ => return Err(ProtocolError::SendAfterClosing.into()),
        }
        let close;
        let (opcode, payload): (Opcode, &[u8]) = match &message {
            Message::Text(text) => (Opcode::Text, text.as_bytes()),
            Message::Binary(bytes) => (Opcode::Binary, bytes),
            Message::Ping(bytes) => (Opcode::Ping, bytes),
            Message::Pong(bytes) => (Opcode::Pong, bytes),
            Message::Close(frame) => {
                close = frame::close_payload(frame.as_ref());
                (Opcode::Close, &close)
            }
            Message::Frame(_) => {
                return Err(Error::Io(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "raw frames are not sent",
                )))
            }
        };
        if this.outbox.waiting() + frame::frame_len(payload.len())
            > this.config.max_write_buffer_size
        {
            return Err(Error::WriteBufferFull(Box::new(message)));
        }
        frame::write_frame(&mut this.outbox.buf, opcode, payload);
        if opcode == Opcode::Close {
            this.state = State::ClosedByUs;
            // Nothing follows a close frame, not even a pong.
            this.outbox.reply = None;
        }
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        ready!(this.writer_poll(cx))?;
        Pin::new(&mut this.io).poll_flush(cx).map_err(Error::Io)
    }

    /// Closes without a code if no close was sent, and flushes.
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.state == State::Active {
            self.as_mut().start_send(Message::Close(None))?;
        }
        self.poll_flush(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsStream<S> {
    /// Writes out for the sending side, noting while it waits so that a
    /// read does not take the socket's write readiness from it.
    fn writer_poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let written = self.poll_write_out(cx);
        self.outbox.writer_waiting = written.is_pending();
        written
    }
}
