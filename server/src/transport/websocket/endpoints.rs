//! The WebSocket endpoints: for each path, what is checked before the
//! upgrade, the limits of its frames, and the service it runs.
//!
//! - `GET /ws/chat?room=ROOM&name=NAME`: a chat member.
//! - `GET /ws/echo`: echo.
//! - `GET /ws/inspect`: the handshake inspector.
//! - `GET /ws/relay/{name}`: the relay to an allow-listed TCP or UDP target,
//!   answering with the subprotocol [`subprotocol::select`] picks.

use serde::Deserialize;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use super::session::WsSession;
use super::subprotocol;
use super::upgrade::{self, Edge, Upgrade};
use crate::problem::Problem;
use crate::service::session::Outbound;
use socketlab_shared::Impairment;

use crate::service::relay::access::{self, Refusal};
use crate::service::relay::{self, tcp, Relay, TargetAddr};
use crate::service::{chat, echo, inspect};
use crate::state::AppState;

/// What the upgrade needs of the shared state (and no more).
fn edge(state: &AppState) -> Edge {
    Edge {
        admission: state.admission.clone(),
        metrics: state.metrics.clone(),
        shutdown: state.shutdown.clone(),
    }
}

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
        .and(upgrade::websocket(&edge(&state), "chat"))
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
    let wanted = match chat::wanted(query.room.as_deref(), query.name.as_deref()) {
        Ok(wanted) => wanted,
        Err(err) => return Err(warp::reject::custom(Problem::BadRequest(err.to_string()))),
    };
    if !state.bus.is_ready() {
        return Ok(warp::reply::with_status(
            "the chat service is unavailable right now: its message bus is unreachable\n",
            http::StatusCode::SERVICE_UNAVAILABLE,
        )
        .into_response());
    }
    let shutdown = state.shutdown.clone();
    let metrics = state.metrics.clone();
    let limits = state.chat_limits();
    let send_timeout = state.config.send_timeout();
    let bus = state.bus.clone();
    // Join only once the WebSocket is open: a request that is reset before
    // its 101 must not announce `joined` then `left` to the whole room (nor
    // claim a name on the bus). A join that fails now can no longer be an
    // HTTP status; it is a close with 1013 and the reason.
    Ok(
        upgrade.accept(state.chat_ws_config(), None, move |ws, _| async move {
            let mut conn = WsSession::new(ws, send_timeout);
            let membership = match chat::join(&*bus, wanted).await {
                Ok(membership) => membership,
                Err(err) => {
                    let code = socketlab_shared::close::TRY_AGAIN_LATER;
                    Outbound::<chat::session::ChatOutput>::close(&mut conn, code, &err.to_string())
                        .await;
                    return Some(code);
                }
            };
            chat::session::run(&mut conn, membership, shutdown, limits, &metrics, "chat").await
        }),
    )
}

/// `GET /ws/echo`.
pub fn echo(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws" / "echo")
        .and(upgrade::websocket(&edge(&state), "echo"))
        .map(move |upgrade: Upgrade| {
            let shutdown = state.shutdown.clone();
            let keepalive = state.config.keepalive();
            let send_timeout = state.config.send_timeout();
            let metrics = state.metrics.clone();
            upgrade.accept(state.echo_ws_config(), None, move |ws, _| async move {
                let mut conn = WsSession::new(ws, send_timeout);
                echo::run(&mut conn, shutdown, Some(keepalive), send_timeout, &metrics).await
            })
        })
}

/// `GET /ws/inspect`.
pub fn inspect(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws" / "inspect")
        .and(upgrade::websocket(&edge(&state), "inspect"))
        .map(move |upgrade: Upgrade| {
            let shutdown = state.shutdown.clone();
            let send_timeout = state.config.send_timeout();
            let keepalive = state.config.keepalive();
            upgrade.accept(state.chat_ws_config(), None, move |ws, report| async move {
                let mut conn = WsSession::new(ws, send_timeout);
                inspect::run(&mut conn, report, shutdown, keepalive, send_timeout).await
            })
        })
}

/// The relay's query string: the token, when passed that way.
#[derive(Debug, Default, Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// `GET /ws/relay/{name}`.
pub fn relay(state: AppState) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("ws" / "relay" / String)
        .and(
            warp::query::<Impairment>()
                .or(warp::any().map(Impairment::default))
                .unify(),
        )
        .and(
            warp::query::<TokenQuery>()
                .or(warp::any().map(TokenQuery::default))
                .unify(),
        )
        .and(upgrade::websocket(&edge(&state), "relay"))
        .and(warp::any().map(move || state.clone()))
        .and_then(accept_relay)
}

async fn accept_relay(
    name: String,
    impairment: Impairment,
    query: TokenQuery,
    upgrade: Upgrade,
    state: AppState,
) -> Result<Response, Rejection> {
    let offered = upgrade.offered_protocols();
    let token = query
        .token
        .as_deref()
        .or(access::token_protocol(offered.iter().copied()).map(|(_, secret)| secret));
    let targets = state.relay.current();
    let admitted = match state.relay_access(&targets).admit(&name, token, impairment) {
        Ok(admitted) => admitted,
        Err(Refusal::UnknownTarget) => {
            return Ok(warp::reply::with_status(
                "unknown relay target\n",
                http::StatusCode::NOT_FOUND,
            )
            .into_response())
        }
        Err(Refusal::TokenMissing(text)) => {
            return Err(warp::reject::custom(Problem::Unauthorized(text)))
        }
        Err(Refusal::TokenWrong(text)) => {
            return Err(warp::reject::custom(Problem::Forbidden(text)))
        }
        Err(Refusal::BadRequest(text)) => {
            return Err(warp::reject::custom(Problem::BadRequest(text)))
        }
    };
    let protocol = match subprotocol::select(
        &upgrade.offered_protocols(),
        &admitted.target.options.protocols,
    ) {
        Ok(protocol) => protocol,
        Err(text) => {
            state.metrics.refused("subprotocol");
            return Err(warp::reject::custom(Problem::BadRequest(text)));
        }
    };
    let target = admitted.target;
    let config = state.relay_ws_config(target.kind());
    let addr = target.addr.clone();
    let send_timeout = state.config.send_timeout();
    let relay = Relay {
        name,
        addr: target.addr,
        shutdown: state.shutdown.clone(),
        limits: state.relay_limits(),
        metrics: state.metrics.clone(),
        send_timeout,
        text: target.options.text,
    };
    let impairment = admitted
        .impairment
        .and_then(|profile| Some((state.udp_impairments.clone()?, profile)));
    Ok(
        upgrade.accept(config, protocol.as_deref(), move |ws, _| async move {
            let mut conn = WsSession::new(ws, send_timeout);
            match addr {
                TargetAddr::Tcp(addr) => relay::tcp::run(conn, relay, tcp::connect_tcp(addr)).await,
                TargetAddr::Unix(path) => {
                    relay::tcp::run(conn, relay, tokio::net::UnixStream::connect(path)).await
                }
                TargetAddr::Udp(addr) => relay::udp::run(&mut conn, relay, addr, impairment).await,
            }
        }),
    )
}
