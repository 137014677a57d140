//! The WebTransport endpoints: what is checked before a session is
//! accepted, and the service each path runs.
//!
//! - `/wt/echo`: echo, of every datagram and of each bidirectional stream.
//! - `/wt/relay/{name}`: the relay; a UDP target over datagrams (one each
//!   way per UDP datagram), a TCP target over the first bidirectional
//!   stream the client opens.
//!
//! The checks are the WebSocket upgrade's, in the same order, answered
//! with HTTP statuses before the session exists: an unknown `Host` 421, a
//! foreign `Origin` 403, shutting down 503, a relay refusal 401/403/404/400,
//! an unknown path 404. (The connection caps were taken when the QUIC
//! connection arrived, see `listener`.) A WebTransport client sees only
//! the status, so each refusal is also logged with its reason.

use std::borrow::Cow;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Instant;

use http::StatusCode;
use socketlab_shared::endpoints::{WT_ECHO, WT_RELAY_PREFIX};
use socketlab_shared::{close, Impairment};
use tokio::task::JoinSet;
use web_transport_quinn::proto::ConnectResponse;
use web_transport_quinn::{Request, Session};

use super::session::{close_session, Datagrams, Stream};
use crate::service::echo;
use crate::service::relay::access::{self, Refusal};
use crate::service::relay::{self, tcp, Relay, TargetAddr};
use crate::state::AppState;

/// How long a refused client has to read the status before the
/// connection closes.
const REFUSAL_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Checks `request` and runs the session it asks for, until it ends.
pub async fn serve(request: Request, peer: SocketAddr, state: &AppState) {
    let url = request.url.clone();
    let Some(host) = url.host_str() else {
        return refuse(request, peer, StatusCode::BAD_REQUEST, "no host in the URL").await;
    };
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    if let Err(text) = state.hosts.check(Some(&authority)) {
        return refuse(request, peer, StatusCode::MISDIRECTED_REQUEST, &text).await;
    }
    // The page's origin is the HTTP listener's: this host name with the
    // TCP port (which is not this UDP one with --webtransport-listen).
    let page_host = format!("{host}:{}", state.local_addr.port());
    let origin = request
        .headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    if let Err(text) = state.admission.origins.check(origin, Some(&page_host)) {
        state.metrics.refused("forbidden_origin");
        return refuse(request, peer, StatusCode::FORBIDDEN, &text).await;
    }
    if state.shutdown.is_begun() {
        state.metrics.refused("shutting_down");
        let text = "the server is shutting down";
        return refuse(request, peer, StatusCode::SERVICE_UNAVAILABLE, text).await;
    }
    if url.path() == WT_ECHO {
        if let Some(session) = accept(request, None, peer).await {
            run(state, peer, "wt-echo", echo_session(session, state)).await;
        }
    } else if let Some(name) = url.path().strip_prefix(WT_RELAY_PREFIX) {
        let query = url.query_pairs();
        relay_session(request, name, query, peer, state).await;
    } else {
        let text = "no such WebTransport endpoint: try /wt/echo or /wt/relay/{name}";
        refuse(request, peer, StatusCode::NOT_FOUND, text).await;
    }
}

/// Answers `request` with `status`; the client learns only the status, so
/// the reason goes to the log. The connection is kept until the client
/// has read the answer and hung up (briefly): dropping it at once would
/// reset it before the status arrives.
async fn refuse(request: Request, peer: SocketAddr, status: StatusCode, reason: &str) {
    tracing::debug!(%peer, path = request.url.path(), %status, reason, "WebTransport session refused");
    let conn = request.conn().clone();
    if request.reject(status).await.is_ok() {
        let _ = tokio::time::timeout(REFUSAL_WAIT, conn.closed()).await;
    }
    conn.close(0u32.into(), b"refused");
}

