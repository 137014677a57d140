//! A plain-TCP WebSocket's socket, shared by the session's task and, for a
//! chat member, its room's publisher.
//!
//! The session reads and writes through its stream, over [`WireIo`]. A
//! room's publisher may also write one whole frame straight onto the
//! socket ([`Direct::try_write`]) while the session is not writing: an idle
//! member of a room of 5,000 then costs the publisher one `send(2)` per
//! event, and the member's own task is never woken (uWebSockets publishes
//! the same way).
//!
//! Writes never interleave. A write by the session *claims* the wire, and
//! the claim holds until the session says that all it wrote is out
//! ([`Wire::release`], after a flush); the publisher writes only to a wire
//! nobody claimed. When the socket takes only part of a publisher's frame,
//! the wire keeps the rest, and the session's next write or flush sends it
//! before anything else.
//!
//! Only a connection hyper hands back as the plain TCP stream it accepted
//! gets a wire ([`open`]); behind TLS the session writes everything itself.
//! Until the session hands its wire to a publisher ([`Wire::share`]; only
//! chat does), nobody else can write to it, and the session writes without
//! claiming: an echo message would otherwise take the wire's lock three
//! times (write, flush, release) for nothing.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::Interest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::either::Either;

use super::frame::{self, Opcode};
use crate::net::metered::ByteCounts;
use crate::net::write_deadline::WriteDeadline;
use crate::service::session::{Direct, Written};
use crate::sync::lock;

/// A WebSocket's connection: the shared TCP socket where hyper gives it
/// back, the upgraded connection as hyper holds it otherwise (TLS).
pub type Conn = Either<WriteDeadline<WireIo>, TokioIo<Upgraded>>;

/// The socket, and who may write to it now.
#[derive(Debug)]
pub struct Wire {
    tcp: TcpStream,
    /// The session handed the wire to a publisher: its writes claim it.
    /// Set and read only by the session's own task (a publisher reaches
    /// the wire only through [`Wire::share`]), so `Relaxed` suffices.
    shared: AtomicBool,
    state: Mutex<State>,
    counts: Arc<ByteCounts>,
}

#[derive(Debug, Default)]
struct State {
    /// The session wrote since it last released the wire.
    claimed: bool,
    /// What the socket did not take of the publisher's last frame.
    rest: Bytes,
    /// Bytes the publisher sent (and the session sent of the rest); added
    /// to the connection's counts when the wire goes.
    sent: u64,
}

/// The session's side of a [`Wire`]: reads and writes as tokio's
/// `TcpStream` does, after the rest of a publisher's frame.
#[derive(Debug)]
pub struct WireIo(Arc<Wire>);

/// The connection under an upgraded request (with a wire when it is plain
/// TCP), and the bytes hyper had read past the handshake. Bytes the wire
/// writes around the session are counted in `counts`.
///
/// The bytes are copied out: hyper hands them over as a view of its whole
/// read buffer (8 KiB or more, even when nothing is left in it), and a
/// session that kept that view would keep the buffer for its whole life,
/// more than the rest of an idle connection together.
pub fn open(upgraded: Upgraded, counts: &Arc<ByteCounts>) -> (Conn, Vec<u8>) {
    type Accepted = TokioIo<WriteDeadline<TcpStream>>;
    match hyper_util::server::conn::auto::upgrade::downcast::<Accepted>(upgraded) {
        Ok(parts) => {
            let (tcp, limit) = parts.io.into_inner().into_parts();
            let wire = Arc::new(Wire {
                tcp,
                shared: AtomicBool::new(false),
                state: Mutex::default(),
                counts: counts.clone(),
            });
            let io = WriteDeadline::new(WireIo(wire), limit);
            (Either::Left(io), parts.read_buf.to_vec())
        }
        Err(upgraded) => (Either::Right(TokioIo::new(upgraded)), Vec::new()),
    }
}

