//! The WebSocket → TCP/UDP relay and the built-in demo sockets, over real
//! sockets.

use std::time::Duration;

use crate::common;
use crate::common::{http_get, Client, TestServer};
use futures_util::{SinkExt, StreamExt};
use socketlab_shared::{close, ServerInfo, TargetKind, TcpCapture};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

async fn info(server: &TestServer) -> ServerInfo {
    let (status, body) = http_get(server.addr, "/api/info").await;
    assert_eq!(status, 200);
    serde_json::from_str(&body).unwrap()
}

async fn expect_close_code(client: &mut Client, code: u16) -> String {
    let frame = client.expect_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), code, "reason: {}", frame.reason);
    frame.reason.to_string()
}

#[tokio::test]
async fn eight_mebibytes_through_tcp_echo_come_back_byte_exact() {
    let server = TestServer::start().await;
    let client = server.connect("/ws/relay/tcp-echo").await;
    let (mut tx, mut rx) = client.ws.split();
    let total = 8 * 1024 * 1024;
    let data: Vec<u8> = (0..total).map(|i| (i * 7 % 251) as u8).collect();
    let sent = data.clone();
    // Sizes from 1 byte to over the relay's write buffer, sent in bursts:
    // the relay batches small messages into one write to the target and
    // passes large ones straight through, and both must keep the order.
    let sender = tokio::spawn(async move {
        let sizes = [1, 100, 4096, 64 * 1024, 70_000, 3];
        let mut offset = 0;
        let mut index = 0;
        while offset < sent.len() {
            let size = sizes[index % sizes.len()].min(sent.len() - offset);
            tx.feed(Message::binary(sent[offset..offset + size].to_vec()))
                .await
                .unwrap();
            offset += size;
            index += 1;
            if index % 16 == 0 {
                tx.flush().await.unwrap();
            }
        }
        tx.flush().await.unwrap();
        tx
    });
    let mut received = Vec::with_capacity(total);
    while received.len() < total {
        match tokio::time::timeout(Duration::from_secs(10), rx.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => received.extend_from_slice(&bytes),
            other => panic!("after {} bytes: {other:?}", received.len()),
        }
    }
    assert!(received == data, "bytes differ");
    let tx = sender.await.unwrap();
    let mut client = Client {
        ws: tx.reunite(rx).unwrap(),
    };
    client.ws.close(None).await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn udp_keeps_message_boundaries() {
    let server = TestServer::start().await;
    let mut client = server.connect("/ws/relay/udp-echo").await;
    for size in [1usize, 100, 1400, 9000] {
        client.send(Message::binary(vec![size as u8; size])).await;
    }
    for size in [1usize, 100, 1400, 9000] {
        match client.next().await {
            Message::Binary(bytes) => assert_eq!(bytes.len(), size),
            other => panic!("expected a datagram, got {other:?}"),
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn simulated_loss_drops_some_udp_replies_but_not_all() {
    let server = TestServer::start().await;
    let mut client = server.connect("/ws/relay/udp-echo?loss=0.5").await;
    for i in 0..200u32 {
        client.send(Message::binary(i.to_be_bytes().to_vec())).await;
    }
    let mut received = 0;
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_millis(500), client.ws.next()).await
    {
        if matches!(message, Message::Binary(_)) {
            received += 1;
        }
    }
    assert!(
        received > 40 && received < 160,
        "received {received} of 200 at 50% loss"
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_impairments_and_unknown_targets_are_refused_before_the_upgrade() {
    let server = TestServer::start().await;
    let status_of = |path: String| async move {
        match tokio_tungstenite::connect_async(path).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
                    .into_owned();
                (response.status().as_u16(), body)
            }
            other => panic!("expected an HTTP refusal, got {other:?}"),
        }
    };
    let (status, body) = status_of(server.ws_url("/ws/relay/nope")).await;
    assert_eq!((status, body.trim()), (404, "unknown relay target"));
    let (status, body) = status_of(server.ws_url("/ws/relay/udp-echo?loss=2")).await;
    assert_eq!(status, 400);
    assert!(body.contains("loss"), "{body}");
    let (status, body) = status_of(server.ws_url("/ws/relay/tcp-echo?loss=0.1")).await;
    assert_eq!(status, 400);
    assert!(body.contains("udp-echo"), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn a_refusing_target_closes_with_1014() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = unused.local_addr().unwrap().port();
    drop(unused);
    let server = TestServer::start_with(|c| {
        c.relay_targets = vec![format!("dead=tcp://127.0.0.1:{port}").parse().unwrap()];
    })
    .await;
    let (code, reason) = common::raw_close_frame(server.addr, "/ws/relay/dead").await;
    assert_eq!(code, close::BAD_GATEWAY);
    assert!(
        reason.contains("dead") && reason.contains(&port.to_string()),
        "{reason}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_closing_target_closes_the_websocket_normally() {
    let target = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = target.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut stream, _) = target.accept().await.unwrap();
        stream.write_all(b"bye").await.unwrap();
        stream.shutdown().await.unwrap();
    });
    let server = TestServer::start_with(|c| {
        c.relay_targets = vec![format!("once=tcp://127.0.0.1:{port}").parse().unwrap()];
    })
    .await;
    let mut client = server.connect("/ws/relay/once").await;
    assert_eq!(client.next().await, Message::binary(b"bye".to_vec()));
    expect_close_code(&mut client, close::NORMAL).await;
    server.stop().await;
}

#[tokio::test]
async fn text_frames_close_a_text_refuse_relay_with_1003() {
    let echo = crate::gateway::echo_target().await;
    let server = TestServer::start_with(|c| {
        c.relay_targets = vec![format!("strict=tcp://{echo}?text=refuse").parse().unwrap()];
    })
    .await;
    let mut client = server.connect("/ws/relay/strict").await;
    client.send(Message::text("not bytes")).await;
    let reason = expect_close_code(&mut client, close::UNSUPPORTED_DATA).await;
    assert!(
        reason.contains("binary") && reason.contains("strict"),
        "{reason}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_binary_subprotocol_is_negotiated_for_websockify_clients() {
    let server = TestServer::start().await;
    let mut request = server
        .ws_url("/ws/relay/tcp-echo")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "binary".parse().unwrap());
    let (ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "binary");
    let mut client = Client { ws };
    client
        .send(Message::binary(b"RFB 003.008\n".to_vec()))
        .await;
    assert_eq!(
        client.next().await,
        Message::binary(b"RFB 003.008\n".to_vec())
    );
    server.stop().await;
}

#[tokio::test]
async fn info_lists_the_demo_sockets_and_relay_targets() {
    let server = TestServer::start_with(|c| {
        c.relay_targets = vec!["vnc=tcp://127.0.0.1:5900".parse().unwrap()];
    })
    .await;
    let info = info(&server).await;
    let kinds: Vec<(&str, TargetKind)> = info
        .relay_targets
        .iter()
        .map(|t| (t.name.as_str(), t.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("tcp-echo", TargetKind::Tcp),
            ("udp-echo", TargetKind::Udp),
            ("vnc", TargetKind::Tcp)
        ]
    );
    for (name, protocol) in [
        ("tcp-echo", "tcp"),
        ("udp-echo", "udp"),
        ("tcp-chat", "tcp"),
    ] {
        let endpoint = info
            .endpoints
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(endpoint.protocol, protocol);
        assert!(!endpoint.addr.ends_with(":0"));
    }
    server.stop().await;

    let quiet = TestServer::start_with(|c| {
        c.no_tcp_echo = true;
        c.no_udp_echo = true;
        c.no_tcp_chat = true;
    })
    .await;
    let info = self::info(&quiet).await;
    assert!(info.relay_targets.is_empty());
    assert!(!info
        .endpoints
        .iter()
        .any(|e| e.protocol == "tcp" || e.protocol == "udp"));
    quiet.stop().await;
}

#[tokio::test]
async fn a_websocket_pointed_at_the_raw_tcp_port_fails_and_its_http_request_is_captured() {
    let server = TestServer::start().await;
    let tcp_echo = info(&server)
        .await
        .endpoints
        .into_iter()
        .find(|e| e.name == "tcp-echo")
        .unwrap()
        .addr;
    // What a browser does with `new WebSocket("ws://HOST:PORT")`: the raw
    // port answers with its own bytes, which are not an HTTP 101.
    let attempt = tokio_tungstenite::connect_async(format!("ws://{tcp_echo}/")).await;
    assert!(
        attempt.is_err(),
        "a raw TCP echo cannot complete a WebSocket handshake"
    );

    let (status, body) = http_get(server.addr, "/api/tcp-echo/captures").await;
    assert_eq!(status, 200);
    let captures: Vec<TcpCapture> = serde_json::from_str(&body).unwrap();
    let newest = captures.first().expect("a capture");
    assert!(
        newest.text.starts_with("GET / HTTP/1.1\r\n"),
        "{:?}",
        newest.text
    );
    assert!(
        newest.text.to_lowercase().contains("upgrade: websocket"),
        "{:?}",
        newest.text
    );
    assert!(
        newest.text.to_lowercase().contains("sec-websocket-key"),
        "{:?}",
        newest.text
    );
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_relays_with_1001() {
    let server = TestServer::start().await;
    let mut tcp = server.connect("/ws/relay/tcp-echo").await;
    let mut udp = server.connect("/ws/relay/udp-echo").await;
    tcp.send(Message::binary(vec![1])).await;
    assert_eq!(tcp.next().await, Message::binary(vec![1]));
    udp.send(Message::binary(vec![2])).await;
    assert_eq!(udp.next().await, Message::binary(vec![2]));
    let stopping = tokio::spawn(server.stop());
    expect_close_code(&mut tcp, close::GOING_AWAY).await;
    expect_close_code(&mut udp, close::GOING_AWAY).await;
    stopping.await.unwrap();
}

#[tokio::test]
async fn idle_relays_are_closed() {
    let server = TestServer::start_with(|c| {
        c.relay_tcp_idle_secs = 1;
        c.relay_udp_idle_secs = 1;
    })
    .await;
    for path in ["/ws/relay/tcp-echo", "/ws/relay/udp-echo"] {
        let mut client = server.connect(path).await;
        client.send(Message::binary(vec![1, 2, 3])).await;
        assert_eq!(client.next().await, Message::binary(vec![1, 2, 3]));
        let started = tokio::time::Instant::now();
        let reason = expect_close_code(&mut client, close::NORMAL).await;
        assert!(reason.contains("idle"), "{path}: {reason}");
        assert!(
            started.elapsed() >= Duration::from_millis(800),
            "{path} closed too early"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn an_oversize_message_closes_the_relay_with_1009_and_says_the_limit() {
    let server = TestServer::start_with(|c| c.relay_max_message = 64 * 1024).await;
    // UDP: one message is one datagram; 70,000 bytes cannot be one. Before,
    // the connection was reset and clients saw 1006.
    let mut udp = server.connect("/ws/relay/udp-echo").await;
    udp.send(Message::binary(vec![7; 70_000])).await;
    let reason = expect_close_code(&mut udp, close::MESSAGE_TOO_BIG).await;
    assert!(reason.contains("65507"), "{reason}");
    // TCP: the limit is --relay-max-message.
    let mut tcp = server.connect("/ws/relay/tcp-echo").await;
    tcp.send(Message::binary(vec![7; 70_000])).await;
    let reason = expect_close_code(&mut tcp, close::MESSAGE_TOO_BIG).await;
    assert!(reason.contains("65536"), "{reason}");
    // Others are unaffected.
    let mut other = server.connect("/ws/relay/tcp-echo").await;
    other
        .send(Message::binary(b"still relaying".to_vec()))
        .await;
    assert_eq!(
        other.next().await,
        Message::binary(b"still relaying".to_vec())
    );
    server.stop().await;
}
