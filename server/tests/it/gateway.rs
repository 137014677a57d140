//! The relay as a gateway for real clients (issue 14): per-target options
//! in the target's URL (`protocols`, `text`, `token`), subprotocol
//! selection, text frames, Unix socket targets.

use std::net::SocketAddr;

use crate::common::{Client, TestServer, WAIT};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// A TCP echo target of the test's own, on loopback.
pub async fn echo_target() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut rx, mut tx) = stream.split();
                let _ = tokio::io::copy(&mut rx, &mut tx).await;
            });
        }
    });
    addr
}

/// The HTTP status and body of a refused upgrade to `url` offering
/// `protocols` (none when empty).
pub async fn refusal(url: &str, protocols: &str) -> (u16, String) {
    let mut request = url.into_client_request().unwrap();
    if !protocols.is_empty() {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocols.parse().unwrap());
    }
    match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request)).await {
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
            let body = response.body().as_deref().unwrap_or_default();
            (
                response.status().as_u16(),
                String::from_utf8_lossy(body).into_owned(),
            )
        }
        other => panic!("expected an HTTP refusal from {url}, got {other:?}"),
    }
}

/// Sends `bytes` and expects them back.
async fn round_trip(client: &mut Client, bytes: &[u8]) {
    client.send(Message::binary(bytes.to_vec())).await;
    assert_eq!(client.next().await, Message::binary(bytes.to_vec()));
}

#[tokio::test]
async fn a_target_with_its_own_token_requires_that_token_and_not_the_global_one() {
    let echo = echo_target().await;
    let server = TestServer::start_with(|c| {
        c.relay_token = Some("global".to_owned());
        c.relay_targets = vec![format!("own=tcp://{echo}?token=mine").parse().unwrap()];
    })
    .await;
    let mut client = server.connect("/ws/relay/own?token=mine").await;
    round_trip(&mut client, b"with its own token").await;

    let (status, body) = refusal(&server.ws_url("/ws/relay/own?token=global"), "").await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = refusal(&server.ws_url("/ws/relay/own"), "").await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("token"), "{body}");
    // The global token still opens the targets without their own.
    let mut echo = server.connect("/ws/relay/tcp-echo?token=global").await;
    round_trip(&mut echo, b"global").await;
    let (status, _) = refusal(&server.ws_url("/ws/relay/tcp-echo?token=mine"), "").await;
    assert_eq!(status, 403);
    // Without the global token, an unknown name is not confirmed.
    let (status, _) = refusal(&server.ws_url("/ws/relay/nope"), "").await;
    assert_eq!(status, 401);
    server.stop().await;
}

#[tokio::test]
async fn a_target_token_alone_protects_only_its_target() {
    let echo = echo_target().await;
    let server = TestServer::start_with(|c| {
        c.relay_targets = vec![format!("own=tcp://{echo}?token=s3cret").parse().unwrap()];
    })
    .await;
    let (status, _) = refusal(&server.ws_url("/ws/relay/own"), "").await;
    assert_eq!(status, 401);
    let mut open = server.connect("/ws/relay/tcp-echo").await;
    round_trip(&mut open, b"no token needed").await;
    server.stop().await;
}

#[test]
fn an_unknown_target_option_is_a_start_up_error_naming_the_flag_and_the_option() {
    let err = socketlab_server::Config::load_from([
        "socketlab",
        "--relay-target",
        "vnc=tcp://127.0.0.1:5900?tokn=x",
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("--relay-target"), "{text}");
    assert!(text.contains("\"tokn\""), "{text}");
    assert_eq!(err.exit_code(), 2);
    let config = socketlab_server::Config::load_from([
        "socketlab",
        "--relay-target",
        "mqtt=tcp://127.0.0.1:1883?protocols=mqtt,mqttv3.1",
        "--relay-target",
        "a=tcp://127.0.0.1:1,b=udp://127.0.0.1:2",
    ])
    .unwrap();
    let names: Vec<&str> = config
        .relay_targets
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, ["mqtt", "a", "b"]);
    assert_eq!(
        config.relay_targets[0].options.protocols,
        ["mqtt", "mqttv3.1"]
    );
}

/// Opens `/ws/relay/{path}` offering `protocols`; the selected one and the client.
async fn offer(server: &TestServer, path: &str, protocols: &str) -> (Option<String>, Client) {
    let mut request = server.ws_url(path).into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocols.parse().unwrap());
    let (ws, response) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("handshake in time")
        .unwrap_or_else(|e| panic!("{path} offering {protocols}: {e}"));
    let selected = response
        .headers()
        .get("sec-websocket-protocol")
        .map(|v| v.to_str().unwrap().to_owned());
    (selected, Client { ws })
}

