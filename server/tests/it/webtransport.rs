//! WebTransport (HTTP/3 on UDP): `/wt/echo` and `/wt/relay/{name}`, with a
//! native client of the same crate the server uses, trusting the server's
//! certificate by the hash `/api/info` publishes, as a page does.

use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use socketlab_shared::{close, ServerInfo, WebTransportInfo};
use tokio::io::{AsyncBufReadExt, BufReader};
use web_transport_quinn::{ClientError, ConnectError, Session, SessionError, WebTransportError};

use crate::common::{self, http_get, TestServer, WAIT};

/// The server's WebTransport facts, from `/api/info`.
async fn info(addr: std::net::SocketAddr) -> WebTransportInfo {
    let (status, body) = http_get(addr, "/api/info").await;
    assert_eq!(status, 200);
    ServerInfo::from_json(&body)
        .unwrap()
        .webtransport
        .expect("webtransport in /api/info")
}

/// Opens `path` on the server at `addr`, trusting the published hash,
/// sending `origin` when given.
async fn open(
    addr: std::net::SocketAddr,
    path: &str,
    origin: Option<&str>,
) -> Result<Session, ClientError> {
    let wt = info(addr).await;
    let hex = wt.cert_sha256.expect("a generated certificate's hash");
    let hash: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let client = web_transport_quinn::ClientBuilder::new()
        .with_server_certificate_hashes(vec![hash])
        .unwrap();
    let url = url::Url::parse(&format!("{}{path}", wt.url)).unwrap();
    let mut request = web_transport_quinn::proto::ConnectRequest::new(url);
    if let Some(origin) = origin {
        request = request.with_header(http::header::ORIGIN, origin.parse().unwrap());
    }
    tokio::time::timeout(WAIT, client.connect(request))
        .await
        .expect("connects or is refused promptly")
}

async fn session(server: &TestServer, path: &str) -> Session {
    open(server.addr, path, None).await.expect("session")
}

/// The HTTP status a refused session got.
fn refused_with(result: Result<Session, ClientError>) -> u16 {
    match result {
        Err(ClientError::HttpError(ConnectError::ErrorStatus(status)))
        | Err(ClientError::HttpError(ConnectError::ProtoError(
            web_transport_quinn::proto::ConnectError::WrongStatus(Some(status)),
        ))) => status.as_u16(),
        Err(other) => panic!("refused without a status: {other}"),
        Ok(_) => panic!("accepted"),
    }
}

/// Sends `payload` as a datagram until one comes back (datagrams may be
/// lost, even on loopback); returns what came back.
async fn datagram_round_trip(session: &Session, payload: &'static [u8]) -> Bytes {
    for _ in 0..10 {
        session.send_datagram(Bytes::from_static(payload)).unwrap();
        if let Ok(reply) =
            tokio::time::timeout(Duration::from_millis(500), session.read_datagram()).await
        {
            return reply.expect("datagram");
        }
    }
    panic!("no datagram came back in 10 tries");
}

/// The code and reason the server closed `session` with.
async fn closed(session: &Session) -> (u32, String) {
    match tokio::time::timeout(WAIT, session.closed())
        .await
        .expect("closed promptly")
    {
        SessionError::WebTransportError(WebTransportError::Closed(code, reason)) => (code, reason),
        other => panic!("closed without a code: {other}"),
    }
}

#[tokio::test]
async fn echo_returns_datagrams_and_each_stream() {
    let server = TestServer::start().await;
    let session = session(&server, "/wt/echo").await;
    assert_eq!(&datagram_round_trip(&session, b"ping").await[..], b"ping");
    assert!(
        session.max_datagram_size() >= 1000,
        "{}",
        session.max_datagram_size()
    );

    // Two streams at once, each its own ordered byte stream.
    let mut replies = Vec::new();
    for text in ["first stream", "second stream"] {
        let (mut send, recv) = session.open_bi().await.unwrap();
        send.write_all(text.as_bytes()).await.unwrap();
        send.finish().unwrap();
        replies.push((text, recv));
    }
    for (text, mut recv) in replies {
        let echoed = tokio::time::timeout(WAIT, recv.read_to_end(1 << 16))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(echoed, text.as_bytes());
    }
    let metrics = common::metrics_when(server.addr, "an open wt-echo session", |m| {
        m.contains("socketlab_connections_open{endpoint=\"wt-echo\"} 1")
    })
    .await;
    assert!(metrics.contains("wt-echo"));
}

#[tokio::test]
async fn the_udp_relay_keeps_datagram_boundaries() {
    let server = TestServer::start().await;
    let session = session(&server, "/wt/relay/udp-echo").await;
    let sizes = [1usize, 100, 1000];
    for size in sizes {
        session
            .send_datagram(Bytes::from(vec![b'x'; size]))
            .unwrap();
    }
    let mut got = Vec::new();
    while got.len() < sizes.len() {
        let datagram = tokio::time::timeout(WAIT, session.read_datagram())
            .await
            .expect("every datagram comes back (loopback, no simulated loss)")
            .unwrap();
        got.push(datagram.len());
    }
    got.sort_unstable();
    assert_eq!(
        got, sizes,
        "one datagram each way per datagram, never joined or split"
    );
}

