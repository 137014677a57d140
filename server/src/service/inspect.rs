//! The handshake inspector: shows a client its own opening handshake.
//!
//! Browsers hide the HTTP exchange that turns into a WebSocket; this
//! service sends it back as the first message, so the page can display the
//! `GET` with `Upgrade: websocket` and the `101 Switching Protocols` answer.

use std::time::Duration;

use socketlab_shared::{close, HandshakeReport, ServerMessage};

use crate::service::keepalive::{KeepAlive, KeepAliveAction, KeepAliveConfig};
use crate::service::session::{self, Data, Inbound, Incoming, Outbound};
use crate::shutdown::Shutdown;

/// Sends `report`, then stays open (the page shows the connection as OPEN)
/// until the client closes or the server shuts down; returns the close code.
pub async fn run<C>(
    conn: &mut C,
    report: HandshakeReport,
    shutdown: Shutdown,
    keepalive: KeepAliveConfig,
    send_timeout: Duration,
) -> Option<u16>
where
    C: Inbound<Data> + Outbound<ServerMessage>,
{
    let report = ServerMessage::Handshake(report);
    if session::send(conn, report, send_timeout).await.is_err() {
        return None;
    }
    let mut keepalive = KeepAlive::new(keepalive);
    let mut begun = shutdown.begun();
    loop {
        tokio::select! {
            () = &mut begun => {
                Outbound::<ServerMessage>::close(conn, close::GOING_AWAY, "server shutting down").await;
                return Some(close::GOING_AWAY);
            }
            action = keepalive.due() => {
                if action == KeepAliveAction::Dead {
                    Outbound::<ServerMessage>::close(conn, close::GOING_AWAY, "no answer to ping").await;
                    return Some(close::GOING_AWAY);
                }
                if session::ping::<ServerMessage, _>(conn, send_timeout).await.is_err() {
                    return None;
                }
            }
            incoming = Inbound::<Data>::recv(conn) => match incoming {
                Incoming::Message(_) | Incoming::Heard => keepalive.heard(),
                Incoming::Closed(code) => return code,
                Incoming::Lost => return None,
                Incoming::Invalid { code, reason } => {
                    Outbound::<ServerMessage>::close(conn, code, &reason).await;
                    return Some(code);
                }
            },
        }
    }
}
