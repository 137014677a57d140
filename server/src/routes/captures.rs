//! `GET /api/tcp-echo/captures`: what the built-in `tcp-echo` socket
//! received first on its recent connections, so the page can show that a
//! browser pointed at a raw port sends an HTTP request. Each client sees
//! only the captures of its own address: what others sent, and who they
//! are, are not its business.

use warp::{Filter, Rejection, Reply};

use crate::net::peer::{client_addr, PeerAddr};
use crate::state::AppState;

/// The caller's captures, newest first; 404 when `tcp-echo` is off.
pub fn filter(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "tcp-echo" / "captures")
        .and(warp::get())
        .and(warp::ext::optional::<PeerAddr>())
        .and(warp::header::headers_cloned())
        .and_then(move |peer: Option<PeerAddr>, headers: http::HeaderMap| {
            let captures = state.tcp_captures.clone();
            let client = client_addr(peer, &headers, state.admission.trust_proxy);
            async move {
                match (captures, client) {
                    (Some(captures), Some(client)) => {
                        Ok(warp::reply::json(&captures.list_for(client.ip())))
                    }
                    _ => Err(warp::reject::not_found()),
                }
            }
        })
}
