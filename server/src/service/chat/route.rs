//! `GET /ws/chat?room=ROOM&name=NAME`: validate, join, upgrade.

use serde::Deserialize;
use socketlab_shared::{DisplayName, RoomName};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use super::session::ChatLimits;
use crate::routes::problem::Problem;
use crate::state::AppState;
use crate::transport::websocket::upgrade::{self, Upgrade};

/// The query string of a chat upgrade; both parts optional.
#[derive(Debug, Deserialize)]
struct ChatQuery {
    room: Option<String>,
    name: Option<String>,
}

/// The chat endpoint's filter.
pub fn filter(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws" / "chat")
        .and(warp::query::<ChatQuery>())
        .and(upgrade::websocket(&state, "chat"))
        .and(warp::any().map(move || state.clone()))
        .and_then(accept)
}

async fn accept(
    query: ChatQuery,
    upgrade: Upgrade,
    state: AppState,
) -> Result<Response, Rejection> {
    // Refuse bad names before the upgrade: a plain HTTP 400 with a body is
    // the clearest answer for curl, and the page validates the same way
    // (with the same code, from `socketlab-shared`) before it connects.
    let room = match query.room.as_deref() {
        None => RoomName::lobby(),
        Some(raw) => RoomName::parse(raw).map_err(|e| bad(e.to_string()))?,
    };
    let name = match query.name.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(DisplayName::parse(raw).map_err(|e| bad(e.to_string()))?),
    };
    let membership = match state.bus.join(room, name).await {
        Ok(membership) => membership,
        Err(err) => {
            return Ok(warp::reply::with_status(
                format!("{err}\n"),
                http::StatusCode::SERVICE_UNAVAILABLE,
            )
            .into_response())
        }
    };
    let shutdown = state.shutdown.clone();
    let metrics = state.metrics.clone();
    let limits = ChatLimits {
        send_timeout: state.config.send_timeout(),
        rate: state.config.chat_rate,
        burst: state.config.chat_burst,
        keepalive: state.config.keepalive(),
        instance: state.instance_info(),
    };
    Ok(upgrade.accept(state.chat_ws_config(), None, move |ws, _| {
        super::session::run(ws, membership, shutdown, limits, metrics)
    }))
}

fn bad(message: String) -> Rejection {
    warp::reject::custom(Problem::BadRequest(message))
}
