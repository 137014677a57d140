//! What every WebSocket session shares: the stream type, sending with a
//! deadline, and closing politely.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

use crate::metered::Metered;

/// A server-side WebSocket over an upgraded HTTP/1.1 connection, with its
/// bytes counted.
pub type WebSocket = WebSocketStream<Metered<TokioIo<Upgraded>>>;

/// How long the server waits for the client's half of a close handshake.
const CLOSE_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(1);

/// Why a session could not send: the peer is gone or not reading.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The connection failed or was closed.
    #[error("connection lost: {0}")]
    Connection(#[from] tungstenite::Error),
    /// The client did not accept the data within the send timeout.
    #[error("the client did not read for {0:?}")]
    Timeout(Duration),
}

/// Sends one message, giving up after `timeout`: a client that stops
/// reading must not pin a task (and its buffers) forever.
pub async fn send(
    ws: &mut WebSocket,
    message: Message,
    timeout: Duration,
) -> Result<(), SendError> {
    tokio::time::timeout(timeout, ws.send(message))
        .await
        .map_err(|_| SendError::Timeout(timeout))?
        .map_err(SendError::from)
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
fn truncate_reason(reason: &str) -> String {
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
}

/// When to ping a quiet client, and how long to wait for a sign of life.
#[derive(Debug, Clone, Copy)]
pub struct KeepAliveConfig {
    /// Silence before a ping.
    pub interval: Duration,
    /// Further silence after the ping before the client counts as gone.
    pub timeout: Duration,
}

/// What the keep-alive timer asks the session to do.
#[derive(Debug, PartialEq, Eq)]
pub enum KeepAliveAction {
    /// Send a ping now.
    Ping,
    /// The client has been silent too long: close it.
    Dead,
}

/// Detects clients that vanished without closing (a laptop lid, a dead NAT
/// entry): such a TCP connection stays "open" forever unless probed.
#[derive(Debug)]
pub struct KeepAlive {
    config: KeepAliveConfig,
    last_heard: tokio::time::Instant,
    pinged: bool,
}

impl KeepAlive {
    /// Starts counting silence now.
    pub fn new(config: KeepAliveConfig) -> Self {
        Self {
            config,
            last_heard: tokio::time::Instant::now(),
            pinged: false,
        }
    }

    /// Call on every frame received: any frame proves the client is there.
    pub fn heard(&mut self) {
        self.last_heard = tokio::time::Instant::now();
        self.pinged = false;
    }

    /// Resolves when the session must ping or give up.
    pub async fn due(&mut self) -> KeepAliveAction {
        let deadline = if self.pinged {
            self.last_heard + self.config.interval + self.config.timeout
        } else {
            self.last_heard + self.config.interval
        };
        tokio::time::sleep_until(deadline).await;
        if self.pinged {
            KeepAliveAction::Dead
        } else {
            self.pinged = true;
            KeepAliveAction::Ping
        }
    }
}

/// Closes with the code RFC 6455 prescribes for a read error, when there is
/// one: 1009 for a message over the limit, 1007 for invalid UTF-8, 1002 for
/// a protocol violation. Connection failures get no close frame (no one is
/// there to read it).
pub async fn close_after_error(ws: &mut WebSocket, err: &tungstenite::Error) -> Option<u16> {
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
        _ => return None,
    };
    tracing::debug!(code, %reason, "closing after a client error");
    close(ws, code, &reason).await;
    Some(code)
}
