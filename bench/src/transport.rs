//! Connections to the peer under test, as byte pipes.
//!
//! The relay benchmarks move the same bytes over a WebSocket (through a
//! relay) or over plain TCP (the ceiling); [`Tx`] and [`Rx`] give both the
//! same two operations so that one measurement loop serves both, and the
//! numbers differ only by the transport.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use bytes::{Bytes, BytesMut};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::guard;

/// A client WebSocket over plain TCP.
pub type Ws = WebSocketStream<TcpStream>;

/// How long opening one connection (TCP + handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Buffer for TCP writes: as large as tungstenite's default write buffer,
/// so raw TCP and WebSocket senders batch small writes alike.
const TCP_WRITE_BUFFER: usize = 128 * 1024;

/// How much to read from TCP at once.
const TCP_READ_CHUNK: usize = 64 * 1024;

/// Opens a TCP connection to a loopback address, with Nagle off (the
/// benchmarks measure latency too, and every peer's server side does the same).
pub async fn connect_tcp(addr: SocketAddr) -> Result<TcpStream> {
    connect_tcp_from(addr, None).await
}

/// [`connect_tcp`] from a chosen loopback source address (127.0.0.2, ...):
/// ten thousand connections to one port need more source ports than one
/// address has once some linger in `TIME_WAIT`.
pub async fn connect_tcp_from(addr: SocketAddr, source: Option<IpAddr>) -> Result<TcpStream> {
    let addr = guard::loopback(addr)?;
    let connect = async {
        match source {
            None => Ok(TcpStream::connect(addr).await?),
            Some(ip) => {
                let ip = guard::loopback(SocketAddr::new(ip, 0))?.ip();
                let socket = match ip {
                    IpAddr::V4(_) => TcpSocket::new_v4()?,
                    IpAddr::V6(_) => TcpSocket::new_v6()?,
                };
                socket
                    .bind(SocketAddr::new(ip, 0))
                    .with_context(|| format!("cannot bind a socket to {ip}"))?;
                Ok(socket.connect(addr).await?)
            }
        }
    };
    let stream: TcpStream = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .with_context(|| format!("connecting to {addr} timed out"))?
        .map_err(|err: anyhow::Error| err.context(format!("cannot connect to {addr}")))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// The loopback source address of connection `index` when connections
/// are spread over `count` addresses (127.0.0.1, 127.0.0.2, ...); `None`
/// (the kernel's choice, 127.0.0.1) when `count` is 1 or less.
pub fn source_ip(index: u32, count: u32) -> Option<IpAddr> {
    (count > 1).then(|| IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (index % count.min(250)) as u8)))
}

/// Opens a WebSocket to a loopback `ws://` URL, offering `subprotocol` if
/// given.
///
/// The harness connects the TCP socket itself, to the address the guard
/// approved, and only then hands it to tungstenite: no host name is ever
/// resolved and nothing but loopback is ever dialled.
pub async fn connect_ws(url: &str, subprotocol: Option<&str>) -> Result<Ws> {
    connect_ws_from(url, subprotocol, None).await
}

/// [`connect_ws`] from a chosen loopback source address.
pub async fn connect_ws_from(
    url: &str,
    subprotocol: Option<&str>,
    source: Option<IpAddr>,
) -> Result<Ws> {
    let addr = guard::ws_url_addr(url)?;
    let handshake = async {
        let stream = connect_tcp_from(addr, source).await?;
        let mut request = url
            .into_client_request()
            .with_context(|| format!("`{url}` is not a valid WebSocket URL"))?;
        if let Some(protocol) = subprotocol {
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_str(protocol).context("bad subprotocol")?,
            );
        }
        let (ws, _response) = tokio_tungstenite::client_async(request, stream)
            .await
            .with_context(|| format!("WebSocket handshake with {url} failed"))?;
        anyhow::Ok(ws)
    };
    tokio::time::timeout(CONNECT_TIMEOUT, handshake)
        .await
        .with_context(|| format!("opening {url} timed out"))?
}

