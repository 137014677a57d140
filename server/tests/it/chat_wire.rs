//! Room events written straight to a member's socket by the room's
//! publisher, around the member's own writes (its pongs, its replies).
//!
//! The danger of two writers on one socket is a frame cut in two by
//! another: the client then reads garbage and closes with 1002. Here a
//! member's socket is made to fill (it does not read for a while, through
//! a receive buffer of 4 KiB) while it pings and asks for pages of members,
//! so the room's events move from direct writes to the member's backlog
//! and the server's own replies queue among them; afterwards the member
//! must read every frame whole, in order, and every reply it asked for.
//! (A frame the socket takes only in part is rare here; the wire's own
//! tests, in `transport/websocket/wire.rs`, make one on purpose.)

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use socketlab_shared::ServerMessage;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{self, Client, TestServer};

/// Messages said while the member does not read: about 10 MB, more
/// than the sockets between the server and the member hold (4 MiB of
/// send buffer at most, by tcp_wmem).
const SAID: usize = 15_000;
/// Pings and requests the member sends while it does not read.
const ASKED: u64 = 40;

/// A text of `len` bytes that says which message it is.
fn text(n: usize, len: usize) -> String {
    let head = format!("m{n}:");
    format!("{head}{}", "x".repeat(len - head.len()))
}

/// Cycles over lengths whose frames have a 2-byte and a 4-byte header.
fn len_of(n: usize) -> usize {
    [60, 125, 126, 700, 2048][n % 5]
}

#[tokio::test]
async fn a_member_whose_socket_fills_while_it_pings_reads_every_frame_whole_and_in_order() {
    let server = TestServer::start_with(|config| {
        config.chat_rate = 1e6;
        config.chat_burst = 1_000_000;
        config.chat_backlog_bytes = 64 << 20;
    })
    .await;
    let url = server.ws_url("/ws/chat?room=wire&name=ada");

    // Ada: a socket that takes in almost nothing until she reads.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let (ada, _) = tokio::time::timeout(common::WAIT, tokio_tungstenite::client_async(url, stream))
        .await
        .expect("handshake in time")
        .expect("handshake");
    let (mut ada_tx, mut ada_rx) = ada.split();
    let welcome = ada_rx.next().await.unwrap().unwrap();
    assert!(welcome.to_text().unwrap().contains("\"welcome\""));

    let mut bob = Client::connect(&server.ws_url("/ws/chat?room=wire&name=bob")).await;
    assert!(matches!(bob.recv().await, ServerMessage::Welcome { .. }));

    // Bob talks; Ada pings and asks for members now and then, reading
    // nothing. Bob reads his own copies, so he is never the slow one.
    let talking = tokio::spawn(async move {
        let (mut tx, mut rx) = bob.ws.split();
        let reading = tokio::spawn(async move {
            let mut heard = 0;
            while heard < SAID {
                match rx.next().await {
                    Some(Ok(Message::Text(frame))) if frame.contains("\"message\"") => heard += 1,
                    Some(Ok(_)) => {}
                    other => panic!("bob was cut off: {other:?}"),
                }
            }
        });
        for n in 0..SAID {
            let say = serde_json::json!({"type": "say", "text": text(n, len_of(n))});
            tx.send(Message::text(say.to_string())).await.unwrap();
        }
        tokio::time::timeout(Duration::from_secs(60), reading)
            .await
            .expect("bob hears all he said")
            .unwrap();
    });
    for id in 0..ASKED {
        ada_tx
            .send(Message::Ping(vec![id as u8; 8].into()))
            .await
            .unwrap();
        let ask = if id % 2 == 0 {
            serde_json::json!({"type": "ping", "id": id})
        } else {
            serde_json::json!({"type": "members"})
        };
        ada_tx.send(Message::text(ask.to_string())).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::timeout(Duration::from_secs(60), talking)
        .await
        .expect("bob finishes")
        .unwrap();

    // Now Ada reads it all: every frame must parse, and come in order.
    let mut next_said = 0;
    let (mut pongs, mut ws_pongs, mut pages) = (0u64, 0u64, 0u64);
    let reading = async {
        while next_said < SAID || pongs + pages < ASKED || ws_pongs < ASKED {
            let frame = ada_rx
                .next()
                .await
                .expect("ada's connection stays open")
                .expect("ada reads whole frames, no protocol error");
            let frame = match frame {
                Message::Text(frame) => frame,
                Message::Pong(_) => {
                    ws_pongs += 1;
                    continue;
                }
                Message::Ping(_) => continue,
                other => panic!("ada got {other:?}"),
            };
            match ServerMessage::parse(&frame)
                .unwrap_or_else(|err| panic!("unparsable frame {frame:?}: {err}"))
            {
                ServerMessage::Message(said) => {
                    assert_eq!(said.text, text(next_said, len_of(next_said)), "in order");
                    next_said += 1;
                }
                ServerMessage::Pong { .. } => pongs += 1,
                ServerMessage::Members { .. } => pages += 1,
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), reading)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "ada read {next_said} of {SAID}, {pongs} pongs, {pages} pages, {ws_pongs} ws pongs"
            )
        });
    server.stop().await;
}
