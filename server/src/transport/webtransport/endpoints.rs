//! The WebTransport endpoints: what is checked before a session is
//! accepted, and the service each path runs.
//!
//! - `/wt/echo`: echo, of every datagram and of each bidirectional stream.
//!
//! The checks are the WebSocket upgrade's, in the same order, answered
//! with HTTP statuses before the session exists: an unknown `Host` 421, a
//! foreign `Origin` 403, shutting down 503, an unknown path 404. (The connection caps were taken when the QUIC
//! connection arrived, see `listener`.) A WebTransport client sees only
//! the status, so each refusal is also logged with its reason.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Instant;

use http::StatusCode;
use socketlab_shared::close;
use socketlab_shared::endpoints::WT_ECHO;
use tokio::task::JoinSet;
use web_transport_quinn::proto::ConnectResponse;
use web_transport_quinn::{Request, Session};

use super::session::{close_session, Datagrams, Stream};
use crate::service::echo;
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
    } else {
        let text = "no such WebTransport endpoint: try /wt/echo";
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