/// Answers 200 (with `protocol`, when one is chosen) and gives the session.
async fn accept(request: Request, protocol: Option<String>, peer: SocketAddr) -> Option<Session> {
    let response = match protocol {
        Some(protocol) => ConnectResponse::OK.with_protocol(protocol),
        None => ConnectResponse::OK,
    };
    match request.respond(response).await {
        Ok(session) => Some(session),
        Err(err) => {
            tracing::debug!(%peer, "WebTransport session could not be accepted: {err}");
            None
        }
    }
}

/// Runs `service` with what every session has: its metrics (`endpoint`)
/// and its log lines.
async fn run<F>(state: &AppState, peer: SocketAddr, endpoint: &'static str, service: F)
where
    F: Future<Output = Option<u16>>,
{
    let started = Instant::now();
    let open = state.metrics.opened(endpoint);
    tracing::info!(%peer, endpoint, "webtransport opened");
    let code = service.await;
    open.closed(code);
    tracing::info!(
        %peer,
        endpoint,
        duration_ms = started.elapsed().as_millis() as u64,
        close_code = code,
        "webtransport closed"
    );
}

/// `/wt/echo`: echo on the datagrams and on every bidirectional stream the
/// client opens, until the session ends. Liveness is QUIC's keep-alive
/// (see `listener`), so the service runs without its own pings.
async fn echo_session(session: Session, state: &AppState) -> Option<u16> {
    let send_timeout = state.config.send_timeout();
    let mut datagrams = Datagrams::new(session.clone());
    let datagram_echo = echo::run(
        &mut datagrams,
        state.shutdown.clone(),
        None,
        send_timeout,
        &state.metrics,
    );
    tokio::pin!(datagram_echo);
    // Stream echoes end with the session (dropping the set aborts them).
    let mut streams = JoinSet::new();
    let code = loop {
        tokio::select! {
            code = &mut datagram_echo => break code,
            accepted = session.accept_bi() => match accepted {
                Ok((send, recv)) => {
                    let mut stream = Stream::new(session.clone(), send, recv);
                    let shutdown = state.shutdown.clone();
                    let metrics = state.metrics.clone();
                    streams.spawn(async move {
                        echo::run(&mut stream, shutdown, None, send_timeout, &metrics).await;
                        // The client finished its side: so does the server.
                        stream.finish();
                    });
                }
                Err(_) => break datagram_echo.await,
            },
            Some(_) = streams.join_next(), if !streams.is_empty() => {}
        }
    };
    close_session(&session, close::NORMAL, "echo ended").await;
    code
}

/// `/wt/relay/{name}`: the relay's checks (allow-list, token, the
/// simulated network), then the relay over datagrams or one stream.
async fn relay_session<'a>(
    request: Request,
    name: &str,
    query: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
    peer: SocketAddr,
    state: &AppState,
) {
    let (impairment, token) = match relay_query(query) {
        Ok(parsed) => parsed,
        Err(text) => return refuse(request, peer, StatusCode::BAD_REQUEST, &text).await,
    };
    let offered = access::token_protocol(request.protocols.iter().map(String::as_str));
    let token_protocol = offered.map(|(protocol, _)| protocol.to_owned());
    let token = token.as_deref().or(offered.map(|(_, secret)| secret));
    let targets = state.relay.current();
    let admitted = match state.relay_access(&targets).admit(name, token, impairment) {
        Ok(admitted) => admitted,
        Err(refusal) => {
            let (status, text) = match refusal {
                Refusal::UnknownTarget => {
                    (StatusCode::NOT_FOUND, "unknown relay target".to_owned())
                }
                Refusal::TokenMissing(text) => (StatusCode::UNAUTHORIZED, text),
                Refusal::TokenWrong(text) => (StatusCode::FORBIDDEN, text),
                Refusal::BadRequest(text) => (StatusCode::BAD_REQUEST, text),
            };
            return refuse(request, peer, status, &text).await;
        }
    };
    let Some(session) = accept(request, token_protocol, peer).await else {
        return;
    };
    let target = admitted.target;
    let addr = target.addr.clone();
    let relay = Relay {
        name: name.to_owned(),
        addr: target.addr,
        shutdown: state.shutdown.clone(),
        limits: state.relay_limits(),
        metrics: state.metrics.clone(),
        send_timeout: state.config.send_timeout(),
        // A stream carries bytes; WebTransport has no text frames.
        text: target.options.text,
    };
    let impairment = admitted
        .impairment
        .and_then(|profile| Some((state.udp_impairments.clone()?, profile)));
    let service = async {
        let code = match addr {
            TargetAddr::Udp(to) => {
                let mut datagrams = Datagrams::new(session.clone());
                relay::udp::run(&mut datagrams, relay, to, impairment).await
            }
            TargetAddr::Tcp(to) => tcp_relay(&session, relay, state, tcp::connect_tcp(to)).await,
            TargetAddr::Unix(path) => {
                tcp_relay(
                    &session,
                    relay,
                    state,
                    tokio::net::UnixStream::connect(path),
                )
                .await
            }
        };
        close_session(&session, close::NORMAL, "relay ended").await;
        code
    };
    run(state, peer, "wt-relay", service).await;
}

