//! The listener: accepts TCP connections and serves HTTP/1.1 on each.
//!
//! warp 0.4's own `serve` hides the listener, so binding (with errors that
//! name the flag), the accept loop, per-connection timeouts and graceful
//! shutdown live here, on hyper-util, with warp providing the routes as a
//! `tower` service.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::net::IpAddr;

use tokio::net::{TcpListener, UdpSocket};

use crate::config::Config;
use crate::net::head::{HeadLimits, TooLong};
use crate::net::peer::PeerAddr;
use crate::net::tls::Tls;
use crate::net::write_deadline::WriteDeadline;
use crate::problem::Problem;
use crate::routes::routes;
use crate::service::relay::TargetAddr;
use crate::shutdown::Shutdown;
use crate::state::{AppState, DemoSockets, WebTransportInfo};
use crate::transport::webtransport::{CertSource, Listener};

/// How long a client may take to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long shutdown waits for sessions to finish their close handshakes.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// How long shutdown then waits for the room bus to free what members held.
const BUS_CLEANUP_GRACE: Duration = Duration::from_secs(5);

/// A bound, not yet running, server.
pub struct Server {
    listener: TcpListener,
    webtransport: Option<Listener>,
    demo: DemoListeners,
    tls: Option<Tls>,
    state: AppState,
}

impl Server {
    /// Binds `config.listen`. Fails with a message naming `--listen` when the
    /// address is taken or not available on this machine.
    pub async fn bind(config: Config) -> anyhow::Result<Self> {
        let listener = crate::net::listen::listen(config.listen).map_err(|err| {
            let hint = match err.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "another program (perhaps another socketlab) is using that port; \
                     stop it or choose another port, e.g. --listen 127.0.0.1:0 for any free one"
                }
                _ => hint(&err),
            };
            anyhow::anyhow!(
                "cannot listen on {} (--listen / SOCKETLAB_LISTEN): {err}; {hint}",
                config.listen
            )
        })?;
        let local_addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(Tls::load(cert, key)?),
            _ => None,
        };
        // Before the demo sockets: by default WebTransport takes the UDP
        // port of the same number as the TCP listener's, which a demo
        // socket's free port must not be.
        let webtransport = bind_webtransport(&config, local_addr)?;
        let (demo, demo_addrs) = DemoListeners::bind(&config, local_addr.ip()).await?;
        let webtransport_info = match &webtransport {
            Some(listener) => Some(WebTransportInfo {
                addr: listener.local_addr()?,
                certificate: listener.published(),
            }),
            None => None,
        };
        let state = AppState::new(
            config,
            local_addr,
            tls.is_some(),
            demo_addrs,
            webtransport_info,
        )
        .await?;
        Ok(Self {
            listener,
            webtransport,
            demo,
            tls,
            state,
        })
    }

    /// The address actually bound (the real port when `--listen` used port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.state.local_addr
    }

    /// `http://IP:PORT/` (or `https://`), the address to open in a browser.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}/", self.local_addr())
    }

    /// One human-readable line per listening endpoint, for the start-up banner.
    pub fn endpoint_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = crate::routes::info::server_info(&self.state)
            .endpoints
            .iter()
            .map(|e| {
                // WebTransport URLs are https://, on a UDP socket.
                let (scheme, note) = match e.protocol.as_str() {
                    "wt" => ("https", " (HTTP/3 on UDP)"),
                    other => (other, ""),
                };
                format!(
                    "{:<9} {:<5} {scheme}://{}{}{note}",
                    e.name,
                    e.protocol,
                    e.addr,
                    e.path.as_deref().unwrap_or("")
                )
            })
            .collect();
        for (name, target) in self.state.relay.current().iter() {
            let to = match &target.addr {
                TargetAddr::Unix(_) => target.addr.to_string(),
                addr => format!("{}://{addr}", target.kind()),
            };
            lines.push(format!("relay     ws    /ws/relay/{name} -> {to}"));
            if self.state.webtransport.is_some() {
                lines.push(format!("relay     wt    /wt/relay/{name} -> {to}"));
            }
        }
        if let Some(addr) = self.state.demo.tcp_chat {
            lines.push(format!(
                "(try the chat from a terminal: nc {} {})",
                addr.ip(),
                addr.port()
            ));
        }
        if !crate::routes::assets::page_is_built() {
            lines.push("(the page is not built: `cargo xtask run` builds it)".to_owned());
        }
        lines
    }

    /// The shutdown handle, so tests can count live connection tasks.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.state.shutdown.clone()
    }

    /// Serves until `signal` resolves, then shuts down gracefully: stop
    /// accepting, send every WebSocket close 1001, wait for them to finish.
    pub async fn run(self, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
        let Server {
            listener,
            webtransport,
            demo,
            tls,
            state,
        } = self;
        #[cfg(unix)]
        if let Some(tls) = &tls {
            tokio::spawn(tls.clone().reload_on_sighup());
        }
        demo.serve(&state);
        tokio::spawn(state.relay.clone().watch(state.shutdown.clone()));
        if let Some(webtransport) = webtransport {
            webtransport.serve(&state);
        }
        let service = warp::service(routes(state.clone()));
        let mut http = auto::Builder::new(TokioExecutor::new()).http1_only();
        let head = HeadLimits {
            max_line: state.config.max_header_line as usize,
            max_head: state.config.max_request_head as usize,
        };
        http.http1()
            .timer(TokioTimer::new())
            .header_read_timeout(state.config.header_timeout())
            // A head over the caps is answered by `head.check` (a body
            // naming the flag); one too big even to buffer, 431 by hyper.
            .max_buf_size(head.read_buffer());
        let limits = ConnectionLimits {
            head,
            // hyper has no write timeout of its own (see net::write_deadline).
            write: state.config.send_timeout() + crate::net::write_deadline::MARGIN,
        };
        let graceful = GracefulShutdown::new();
        tokio::pin!(signal);

        loop {
            let (stream, peer) = tokio::select! {
                () = &mut signal => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(err) => {
                        // Usually EMFILE: back off instead of spinning.
                        tracing::warn!("accept failed: {err}; retrying in 100 ms");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            serve_connection(
                &http,
                &graceful,
                &service,
                tls.as_ref(),
                limits,
                stream,
                peer,
            );
        }

        tracing::info!("shutting down: closing WebSocket and WebTransport sessions with 1001");
        state.shutdown.begin();
        let drain = Duration::from_secs(state.config.drain_secs);
        if !drain.is_zero() {
            // Keep answering HTTP (readyz says 503; upgrades are refused) so
            // a load balancer notices before the listener disappears.
            tracing::info!("draining for {drain:?} (--drain-secs)");
            let deadline = tokio::time::sleep(drain);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    () = &mut deadline => break,
                    accepted = listener.accept() => match accepted {
                        Ok((stream, peer)) => {
                            serve_connection(&http, &graceful, &service, tls.as_ref(), limits, stream, peer);
                        }
                        // Usually EMFILE: back off instead of spinning.
                        Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                }
            }
        }
        drop(listener);
        let sessions = state.shutdown.clone();
        let drained = async move {
            tokio::join!(sessions.finished(), graceful.shutdown());
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, drained).await.is_err() {
            tracing::warn!(
                "{} connection(s) did not finish within {SHUTDOWN_GRACE:?}; exiting anyway",
                state.shutdown.open_tasks()
            );
        }
        // The members that just left free their names on a shared bus;
        // without waiting, the others would see those names taken until
        // they reap this instance as dead.
        state.bus.finish(BUS_CLEANUP_GRACE).await;
        Ok(())
    }
}

