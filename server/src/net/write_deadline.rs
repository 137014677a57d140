//! A write deadline under hyper, for every connection of the listener.
//!
//! The services put their own deadline on each send (see [`super::deadline`]),
//! but hyper writes HTTP responses itself and has no write timeout: a
//! client that pipelines requests for a large answer and never reads
//! keeps its connection, its task and megabytes of kernel buffers forever
//! (a "slow read" attack), and nothing caps plain HTTP connections per
//! address. This wrapper sits under hyper (and under TLS), so it bounds
//! every write on the connection, WebSocket frames after an upgrade
//! included: a write that makes no progress for the limit fails with
//! `TimedOut`, and hyper drops the connection.
//!
//! Its limit is the send timeout plus [`MARGIN`], so for a WebSocket the
//! service's own deadline (and its close frame with a reason) always comes
//! first; this one only catches what nothing else did.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Beyond the send timeout: the close handshake's second, and one more.
pub const MARGIN: Duration = Duration::from_secs(2);

/// `inner`, whose writes fail once one has made no progress for `limit`.
#[derive(Debug)]
pub struct WriteDeadline<T> {
    inner: T,
    limit: Duration,
    /// Armed when a write first returns `Pending`, dropped on progress.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> WriteDeadline<T> {
    /// Wraps `inner` with the deadline `limit`.
    pub fn new(inner: T, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            stalled: None,
        }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream and the limit, to wrap something else with it.
    pub fn into_parts(self) -> (T, Duration) {
        (self.inner, self.limit)
    }

    /// After a `Pending` write: `Pending` until the deadline, then the error.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let limit = self.limit;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing for {limit:?} (--send-timeout-secs + {MARGIN:?})"),
            )),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Passes a finished write through and disarms the deadline; turns a
    /// pending one into the deadline's verdict.
    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match polled {
            Poll::Pending => self.stalled(cx).map(Err),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteDeadline<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn a_write_nobody_reads_fails_with_timed_out() {
        // A pipe with 16 bytes of room and a reader that takes nothing.
        let (client, _server) = tokio::io::duplex(16);
        let mut writer = WriteDeadline::new(client, Duration::from_secs(3));
        writer.write_all(&[0; 16]).await.unwrap();
        let err = writer.write_all(&[0; 1]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_that_keeps_reading_is_not_cut_off() {
        // Each stall (2 s) is under the limit (3 s); the writes take 8 s in all.
        let (client, mut server) = tokio::io::duplex(16);
        let mut writer = WriteDeadline::new(client, Duration::from_secs(3));
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 16];
            let mut total = 0;
            while total < 64 {
                tokio::time::sleep(Duration::from_secs(2)).await;
                total += server.read(&mut buf).await.unwrap();
            }
        });
        writer.write_all(&[0; 64]).await.unwrap();
        reader.await.unwrap();
    }
}