/// A TCP relay runs on the first bidirectional stream the client opens,
/// which it must open within `--header-timeout-secs`.
async fn tcp_relay<S, F>(
    session: &Session,
    relay: Relay,
    state: &AppState,
    connecting: F,
) -> Option<u16>
where
    S: tcp::ByteStream,
    F: Future<Output = std::io::Result<S>>,
{
    let limit = state.config.header_timeout();
    let opened = tokio::select! {
        () = state.shutdown.begun() => {
            close_session(session, close::GOING_AWAY, "server shutting down").await;
            return Some(close::GOING_AWAY);
        }
        opened = tokio::time::timeout(limit, session.accept_bi()) => opened,
    };
    match opened {
        Ok(Ok((send, recv))) => {
            relay::tcp::run(Stream::new(session.clone(), send, recv), relay, connecting).await
        }
        Ok(Err(_)) => None,
        Err(_) => {
            let reason = format!(
                "a TCP relay runs on one bidirectional stream: open it within {limit:?} \
                 (--header-timeout-secs)"
            );
            close_session(session, close::POLICY_VIOLATION, &reason).await;
            Some(close::POLICY_VIOLATION)
        }
    }
}

/// The relay's query: the simulated network (`loss`, `duplicate`,
/// `reorder`, `delay_ms`, as for `/ws/relay`) and the `token`.
fn relay_query<'a>(
    query: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
) -> Result<(Impairment, Option<String>), String> {
    let mut impairment = Impairment::default();
    let mut token = None;
    for (key, value) in query {
        let number = || {
            value
                .parse::<f64>()
                .map_err(|_| format!("{key} must be a number, got {value:?}"))
        };
        match &*key {
            "loss" => impairment.loss = number()?,
            "duplicate" => impairment.duplicate = number()?,
            "reorder" => impairment.reorder = number()?,
            "delay_ms" => {
                impairment.delay_ms = value
                    .parse()
                    .map_err(|_| format!("delay_ms must be whole milliseconds, got {value:?}"))?
            }
            "token" => token = Some(value.into_owned()),
            other => {
                return Err(format!(
                    "unknown parameter {other:?}: the relay takes loss, duplicate, reorder, \
                     delay_ms and token"
                ))
            }
        }
    }
    Ok((impairment, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<(Impairment, Option<String>), String> {
        let pairs = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap())
            .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)));
        relay_query(pairs)
    }

    #[test]
    fn the_relay_query_is_the_websocket_one() {
        let (impairment, token) = parse("loss=0.2&delay_ms=20&token=s").unwrap();
        assert_eq!((impairment.loss, impairment.delay_ms), (0.2, 20));
        assert_eq!(token.as_deref(), Some("s"));
        assert!(parse("loss=lots").unwrap_err().contains("loss"));
        assert!(parse("host=evil").unwrap_err().contains("host"));
        assert_eq!(parse("").unwrap().0, Impairment::default());
    }
}