/// The wire under `conn`, if it has one.
pub fn of(conn: &Conn) -> Option<Arc<Wire>> {
    match conn {
        Either::Left(io) => Some(io.get_ref().0.clone()),
        Either::Right(_) => None,
    }
}

impl Wire {
    /// The wire for a publisher: from now on the session's writes claim
    /// it, so that the two never interleave. Called once all the session
    /// wrote is out (chat shares it after the welcome was flushed): the
    /// writes before it claimed nothing.
    pub fn share(self: &Arc<Self>) -> Arc<Self> {
        self.shared.store(true, Ordering::Relaxed);
        self.clone()
    }

    /// The session's writes are all out (it flushed): the publisher may
    /// write again.
    pub fn release(&self) {
        if !self.shared.load(Ordering::Relaxed) {
            return;
        }
        lock(&self.state).claimed = false;
    }

    /// Claims the wire for the session and writes what is left of the
    /// publisher's last frame.
    fn claim(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.shared.load(Ordering::Relaxed) {
            // Nobody else writes here, and nothing was left behind.
            return Poll::Ready(Ok(()));
        }
        let mut state = lock(&self.state);
        state.claimed = true;
        while !state.rest.is_empty() {
            let n = ready!(self.poll_send(cx, |tcp| tcp.try_write(&state.rest)))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            state.rest.advance(n);
            state.sent += n as u64;
        }
        Poll::Ready(Ok(()))
    }

    /// One non-blocking write once the socket is ready for it, as tokio's
    /// `TcpStream` writes: a `WouldBlock` clears the readiness, and the
    /// next check registers the task.
    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        mut send: impl FnMut(&TcpStream) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.tcp.poll_write_ready(cx))?;
            match send(&self.tcp) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
                done => return Poll::Ready(done),
            }
        }
    }
}

impl Direct for Wire {
    fn framing(&self) -> &'static str {
        "websocket text frame, unmasked"
    }

    fn frame(&self, text: &str) -> Bytes {
        let mut head = [0u8; 10];
        let head = frame::write_head(&mut head, Opcode::Text, text.len());
        let mut frame = BytesMut::with_capacity(head.len() + text.len());
        frame.extend_from_slice(head);
        frame.extend_from_slice(text.as_bytes());
        frame.freeze()
    }

    /// Sends `framed` if nobody claimed the wire and the socket takes it
    /// now. Never waits: a wire the session holds at this instant answers
    /// `Nothing`. One `send(2)` straight on the socket: tokio's readiness
    /// is left as it was, which costs the session at most one
    /// `WouldBlock` on its next write.
    fn try_write(&self, framed: &Bytes) -> Written {
        let Ok(mut state) = self.state.try_lock() else {
            return Written::Nothing;
        };
        if state.claimed || !state.rest.is_empty() {
            return Written::Nothing;
        }
        match socket2::SockRef::from(&self.tcp).send(framed) {
            Ok(n) => {
                state.sent += n as u64;
                if n == framed.len() {
                    Written::All
                } else {
                    state.rest = framed.slice(n..);
                    Written::Part
                }
            }
            // Full (or failing): the session writes it, and meets the error.
            Err(_) => Written::Nothing,
        }
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        // Counted here rather than per write: one less cache line to touch
        // per member per event. The connection's log line is written after
        // the session and its room seat (the wire's two holders) are gone.
        let sent = self.state.get_mut().map_or(0, |state| state.sent);
        self.counts.add_written(sent as usize);
    }
}

