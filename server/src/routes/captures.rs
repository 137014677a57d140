//! `GET /api/tcp-echo/captures`: what the built-in `tcp-echo` socket
//! received first on its recent connections, so the page can show that a
//! browser pointed at a raw port sends an HTTP request.

use warp::{Filter, Rejection, Reply};

use crate::state::AppState;

/// The captures, newest first; 404 when `tcp-echo` is off.
pub fn filter(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
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
}
