//! Hostile input: each case checks the exact refusal, that the server is
//! still serving, and that a bystander in the same room still receives.

use std::time::Duration;

use crate::common;
use crate::common::{http_get, Client, TestServer};
use futures_util::{SinkExt, StreamExt};
use socketlab_shared::{close, ErrorCode, ServerMessage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

/// A member of room `hostile` who must keep receiving whatever others do.
struct Bystander {
    client: Client,
    talker: Client,
}

impl Bystander {
    async fn join(server: &TestServer) -> Self {
        let mut client = server.connect("/ws/chat?room=hostile&name=bystander").await;
        assert!(matches!(client.recv().await, ServerMessage::Welcome { .. }));
        let mut talker = server.connect("/ws/chat?room=hostile&name=talker").await;
        assert!(matches!(talker.recv().await, ServerMessage::Welcome { .. }));
        Self { client, talker }
    }

    /// The room still works: a message from the talker reaches the bystander.
    async fn still_receives(&mut self, marker: &str) {
        self.talker
            .send_text(&format!(r#"{{"type":"say","text":"{marker}"}}"#))
            .await;
        self.client
            .recv_until(|m| matches!(m, ServerMessage::Message(c) if c.text == marker))
            .await;
    }
}

async fn close_code(client: &mut Client) -> u16 {
    u16::from(client.expect_close().await.expect("a close frame").code)
}

async fn refused_status(url: String, origin: Option<&str>) -> u16 {
    let mut request = url.into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Ok(_) => 101,
        Err(other) => panic!("unexpected error {other}"),
    }
}

#[tokio::test]
async fn invalid_utf8_closes_with_1007() {
    let server = TestServer::start().await;
    let mut room = Bystander::join(&server).await;
    for path in ["/ws/chat?room=hostile&name=eve", "/ws/echo"] {
        let mut eve = server.connect(path).await;
        let bad = Frame::message(vec![0xff, 0xfe, 0x80], OpCode::Data(Data::Text), true);
        eve.send(Message::Frame(bad)).await;
        assert_eq!(close_code(&mut eve).await, close::INVALID_PAYLOAD, "{path}");
    }
    room.still_receives("after utf8").await;
    server.stop().await;
}

#[tokio::test]
async fn oversized_messages_close_with_1009() {
    let server = TestServer::start_with(|c| c.echo_max_message = 64 * 1024).await;
    let mut room = Bystander::join(&server).await;
    let mut eve = server.connect("/ws/chat?room=hostile&name=eve").await;
    eve.send(Message::text("x".repeat(5000))).await;
    assert_eq!(close_code(&mut eve).await, close::MESSAGE_TOO_BIG);
    let mut eve = server.connect("/ws/echo").await;
    eve.send(Message::binary(vec![0; 65 * 1024])).await;
    assert_eq!(close_code(&mut eve).await, close::MESSAGE_TOO_BIG);
    room.still_receives("after oversize").await;
    server.stop().await;
}

#[tokio::test]
async fn malformed_frames_get_errors_and_the_connection_continues() {
    let server = TestServer::start().await;
    let mut room = Bystander::join(&server).await;
    let mut eve = server.connect("/ws/chat?room=hostile&name=eve").await;
    let _ = eve.recv().await; // welcome
    let cases = [
        ("{", ErrorCode::BadJson),
        ("null", ErrorCode::MissingType),
        (r#"{"type":null}"#, ErrorCode::MissingType),
        (r#"{"type":"say","text":["a"]}"#, ErrorCode::BadField),
        (r#"{"type":"ping"}"#, ErrorCode::BadField),
        (r#"{"type":"ping","id":1e400}"#, ErrorCode::BadJson),
        (
            r#"{"type":"welcome","you":"admin"}"#,
            ErrorCode::UnknownType,
        ),
        (r#"{"type":"say","text":"\u0000"}"#, ErrorCode::InvalidText),
    ];
    for (frame, expected) in cases {
        eve.send_text(frame).await;
        let reply = eve
            .recv_until(|m| matches!(m, ServerMessage::Error { .. }))
            .await;
        assert!(
            matches!(&reply, ServerMessage::Error { code, .. } if *code == expected),
            "{frame}: {reply:?}"
        );
    }
    eve.send_text(r#"{"type":"ping","id":9}"#).await;
    eve.recv_until(|m| *m == ServerMessage::Pong { id: 9 })
        .await;
    room.still_receives("after malformed").await;
    server.stop().await;
}

#[tokio::test]
async fn abusive_names_and_rooms_are_refused_with_400() {
    let server = TestServer::start().await;
    let mut room = Bystander::join(&server).await;
    // Far over the name and room limits, within the request-line cap
    // (over it, the answer is 414: head_caps.rs).
    let long = "n".repeat(4_000);
    let queries = [
        format!("name={long}"),
        format!("room={long}"),
        "name=%0Aforged%0Aline".to_owned(),
        "name=%E2%80%AEevil".to_owned(),
        "room=..%2F..%2Fetc".to_owned(),
        "room=%ED%95%9C%EA%B8%80".to_owned(),
        "room=lobby%00".to_owned(),
    ];
    for query in queries {
        let status = refused_status(server.ws_url(&format!("/ws/chat?{query}")), None).await;
        assert_eq!(status, 400, "{}", &query[..query.len().min(40)]);
    }
    room.still_receives("after names").await;
    server.stop().await;
}

#[tokio::test]
async fn churn_of_2000_connections_leaves_nothing_behind() {
    let server = TestServer::start().await;
    let mut room = Bystander::join(&server).await;
    let baseline = server.tasks.open_tasks();
    for batch in 0..20 {
        let mut clients = Vec::new();
        for i in 0..100 {
            let url = server.ws_url(&format!("/ws/chat?room=hostile&name=churn-{batch}-{i}"));
            clients.push(tokio::spawn(async move {
                let mut client = Client::connect(&url).await;
                let _ = client.recv().await;
                if i % 2 == 0 {
                    client.ws.close(None).await.unwrap();
                } // the others just vanish
            }));
        }
        for client in clients {
            client.await.unwrap();
        }
    }
    server.wait_for_tasks(baseline).await;
    room.still_receives("after churn").await;
    // Nobody from the churn is left in the room.
    let (_, welcome) = (
        (),
        server
            .connect("/ws/chat?room=hostile&name=late")
            .await
            .recv()
            .await,
    );
    let ServerMessage::Welcome { members, .. } = welcome else {
        panic!()
    };
    let names: Vec<&str> = members.iter().map(|m| m.as_str()).collect();
    assert_eq!(names, ["bystander", "late", "talker"]);
    server.stop().await;
}

#[tokio::test]
async fn a_flood_is_rate_limited_then_closed_with_1008() {
    flood_is_limited(|i| Message::text(format!(r#"{{"type":"ping","id":{i}}}"#))).await;
}

#[tokio::test]
async fn a_flood_of_binary_frames_counts_against_the_same_limit() {
    // Chat refuses binary frames with an error reply; before, those frames
    // skipped the token bucket, so 1,000 of them got 1,000 replies.
    flood_is_limited(|i| Message::binary(vec![i as u8; 16])).await;
}

/// 500 frames made by `frame` at once: the sender is warned with
/// `rate_limited`, then closed with 1008, and the room goes on.
async fn flood_is_limited(frame: fn(usize) -> Message) {
    let server = TestServer::start().await;
    let mut room = Bystander::join(&server).await;
    let mut eve = server.connect("/ws/chat?room=hostile&name=eve").await;
    let _ = eve.recv().await;
    let (mut tx, mut rx) = eve.ws.split();
    let flood = tokio::spawn(async move {
        for i in 0..500 {
            if tx.send(frame(i)).await.is_err() {
                break;
            }
        }
    });
    let mut limited = 0;
    let code = loop {
        match tokio::time::timeout(common::WAIT, rx.next())
            .await
            .expect("server answers")
        {
            Some(Ok(Message::Text(text))) => {
                if let Ok(ServerMessage::Error {
                    code: ErrorCode::RateLimited,
                    ..
                }) = ServerMessage::parse(&text)
                {
                    limited += 1;
                }
            }
            Some(Ok(Message::Close(Some(frame)))) => break u16::from(frame.code),
            other => panic!("unexpected {other:?}"),
        }
    };
    flood.abort();
    assert!(limited > 0, "the client was warned before being closed");
    assert_eq!(code, close::POLICY_VIOLATION);
    room.still_receives("after flood").await;
    server.stop().await;
}

#[tokio::test]
async fn foreign_origins_get_403_and_own_origin_passes() {
    let server = TestServer::start().await;
    let url = server.ws_url("/ws/echo");
    assert_eq!(
        refused_status(url.clone(), Some("https://evil.example")).await,
        403
    );
    assert_eq!(
        refused_status(url.clone(), Some(&format!("http://{}", server.addr))).await,
        101
    );
    // trunk serve's dev pages only with --dev.
    assert_eq!(
        refused_status(url.clone(), Some("http://127.0.0.1:8081")).await,
        403
    );
    assert_eq!(refused_status(url, None).await, 101);
    server.stop().await;
    let strict = TestServer::start_with(|c| c.require_origin = true).await;
    assert_eq!(refused_status(strict.ws_url("/ws/echo"), None).await, 403);
    strict.stop().await;
}

#[tokio::test]
async fn connection_caps_answer_503_before_the_upgrade() {
    let server = TestServer::start_with(|c| c.max_connections_per_ip = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(server.connect("/ws/echo").await);
    }
    assert_eq!(refused_status(server.ws_url("/ws/echo"), None).await, 503);
    drop(held.pop());
    // The freed slot is usable again once the server notices the close.
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while refused_status(server.ws_url("/ws/echo"), None).await != 101 {
        assert!(tokio::time::Instant::now() < deadline, "slot never freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn a_plain_get_on_chat_explains_the_upgrade() {
    let server = TestServer::start().await;
    let (status, body) = http_get(server.addr, "/ws/chat").await;
    assert_eq!(status, 426);
    assert!(body.contains("WebSocket"));
    server.stop().await;
}

#[tokio::test]
async fn a_slowloris_handshake_is_dropped() {
    let server = TestServer::start_with(|c| c.header_timeout_secs = 1).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /ws/echo HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let mut buffer = Vec::new();
    // The server must end the connection by itself (within a few seconds).
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buffer))
        .await
        .expect("the server drops a client that never finishes its request")
        .ok();
    assert!(started.elapsed() >= Duration::from_millis(900));
    server.stop().await;
}

#[tokio::test]
async fn a_client_vanishing_mid_relay_leaks_no_task() {
    let server = TestServer::start().await;
    let baseline = server.tasks.open_tasks();
    for _ in 0..20 {
        let mut tcp = server.connect("/ws/relay/tcp-echo").await;
        tcp.send(Message::binary(vec![1; 1000])).await;
        let _ = tcp.next().await;
        drop(tcp); // no close frame: the TCP connection just goes away
        let mut udp = server.connect("/ws/relay/udp-echo").await;
        udp.send(Message::binary(vec![2; 10])).await;
        let _ = udp.next().await;
        drop(udp);
    }
    server.wait_for_tasks(baseline).await;
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_the_room_goes_on() {
    let server = TestServer::start_with(|c| {
        c.chat_backlog_bytes = 256 * 1024;
        c.send_timeout_secs = 2;
        c.chat_rate = 1_000_000.0;
        c.chat_burst = 10_000;
    })
    .await;
    let mut bystander = server.connect("/ws/chat?room=busy&name=bystander").await;
    let _ = bystander.recv().await;
    let mut slow = server.connect("/ws/chat?room=busy&name=slow").await;
    let _ = slow.recv().await;
    let talker = server.connect("/ws/chat?room=busy&name=talker").await;
    let (mut talker_tx, mut talker_rx) = talker.ws.split();
    // The talker reads its own copies, like any well-behaved client.
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = talker_rx.next().await {} });
    let total = 8000u64;
    let talk = tokio::spawn(async move {
        let frame = format!(r#"{{"type":"say","text":"{}"}}"#, "z".repeat(1500));
        for _ in 0..total {
            talker_tx.send(Message::text(frame.clone())).await.unwrap();
        }
        talker_tx
    });
    // The bystander keeps reading and gets every message, in order.
    let mut expected = 1;
    while expected <= total {
        if let ServerMessage::Message(m) = bystander.recv().await {
            assert_eq!(m.seq, expected);
            expected += 1;
        }
    }
    let _ = talk.await.unwrap();
    drain.abort();
    // The slow client was cut off instead of being buffered without bound.
    let mut got = 0u64;
    loop {
        match tokio::time::timeout(common::WAIT, slow.ws.next()).await {
            Ok(Some(Ok(Message::Text(_)))) => got += 1,
            Ok(Some(Ok(Message::Close(frame)))) => {
                if let Some(frame) = frame {
                    assert_eq!(u16::from(frame.code), close::TRY_AGAIN_LATER);
                }
                break;
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => break,
            Err(_) => panic!("the slow client was never disconnected (read {got})"),
        }
    }
    assert!(
        got < total,
        "a slow client must be dropped, not buffered: it read {got}"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_echo_client_that_never_reads_is_cut_off_and_others_keep_echoing() {
    let server = TestServer::start_with(|c| c.send_timeout_secs = 1).await;
    let mut bystander = server.connect("/ws/echo").await;
    let hog = server.connect("/ws/echo").await;
    let (hog_tx, hog_rx) = hog.ws.split();
    // Send without ever reading: the replies pile up in the socket buffers
    // until the server's writes stop making progress.
    let sent = tokio::time::timeout(Duration::from_secs(30), send_until_cut_off(hog_tx))
        .await
        .expect("the server never cut off a client that does not read");
    assert!(
        sent < 4_000,
        "all 250 MiB were accepted: the replies were buffered instead of the client being dropped"
    );
    drop(hog_rx);
    // Everyone else is unaffected.
    bystander.send(Message::text("still here?")).await;
    assert_eq!(bystander.next().await, Message::text("still here?"));
    server.stop().await;
}

#[tokio::test]
async fn an_oversize_request_head_gets_431_and_others_are_served() {
    let server = TestServer::start().await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "GET /ws/inspect HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    // The server may answer before it has read everything.
    let _ = tcp.write_all(head.as_bytes()).await;
    let mut answer = vec![0u8; 64];
    let n = tokio::time::timeout(common::WAIT, tcp.read(&mut answer))
        .await
        .expect("an answer in time")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert_eq!(http_get(server.addr, "/healthz").await.0, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_relay_client_that_never_reads_is_cut_off_and_others_keep_relaying() {
    // tcp-echo sends everything back; a client that only sends fills the
    // way back until the server's writes stop making progress. Before, the
    // relay waited on it until --relay-tcp-idle-secs (300 s).
    let server = TestServer::start_with(|c| c.send_timeout_secs = 1).await;
    let mut bystander = server.connect("/ws/relay/tcp-echo").await;
    let hog = server.connect("/ws/relay/tcp-echo").await;
    let (hog_tx, mut hog_rx) = hog.ws.split();
    let sent = tokio::time::timeout(Duration::from_secs(30), send_until_cut_off(hog_tx))
        .await
        .expect("the server never cut off a relay client that does not read");
    assert!(sent < 4_000, "all 250 MiB were accepted");
    // What the hog finally reads ends with 1013 and the reason.
    let code = loop {
        match tokio::time::timeout(common::WAIT, hog_rx.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => break Some(u16::from(frame.code)),
            Ok(Some(Ok(_))) => continue,
            _ => break None,
        }
    };
    // The close frame may be lost behind the unread data; when it arrives,
    // it says why.
    assert!(
        matches!(code, None | Some(close::TRY_AGAIN_LATER)),
        "{code:?}"
    );
    bystander
        .send(Message::binary(b"still relaying".to_vec()))
        .await;
    assert_eq!(
        bystander.next().await,
        Message::binary(b"still relaying".to_vec())
    );
    server.stop().await;
}

/// The built-in tcp-echo's address, from /api/info.
async fn tcp_echo_addr(server: &TestServer) -> std::net::SocketAddr {
    let (_, body) = http_get(server.addr, "/api/info").await;
    let info: socketlab_shared::ServerInfo = serde_json::from_str(&body).unwrap();
    let endpoint = info
        .endpoints
        .iter()
        .find(|e| e.name == "tcp-echo")
        .unwrap();
    endpoint.addr.parse().unwrap()
}

/// A TCP connection to `to` from the loopback address `from`.
async fn connect_from(from: &str, to: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Whether `stream` echoes a line back.
async fn echoes(stream: &mut tokio::net::TcpStream) -> bool {
    if stream.write_all(b"ping\n").await.is_err() {
        return false;
    }
    let mut buf = [0u8; 5];
    matches!(
        tokio::time::timeout(common::WAIT, stream.read_exact(&mut buf)).await,
        Ok(Ok(_))
    ) && &buf == b"ping\n"
}

#[tokio::test]
async fn idle_tcp_echo_clients_from_one_address_cannot_shut_others_out() {
    let server = TestServer::start_with(|c| {
        c.max_connections_per_ip = 4;
        c.demo_idle_secs = 1;
    })
    .await;
    let echo = tcp_echo_addr(&server).await;
    let mut hogs = Vec::new();
    for _ in 0..4 {
        let mut hog = connect_from("127.0.0.2", echo).await;
        assert!(echoes(&mut hog).await);
        hogs.push(hog);
    }
    // Over the per-IP cap: closed at once.
    let mut extra = connect_from("127.0.0.2", echo).await;
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(common::WAIT, extra.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    // Another address is served.
    let mut other = connect_from("127.0.0.1", echo).await;
    assert!(echoes(&mut other).await);
    // Idle connections are closed after --demo-idle-secs.
    let read = tokio::time::timeout(Duration::from_secs(5), hogs[0].read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "an idle hog is closed: {read:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn each_client_sees_only_its_own_tcp_echo_captures() {
    let server = TestServer::start().await;
    let echo = tcp_echo_addr(&server).await;
    let mut theirs = connect_from("127.0.0.2", echo).await;
    theirs
        .write_all(b"GET /their-secret HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let mut mine = connect_from("127.0.0.1", echo).await;
    mine.write_all(b"GET /mine HTTP/1.1\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 8];
    let _ = tokio::time::timeout(common::WAIT, mine.read(&mut buf)).await;
    let _ = tokio::time::timeout(common::WAIT, theirs.read(&mut buf)).await;
    // The test's HTTP client connects from 127.0.0.1.
    let (status, body) = http_get(server.addr, "/api/tcp-echo/captures").await;
    assert_eq!(status, 200);
    assert!(body.contains("/mine"), "{body}");
    assert!(
        !body.contains("their-secret") && !body.contains("127.0.0.2"),
        "{body}"
    );
    server.stop().await;
}

#[tokio::test]
async fn trunk_serve_pages_are_allowed_only_in_dev_mode() {
    let server = TestServer::start_with(|c| c.dev = true).await;
    let url = server.ws_url("/ws/echo");
    assert_eq!(
        refused_status(url, Some("http://127.0.0.1:8081")).await,
        101
    );
    server.stop().await;
}

/// The status of `GET path` with `Host: host` (and a matching Origin, as a
/// rebound page's browser sends), plus the body.
async fn with_host(server: &TestServer, path: &str, host: &str, upgrade: bool) -> (u16, String) {
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let upgrade = if upgrade {
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    } else {
        ""
    };
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n{upgrade}\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(common::WAIT, tcp.read(&mut answer))
        .await
        .expect("an answer in time")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    let status = answer[9..12].parse().unwrap();
    (status, answer)
}

#[tokio::test]
async fn a_rebound_host_name_gets_421_everywhere_a_page_could_use() {
    // A page on rebound.example rebinds its name to 127.0.0.1: its requests
    // carry Host and Origin rebound.example, and Origin == Host passed.
    let server = TestServer::start().await;
    let rebound = format!("rebound.example:{}", server.addr.port());
    for (path, upgrade) in [
        ("/ws/relay/tcp-echo", true),
        ("/ws/chat?room=r&name=n", true),
        ("/api/info", false),
        ("/api/tcp-echo/captures", false),
        ("/", false),
    ] {
        let (status, answer) = with_host(&server, path, &rebound, upgrade).await;
        assert_eq!(status, 421, "{path}: {answer}");
        assert!(answer.contains("--public-host rebound.example"), "{answer}");
    }
    // Probes and scrapers use whatever address they dialled.
    assert_eq!(with_host(&server, "/healthz", &rebound, false).await.0, 200);
    // The server's own names are answered.
    let own = format!("localhost:{}", server.addr.port());
    assert_eq!(
        with_host(&server, "/ws/relay/tcp-echo", &own, true).await.0,
        101
    );
    server.stop().await;

    // A public name is allowed with --public-host.
    let server = TestServer::start_with(|c| c.public_hosts = vec!["lab.example".to_owned()]).await;
    let public = format!("lab.example:{}", server.addr.port());
    assert_eq!(with_host(&server, "/api/info", &public, false).await.0, 200);
    assert_eq!(
        with_host(&server, "/ws/relay/tcp-echo", &public, true)
            .await
            .0,
        101
    );
    server.stop().await;
}

/// Sends 64 KiB messages, up to 4,000 (250 MiB), until the server stops
/// taking them; returns how many it took.
async fn send_until_cut_off<S>(mut tx: S) -> u32
where
    S: futures_util::Sink<Message> + Unpin,
{
    let chunk = vec![0u8; 64 * 1024];
    for sent in 0..4_000u32 {
        if tx.send(Message::binary(chunk.clone())).await.is_err() {
            return sent;
        }
    }
    4_000
}

#[tokio::test]
async fn a_relay_target_that_never_reads_is_let_go_with_1014() {
    // A target that accepts and then reads nothing: the client's bytes
    // pile up until the relay's writes stop making progress. Before, the
    // relay (and the client's sends) waited until the idle timeout.
    let sink = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sink_addr = sink.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let (socket, _) = sink.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(socket);
    });
    let server = TestServer::start_with(|c| {
        c.send_timeout_secs = 1;
        c.relay_targets = vec![format!("sink=tcp://{sink_addr}").parse().unwrap()];
    })
    .await;
    let client = server.connect("/ws/relay/sink").await;
    let (tx, mut rx) = client.ws.split();
    // Up to 64 MiB, far more than the sockets between here and the sink
    // hold; whatever the relay stops taking stays unsent.
    let sender = tokio::spawn(async move {
        let mut tx = tx;
        let chunk = vec![0u8; 64 * 1024];
        for _ in 0..1_000 {
            if tx.send(Message::binary(chunk.clone())).await.is_err() {
                break;
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(Ok(message)) = rx.next().await {
            if message.is_close() {
                break;
            }
        }
    })
    .await
    .expect("the relay never gave up on a target that does not read");
    // tungstenite's client answers a 1014 with a 1002 of its own and hands
    // the application that one, so the server's code is read from the
    // server's own count.
    common::metrics_when(server.addr, "no 1014 counted", |m| {
        m.contains("socketlab_closes_total{endpoint=\"relay\",code=\"1014\"} 1")
    })
    .await;
    sender.abort();
    held.abort();
    server.stop().await;
}