#[tokio::test]
async fn the_relay_selects_the_first_offered_subprotocol_the_target_allows() {
    let echo = echo_target().await;
    let server = TestServer::start_with(|c| {
        c.relay_targets = vec![format!("mqtt=tcp://{echo}?protocols=mqtt,mqttv3.1")
            .parse()
            .unwrap()];
    })
    .await;
    for (offered, selected) in [
        ("mqtt", "mqtt"),
        ("mqttv3.1, mqtt", "mqttv3.1"),
        ("amqp, mqtt", "mqtt"),
        ("binary", "binary"),
        ("token.unused, mqtt", "mqtt"),
    ] {
        let (got, mut client) = offer(&server, "/ws/relay/mqtt", offered).await;
        assert_eq!(got.as_deref(), Some(selected), "offered {offered}");
        round_trip(&mut client, offered.as_bytes()).await;
    }
    // `binary` stays accepted on every target, including those with no
    // protocols of their own.
    let (got, _) = offer(&server, "/ws/relay/tcp-echo", "binary").await;
    assert_eq!(got.as_deref(), Some("binary"));
    server.stop().await;
}

#[tokio::test]
async fn a_client_offering_only_foreign_subprotocols_gets_400_naming_the_allowed_ones() {
    let echo = echo_target().await;
    let server = TestServer::start_with(|c| {
        c.relay_targets = vec![format!("mqtt=tcp://{echo}?protocols=mqtt,mqttv3.1")
            .parse()
            .unwrap()];
    })
    .await;
    let (status, body) = refusal(&server.ws_url("/ws/relay/mqtt"), "mqttv5, amqp").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("mqtt, mqttv3.1, binary"), "{body}");
    assert!(body.contains("mqttv5, amqp"), "{body}");
    let (status, body) = refusal(&server.ws_url("/ws/relay/tcp-echo"), "mqtt").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("subprotocols binary;"), "{body}");
    crate::common::metrics_when(server.addr, "the refusals are counted", |m| {
        m.contains("reason=\"subprotocol\"} 2")
    })
    .await;
    // Others are unaffected.
    let (got, mut client) = offer(&server, "/ws/relay/mqtt", "mqtt").await;
    assert_eq!(got.as_deref(), Some("mqtt"));
    round_trip(&mut client, b"still fine").await;
    server.stop().await;
}

#[tokio::test]
async fn the_token_subprotocol_still_carries_the_token() {
    let server = TestServer::start_with(|c| c.relay_token = Some("s3cret".to_owned())).await;
    // Alone, it is echoed so the handshake completes.
    let (got, mut client) = offer(&server, "/ws/relay/tcp-echo", "token.s3cret").await;
    assert_eq!(got.as_deref(), Some("token.s3cret"));
    round_trip(&mut client, b"token only").await;
    // Beside a real protocol, the real one is selected.
    let (got, mut client) = offer(&server, "/ws/relay/tcp-echo", "binary, token.s3cret").await;
    assert_eq!(got.as_deref(), Some("binary"));
    round_trip(&mut client, b"binary and token").await;
    let (status, _) = refusal(&server.ws_url("/ws/relay/tcp-echo"), "binary, token.wrong").await;
    assert_eq!(status, 403);
    server.stop().await;
}

#[tokio::test]
async fn text_frames_are_relayed_as_bytes_and_replies_come_back_binary() {
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let udp_addr = udp.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buffer = [0u8; 2048];
        while let Ok((n, from)) = udp.recv_from(&mut buffer).await {
            let _ = udp.send_to(&buffer[..n], from).await;
        }
    });
    let echo = echo_target().await;
    let server = TestServer::start_with(|c| {
        c.relay_targets = vec![
            format!("shell=tcp://{echo}?text=bytes").parse().unwrap(),
            format!("dgram=udp://{udp_addr}").parse().unwrap(),
            format!("strict=udp://{udp_addr}?text=refuse")
                .parse()
                .unwrap(),
        ];
    })
    .await;
    // What xterm.js's attach addon sends: keystrokes as text frames.
    let mut shell = server.connect("/ws/relay/shell").await;
    shell.send(Message::text("echo $((6*7))\r")).await;
    let mut got = Vec::new();
    while got.len() < 14 {
        match shell.next().await {
            Message::Binary(bytes) => got.extend_from_slice(&bytes),
            other => panic!("replies are binary frames, got {other:?}"),
        }
    }
    assert_eq!(got, b"echo $((6*7))\r");
    // Text and binary frames interleave in order.
    shell.send(Message::text("é")).await;
    shell.send(Message::binary(vec![0xff])).await;
    let mut got = Vec::new();
    while got.len() < 3 {
        match shell.next().await {
            Message::Binary(bytes) => got.extend_from_slice(&bytes),
            other => panic!("replies are binary frames, got {other:?}"),
        }
    }
    assert_eq!(got, [0xc3, 0xa9, 0xff]);
    // On UDP (the default is bytes) one text frame is one datagram.
    let mut dgram = server.connect("/ws/relay/dgram").await;
    dgram.send(Message::text("one datagram")).await;
    assert_eq!(
        dgram.next().await,
        Message::binary(b"one datagram".to_vec())
    );
    let mut strict = server.connect("/ws/relay/strict").await;
    strict.send(Message::text("no")).await;
    let frame = strict.expect_close().await.expect("a close frame");
    assert_eq!(
        u16::from(frame.code),
        socketlab_shared::close::UNSUPPORTED_DATA
    );
    server.stop().await;
}

