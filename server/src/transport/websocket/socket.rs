//! The WebSocket stream itself: its type, reading through a gate, and
//! closing politely.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use super::stream::WsStream;
use super::wire::Conn;
use crate::gate::Gate;
use crate::net::metered::Metered;

/// A server-side WebSocket over an upgraded HTTP/1.1 connection, with its
/// bytes counted.
pub type WebSocket = WsStream<Metered<Conn>>;

/// How long the server waits for the client's half of a close handshake,
/// and how long the answer to a client's close may take to be written.
pub(crate) const CLOSE_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(1);

/// Polls a connection's reading side only after it signalled new input
/// (see [`Gate`]): every time the room wakes a session, `select!` would poll
/// the socket again, and each such poll costs a parse attempt and a trip
/// through the socket's readiness (a lock, a waker comparison) for
/// nothing. Through the gate it costs an atomic swap.
#[derive(Debug, Default)]
pub struct ReadGate {
    gate: Gate,
}

impl ReadGate {
    /// A gate that polls on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// The stream's next item, polling it only when it may have one.
    pub async fn next<S>(&self, stream: &mut S) -> Option<S::Item>
    where
        S: futures_util::Stream + Unpin,
    {
        std::future::poll_fn(|cx| self.poll_gated(cx, stream)).await
    }

    /// The stream's next item if it can be had without waiting, `None` if
    /// it would have to wait; polled through the gate, so the socket stays
    /// registered with the gate's waker and a later [`ReadGate::next`]
    /// still hears of new input.
    pub async fn now<S>(&self, stream: &mut S) -> Option<Option<S::Item>>
    where
        S: futures_util::Stream + Unpin,
    {
        std::future::poll_fn(|cx| match self.poll_gated(cx, stream) {
            std::task::Poll::Ready(item) => std::task::Poll::Ready(Some(item)),
            std::task::Poll::Pending => std::task::Poll::Ready(None),
        })
        .await
    }

    fn poll_gated<S>(
        &self,
        cx: &mut std::task::Context<'_>,
        stream: &mut S,
    ) -> std::task::Poll<Option<S::Item>>
    where
        S: futures_util::Stream + Unpin,
    {
        self.gate.poll(cx, |gated| stream.poll_next_unpin(gated))
    }
}

/// Sends a close frame with `code` and `reason`, then reads until the
/// client answers (or a short timeout passes), completing the handshake so
/// the browser reports `wasClean: true` and the exact code.
pub async fn close(ws: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: truncate_reason(reason).into(),
    };
    let finish = async {
        if ws.close(Some(frame)).await.is_err() {
            return;
        }
        while let Some(Ok(_)) = ws.next().await {}
    };
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE_TIMEOUT, finish).await;
}

/// A close reason must fit a control frame: at most 123 bytes of UTF-8.
pub(crate) fn truncate_reason(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_fit_a_control_frame() {
        assert_eq!(truncate_reason("bye"), "bye");
        let long = "가".repeat(100); // 300 bytes
        let cut = truncate_reason(&long);
        assert!(cut.len() <= 123);
        assert!(cut.chars().all(|c| c == '가'));
    }

    #[tokio::test]
    async fn the_read_gate_polls_the_stream_only_after_it_woke() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let polls = std::sync::Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(4);
        let counted = polls.clone();
        let mut stream = futures_util::stream::poll_fn(move |cx| {
            counted.fetch_add(1, Ordering::SeqCst);
            rx.poll_recv(cx)
        });
        let gate = ReadGate::new();
        {
            let next = gate.next(&mut stream);
            tokio::pin!(next);
            assert!(futures_util::poll!(next.as_mut()).is_pending());
            assert_eq!(polls.load(Ordering::SeqCst), 1);
            // Polled again without a wake-up: the stream is left alone.
            assert!(futures_util::poll!(next.as_mut()).is_pending());
            assert!(futures_util::poll!(next.as_mut()).is_pending());
            assert_eq!(polls.load(Ordering::SeqCst), 1);
            tx.send(7).await.unwrap();
            assert_eq!(next.await, Some(7));
            assert_eq!(polls.load(Ordering::SeqCst), 2);
        }
        // After an item the stream is polled again at once: it may hold more.
        tx.send(8).await.unwrap();
        assert_eq!(gate.next(&mut stream).await, Some(8));
        drop(tx);
        assert_eq!(gate.next(&mut stream).await, None);
    }
}
