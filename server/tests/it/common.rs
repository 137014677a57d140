//! Test harness: a real server on an ephemeral port and real WebSocket
//! clients. Every wait is bounded so a broken server fails a test instead of
//! hanging it.

#![allow(dead_code, missing_docs)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use socketlab_server::{Config, Server};
use socketlab_shared::ServerMessage;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single expected event may take: a bound that catches a
/// stuck server, not a speed claim, so it is generous. At 5 s the deadline
/// tests failed on a two-core machine with every core busy (a ping flood
/// needs seconds to fill the socket buffers before the send deadline
/// starts); tests that pass take no longer for it.
pub const WAIT: Duration = Duration::from_secs(20);

/// A server running inside the test process.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The server's task tracker, to count live connection tasks.
    pub tasks: socketlab_server::shutdown::Shutdown,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let server = Self::start_unchecked(tweak).await;
        // Once it answers HTTP, `run` has started its background tasks.
        assert_eq!(http_get(server.addr, "/healthz").await.0, 200);
        server
    }

    /// A server with TLS on: the plain-HTTP readiness probe cannot be used.
    pub async fn start_tls(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::start_unchecked(tweak).await
    }

    async fn start_unchecked(tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::with_listen("127.0.0.1:0".parse().unwrap());
        tweak(&mut config);
        let server = Server::bind(config).await.expect("bind");
        let addr = server.local_addr();
        let tasks = server.shutdown_handle();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            tasks,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn connect(&self, path: &str) -> Client {
        Client::connect(&self.ws_url(path)).await
    }

    /// Waits until exactly `expected` connection tasks are running.
    pub async fn wait_for_tasks(&self, expected: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.tasks.open_tasks() != expected {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} tasks still running, expected {expected}",
                self.tasks.open_tasks()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Triggers graceful shutdown and waits for `run` to return.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("server stops within 10 s")
                .expect("server task")
                .expect("server run");
        }
    }
}

/// A WebSocket client with bounded waits.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    pub async fn connect(url: &str) -> Self {
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("connect in time")
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        Self { ws }
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    pub async fn send(&mut self, message: Message) {
        self.ws.send(message).await.expect("send");
    }

    /// The next data or close message (pings/pongs are skipped).
    pub async fn next(&mut self) -> Message {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a message within the wait")
                .expect("stream open")
                .expect("no protocol error");
            if !matches!(message, Message::Ping(_) | Message::Pong(_)) {
                return message;
            }
        }
    }

    /// The next server JSON message.
    pub async fn recv(&mut self) -> ServerMessage {
        match self.next().await {
            Message::Text(text) => ServerMessage::parse(&text)
                .unwrap_or_else(|e| panic!("server sent unparsable {text:?}: {e}")),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// Skips messages until one matches.
    pub async fn recv_until(
        &mut self,
        mut wanted: impl FnMut(&ServerMessage) -> bool,
    ) -> ServerMessage {
        loop {
            let message = self.recv().await;
            if wanted(&message) {
                return message;
            }
        }
    }

    /// The next server message that is not `presence`.
    pub async fn recv_no_presence(&mut self) -> ServerMessage {
        self.recv_until(|m| !matches!(m, ServerMessage::Presence { .. }))
            .await
    }

    /// Waits for the server's close frame and returns it.
    pub async fn expect_close(&mut self) -> Option<CloseFrame> {
        loop {
            match self.next().await {
                Message::Close(frame) => return frame,
                _ => continue,
            }
        }
    }

    /// Asserts nothing (but pings) arrives within `quiet`.
    pub async fn expect_silence(&mut self, quiet: Duration) {
        let got = tokio::time::timeout(quiet, async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    other => return other,
                }
            }
        })
        .await;
        if let Ok(message) = got {
            panic!("expected silence, got {message:?}");
        }
    }
}

/// A minimal HTTP/1.1 GET over a plain socket (no HTTP client needed).
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        addr
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Reads a response head byte by byte (nothing past it) and asserts it is
/// `101 Switching Protocols`.
pub async fn read_switching_protocols(stream: &mut tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
}

/// Opens a WebSocket by hand and returns the code and reason of the first
/// close frame the server sends. For close codes that tungstenite's client
/// refuses to parse (it predates 1014 "Bad Gateway", which browsers accept).
pub async fn raw_close_frame(addr: SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let read = async {
        read_switching_protocols(&mut stream).await;
        loop {
            let mut head = [0u8; 2];
            stream.read_exact(&mut head).await.unwrap();
            let len = match head[1] & 0x7f {
                126 => {
                    let mut ext = [0u8; 2];
                    stream.read_exact(&mut ext).await.unwrap();
                    u16::from_be_bytes(ext) as usize
                }
                127 => panic!("unexpectedly large frame"),
                n => n as usize,
            };
            let mut payload = vec![0u8; len];
            stream.read_exact(&mut payload).await.unwrap();
            if head[0] & 0x0f == 0x8 {
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                return (code, String::from_utf8_lossy(&payload[2..]).into_owned());
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .expect("a close frame in time")
}

/// `/metrics` once `ready` holds for it, polling for up to [`WAIT`]: the
/// server counts a close only after its close handshake.
pub async fn metrics_when(addr: SocketAddr, what: &str, ready: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, metrics) = http_get(addr, "/metrics").await;
        if ready(&metrics) {
            return metrics;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}:\n{metrics}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether `message` is a `presence` that names `who` as joined.
pub fn joined(message: &ServerMessage, who: &str) -> bool {
    matches!(message, ServerMessage::Presence { joined, .. } if joined.iter().any(|n| n.as_str() == who))
}

/// Whether `message` is a `presence` that names `who` as gone.
pub fn left(message: &ServerMessage, who: &str) -> bool {
    matches!(message, ServerMessage::Presence { left, .. } if left.iter().any(|n| n.as_str() == who))
}

/// Starts the server binary with `args` (stdout and stderr piped), waits
/// for the `open URL` line it prints once listening, and returns it and
/// that URL. The rest of its stdout is read and dropped, so the pipe never
/// fills; stderr is left for the test to read.
pub async fn spawn_binary(args: &[&str]) -> (tokio::process::Child, String) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_socketlab"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("open ") {
                return url.trim().trim_end_matches('/').to_owned();
            }
        }
        panic!("no URL printed");
    })
    .await
    .expect("the server printed its URL in time");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}
