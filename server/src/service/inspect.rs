//! `/ws/inspect`: shows a client its own opening handshake.
//!
//! Browsers hide the HTTP exchange that turns into a WebSocket; this
//! endpoint sends it back as the first message, so the page can display the
//! `GET` with `Upgrade: websocket` and the `101 Switching Protocols` answer.

use futures_util::{SinkExt, StreamExt};
use socketlab_shared::{close, ServerMessage};
use tokio_tungstenite::tungstenite::Message;
use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::state::AppState;
use crate::transport::websocket::upgrade::{self, Upgrade};
use crate::transport::websocket::{self, KeepAlive, KeepAliveAction};

/// The inspector endpoint's filter.
pub fn filter(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws" / "inspect")
        .and(upgrade::websocket(&state, "inspect"))
        .map(move |upgrade: Upgrade| {
            let shutdown = state.shutdown.clone();
            let send_timeout = state.config.send_timeout();
            let keepalive = state.config.keepalive();
            upgrade.accept(
                state.chat_ws_config(),
                None,
                move |mut ws, report| async move {
                    let frame = Message::text(ServerMessage::Handshake(report).to_json());
                    if websocket::send(&mut ws, frame, send_timeout).await.is_err() {
                        return None;
                    }
                    // Stay open (the page shows the connection as OPEN) until
                    // the client closes or the server shuts down.
                    let mut keepalive = KeepAlive::new(keepalive);
                    let mut client_code = None;
                    loop {
                        tokio::select! {
                            () = shutdown.begun() => {
                                websocket::close(&mut ws, close::GOING_AWAY, "server shutting down").await;
                                return Some(close::GOING_AWAY);
                            }
                            action = keepalive.due() => {
                                if action == KeepAliveAction::Dead {
                                    websocket::close(&mut ws, close::GOING_AWAY, "no answer to ping").await;
                                    return Some(close::GOING_AWAY);
                                }
                                if ws.send(Message::Ping(Default::default())).await.is_err() {
                                    return None;
                                }
                            }
                            frame = ws.next() => match frame {
                                // tungstenite answers the close; the stream then ends.
                                Some(Ok(Message::Close(frame))) => {
                                    client_code = frame.map(|f| u16::from(f.code));
                                }
                                Some(Ok(_)) => keepalive.heard(),
                                Some(Err(err)) => return websocket::close_after_error(&mut ws, &err).await,
                                None => return client_code,
                            },
                        }
                    }
                },
            )
        })
}
