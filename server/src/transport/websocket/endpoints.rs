//! The WebSocket endpoints: for each path, what is checked before the
//! upgrade, the limits of its frames, and the service it runs.
//!
//! - `GET /ws/chat?room=ROOM&name=NAME`: a chat member.
//! - `GET /ws/echo`: echo.
//! - `GET /ws/inspect`: the handshake inspector.

use serde::Deserialize;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use super::session::WsSession;
use super::upgrade::{self, Upgrade};
use crate::routes::problem::Problem;
use crate::service::{chat, echo, inspect};
use crate::state::AppState;

/// The query string of a chat upgrade; both parts optional.
#[derive(Debug, Deserialize)]
struct ChatQuery {
    room: Option<String>,
    name: Option<String>,
}

/// `GET /ws/chat`.
pub fn chat(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws" / "chat")
        .and(warp::query::<ChatQuery>())
        .and(upgrade::websocket(&state, "chat"))
        .and(warp::any().map(move || state.clone()))
        .and_then(accept_chat)
}

async fn accept_chat(
    query: ChatQuery,
    upgrade: Upgrade,
    state: AppState,
) -> Result<Response, Rejection> {
    // Refuse bad names before the upgrade: a plain HTTP 400 with a body is
    // the clearest answer for curl, and the page validates the same way
    // (with the same code, from `socketlab-shared`) before it connects.
    let membership =
        match chat::join(&*state.bus, query.room.as_deref(), query.name.as_deref()).await {
            Ok(membership) => membership,
            Err(chat::JoinError::BadName(message)) => {
                return Err(warp::reject::custom(Problem::BadRequest(message)))
            }
            Err(chat::JoinError::Bus(err)) => {
                return Ok(warp::reply::with_status(
                    format!("{err}\n"),
                    http::StatusCode::SERVICE_UNAVAILABLE,
                )
                .into_response())
            }
        };
    let shutdown = state.shutdown.clone();
    let metrics = state.metrics.clone();
    let limits = state.chat_limits();
    Ok(
        upgrade.accept(state.chat_ws_config(), None, move |ws, _| async move {
            let mut conn = WsSession::new(ws);
            chat::session::run(&mut conn, membership, shutdown, limits, &metrics, "chat").await
        }),
    )
}

/// `GET /ws/echo`.
pub fn echo(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws" / "echo")
        .and(upgrade::websocket(&state, "echo"))
        .map(move |upgrade: Upgrade| {
            let shutdown = state.shutdown.clone();
            let keepalive = state.config.keepalive();
            let send_timeout = state.config.send_timeout();
            let metrics = state.metrics.clone();
            upgrade.accept(state.echo_ws_config(), None, move |ws, _| async move {
                let mut conn = WsSession::new(ws);
                echo::run(&mut conn, shutdown, keepalive, send_timeout, &metrics).await
            })
        })
}

/// `GET /ws/inspect`.
pub fn inspect(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws" / "inspect")
        .and(upgrade::websocket(&state, "inspect"))
        .map(move |upgrade: Upgrade| {
            let shutdown = state.shutdown.clone();
            let send_timeout = state.config.send_timeout();
            let keepalive = state.config.keepalive();
            upgrade.accept(state.chat_ws_config(), None, move |ws, report| async move {
                let mut conn = WsSession::new(ws);
                inspect::run(&mut conn, report, shutdown, keepalive, send_timeout).await
            })
        })
}