impl AsyncRead for WireIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let tcp = &self.0.tcp;
        loop {
            ready!(tcp.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            let room = unfilled.len();
            let mut read = 0;
            // A read that did not fill the buffer emptied the socket: tokio's
            // own `TcpStream` then forgets the readiness at once (its
            // `try_io` does on `WouldBlock`), which spares the `read(2)` that
            // would only say `EAGAIN`.
            let polled = tcp.try_io(Interest::READABLE, || {
                read = tcp.try_read(unfilled)?;
                if read > 0 && read < room {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                Ok(())
            });
            match polled {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock && read == 0 => continue,
                Err(err) if err.kind() != io::ErrorKind::WouldBlock => {
                    return Poll::Ready(Err(err))
                }
                _ => {
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

impl AsyncWrite for WireIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.0.claim(cx))?;
        self.0.poll_send(cx, |tcp| tcp.try_write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.0.claim(cx))?;
        self.0.poll_send(cx, |tcp| tcp.try_write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Sends the rest of a publisher's frame; TCP has no buffer to flush.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.claim(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.0.claim(cx))?;
        let shut = socket2::SockRef::from(&self.0.tcp).shutdown(std::net::Shutdown::Write);
        Poll::Ready(match shut {
            Err(err) if err.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::protocol::Role;
    use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::WebSocketStream;

    use crate::transport::websocket::stream::WsStream;

    const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

    /// A server-side wire and its WebSocket, and a client that reads
    /// nothing until asked: both sockets' buffers as small as Linux allows.
    async fn pair() -> (Arc<Wire>, WsStream<WireIo>, WebSocketStream<TcpStream>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let client = socket
            .connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        socket2::SockRef::from(&tcp)
            .set_send_buffer_size(4096)
            .unwrap();
        let wire = Arc::new(Wire {
            tcp,
            shared: AtomicBool::new(false),
            state: Mutex::default(),
            counts: Arc::default(),
        });
        let io = WireIo(wire.clone());
        // The test is the publisher.
        let wire = wire.share();
        let server = WsStream::new(io, Vec::new(), WebSocketConfig::default());
        let client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        (wire, server, client)
    }

    fn send(wire: &Wire, text: &str) -> Written {
        wire.try_write(&wire.frame(text))
    }

    async fn read(client: &mut WebSocketStream<TcpStream>) -> Message {
        tokio::time::timeout(WAIT, client.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("a whole, valid frame")
    }

    #[tokio::test]
    async fn a_frame_the_socket_took_in_part_is_finished_before_the_session_writes() {
        let (wire, mut server, mut client) = pair().await;
        let texts: Vec<String> = (0..1000)
            .map(|n| format!("{n:04}{}", "x".repeat(3000)))
            .collect();
        let mut sent = 0;
        let last = loop {
            let written = send(&wire, &texts[sent]);
            if written != Written::All {
                break written;
            }
            sent += 1;
            assert!(sent < texts.len(), "the socket never filled");
        };
        assert_eq!(last, Written::Part, "a full socket takes part of a frame");
        assert_eq!(send(&wire, "no"), Written::Nothing, "nothing past the rest");
        let session = tokio::spawn(async move {
            server.send(Message::text("after")).await.unwrap();
            server
        });
        for text in &texts[..=sent] {
            assert_eq!(read(&mut client).await, Message::text(text.as_str()));
        }
        assert_eq!(read(&mut client).await, Message::text("after"));
        session.await.unwrap();
    }

    #[tokio::test]
    async fn the_publisher_keeps_off_a_wire_the_session_is_writing_to() {
        let (wire, mut server, mut client) = pair().await;
        let big = vec![7u8; 1 << 20];
        let session = tokio::spawn({
            let big = big.clone();
            async move {
                server.send(Message::binary(big)).await.unwrap();
                server
            }
        });
        // The session's megabyte is stuck in a socket nobody reads.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(send(&wire, "cut in"), Written::Nothing);
        assert_eq!(read(&mut client).await, Message::binary(big));
        let _server = session.await.unwrap();
        // Flushed, but not yet released: still the session's.
        assert_eq!(send(&wire, "early"), Written::Nothing);
        wire.release();
        assert_eq!(send(&wire, "now"), Written::All);
        assert_eq!(read(&mut client).await, Message::text("now"));
    }
}