/// What each connection is held to besides hyper's own settings.
#[derive(Debug, Clone, Copy)]
struct ConnectionLimits {
    /// The request head's caps.
    head: HeadLimits,
    /// How long one write may make no progress.
    write: Duration,
}

/// Serves HTTP/1.1 (with upgrades) on one accepted connection, in its own
/// task, after the TLS handshake when TLS is on; watched by `graceful` so
/// shutdown can wait for it.
fn serve_connection<S>(
    http: &auto::Builder<TokioExecutor>,
    graceful: &GracefulShutdown,
    service: &S,
    tls: Option<&Tls>,
    limits: ConnectionLimits,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
) where
    S: tower_service::Service<
            http::Request<Incoming>,
            Response = warp::reply::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let _ = stream.set_nodelay(true);
    let stream = WriteDeadline::new(stream, limits.write);
    let head = limits.head;
    let service = service.clone();
    let hyper_service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
        // Before any route: no service (nor the inspector's report) ever
        // sees a line over the cap.
        let refused = head.check(&req).err();
        req.extensions_mut().insert(PeerAddr(peer));
        let call = service.clone().call(req);
        async move {
            match refused {
                Some(too_long) => Ok(refusal(too_long)),
                None => call.await,
            }
        }
    });
    let http = http.clone();
    let watcher = graceful.watcher();
    let handshake = tls.map(|tls| (tls.acceptor(), HANDSHAKE_TIMEOUT));
    tokio::spawn(async move {
        let result = match handshake {
            None => {
                let connection =
                    http.serve_connection_with_upgrades(TokioIo::new(stream), hyper_service);
                watcher.watch(connection.into_owned()).await
            }
            Some((acceptor, timeout)) => {
                let stream = match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(err)) => {
                        tracing::debug!(%peer, "TLS handshake failed: {err}");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
                let connection =
                    http.serve_connection_with_upgrades(TokioIo::new(stream), hyper_service);
                watcher.watch(connection.into_owned()).await
            }
        };
        if let Err(err) = result {
            tracing::debug!(%peer, "HTTP connection ended with an error: {err}");
        }
    });
}

