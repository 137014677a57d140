//! `GET /api/info` and the start-up banner: the server's sockets, listed.

use std::net::SocketAddr;

use socketlab_shared::{endpoints, EndpointInfo, ServerInfo, WebTransportInfo};

use warp::{Filter, Rejection, Reply};

use crate::state::AppState;

/// `GET /api/info`.
pub fn filter(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "info")
        .and(warp::get())
        .map(move || warp::reply::json(&server_info(&state)))
}

/// Describes this server: version and every endpoint with its address.
pub fn server_info(state: &AppState) -> ServerInfo {
    let addr = state.local_addr.to_string();
    let endpoint = |name: &str, protocol: &str, path: &str| EndpointInfo {
        name: name.to_owned(),
        protocol: match (protocol, state.tls) {
            ("http", true) => "https".to_owned(),
            ("ws", true) => "wss".to_owned(),
            _ => protocol.to_owned(),
        },
        addr: addr.clone(),
        path: Some(path.to_owned()),
    };
    ServerInfo {
        name: "socketlab".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        endpoints: vec![
            endpoint("page", "http", "/"),
            endpoint("info", "http", endpoints::API_INFO),
            endpoint("health", "http", endpoints::HEALTHZ),
            endpoint("chat", "ws", endpoints::WS_CHAT),
            endpoint("echo", "ws", endpoints::WS_ECHO),
            endpoint("inspect", "ws", endpoints::WS_INSPECT),
            endpoint("relay", "ws", "/ws/relay/{name}"),
        ]
        .into_iter()
        .chain(webtransport(state, "wt-echo", endpoints::WT_ECHO))
        .chain(webtransport(state, "wt-relay", "/wt/relay/{name}"))
        .chain(demo("tcp-echo", "tcp", state.demo.tcp_echo))
        .chain(demo("udp-echo", "udp", state.demo.udp_echo))
        .chain(demo("tcp-chat", "tcp", state.demo.tcp_chat))
        .collect(),
        relay_targets: state
            .relay
            .current()
            .describe(state.config.relay_token.is_some()),
        instance: Some(state.instance_info()),
        webtransport: state.webtransport.as_ref().map(|wt| {
            let certificate = wt.certificate.get();
            WebTransportInfo {
                url: format!("https://{}", wt.addr),
                cert_sha256: certificate.sha256,
                expires: certificate.expires,
            }
        }),
    }
}

/// A WebTransport endpoint (protocol `wt`: HTTP/3 on UDP), if it runs.
fn webtransport(state: &AppState, name: &str, path: &str) -> Option<EndpointInfo> {
    state.webtransport.as_ref().map(|wt| EndpointInfo {
        name: name.to_owned(),
        protocol: "wt".to_owned(),
        addr: wt.addr.to_string(),
        path: Some(path.to_owned()),
    })
}

/// A raw socket endpoint, if it is running.
fn demo(name: &str, protocol: &str, addr: Option<SocketAddr>) -> Option<EndpointInfo> {
    addr.map(|addr| EndpointInfo {
        name: name.to_owned(),
        protocol: protocol.to_owned(),
        addr: addr.to_string(),
        path: None,
    })
}