#[tokio::test]
async fn the_simulated_network_of_udp_echo_applies_to_datagrams_too() {
    let server = TestServer::start().await;
    let session = session(&server, "/wt/relay/udp-echo?duplicate=0.5").await;
    for i in 0..40u8 {
        session.send_datagram(Bytes::from(vec![i; 8])).unwrap();
    }
    // Half the replies come twice: more datagrams come back than went out
    // (all 40 arriving once each, 0.5^40, never happens).
    let mut got = 0;
    while got <= 40 {
        tokio::time::timeout(WAIT, session.read_datagram())
            .await
            .expect("duplicates arrive")
            .unwrap();
        got += 1;
    }
}

#[tokio::test]
async fn the_tcp_relay_runs_on_one_stream() {
    let server = TestServer::start().await;
    let session = session(&server, "/wt/relay/tcp-echo").await;
    let (mut send, mut recv) = session.open_bi().await.unwrap();
    send.write_all(b"over a stream to TCP").await.unwrap();
    let mut buffer = vec![0u8; 20];
    tokio::time::timeout(WAIT, recv.read_exact(&mut buffer))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buffer, b"over a stream to TCP");
}

#[tokio::test]
async fn unknown_targets_and_paths_are_refused() {
    let server = TestServer::start().await;
    assert_eq!(
        refused_with(open(server.addr, "/wt/relay/nowhere", None).await),
        404
    );
    assert_eq!(
        refused_with(open(server.addr, "/wt/nothing", None).await),
        404
    );
    let bad = open(server.addr, "/wt/relay/tcp-echo?loss=0.5", None).await;
    assert_eq!(
        refused_with(bad),
        400,
        "a simulated network only on udp-echo"
    );
}

#[tokio::test]
async fn the_relay_token_is_required() {
    let server = TestServer::start_with(|c| c.relay_token = Some("s3cret".into())).await;
    assert_eq!(
        refused_with(open(server.addr, "/wt/relay/udp-echo", None).await),
        401
    );
    let wrong = open(server.addr, "/wt/relay/udp-echo?token=guess", None).await;
    assert_eq!(refused_with(wrong), 403);
    let session = session(&server, "/wt/relay/udp-echo?token=s3cret").await;
    assert_eq!(
        &datagram_round_trip(&session, b"with token").await[..],
        b"with token"
    );
}

#[tokio::test]
async fn foreign_origins_are_refused() {
    let server = TestServer::start().await;
    let evil = open(server.addr, "/wt/echo", Some("https://evil.example")).await;
    assert_eq!(refused_with(evil), 403);
    let own = format!("http://127.0.0.1:{}", server.addr.port());
    let session = open(server.addr, "/wt/echo", Some(&own))
        .await
        .expect("own origin");
    assert_eq!(
        &datagram_round_trip(&session, b"same origin").await[..],
        b"same origin"
    );
}

#[tokio::test]
async fn an_oversize_datagram_is_refused_not_fragmented() {
    // A UDP target that answers every datagram with 4000 bytes: more than
    // one QUIC datagram to this client can carry.
    let target = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = target.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut buffer = [0u8; 2048];
        while let Ok((_, from)) = target.recv_from(&mut buffer).await {
            let _ = target.send_to(&[7u8; 4000], from).await;
        }
    });
    let server = TestServer::start_with(|c| {
        c.relay_targets = vec![format!("big=udp://127.0.0.1:{port}").parse().unwrap()];
    })
    .await;
    let session = session(&server, "/wt/relay/big").await;
    session
        .send_datagram(Bytes::from_static(b"send me something big"))
        .unwrap();
    let (code, reason) = closed(&session).await;
    assert_eq!(code, u32::from(close::MESSAGE_TOO_BIG));
    assert!(
        reason.contains("4000 bytes") && reason.contains("never fragmented"),
        "{reason}"
    );
}

#[tokio::test]
async fn shutdown_closes_sessions_with_1001_and_a_reason() {
    let server = TestServer::start().await;
    let echo = session(&server, "/wt/echo").await;
    let relay = session(&server, "/wt/relay/udp-echo").await;
    let stopping = tokio::spawn(server.stop());
    for session in [&echo, &relay] {
        let (code, reason) = closed(session).await;
        assert_eq!(code, u32::from(close::GOING_AWAY));
        assert_eq!(reason, "server shutting down");
    }
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn sigterm_closes_webtransport_sessions_and_exits_zero() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_socketlab"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start socketlab");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr: std::net::SocketAddr = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(at) = line.find("http://") {
                return line[at + 7..].trim_end_matches('/').parse().unwrap();
            }
        }
        panic!("socketlab exited without printing its URL");
    })
    .await
    .expect("URL printed promptly");
    let session = open(addr, "/wt/echo", None).await.expect("session");
    assert_eq!(
        &datagram_round_trip(&session, b"before").await[..],
        b"before"
    );

    let pid = child.id().expect("running");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let (code, reason) = closed(&session).await;
    assert_eq!(
        (code, reason.as_str()),
        (u32::from(close::GOING_AWAY), "server shutting down")
    );
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits promptly")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn sessions_count_under_the_connection_caps_with_websockets() {
    let server = TestServer::start_with(|c| c.max_connections_per_ip = 1).await;
    let websocket = server.connect("/ws/echo").await;
    let refused = open(server.addr, "/wt/echo", None).await;
    assert!(
        refused.is_err(),
        "a second connection from 127.0.0.1 is over the cap"
    );
    drop(websocket);
    // The slot frees once the server has seen the WebSocket go.
    let deadline = tokio::time::Instant::now() + WAIT;
    let session = loop {
        if let Ok(session) = open(server.addr, "/wt/echo", None).await {
            break session;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slot never freed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        &datagram_round_trip(&session, b"in the slot").await[..],
        b"in the slot"
    );
}
