//! The WebTransport listener: a QUIC endpoint on a UDP socket, its
//! certificate, and the accept loop.
//!
//! A socket is an address, a port *and* a protocol: by default this one is
//! UDP on the same IP and port number as the TCP listener of `--listen`,
//! so the page names one port for both doors. Each QUIC connection takes a
//! slot under the connection caps the moment it arrives (before its TLS
//! handshake), so half-open handshakes count too, and it must finish the
//! handshake and send its WebTransport request within
//! `--header-timeout-secs`, like an HTTP request head.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use web_transport_quinn::quinn;

use super::certificate::{self, Certificate, Published, PublishedCell};
use super::endpoints;
use crate::net::admission::ConnectionPermit;
use crate::service::keepalive::KeepAliveConfig;
use crate::state::AppState;

/// Bidirectional streams one client may have open at once.
const MAX_STREAMS: u32 = 16;
/// Unidirectional streams one client may have open at once: HTTP/3 needs
/// three of its own (control and QPACK); the services use none.
const MAX_UNI_STREAMS: u32 = 8;
/// How long shutdown waits for closed sessions to finish their close.
const DRAIN: Duration = Duration::from_secs(2);

/// Where the certificate comes from.
#[derive(Debug, Clone)]
pub enum CertSource {
    /// Made here, self-signed, for these names; rotated.
    Generated(Vec<String>),
    /// `--tls-cert` and `--tls-key`.
    Files(PathBuf, PathBuf),
}

impl CertSource {
    fn make(&self) -> anyhow::Result<Certificate> {
        match self {
            CertSource::Generated(names) => certificate::self_signed(names),
            CertSource::Files(cert, key) => certificate::from_files(cert, key),
        }
    }
}

/// A bound QUIC endpoint, not yet accepting.
pub struct Listener {
    endpoint: quinn::Endpoint,
    source: CertSource,
    published: PublishedCell,
    keepalive: KeepAliveConfig,
}

impl Listener {
    /// Binds UDP `addr` (from `flag`) with a certificate from `source`.
    /// QUIC keep-alive follows `keepalive`: a ping after its interval of
    /// silence, and a client that answers nothing for interval + timeout
    /// is gone.
    pub fn bind(
        addr: SocketAddr,
        flag: &str,
        source: CertSource,
        keepalive: KeepAliveConfig,
    ) -> anyhow::Result<Self> {
        let cert = source.make()?;
        let published = PublishedCell::default();
        published.set(cert.published.clone());
        let config = server_config(cert, keepalive)?;
        let endpoint = quinn::Endpoint::server(config, addr).map_err(|err| {
            anyhow::anyhow!(
                "cannot listen on UDP {addr} for WebTransport ({flag}): {err}; \
                 choose another address with --webtransport-listen IP:PORT, \
                 or turn WebTransport off with --no-webtransport"
            )
        })?;
        Ok(Self {
            endpoint,
            source,
            published,
            keepalive,
        })
    }

    /// The UDP address actually bound.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        self.endpoint
            .local_addr()
            .context("cannot read the WebTransport listener's address")
    }

    /// What `/api/info` publishes about the certificate; follows rotations.
    pub fn published(&self) -> PublishedCell {
        self.published.clone()
    }

    /// Accepts sessions until shutdown, as tasks the shutdown tracks; a
    /// generated certificate is replaced every [`certificate::ROTATE_AFTER`],
    /// `--tls-cert` files are read again on SIGHUP.
    pub fn serve(self, state: &AppState) {
        let reloader = Reloader {
            endpoint: self.endpoint.clone(),
            source: self.source.clone(),
            published: self.published.clone(),
            keepalive: self.keepalive,
        };
        match self.source {
            CertSource::Generated(_) => state.shutdown.spawn(rotate(reloader, state.clone())),
            CertSource::Files(..) => {
                // Listening starts here, before the task first runs, so a
                // SIGHUP sent once the server is up is never missed.
                #[cfg(unix)]
                if let Some(hangups) = hangups() {
                    state
                        .shutdown
                        .spawn(reload_on_sighup(reloader, hangups, state.clone()));
                }
            }
        }
        state.shutdown.spawn(accept(self.endpoint, state.clone()));
    }
}

/// Replaces the listener's certificate for new connections; sessions
/// already open keep the one they shook hands with.
struct Reloader {
    endpoint: quinn::Endpoint,
    source: CertSource,
    published: PublishedCell,
    keepalive: KeepAliveConfig,
}

impl Reloader {
    /// Makes (or reads) the certificate again and puts it in use; on
    /// failure the old one stays.
    fn reload(&self) -> anyhow::Result<Published> {
        let cert = self.source.make()?;
        let facts = cert.published.clone();
        let config = server_config(cert, self.keepalive)?;
        self.endpoint.set_server_config(Some(config));
        self.published.set(facts.clone());
        Ok(facts)
    }
}

