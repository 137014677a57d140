//! The HTTP side: every route, composed into one warp filter, and the
//! answers that are plain HTTP.
//!
//! Each endpoint module exposes its own filter; [`routes`] only decides
//! the order and adds the final `recover`, in the style of warp's examples.
//!
//! - [`ops`]: `/healthz`, `/readyz`, `/metrics`.
//! - [`info`]: `/api/info` (and the start-up banner's list of sockets).
//! - [`captures`]: the `/api/tcp-echo/captures` endpoint.
//! - [`web`]: `--web DIR` under `/web/`.
//! - [`assets`]: the embedded page, its HTML in the language
//!   [`page_lang`] picks.

pub mod assets;
pub mod captures;
pub mod info;
pub mod ops;
pub mod page_lang;
pub mod web;

use std::convert::Infallible;

use warp::{Filter, Reply};

use crate::state::AppState;
use crate::transport::websocket::endpoints;

/// The whole application as one filter.
pub fn routes(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    // The operator's endpoints answer any Host (probes and scrapers use
    // the address they dialled); everything a visitor's page can use
    // answers only the names this server is known by.
    let visitor = info::filter(state.clone())
        .or(captures::filter(state.clone()))
        .or(endpoints::relay(state.clone()))
        .or(endpoints::chat(state.clone()))
        .or(endpoints::echo(state.clone()))
        .or(endpoints::inspect(state.clone()))
        .or(web::filter(state.web.clone()))
        .or(assets::filter());
    ops::healthz()
        .or(ops::readyz(state.clone()))
        .or(ops::metrics(state.clone()))
        .or(known_host(state).and(visitor))
        .recover(crate::problem::recover)
}

/// Passes requests for a host name this server answers to; refuses others
/// with 421 (see `net::host`).
fn known_host(state: AppState) -> impl Filter<Extract = (), Error = warp::Rejection> + Clone {
    warp::header::optional::<String>("host")
        .and_then(move |host: Option<String>| {
            let checked = state.hosts.check(host.as_deref());
            async move {
                checked.map_err(|text| {
                    warp::reject::custom(crate::problem::Problem::Misdirected(text))
                })
            }
        })
        .untuple_one()
}
