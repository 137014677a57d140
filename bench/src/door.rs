//! A message door to the server under test: WebTransport datagrams or a
//! WebSocket, with the same two operations, so that one measurement loop
//! ([`crate::datagram`]) serves both and the numbers differ only by the
//! transport.
//!
//! The WebTransport side is a native client of the crate the server uses
//! (`web-transport-quinn`), trusting the server's self-signed certificate
//! by the SHA-256 its `/api/info` publishes, as the page does.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use bytes::Bytes;
use clap::ValueEnum;
use futures_util::{SinkExt, StreamExt};
use socketlab_shared::ServerInfo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use web_transport_quinn::Session;

use crate::guard;
use crate::transport::{self, Ws};

/// How long opening a door may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// WebTransport datagrams (QUIC on UDP): `/wt/…`.
    Webtransport,
    /// A WebSocket (TCP): `/ws/…`.
    Websocket,
}

impl Kind {
    /// Its name in results.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Webtransport => "webtransport",
            Kind::Websocket => "websocket",
        }
    }

    /// The path prefix of its endpoints.
    fn prefix(self) -> &'static str {
        match self {
            Kind::Webtransport => "/wt/",
            Kind::Websocket => "/ws/",
        }
    }
}

/// An open door.
pub enum Door {
    /// One message is one datagram.
    Webtransport(Box<Session>),
    /// One message is one binary WebSocket message.
    Websocket(Box<Ws>),
}

impl Door {
    /// Opens `kind`'s endpoint `path` (`echo`, `relay/udp-sink`) on the
    /// socketlab at `server` (loopback `IP:PORT`, its HTTP listener).
    pub async fn open(kind: Kind, server: SocketAddr, path: &str) -> Result<Self> {
        let server = guard::loopback(server)?;
        let path = format!("{}{path}", kind.prefix());
        match kind {
            Kind::Websocket => {
                let ws = transport::connect_ws(&format!("ws://{server}{path}"), None).await?;
                Ok(Door::Websocket(Box::new(ws)))
            }
            Kind::Webtransport => {
                let session = tokio::time::timeout(CONNECT_TIMEOUT, open_wt(server, &path))
                    .await
                    .with_context(|| format!("opening {path} over WebTransport timed out"))??;
                Ok(Door::Webtransport(Box::new(session)))
            }
        }
    }

    /// Sends one message, waiting while the transport's buffer is full
    /// (QUIC's datagram buffer, or the WebSocket's TCP socket).
    pub async fn send(&mut self, message: Bytes) -> Result<()> {
        match self {
            Door::Webtransport(session) => session
                .send_datagram_wait(message)
                .await
                .context("the WebTransport session failed")?,
            Door::Websocket(ws) => ws
                .send(Message::Binary(message))
                .await
                .context("the WebSocket failed")?,
        }
        Ok(())
    }

    /// The next message that arrives.
    pub async fn recv(&mut self) -> Result<Bytes> {
        match self {
            Door::Webtransport(session) => session
                .read_datagram()
                .await
                .context("the WebTransport session failed"),
            Door::Websocket(ws) => loop {
                match ws.next().await {
                    Some(Ok(Message::Binary(payload))) => return Ok(payload),
                    Some(Ok(Message::Close(frame))) => bail!("the WebSocket closed: {frame:?}"),
                    None => bail!("the WebSocket ended"),
                    Some(Ok(_)) => continue,
                    Some(Err(err)) => return Err(err).context("the WebSocket failed"),
                }
            },
        }
    }

    /// The largest message this door carries as one datagram (WebSocket:
    /// no such limit here).
    pub fn max_datagram(&self) -> Option<usize> {
        match self {
            Door::Webtransport(session) => Some(session.max_datagram_size()),
            Door::Websocket(_) => None,
        }
    }

    /// A polite end; errors do not matter once the result is measured.
    pub async fn close(self) {
        match self {
            Door::Webtransport(session) => {
                session.close(1000, b"benchmark done");
                let _ = tokio::time::timeout(Duration::from_secs(1), session.closed()).await;
            }
            Door::Websocket(mut ws) => {
                let _ = tokio::time::timeout(Duration::from_secs(1), ws.close()).await;
            }
        }
    }
}

/// Opens a WebTransport session to `path`, trusting the certificate whose
/// hash the server's `/api/info` publishes.
async fn open_wt(server: SocketAddr, path: &str) -> Result<Session> {
    let info = fetch_info(server).await?;
    let wt = info
        .webtransport
        .context("the server's /api/info has no webtransport (started with --no-webtransport?)")?;
    let hex = wt.cert_sha256.clone().context(
        "the server publishes no certificate hash (it runs with --tls-cert); the benchmark \
         needs its generated certificate",
    )?;
    let hash = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .with_context(|| format!("`{hex}` is not a hex SHA-256"))?;
    let port = wt
        .port()
        .with_context(|| format!("no port in the WebTransport URL `{}`", wt.url))?;
    // The TCP listener's IP with the UDP port it names: loopback either way.
    let addr = guard::loopback(SocketAddr::new(server.ip(), port))?;
    let url = url::Url::parse(&format!("https://{addr}{path}"))
        .with_context(|| format!("bad WebTransport URL https://{addr}{path}"))?;
    let client = web_transport_quinn::ClientBuilder::new()
        .with_server_certificate_hashes(vec![hash])
        .context("cannot build the WebTransport client")?;
    client
        .connect(url)
        .await
        .with_context(|| format!("WebTransport session to https://{addr}{path} failed"))
}

/// GET `/api/info` over plain HTTP/1.1.
async fn fetch_info(server: SocketAddr) -> Result<ServerInfo> {
    let mut stream = transport::connect_tcp(server).await?;
    let request = format!("GET /api/info HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    tokio::time::timeout(CONNECT_TIMEOUT, stream.read_to_end(&mut response))
        .await
        .context("/api/info did not answer in time")??;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("/api/info's answer is not HTTP")?;
    ensure!(
        head.starts_with("HTTP/1.1 200"),
        "/api/info answered {}",
        head.lines().next().unwrap_or_default()
    );
    ServerInfo::from_json(body).context("/api/info is not the info document")
}
