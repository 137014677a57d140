//! The client's address: the TCP peer, or, behind a reverse proxy that the
//! operator trusts (`--trust-proxy`), the address that proxy saw.
//!
//! warp's own `filters::addr::remote()` works only with `warp::serve`; the
//! listener here is hyper-util's, so it puts each connection's [`PeerAddr`]
//! into the request's extensions and [`client_addr`] reads it back.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;

/// The address of a connection's client, put in each request's extensions
/// by the listener.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// The client's address for per-IP limits and logs: the TCP peer, or with
/// `trust_proxy`, the last `X-Forwarded-For` entry over all its header
/// lines: the one the proxy appended. Everything before it the client may
/// have written itself, including whole header lines of its own. `None`
/// when the request came without a connection (tests).
pub fn client_addr(
    peer: Option<PeerAddr>,
    headers: &HeaderMap,
    trust_proxy: bool,
) -> Option<SocketAddr> {
    let peer = peer.map(|PeerAddr(addr)| addr);
    if !trust_proxy {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse::<IpAddr>().ok());
    match forwarded {
        Some(ip) => Some(SocketAddr::new(ip, 0)),
        None => peer,
    }
}