#[tokio::test]
async fn a_unix_socket_target_is_relayed_like_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut rx, mut tx) = stream.split();
                let _ = tokio::io::copy(&mut rx, &mut tx).await;
            });
        }
    });
    let missing = dir.path().join("missing.sock");
    let server = TestServer::start_with(|c| {
        c.relay_targets = vec![
            format!("app=unix://{}?protocols=app", path.display())
                .parse()
                .unwrap(),
            format!("gone=unix://{}", missing.display())
                .parse()
                .unwrap(),
        ];
    })
    .await;
    let (selected, mut client) = offer(&server, "/ws/relay/app", "app").await;
    assert_eq!(selected.as_deref(), Some("app"));
    round_trip(&mut client, b"over a unix socket").await;
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    client.send(Message::binary(big.clone())).await;
    let mut got = Vec::new();
    while got.len() < big.len() {
        match client.next().await {
            Message::Binary(bytes) => got.extend_from_slice(&bytes),
            other => panic!("after {} bytes: {other:?}", got.len()),
        }
    }
    assert!(got == big, "bytes differ");
    client.send(Message::text("typed")).await;
    assert_eq!(client.next().await, Message::binary(b"typed".to_vec()));

    let (code, reason) = crate::common::raw_close_frame(server.addr, "/ws/relay/gone").await;
    assert_eq!(code, socketlab_shared::close::BAD_GATEWAY);
    assert!(
        reason.contains("gone") && reason.contains("missing.sock"),
        "{reason}"
    );
    let info = crate::common::http_get(server.addr, "/api/info").await.1;
    assert!(info.contains(r#""kind":"unix""#), "{info}");
    server.stop().await;
}

#[tokio::test]
async fn info_lists_protocols_and_text_mode_and_hides_the_address_behind_a_token() {
    let echo = echo_target().await;
    let server = TestServer::start_with(|c| {
        c.no_tcp_echo = true;
        c.no_udp_echo = true;
        c.relay_targets = vec![
            format!("mqtt=tcp://{echo}?protocols=mqtt,mqttv3.1")
                .parse()
                .unwrap(),
            format!("shell=tcp://{echo}?text=refuse&token=s3cret")
                .parse()
                .unwrap(),
        ];
    })
    .await;
    let (_, body) = crate::common::http_get(server.addr, "/api/info").await;
    assert!(!body.contains("s3cret"), "{body}");
    // Read as the page reads it.
    let info = socketlab_shared::ServerInfo::from_json(&body).unwrap();
    let [mqtt, shell] = &info.relay_targets[..] else {
        panic!("{body}");
    };
    assert_eq!(mqtt.name, "mqtt");
    assert_eq!(mqtt.protocols, ["mqtt", "mqttv3.1"]);
    assert_eq!(mqtt.text, socketlab_shared::TextMode::Bytes);
    assert_eq!(mqtt.addr.as_deref(), Some(echo.to_string().as_str()));
    assert!(!mqtt.token);
    assert_eq!(shell.text, socketlab_shared::TextMode::Refuse);
    assert!(shell.token);
    assert_eq!(shell.addr, None, "{body}");
    server.stop().await;

    // With --relay-token every target needs a token: no addresses at all.
    let guarded = TestServer::start_with(|c| c.relay_token = Some("g".to_owned())).await;
    let (_, body) = crate::common::http_get(guarded.addr, "/api/info").await;
    let info = socketlab_shared::ServerInfo::from_json(&body).unwrap();
    assert!(
        info.relay_targets
            .iter()
            .all(|t| t.token && t.addr.is_none()),
        "{body}"
    );
    guarded.stop().await;
}
