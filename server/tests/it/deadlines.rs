//! Writes the server does on its own, inside its reads: the pong it owes
//! every ping, the answer to a client's close. A client that pings (or
//! closes) and never reads must be let go within the send timeout, not
//! kept (with its pongs piling up in memory) for as long as it likes; and
//! the HTTP answers hyper writes itself, which have a deadline under hyper.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{self, TestServer};

/// A WebSocket client whose socket takes in almost nothing: the server's
/// writes to it stop making progress after a few KiB it does not read.
async fn tight_client(
    server: &TestServer,
    path: &str,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let (ws, _) = tokio::time::timeout(
        common::WAIT,
        tokio_tungstenite::client_async(server.ws_url(path), stream),
    )
    .await
    .expect("handshake in time")
    .expect("handshake");
    ws
}

/// Sends up to 400,000 pings of 125 bytes (50 MiB of pongs owed, far more
/// than the sockets between here and the server hold), then `last` if
/// given, without ever reading.
fn ping_flood<S>(mut tx: S, last: Option<Message>) -> tokio::task::JoinHandle<u32>
where
    S: futures_util::Sink<Message> + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut sent = 0;
        while sent < 400_000 {
            if tx.send(Message::Ping(vec![7u8; 125].into())).await.is_err() {
                return sent;
            }
            sent += 1;
        }
        if let Some(last) = last {
            let _ = tx.send(last).await;
        }
        sent
    })
}

#[tokio::test]
async fn a_client_that_pings_and_never_reads_is_closed_with_1013() {
    let server = TestServer::start_with(|c| {
        c.send_timeout_secs = 1;
        // The server's own pings must not be what ends it.
        c.ping_interval_secs = 3600;
    })
    .await;
    let mut bystander = server.connect("/ws/echo").await;
    for endpoint in ["echo", "inspect"] {
        let ws = tight_client(&server, &format!("/ws/{endpoint}")).await;
        let (tx, rx) = ws.split();
        let flood = ping_flood(tx, None);
        // The close frame cannot reach a client that does not read; the
        // server's count says how it ended.
        let wanted = format!("socketlab_closes_total{{endpoint=\"{endpoint}\",code=\"1013\"}} 1");
        common::metrics_when(
            server.addr,
            "a pinging client that never reads was kept",
            |m| m.contains(&wanted),
        )
        .await;
        flood.abort();
        drop(rx);
    }
    bystander.send(Message::text("still here?")).await;
    assert_eq!(bystander.next().await, Message::text("still here?"));
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_closes_and_never_reads_the_answer_is_let_go() {
    let server = TestServer::start_with(|c| {
        c.send_timeout_secs = 1;
        c.ping_interval_secs = 3600;
    })
    .await;
    let baseline = server.tasks.open_tasks();
    let ws = tight_client(&server, "/ws/echo").await;
    let (tx, rx) = ws.split();
    let flood = ping_flood(tx, Some(Message::Close(None)));
    common::metrics_when(
        server.addr,
        "a client that closed without reading was kept",
        |m| {
            m.contains("socketlab_connections_open{endpoint=\"echo\"} 0")
                && m.contains("socketlab_closes_total{endpoint=\"echo\"")
        },
    )
    .await;
    flood.abort();
    drop(rx);
    // Nothing is left behind: no session task.
    server.wait_for_tasks(baseline).await;
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_pings_within_reason_keeps_its_session() {
    // The deadline is on the pong, not on pinging: a client that reads its
    // pongs may ping as often as it likes.
    let server = TestServer::start_with(|c| c.send_timeout_secs = 1).await;
    let mut client = server.connect("/ws/echo").await;
    for _ in 0..200 {
        client.send(Message::Ping(vec![1u8; 125].into())).await;
        let pong = tokio::time::timeout(common::WAIT, client.ws.next())
            .await
            .expect("a pong in time");
        assert!(matches!(pong, Some(Ok(Message::Pong(_)))), "{pong:?}");
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    client.send(Message::text("after the pings")).await;
    assert_eq!(client.next().await, Message::text("after the pings"));
    server.stop().await;
}

#[tokio::test]
async fn an_http_client_that_pipelines_and_never_reads_is_dropped() {
    // A "slow read": thousands of pipelined GETs, their answers never
    // read. hyper has no write timeout; before, the connection, its task
    // and megabytes of socket buffers stayed for as long as the client
    // liked. The server now drops it (a reset: its requests are unread),
    // and the reset shows on the client's socket without reading.
    let server = TestServer::start_with(|c| c.send_timeout_secs = 1).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let (read_half, mut write_half) = stream.into_split();
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);
    let writer = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        // 20,000 answers of a few KiB each: far more than the buffers on
        // the way hold, so the server's writes stall.
        for _ in 0..20_000 {
            if write_half.write_all(request.as_bytes()).await.is_err() {
                break;
            }
        }
        write_half
    });
    let stream_error = async {
        loop {
            if let Some(err) = read_half.as_ref().take_error().unwrap() {
                return err;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    // The send timeout (1 s) plus the margin (2 s), with room to spare.
    let err = tokio::time::timeout(Duration::from_secs(20), stream_error)
        .await
        .expect("the server kept a client that does not read its answers");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    writer.abort();
    // Everyone else is served.
    assert_eq!(common::http_get(server.addr, "/healthz").await.0, 200);
    server.stop().await;
}

/// The most memory the process `pid` has held so far (VmHWM), in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

#[tokio::test]
async fn pongs_a_client_never_reads_do_not_pile_up_in_the_write_buffer() {
    // tungstenite's write buffer was unbounded: on a relay, whose session
    // reads and writes from two halves, each ping read while the socket was
    // full queued one more pong behind the others (19 MiB here for 25 MiB
    // owed). It is capped now (the usual batch plus the endpoint's largest
    // frame), and the server's memory stays flat however many pongs are
    // owed. (Echo and chat answer each pong before they read on, so their
    // client is slowed instead; see the tests above.) Measured on a server
    // process of its own, whose peak memory only it makes.
    let (child, url) = common::spawn_binary(&[
        "--listen",
        "127.0.0.1:0",
        "--log",
        "error",
        "--no-udp-echo",
        "--no-tcp-chat",
        // Long enough that the deadline is not what bounds the pile.
        "--send-timeout-secs",
        "60",
        "--ping-interval-secs",
        "3600",
    ])
    .await;
    let pid = child.id().unwrap();
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    {
        let endpoint = "relay/tcp-echo";
        let before = peak_kib(pid);
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(addr).await.unwrap();
        let (ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/ws/{endpoint}"), stream)
            .await
            .expect("handshake");
        let (mut tx, rx) = ws.split();
        // 200,000 pings of 125 bytes: 25 MiB of pongs owed, bounded in
        // count and in time.
        let flood = async {
            for _ in 0..200_000 {
                if tx.feed(Message::Ping(vec![7u8; 125].into())).await.is_err() {
                    break;
                }
            }
            let _ = tx.flush().await;
        };
        let _ = tokio::time::timeout(Duration::from_secs(10), flood).await;
        let grown = peak_kib(pid).saturating_sub(before);
        eprintln!("{endpoint}: peak memory grew {grown} KiB while 25 MiB of pongs were owed");
        assert!(
            grown < 8 * 1024,
            "{endpoint}: the server's peak memory grew {grown} KiB: unread pongs piled up"
        );
        drop((tx, rx));
    }
    // Everyone else is served.
    assert_eq!(common::http_get(addr, "/healthz").await.0, 200);
}