/// Binds the WebTransport listener unless `--no-webtransport`: on
/// `--webtransport-listen`, or else UDP on the TCP listener's address. Its
/// certificate is the `--tls-cert` one, or else generated for the names
/// this server answers to.
fn bind_webtransport(config: &Config, tcp: SocketAddr) -> anyhow::Result<Option<Listener>> {
    if config.no_webtransport {
        return Ok(None);
    }
    let (addr, flag) = match config.webtransport_listen {
        Some(addr) => (addr, "--webtransport-listen"),
        None => (tcp, "by default UDP on --listen's address"),
    };
    let source = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => CertSource::Files(cert.clone(), key.clone()),
        _ => {
            let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            if !addr.ip().is_unspecified() && !addr.ip().is_loopback() {
                names.push(addr.ip().to_string());
            }
            names.extend(config.public_hosts.iter().cloned());
            CertSource::Generated(names)
        }
    };
    Listener::bind(addr, flag, source, config.keepalive()).map(Some)
}

/// The answer to a request with a line over `--max-header-line`: 414 for
/// the request line, 431 for a header line, as nginx answers.
fn refusal(too_long: TooLong) -> warp::reply::Response {
    use warp::Reply as _;
    match too_long {
        TooLong::RequestLine(text) => Problem::UriTooLong(text),
        TooLong::HeaderLine(text) => Problem::HeaderTooLarge(text),
    }
    .into_response()
}

/// What to do about a failed bind, in words.
fn hint(err: &std::io::Error) -> &'static str {
    match err.kind() {
        std::io::ErrorKind::AddrInUse => "another program is using that port",
        std::io::ErrorKind::AddrNotAvailable => {
            "that IP address does not belong to this machine; try 127.0.0.1 or 0.0.0.0"
        }
        std::io::ErrorKind::PermissionDenied => {
            "ports below 1024 need extra privileges; choose a port of 1024 or more"
        }
        _ => "check the address and port",
    }
}

/// The demo sockets, bound but not yet serving.
#[derive(Default)]
struct DemoListeners {
    tcp_echo: Option<TcpListener>,
    udp_echo: Option<UdpSocket>,
    tcp_chat: Option<TcpListener>,
}

impl DemoListeners {
    /// Binds every demo socket that is not turned off, on `ip` (the page's
    /// IP, so a browser that reached the page can try, and fail, to reach
    /// them too). Errors name the flag that sets the port and the one that
    /// turns the socket off.
    async fn bind(config: &Config, ip: IpAddr) -> anyhow::Result<(Self, DemoSockets)> {
        let mut demo = Self::default();
        let mut addrs = DemoSockets::default();
        if !config.no_tcp_echo {
            let listener =
                bind_tcp(ip, config.tcp_echo_port, "--tcp-echo-port", "--no-tcp-echo").await?;
            addrs.tcp_echo = Some(listener.local_addr()?);
            demo.tcp_echo = Some(listener);
        }
        if !config.no_udp_echo {
            let socket = UdpSocket::bind((ip, config.udp_echo_port))
                .await
                .map_err(|err| {
                    bind_error(
                        ip,
                        config.udp_echo_port,
                        "--udp-echo-port",
                        "--no-udp-echo",
                        err,
                    )
                })?;
            addrs.udp_echo = Some(socket.local_addr()?);
            demo.udp_echo = Some(socket);
        }
        if !config.no_tcp_chat {
            let listener =
                bind_tcp(ip, config.tcp_chat_port, "--tcp-chat-port", "--no-tcp-chat").await?;
            addrs.tcp_chat = Some(listener.local_addr()?);
            demo.tcp_chat = Some(listener);
        }
        Ok((demo, addrs))
    }

    /// Starts serving every bound socket, as tasks the shutdown waits for.
    fn serve(self, state: &AppState) {
        let shutdown = &state.shutdown;
        if let (Some(listener), Some(captures)) = (self.tcp_echo, state.tcp_captures.clone()) {
            let limits = crate::demo::tcp_echo::EchoLimits {
                connections: state.admission.connections.clone(),
                idle: std::time::Duration::from_secs(state.config.demo_idle_secs),
                send_timeout: state.config.send_timeout(),
            };
            shutdown.spawn(crate::demo::tcp_echo::serve(
                listener,
                captures,
                shutdown.clone(),
                limits,
            ));
        }
        if let (Some(socket), Some(impairments)) = (self.udp_echo, state.udp_impairments.clone()) {
            shutdown.spawn(crate::demo::udp_echo::serve(
                socket,
                impairments,
                shutdown.clone(),
            ));
        }
        if let Some(listener) = self.tcp_chat {
            shutdown.spawn(crate::transport::door::serve(listener, state.clone()));
        }
    }
}

/// Binds a demo TCP socket, naming its flags on failure.
async fn bind_tcp(ip: IpAddr, port: u16, flag: &str, off: &str) -> anyhow::Result<TcpListener> {
    crate::net::listen::listen(SocketAddr::new(ip, port))
        .map_err(|err| bind_error(ip, port, flag, off, err))
}

fn bind_error(ip: IpAddr, port: u16, flag: &str, off: &str, err: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot listen on {} ({flag}): {err}; {}; or pass {flag} 0 for any free port, or {off} to turn it off",
        SocketAddr::new(ip, port),
        hint(&err)
    )
}
