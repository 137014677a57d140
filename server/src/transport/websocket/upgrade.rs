//! The WebSocket opening handshake, done here rather than by `warp::ws()`.
//!
//! Owning the upgrade lets the server (1) record the exact request and
//! response for the handshake inspector, (2) pick a subprotocol, and (3)
//! give the stream a [`WebSocketConfig`] of its own per endpoint (frame and
//! message limits, buffer sizes), none of which `warp::ws()` exposes.

use std::future::Future;
use std::sync::Arc;

use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use hyper::upgrade::OnUpgrade;
use socketlab_shared::{HandshakeReport, HttpRequestHead, HttpResponseHead};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use warp::filters::path::FullPath;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::net::admission::{Admission, ConnectionPermit};
use crate::net::metered::{ByteCounts, Metered};
use crate::net::peer::PeerAddr;
use crate::problem::Problem;
use crate::shutdown::Shutdown;
use crate::telemetry::Metrics;
use crate::transport::websocket::stream::WsStream;
use crate::transport::websocket::{wire, WebSocket};

/// What the upgrade needs from the server: the admission rules, where to
/// count refusals and connections, and the shutdown that tracks sessions.
#[derive(Clone)]
pub struct Edge {
    /// Origin allow-list, connection caps, the client-address rule.
    pub admission: Admission,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Tracks session tasks and tells them when to stop.
    pub shutdown: Shutdown,
}

/// A request that asked to become a WebSocket and passed every check of
/// RFC 6455 section 4.2.1; [`Upgrade::accept`] finishes it.
pub struct Upgrade {
    request: HttpRequestHead,
    key: String,
    on_upgrade: Option<OnUpgrade>,
    /// The connection's slot under `--max-connections`, held by the session.
    permit: ConnectionPermit,
    /// The client's address, for logs.
    peer: Option<std::net::SocketAddr>,
    /// Which endpoint, for logs and metrics.
    endpoint: &'static str,
    metrics: Metrics,
    shutdown: Shutdown,
}

/// Matches a valid WebSocket upgrade request on any path, from an allowed
/// `Origin`, while the server has room for it.
///
/// Checks run in this order, each with its own answer: not an upgrade at
/// all → 426 (so a person who opens a `/ws/...` URL in a browser tab reads
/// why it does not work), malformed → 400, foreign `Origin` → 403, over a
/// connection cap → 503.
pub fn websocket(
    edge: &Edge,
    endpoint: &'static str,
) -> impl Filter<Extract = (Upgrade,), Error = Rejection> + Clone {
    let edge = edge.clone();
    warp::method()
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(warp::ext::optional::<OnUpgrade>())
        .and(warp::ext::optional::<PeerAddr>())
        .and_then(
            move |method: Method,
                  path: FullPath,
                  query: String,
                  headers: HeaderMap,
                  on_upgrade: Option<OnUpgrade>,
                  peer: Option<PeerAddr>| {
                let edge = edge.clone();
                async move {
                    let refuse = |reason: &str, problem: Problem| {
                        edge.metrics.refused(reason);
                        warp::reject::custom(problem)
                    };
                    let key = check_request(&method, &headers).map_err(|problem| {
                        let reason = match problem {
                            Problem::UpgradeRequired(_) => "not_an_upgrade",
                            Problem::UnsupportedVersion => "unsupported_version",
                            _ => "bad_request",
                        };
                        refuse(reason, problem)
                    })?;
                    let text =
                        |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
                    edge.admission
                        .origins
                        .check(text(header::ORIGIN), text(header::HOST))
                        .map_err(|e| refuse("forbidden_origin", Problem::Forbidden(e)))?;
                    let peer =
                        crate::net::peer::client_addr(peer, &headers, edge.admission.trust_proxy);
                    let ip = peer.map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |p| p.ip());
                    let permit = edge.admission.connections.try_acquire(ip).map_err(|e| {
                        refuse("over_capacity", Problem::Unavailable(e.to_string()))
                    })?;
                    if edge.shutdown.is_begun() {
                        return Err(refuse(
                            "shutting_down",
                            Problem::Unavailable("the server is shutting down".to_owned()),
                        ));
                    }
                    let path = if query.is_empty() {
                        path.as_str().to_owned()
                    } else {
                        format!("{}?{query}", path.as_str())
                    };
                    Ok::<_, Rejection>(Upgrade {
                        request: HttpRequestHead {
                            method: method.to_string(),
                            path,
                            // The server speaks only HTTP/1.1 (see `server.rs`),
                            // the only version RFC 6455 upgrades run over.
                            version: "HTTP/1.1".to_owned(),
                            headers: redacted(header_pairs(&headers)),
                        },
                        key,
                        on_upgrade,
                        permit,
                        peer,
                        endpoint,
                        metrics: edge.metrics.clone(),
                        shutdown: edge.shutdown.clone(),
                    })
                }
            },
        )
}