#[cfg(unix)]
fn hangups() -> Option<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(hangups) => Some(hangups),
        Err(err) => {
            tracing::warn!("cannot listen for SIGHUP ({err}); the WebTransport certificate will not be reloaded");
            None
        }
    }
}

/// Reads the `--tls-cert`/`--tls-key` files again on every SIGHUP, until
/// shutdown. A file that cannot be used is logged with its path and the
/// reason, and the old certificate stays in use.
#[cfg(unix)]
async fn reload_on_sighup(
    reloader: Reloader,
    mut hangups: tokio::signal::unix::Signal,
    state: AppState,
) {
    let CertSource::Files(cert, key) = &reloader.source else {
        return;
    };
    loop {
        tokio::select! {
            () = state.shutdown.begun() => return,
            hangup = hangups.recv() => if hangup.is_none() { return },
        }
        match reloader.reload() {
            Ok(_) => tracing::info!(
                cert = %cert.display(),
                key = %key.display(),
                "WebTransport certificate reloaded on SIGHUP; new sessions use it"
            ),
            Err(err) => tracing::error!(
                cert = %cert.display(),
                key = %key.display(),
                "WebTransport certificate reload failed, keeping the old one: {err:#}"
            ),
        }
    }
}

/// The QUIC and TLS settings of the listener.
fn server_config(
    cert: Certificate,
    keepalive: KeepAliveConfig,
) -> anyhow::Result<quinn::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .context("TLS 1.3 set-up for WebTransport failed")?
        .with_no_client_auth()
        .with_single_cert(cert.chain, cert.key)
        .context(
            "the WebTransport certificate and key (--tls-cert, --tls-key) do not belong together",
        )?;
    tls.alpn_protocols = vec![web_transport_quinn::ALPN.as_bytes().to_vec()];
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
        .context("the certificate cannot be used for QUIC")?;
    let mut transport = quinn::TransportConfig::default();
    transport
        .max_concurrent_bidi_streams(MAX_STREAMS.into())
        .max_concurrent_uni_streams(MAX_UNI_STREAMS.into())
        .keep_alive_interval(Some(keepalive.interval))
        .max_idle_timeout(
            quinn::IdleTimeout::try_from(keepalive.interval + keepalive.timeout).ok(),
        );
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    config.transport_config(Arc::new(transport));
    Ok(config)
}

/// The accept loop; after shutdown, waits (briefly) for the sessions'
/// close capsules to be delivered before the endpoint closes.
async fn accept(endpoint: quinn::Endpoint, state: AppState) {
    let mut begun = state.shutdown.begun();
    loop {
        let incoming = tokio::select! {
            biased;
            () = &mut begun => break,
            incoming = endpoint.accept() => incoming,
        };
        let Some(incoming) = incoming else { break };
        let ip = incoming.remote_address().ip();
        match state.admission.connections.try_acquire(ip) {
            Ok(permit) => state
                .shutdown
                .spawn(handshake(incoming, permit, state.clone())),
            Err(err) => {
                state.metrics.refused("over_capacity");
                tracing::debug!(peer = %incoming.remote_address(), "WebTransport refused: {err}");
                incoming.refuse();
            }
        }
    }
    // New connections are refused from now on; open ones are being closed
    // by their sessions.
    endpoint.set_server_config(None);
    let _ = tokio::time::timeout(DRAIN, endpoint.wait_idle()).await;
    endpoint.close(0u32.into(), b"server shutting down");
}

/// One connection: the QUIC handshake and the WebTransport request, within
/// the header timeout, then the session.
async fn handshake(incoming: quinn::Incoming, permit: ConnectionPermit, state: AppState) {
    let peer = incoming.remote_address();
    let limit = state.config.header_timeout();
    let request = async {
        let conn = incoming.await.map_err(|err| err.to_string())?;
        web_transport_quinn::Request::accept(conn)
            .await
            .map_err(|err| err.to_string())
    };
    let request = match tokio::time::timeout(limit, request).await {
        Ok(Ok(request)) => request,
        Ok(Err(err)) => {
            tracing::debug!(%peer, "WebTransport handshake failed: {err}");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "WebTransport handshake timed out after {limit:?} (--header-timeout-secs)");
            return;
        }
    };
    endpoints::serve(request, peer, &state).await;
    drop(permit);
}

/// Replaces a generated certificate before it expires; new connections
/// get the new one, `/api/info` names it.
async fn rotate(reloader: Reloader, state: AppState) {
    loop {
        tokio::select! {
            () = state.shutdown.begun() => return,
            () = tokio::time::sleep(certificate::ROTATE_AFTER) => {}
        }
        match reloader.reload() {
            Ok(facts) => tracing::info!(sha256 = ?facts.sha256, "WebTransport certificate rotated"),
            Err(err) => tracing::error!("WebTransport certificate rotation failed: {err:#}"),
        }
    }
}
