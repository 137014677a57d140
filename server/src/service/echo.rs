//! `/ws/echo`: every text and binary message comes back unchanged.
//!
//! The simplest possible WebSocket service, and so the one the page uses to
//! show a round trip and the one the conformance suite exercises.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use socketlab_shared::close;
use tokio_tungstenite::tungstenite::Message;
use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::shutdown::Shutdown;
use crate::state::AppState;
use crate::telemetry::Metrics;
use crate::transport::websocket::upgrade::{self, Upgrade};
use crate::transport::websocket::{self, KeepAlive, KeepAliveAction, KeepAliveConfig, WebSocket};

/// The echo endpoint's filter.
pub fn filter(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws" / "echo")
        .and(upgrade::websocket(&state, "echo"))
        .map(move |upgrade: Upgrade| {
            let shutdown = state.shutdown.clone();
            let keepalive = state.config.keepalive();
            let send_timeout = state.config.send_timeout();
            let metrics = state.metrics.clone();
            upgrade.accept(state.echo_ws_config(), None, move |ws, _| {
                run(ws, shutdown, keepalive, send_timeout, metrics)
            })
        })
}

/// Most replies written before one flush: enough to batch a pipelining
/// client's messages into one system call, few enough that one busy
/// connection cannot hold the task for long.
const BATCH: usize = 64;

/// Echoes until the client closes or the server shuts down; returns the
/// close code the connection ended with.
///
/// Replies are written with `feed` and flushed once no further message is
/// already waiting (or after [`BATCH`]): a client that sends 16 messages at
/// once gets 16 replies in one write instead of 16 writes. A client that
/// sends but does not read is closed after `send_timeout` (its replies
/// would otherwise wait in memory forever).
pub async fn run(
    mut ws: WebSocket,
    shutdown: Shutdown,
    keepalive: KeepAliveConfig,
    send_timeout: Duration,
    metrics: Metrics,
) -> Option<u16> {
    let counters = metrics.message_counters("echo");
    let mut keepalive = KeepAlive::new(keepalive);
    let mut client_code = None;
    let shutdown = shutdown.begun();
    tokio::pin!(shutdown);
    loop {
        let frame = tokio::select! {
            biased;
            () = &mut shutdown => {
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
        let mut next = Some(frame);
        let mut fed = 0;
        let mut stuck = false;
        while let Some(frame) = next.take() {
            match frame {
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    counters.inbound.inc();
                    // `feed` writes out once tungstenite's buffer is full,
                    // so it can block on a client that does not read, too.
                    match crate::net::deadline::within(send_timeout, ws.feed(message)).await {
                        Ok(Ok(())) => fed += 1,
                        Ok(Err(_)) => return client_code,
                        Err(_) => {
                            stuck = true;
                            break;
                        }
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    client_code = frame.map(|f| u16::from(f.code));
                }
                // Pings are answered by tungstenite; a close ends the stream.
                Some(Ok(_)) => {}
                Some(Err(err)) => return websocket::close_after_error(&mut ws, &err).await,
                None => return client_code,
            }
            if fed < BATCH {
                next = websocket::already_received(&mut ws).await;
            }
        }
        if fed > 0 && !stuck {
            match crate::net::deadline::within(send_timeout, ws.flush()).await {
                Ok(Ok(())) => {
                    counters.outbound.inc_by(fed as u64);
                }
                Ok(Err(_)) => return client_code,
                Err(_) => stuck = true,
            }
        }
        if stuck {
            let reason = format!("not reading replies for {send_timeout:?}");
            websocket::close(&mut ws, close::TRY_AGAIN_LATER, &reason).await;
            return Some(close::TRY_AGAIN_LATER);
        }
    }
}