/// The sending half of a byte pipe.
pub enum Tx {
    /// Each chunk becomes one binary message.
    Ws(SplitSink<Ws, Message>),
    /// Each chunk is written to the stream.
    Tcp(BufWriter<OwnedWriteHalf>),
}

/// The receiving half of a byte pipe.
pub enum Rx {
    /// Binary messages' payloads, in order.
    Ws(SplitStream<Ws>),
    /// The stream's bytes.
    Tcp(OwnedReadHalf),
}

/// Splits a WebSocket into a byte pipe.
pub fn ws_pipe(ws: Ws) -> (Tx, Rx) {
    let (sink, stream) = ws.split();
    (Tx::Ws(sink), Rx::Ws(stream))
}

/// Splits a TCP stream into a byte pipe.
pub fn tcp_pipe(stream: TcpStream) -> (Tx, Rx) {
    let (read, write) = stream.into_split();
    (
        Tx::Tcp(BufWriter::with_capacity(TCP_WRITE_BUFFER, write)),
        Rx::Tcp(read),
    )
}

impl Tx {
    /// Queues one chunk. It goes out when the write buffer fills or on
    /// [`Tx::flush`], so small chunks are batched as a real client's would be.
    pub async fn feed(&mut self, chunk: Bytes) -> Result<()> {
        match self {
            Self::Ws(sink) => sink.feed(Message::Binary(chunk)).await?,
            Self::Tcp(writer) => writer.write_all(&chunk).await?,
        }
        Ok(())
    }

    /// Writes out everything queued.
    pub async fn flush(&mut self) -> Result<()> {
        match self {
            Self::Ws(sink) => sink.flush().await?,
            Self::Tcp(writer) => writer.flush().await?,
        }
        Ok(())
    }

    /// Ends the sending direction: a close frame, or a TCP half-close.
    pub async fn close(&mut self) -> Result<()> {
        match self {
            Self::Ws(sink) => sink.close().await?,
            Self::Tcp(writer) => writer.shutdown().await?,
        }
        Ok(())
    }
}

impl Rx {
    /// Appends the next bytes that arrive to `buffer` and returns how many;
    /// `Ok(0)` means the peer ended the stream.
    pub async fn recv(&mut self, buffer: &mut BytesMut) -> Result<usize> {
        match self {
            Self::Ws(stream) => loop {
                match stream.next().await {
                    None | Some(Ok(Message::Close(_))) => return Ok(0),
                    Some(Ok(Message::Binary(payload))) => {
                        buffer.extend_from_slice(&payload);
                        return Ok(payload.len());
                    }
                    Some(Ok(Message::Text(_))) => {
                        bail!("the peer sent a text frame on a byte pipe")
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(err)) => return Err(err).context("the WebSocket failed"),
                }
            },
            Self::Tcp(read) => {
                buffer.reserve(TCP_READ_CHUNK);
                Ok(read.read_buf(buffer).await?)
            }
        }
    }
}

/// Opens a WebSocket to each URL, `parallel` handshakes at a time (a
/// thousand at once would measure the accept queue, not the server), in
/// the order given.
pub async fn connect_many(
    urls: impl IntoIterator<Item = String>,
    parallel: usize,
    subprotocol: Option<&str>,
) -> Result<Vec<Ws>> {
    use futures_util::stream::{self, TryStreamExt};
    stream::iter(urls)
        .map(|url| async move { connect_ws(&url, subprotocol).await })
        .buffered(parallel.max(1))
        .try_collect()
        .await
}

/// Raises this process's open-file limit so that `connections` sockets
/// fit (plus a margin for everything else), or explains how to.
pub fn ensure_open_files(connections: u64) -> Result<()> {
    let wanted = connections + 256;
    let got = rlimit::increase_nofile_limit(wanted).context("cannot read the open-file limit")?;
    if got < wanted {
        bail!(
            "{connections} connections need about {wanted} open files but the hard limit is \
             {got}\nfix: raise it (e.g. `ulimit -Hn {wanted}` as root, or LimitNOFILE=)"
        );
    }
    Ok(())
}
