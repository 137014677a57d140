//! The server's own side of RFC 6455 (`transport::websocket::stream`),
//! driven by tokio-tungstenite as a client and by raw frames: fragments,
//! UTF-8 across fragment boundaries, control frames between fragments,
//! close codes, messages that span many reads, and a relay (a split
//! session) answering pings while its target is silent. Autobahn covers
//! the rest in `cargo xtask test`.

use crate::common::{Client, TestServer, WAIT};
use futures_util::{SinkExt, StreamExt};
use socketlab_shared::close;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

fn fragment(opcode: Data, bytes: &[u8], fin: bool) -> Message {
    Message::Frame(Frame::message(bytes.to_vec(), OpCode::Data(opcode), fin))
}

/// The next message, pongs included.
async fn next_any(client: &mut Client) -> Message {
    tokio::time::timeout(WAIT, client.ws.next())
        .await
        .expect("a message in time")
        .expect("open")
        .expect("valid")
}

#[tokio::test]
async fn fragments_join_into_one_message_across_a_split_character() {
    let server = TestServer::start().await;
    let mut client = server.connect("/ws/echo").await;
    let text = "가나다!".as_bytes();
    // "가" is three bytes; the first fragment ends inside it, and a ping
    // arrives between fragments.
    client.send(fragment(Data::Text, &text[..1], false)).await;
    client.send(Message::Ping(b"between".to_vec().into())).await;
    client
        .send(fragment(Data::Continue, &text[1..4], false))
        .await;
    client
        .send(fragment(Data::Continue, &text[4..], true))
        .await;
    assert_eq!(
        next_any(&mut client).await,
        Message::Pong(b"between".to_vec().into())
    );
    assert_eq!(next_any(&mut client).await, Message::text("가나다!"));
    // Binary fragments too, and the connection goes on.
    client.send(fragment(Data::Binary, &[1, 2], false)).await;
    client.send(fragment(Data::Continue, &[3], true)).await;
    assert_eq!(client.next().await, Message::binary(vec![1, 2, 3]));
    server.stop().await;
}

#[tokio::test]
async fn broken_utf8_is_refused_at_the_fragment_that_broke_it() {
    let server = TestServer::start().await;
    let mut client = server.connect("/ws/echo").await;
    client.send(fragment(Data::Text, b"fine ", false)).await;
    // Not a cut character: a byte that never starts one. The message's
    // last fragment never comes; the refusal must not wait for it.
    client.send(fragment(Data::Continue, b"\xff", false)).await;
    let frame = client.expect_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), close::INVALID_PAYLOAD);
    server.stop().await;
}

#[tokio::test]
async fn fragments_out_of_order_are_protocol_errors() {
    let server = TestServer::start().await;
    // A continuation with nothing to continue, then a new message before
    // the last one ended.
    let cases = [
        vec![fragment(Data::Continue, b"x", true)],
        vec![
            fragment(Data::Text, b"x", false),
            fragment(Data::Text, b"y", true),
        ],
    ];
    for frames in cases {
        let mut client = server.connect("/ws/echo").await;
        for frame in frames {
            client.send(frame).await;
        }
        let frame = client.expect_close().await.expect("a close frame");
        assert_eq!(u16::from(frame.code), close::PROTOCOL_ERROR);
    }
    server.stop().await;
}

/// Sends a masked close frame with `payload` on a raw connection to
/// `/ws/echo`, and returns the payload of the close frame that comes back.
async fn close_answer(server: &TestServer, payload: &[u8]) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET /ws/echo HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    crate::common::read_switching_protocols(&mut stream).await;
    let key = [9u8, 8, 7, 6];
    let mut frame = vec![0x88, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    stream.write_all(&frame).await.unwrap();
    let mut head = [0u8; 2];
    tokio::time::timeout(WAIT, stream.read_exact(&mut head))
        .await
        .expect("an answer in time")
        .unwrap();
    assert_eq!(head[0], 0x88, "a final, unmasked close frame");
    let mut body = vec![0; usize::from(head[1])];
    stream.read_exact(&mut body).await.unwrap();
    // The server ends the connection after its answer.
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut rest)).await;
    assert!(rest.is_empty(), "nothing after the close frame");
    body
}

#[tokio::test]
async fn the_clients_close_is_answered_with_its_code_or_1002() {
    let server = TestServer::start().await;
    assert_eq!(
        close_answer(&server, b"\x0f\xa0done").await,
        b"\x0f\xa0done"
    );
    assert_eq!(close_answer(&server, b"").await, b"");
    // 1005 and 1006 only ever describe a close; they are never sent.
    for forbidden in [1005u16, 1006, 999] {
        let answer = close_answer(&server, &forbidden.to_be_bytes()).await;
        assert_eq!(
            answer[..2],
            close::PROTOCOL_ERROR.to_be_bytes(),
            "{forbidden}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn messages_of_every_size_sent_at_once_come_back_in_order() {
    let server = TestServer::start().await;
    let mut client = server.connect("/ws/echo").await;
    // Heads and payloads cut at every place a 4 KiB read buffer can cut
    // them, and one message of a megabyte read straight into its buffer.
    let sizes: Vec<usize> = (0..200)
        .map(|n| n * 97 % 9000)
        .chain([125, 126, 65_535, 65_536, 1 << 20])
        .collect();
    for (n, size) in sizes.iter().enumerate() {
        let payload: Vec<u8> = (0..*size).map(|i| (i + n) as u8).collect();
        client.ws.feed(Message::binary(payload)).await.unwrap();
    }
    client.ws.flush().await.unwrap();
    for (n, size) in sizes.iter().enumerate() {
        let Message::Binary(got) = client.next().await else {
            panic!("a binary message");
        };
        assert_eq!(got.len(), *size);
        assert!(got.iter().enumerate().all(|(i, b)| *b == (i + n) as u8));
    }
    server.stop().await;
}

#[tokio::test]
async fn a_relay_answers_pings_while_its_target_is_silent() {
    let server = TestServer::start().await;
    // The relay splits its session; nothing comes from the echo target
    // unless sent, so only the reading half can write the pong.
    let mut client = server.connect("/ws/relay/tcp-echo").await;
    for n in 0..3u8 {
        client.send(Message::Ping(vec![n; 4].into())).await;
        assert_eq!(
            next_any(&mut client).await,
            Message::Pong(vec![n; 4].into())
        );
    }
    client
        .send(Message::binary(b"still relaying".to_vec()))
        .await;
    assert_eq!(
        client.next().await,
        Message::binary(b"still relaying".to_vec())
    );
    server.stop().await;
}
