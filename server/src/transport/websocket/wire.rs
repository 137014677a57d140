//! A plain-TCP WebSocket's socket, shared by the session's task and, for a
//! chat member, its room's publisher.
//!
//! The session reads and writes through tungstenite, over [`WireIo`]. A
//! room's publisher is to write whole frames straight onto the socket
//! while the session is not writing: an idle member of a room of 5,000
//! then costs the publisher one `send(2)` per event, and the member's own
//! task is never woken (uWebSockets publishes the same way).
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

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::Interest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::either::Either;

use crate::net::metered::ByteCounts;
use crate::net::write_deadline::WriteDeadline;
use crate::sync::lock;

/// A WebSocket's connection: the shared TCP socket where hyper gives it
/// back, the upgraded connection as hyper holds it otherwise (TLS).
pub type Conn = Either<WriteDeadline<WireIo>, TokioIo<Upgraded>>;

/// The socket, and who may write to it now.
#[derive(Debug)]
pub struct Wire {
    tcp: TcpStream,
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
pub fn open(upgraded: Upgraded, counts: &Arc<ByteCounts>) -> (Conn, Bytes) {
    type Accepted = TokioIo<WriteDeadline<TcpStream>>;
    match hyper_util::server::conn::auto::upgrade::downcast::<Accepted>(upgraded) {
        Ok(parts) => {
            let (tcp, limit) = parts.io.into_inner().into_parts();
            let wire = Arc::new(Wire {
                tcp,
                state: Mutex::default(),
                counts: counts.clone(),
            });
            let io = WriteDeadline::new(WireIo(wire), limit);
            (Either::Left(io), parts.read_buf)
        }
        Err(upgraded) => (Either::Right(TokioIo::new(upgraded)), Bytes::new()),
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
    /// The session's writes are all out (it flushed): the publisher may
    /// write again.
    pub fn release(&self) {
        lock(&self.state).claimed = false;
    }

    /// Claims the wire for the session and writes what is left of the
    /// publisher's last frame.
    fn claim(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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
