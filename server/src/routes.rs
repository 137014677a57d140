//! Every HTTP and WebSocket route, composed into one warp filter.
//!
//! Each endpoint module exposes its own `filter`; this file only decides the
//! order and adds the final `recover`, in the style of warp's examples.

use std::convert::Infallible;

use warp::{Filter, Reply};

use crate::service::{chat, echo, inspect, relay};
use crate::state::AppState;
use crate::{assets, info, rejection};

/// The whole application as one filter.
pub fn routes(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    let healthz = warp::path!("healthz").and(warp::get()).map(|| "ok");
    let readyz = {
        let state = state.clone();
        warp::path!("readyz").and(warp::get()).map(move || {
            if state.shutdown.is_begun() {
                warp::reply::with_status("shutting down", http::StatusCode::SERVICE_UNAVAILABLE)
            } else if !state.bus.is_ready() {
                warp::reply::with_status(
                    "chat bus unavailable",
                    http::StatusCode::SERVICE_UNAVAILABLE,
                )
            } else {
                warp::reply::with_status("ready", http::StatusCode::OK)
            }
        })
    };
    let metrics = {
        let state = state.clone();
        warp::path!("metrics").and(warp::get()).map(move || {
            let stats = state.bus.stats();
            state.metrics.chat_rooms.set(stats.rooms as i64);
            state.metrics.chat_members.set(stats.members as i64);
            warp::reply::with_header(
                state.metrics.render(),
                http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )
        })
    };
    let api_info = {
        let state = state.clone();
        warp::path!("api" / "info")
            .and(warp::get())
            .map(move || warp::reply::json(&info::server_info(&state)))
    };

    let captures = {
        let state = state.clone();
        warp::path!("api" / "tcp-echo" / "captures")
            .and(warp::get())
            .and_then(move || {
                let captures = state.tcp_captures.clone();
                async move {
                    match captures {
                        Some(captures) => Ok(warp::reply::json(&captures.list())),
                        None => Err(warp::reject::not_found()),
                    }
                }
            })
    };

    healthz
        .or(readyz)
        .or(metrics)
        .or(api_info)
        .or(captures)
        .or(relay::route::filter(state.clone()))
        .or(chat::route::filter(state.clone()))
        .or(echo::filter(state.clone()))
        .or(inspect::filter(state))
        .or(assets::filter())
        .recover(rejection::recover)
}