/// RFC 6455 section 4.2.1: what makes a request a WebSocket upgrade.
fn check_request(method: &Method, headers: &HeaderMap) -> Result<String, Problem> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .map(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
                .unwrap_or(false)
        })
    };
    if !has_token(header::UPGRADE, "websocket") || !has_token(header::CONNECTION, "upgrade") {
        return Err(Problem::UpgradeRequired(
            "this is a WebSocket endpoint: connect with a WebSocket client, e.g. \
             new WebSocket(\"ws://HOST:PORT/PATH\") in a browser",
        ));
    }
    if method != Method::GET {
        return Err(Problem::BadRequest(
            "a WebSocket upgrade must use the GET method".to_owned(),
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Err(Problem::UnsupportedVersion);
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| is_valid_key(k))
        .ok_or_else(|| {
            Problem::BadRequest(
                "Sec-WebSocket-Key must be 16 random bytes in base64 (24 characters)".to_owned(),
            )
        })?;
    Ok(key.to_owned())
}

/// A key is the base64 encoding of 16 bytes: 22 characters plus `==`.
fn is_valid_key(key: &str) -> bool {
    key.len() == 24
        && key.ends_with("==")
        && key[..22]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// Headers whose values are credentials. The inspector's report goes to
/// a page script, and handing it the cookie would undo `HttpOnly` for any
/// script on an allowed origin.
const SECRET_HEADERS: &[&str] = &["cookie", "authorization", "proxy-authorization"];

/// `pairs` with every credential's value replaced by its length.
fn redacted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    for (name, value) in &mut pairs {
        if SECRET_HEADERS.contains(&name.as_str()) {
            *value = format!("<redacted, {} bytes>", value.len());
        }
    }
    pairs
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

impl Upgrade {
    /// The subprotocols the client offered (`Sec-WebSocket-Protocol`), in order.
    pub fn offered_protocols(&self) -> Vec<&str> {
        self.request
            .headers
            .iter()
            .filter(|(name, _)| name == "sec-websocket-protocol")
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// Answers `101 Switching Protocols` and runs `session` on the upgraded
    /// connection as a task tracked by the server's shutdown.
    ///
    /// `protocol`, when given, must be one the client offered; it is echoed
    /// in `Sec-WebSocket-Protocol` as RFC 6455 requires. The session returns
    /// the close code the connection ended with (`None`: no close frame),
    /// which goes into the connection's log line and the metrics.
    pub fn accept<F, Fut>(
        self,
        config: WebSocketConfig,
        protocol: Option<&str>,
        session: F,
    ) -> Response
    where
        F: FnOnce(WebSocket, HandshakeReport) -> Fut + Send + 'static,
        Fut: Future<Output = Option<u16>> + Send + 'static,
    {
        let mut response = Response::default();
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(self.key.as_bytes())) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        if let Some(protocol) = protocol.and_then(|p| HeaderValue::from_str(p).ok()) {
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
        }
        let report = HandshakeReport {
            request: self.request,
            response: HttpResponseHead {
                status: StatusCode::SWITCHING_PROTOCOLS.as_u16(),
                headers: header_pairs(response.headers()),
            },
        };

        let permit = self.permit;
        let peer = self.peer;
        let endpoint = self.endpoint;
        let metrics = self.metrics;
        let Some(on_upgrade) = self.on_upgrade else {
            // Only happens when a filter is exercised without a real
            // connection (e.g. `warp::test`); nothing to hand over.
            tracing::warn!("upgrade requested but the connection cannot be upgraded");
            return Problem::Internal.into_response();
        };
        self.shutdown.spawn(async move {
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(err) => {
                    // The client went away before the 101 reached it (e.g.
                    // reset): no session ever starts for it.
                    metrics.refused("reset_before_open");
                    tracing::debug!(?peer, endpoint, "WebSocket upgrade failed: {err}");
                    return;
                }
            };
            let started = std::time::Instant::now();
            let open = metrics.opened(endpoint);
            tracing::info!(?peer, endpoint, "websocket opened");
            let bytes = Arc::<ByteCounts>::default();
            let (conn, read) = wire::open(upgraded, &bytes);
            let io = Metered::counting(conn, bytes.clone());
            // With what the client sent right behind its handshake.
            let socket = WsStream::new(io, read, config);
            let code = session(socket, report).await;
            open.closed(code);
            tracing::info!(
                ?peer,
                endpoint,
                duration_ms = started.elapsed().as_millis() as u64,
                bytes_in = bytes.read(),
                bytes_out = bytes.written(),
                close_code = code,
                "websocket closed"
            );
            drop(permit);
        });
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ="));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZ!=="));
        assert!(!is_valid_key(""));
    }
}
