//! Chat rooms over real WebSockets.

use std::time::Duration;

use crate::common::{joined, left, Client, TestServer};
use socketlab_shared::chat::HISTORY_LEN;
use socketlab_shared::{ErrorCode, ServerMessage};
use tokio_tungstenite::tungstenite::Message;

/// Joins `room` as `name` and returns the client with its welcome.
async fn join(server: &TestServer, room: &str, name: &str) -> (Client, ServerMessage) {
    let mut client = server
        .connect(&format!("/ws/chat?room={room}&name={name}"))
        .await;
    let welcome = client.recv().await;
    assert!(
        matches!(&welcome, ServerMessage::Welcome { room: r, .. } if r.as_str() == room),
        "first frame must be the welcome to {room}: {welcome:?}"
    );
    (client, welcome)
}

fn said(message: &ServerMessage) -> (&str, &str, u64) {
    match message {
        ServerMessage::Message(m) => (m.from.as_str(), m.text.as_str(), m.seq),
        other => panic!("expected a chat message, got {other:?}"),
    }
}

fn say(text: &str) -> String {
    format!(r#"{{"type":"say","text":"{text}"}}"#)
}

#[tokio::test]
async fn a_message_reaches_its_room_in_order_and_no_other_room() {
    let server = TestServer::start().await;
    let (mut ada, _) = join(&server, "lab", "ada").await;
    let (mut bob, _) = join(&server, "lab", "bob").await;
    let (mut eve, _) = join(&server, "elsewhere", "eve").await;
    ada.recv_until(|m| joined(m, "bob")).await;
    // Eve hears of her own arrival in her room's tick, and of nothing else.
    eve.recv_until(|m| joined(m, "eve")).await;

    ada.send_text(&say("hello lab")).await;
    ada.send_text(&say("second")).await;
    for client in [&mut ada, &mut bob] {
        // The sender receives its own message too, with the room's seq.
        assert_eq!(
            said(&client.recv_no_presence().await),
            ("ada", "hello lab", 1)
        );
        assert_eq!(said(&client.recv_no_presence().await), ("ada", "second", 2));
    }
    eve.expect_silence(Duration::from_millis(300)).await;
    // And eve's room has its own numbering.
    eve.send_text(&say("mine")).await;
    assert_eq!(said(&eve.recv_no_presence().await), ("eve", "mine", 1));
    server.stop().await;
}

#[tokio::test]
async fn members_see_joins_and_leaves() {
    let server = TestServer::start().await;
    let (mut ada, welcome) = join(&server, "lab", "ada").await;
    let ServerMessage::Welcome {
        members,
        you,
        instance,
        ..
    } = welcome
    else {
        unreachable!()
    };
    let here = instance.expect("the welcome names this instance").id;
    assert_eq!(you.as_str(), "ada");
    assert_eq!(
        members.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["ada"]
    );

    let (bob, welcome) = join(&server, "lab", "bob").await;
    let ServerMessage::Welcome { members, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(
        members.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["ada", "bob"]
    );
    let presence = ada.recv_until(|m| joined(m, "bob")).await;
    assert!(
        matches!(presence, ServerMessage::Presence { count: 2, .. }),
        "{presence:?}"
    );
    // It says where bob is connected: here.
    let ServerMessage::Presence {
        member_instances, ..
    } = &presence
    else {
        unreachable!()
    };
    let bob_is = member_instances
        .iter()
        .find(|(name, _)| name.as_str() == "bob")
        .map(|(_, instance)| instance.as_str());
    assert_eq!(bob_is, Some(here.as_str()), "{presence:?}");

    let mut bob = bob;
    bob.ws.close(None).await.unwrap();
    let presence = ada.recv_until(|m| left(m, "bob")).await;
    assert!(
        matches!(presence, ServerMessage::Presence { count: 1, .. }),
        "{presence:?}"
    );

    // A client that vanishes without a close frame leaves too.
    let (carol, _) = join(&server, "lab", "carol").await;
    ada.recv_until(|m| joined(m, "carol")).await;
    drop(carol);
    ada.recv_until(|m| left(m, "carol")).await;
    server.stop().await;
}

#[tokio::test]
async fn newcomers_get_the_last_messages_as_history() {
    let server = TestServer::start_with(|c| c.chat_burst = 1000).await;
    let (mut ada, _) = join(&server, "lab", "ada").await;
    let total = HISTORY_LEN as u64 + 5;
    for i in 1..=total {
        ada.send_text(&say(&format!("m{i}"))).await;
    }
    for i in 1..=total {
        assert_eq!(said(&ada.recv_no_presence().await).2, i);
    }
    let (_bob, welcome) = join(&server, "lab", "bob").await;
    let ServerMessage::Welcome { history, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(history.len(), HISTORY_LEN);
    assert_eq!(history.first().unwrap().seq, total - HISTORY_LEN as u64 + 1);
    assert_eq!(history.last().unwrap().seq, total);
    assert_eq!(history.last().unwrap().text, format!("m{total}"));
    assert!(history.windows(2).all(|w| w[0].seq < w[1].seq));
    server.stop().await;
}

#[tokio::test]
async fn a_taken_name_gets_a_numeric_suffix() {
    let server = TestServer::start().await;
    let (_a, first) = join(&server, "lab", "ada").await;
    let (_b, second) = join(&server, "lab", "ada").await;
    let (_c, third) = join(&server, "lab", "ada").await;
    let (_d, other_room) = join(&server, "other", "ada").await;
    let you = |w: &ServerMessage| match w {
        ServerMessage::Welcome { you, .. } => you.to_string(),
        _ => unreachable!(),
    };
    assert_eq!(you(&first), "ada");
    assert_eq!(you(&second), "ada-2");
    assert_eq!(you(&third), "ada-3");
    assert_eq!(you(&other_room), "ada", "names are per room");
    server.stop().await;
}

#[tokio::test]
async fn defaults_are_the_lobby_and_a_guest_name() {
    let server = TestServer::start().await;
    let mut client = server.connect("/ws/chat").await;
    let ServerMessage::Welcome { you, room, .. } = client.recv().await else {
        panic!("welcome first");
    };
    assert_eq!(room.as_str(), "lobby");
    assert!(you.as_str().starts_with("guest-"), "{you}");
    server.stop().await;
}

#[tokio::test]
async fn bad_frames_get_an_error_and_the_connection_keeps_working() {
    let server = TestServer::start().await;
    let (mut ada, _) = join(&server, "lab", "ada").await;
    let (mut bob, _) = join(&server, "lab", "bob").await;
    ada.recv_until(|m| joined(m, "bob")).await;

    let cases: &[(Message, ErrorCode)] = &[
        (Message::text("this is not json"), ErrorCode::BadJson),
        (
            Message::text(r#"{"text":"no type"}"#),
            ErrorCode::MissingType,
        ),
        (
            Message::text(r#"{"type":"shout","text":"x"}"#),
            ErrorCode::UnknownType,
        ),
        (Message::text(r#"{"type":"say"}"#), ErrorCode::BadField),
        (
            Message::text(r#"{"type":"say","text":"   "}"#),
            ErrorCode::EmptyText,
        ),
        (
            Message::text(say(&"x".repeat(3000))),
            ErrorCode::TextTooLong,
        ),
        (
            Message::binary(vec![1, 2, 3]),
            ErrorCode::BinaryNotSupported,
        ),
    ];
    for (frame, expected) in cases {
        ada.send(frame.clone()).await;
        match ada.recv_no_presence().await {
            ServerMessage::Error { code, message } => {
                assert_eq!(code, *expected, "for {frame:?}");
                assert!(!message.is_empty());
            }
            other => panic!("expected an error for {frame:?}, got {other:?}"),
        }
    }
    // Still usable: ping/pong and chat work, and bob saw none of the junk.
    ada.send_text(r#"{"type":"ping","id":42}"#).await;
    assert_eq!(ada.recv_no_presence().await, ServerMessage::Pong { id: 42 });
    ada.send_text(&say("still here")).await;
    assert_eq!(
        said(&bob.recv_no_presence().await),
        ("ada", "still here", 1)
    );
    server.stop().await;
}

#[tokio::test]
async fn invalid_room_or_name_is_refused_before_the_upgrade() {
    let server = TestServer::start().await;
    for query in [
        "room=Not%20Valid",
        "room=",
        "name=%07bell",
        &format!("name={}", "n".repeat(30)),
    ] {
        let url = server.ws_url(&format!("/ws/chat?{query}"));
        match tokio_tungstenite::connect_async(&url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 400, "{query}");
                let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
                    .into_owned();
                assert!(body.contains("name"), "{query}: {body}");
            }
            other => panic!("{query}: expected HTTP 400, got {other:?}"),
        }
    }
    server.stop().await;
}

/// The value of the metric line starting with `series` (0 when absent).
fn metric(metrics: &str, series: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

/// Sends a chat upgrade request and resets the connection (SO_LINGER 0)
/// without reading the answer.
async fn reset_upgrade(addr: std::net::SocketAddr, path: &str) {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.set_zero_linger().unwrap();
    drop(stream);
}

#[tokio::test]
async fn an_upgrade_reset_before_its_101_never_joins() {
    const RESETS: &str = r#"socketlab_handshake_failures_total{reason="reset_before_open"}"#;
    const OPENED: &str = r#"socketlab_connections_total{endpoint="chat"}"#;
    let server = TestServer::start().await;
    let (mut bystander, _) = join(&server, "door", "bystander").await;
    bystander.recv_until(|m| joined(m, "bystander")).await;
    let mut opened = 1;
    let mut resets = 0;
    // The reset usually reaches the server before its 101 does; when the
    // 101 wins the race, the WebSocket was open and its join and leave are
    // real: try again (bounded) under another name.
    let mut ghost = String::new();
    for attempt in 0..10 {
        ghost = format!("ghost-{attempt}");
        reset_upgrade(server.addr, &format!("/ws/chat?room=door&name={ghost}")).await;
        let metrics = crate::common::metrics_when(server.addr, "the reset request handled", |m| {
            metric(m, RESETS) + metric(m, OPENED) > resets + opened
        })
        .await;
        if metric(&metrics, RESETS) > resets {
            resets = metric(&metrics, RESETS);
            break;
        }
        opened = metric(&metrics, OPENED);
    }
    assert_eq!(resets, 1, "no upgrade request was reset before its 101");
    // Whatever the room hears next is the next real member, not the ghost.
    let (_carol, _) = join(&server, "door", "carol").await;
    loop {
        let next = bystander
            .recv_until(|m| matches!(m, ServerMessage::Presence { .. }))
            .await;
        assert!(
            !joined(&next, &ghost) && !left(&next, &ghost),
            "the room heard of a member whose WebSocket never opened: {next:?}"
        );
        if joined(&next, "carol") {
            break;
        }
    }
    server.stop().await;
}
