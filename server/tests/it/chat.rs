//! Chat rooms over real WebSockets.

use std::time::Duration;

use crate::common::{Client, TestServer};
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
    assert!(
        matches!(ada.recv().await, ServerMessage::Joined { name, .. } if name.as_str() == "bob")
    );

    ada.send_text(&say("hello lab")).await;
    ada.send_text(&say("second")).await;
    for client in [&mut ada, &mut bob] {
        // The sender receives its own message too, with the room's seq.
        assert_eq!(said(&client.recv().await), ("ada", "hello lab", 1));
        assert_eq!(said(&client.recv().await), ("ada", "second", 2));
    }
    eve.expect_silence(Duration::from_millis(300)).await;
    // And eve's room has its own numbering.
    eve.send_text(&say("mine")).await;
    assert_eq!(said(&eve.recv().await), ("eve", "mine", 1));
    server.stop().await;
}

#[tokio::test]
async fn members_see_joins_and_leaves() {
    let server = TestServer::start().await;
    let (mut ada, welcome) = join(&server, "lab", "ada").await;
    let ServerMessage::Welcome { members, you, .. } = welcome else {
        unreachable!()
    };
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
    assert!(
        matches!(ada.recv().await, ServerMessage::Joined { name, .. } if name.as_str() == "bob")
    );

    let mut bob = bob;
    bob.ws.close(None).await.unwrap();
    assert!(matches!(ada.recv().await, ServerMessage::Left { name } if name.as_str() == "bob"));

    // A client that vanishes without a close frame leaves too.
    let (carol, _) = join(&server, "lab", "carol").await;
    assert!(
        matches!(ada.recv().await, ServerMessage::Joined { name, .. } if name.as_str() == "carol")
    );
    drop(carol);
    assert!(matches!(ada.recv().await, ServerMessage::Left { name } if name.as_str() == "carol"));
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
        assert_eq!(said(&ada.recv().await).2, i);
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
    let _ = ada.recv().await; // bob joined

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
        match ada.recv().await {
            ServerMessage::Error { code, message } => {
                assert_eq!(code, *expected, "for {frame:?}");
                assert!(!message.is_empty());
            }
            other => panic!("expected an error for {frame:?}, got {other:?}"),
        }
    }
    // Still usable: ping/pong and chat work, and bob saw none of the junk.
    ada.send_text(r#"{"type":"ping","id":42}"#).await;
    assert_eq!(ada.recv().await, ServerMessage::Pong { id: 42 });
    ada.send_text(&say("still here")).await;
    assert_eq!(said(&bob.recv().await), ("ada", "still here", 1));
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
