//! `/ws/echo`: every text and binary message comes back unchanged.
//!
//! The simplest possible WebSocket service, and so the one the page uses to
//! show a round trip and the one the conformance suite exercises.

use futures_util::{SinkExt, StreamExt};
use socketlab_shared::close;
use tokio_tungstenite::tungstenite::Message;
use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::shutdown::Shutdown;
use crate::state::AppState;
use crate::telemetry::Metrics;
use crate::upgrade::{self, Upgrade};
use crate::websocket::{self, KeepAlive, KeepAliveAction, KeepAliveConfig, WebSocket};

/// The echo endpoint's filter.
pub fn filter(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws" / "echo")
        .and(upgrade::websocket(&state, "echo"))
        .map(move |upgrade: Upgrade| {
            let shutdown = state.shutdown.clone();
            let keepalive = state.config.keepalive();
            let metrics = state.metrics.clone();
            upgrade.accept(state.echo_ws_config(), None, move |ws, _| {
                run(ws, shutdown, keepalive, metrics)
            })
        })
}

/// Echoes until the client closes or the server shuts down; returns the
/// close code the connection ended with.
pub async fn run(
    mut ws: WebSocket,
    shutdown: Shutdown,
    keepalive: KeepAliveConfig,
    metrics: Metrics,
) -> Option<u16> {
    let mut keepalive = KeepAlive::new(keepalive);
    let mut client_code = None;
    loop {
        let frame = tokio::select! {
            biased;
            () = shutdown.begun() => {
                websocket::close(&mut ws, close::GOING_AWAY, "server shutting down").await;
                return Some(close::GOING_AWAY);
            }
            action = keepalive.due() => {
                match action {
                    KeepAliveAction::Ping => {
                        if ws.send(Message::Ping(Default::default())).await.is_err() {
                            return None;
                        }
                    }
                    KeepAliveAction::Dead => {
                        websocket::close(&mut ws, close::GOING_AWAY, "no answer to ping").await;
                        return Some(close::GOING_AWAY);
                    }
                }
                continue;
            }
            frame = ws.next() => frame,
        };
        keepalive.heard();
        let message = match frame {
            Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => message,
            Some(Ok(Message::Close(frame))) => {
                client_code = frame.map(|f| u16::from(f.code));
                continue;
            }
            // Pings are answered by tungstenite; a close ends the stream.
            Some(Ok(_)) => continue,
            Some(Err(err)) => return websocket::close_after_error(&mut ws, &err).await,
            None => return client_code,
        };
        metrics.message("echo", false);
        if ws.send(message).await.is_err() {
            return client_code;
        }
        metrics.message("echo", true);
    }
}
