//! `/ws/echo` against a real server and client.

use crate::common;
use crate::common::TestServer;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn echoes_text_and_binary_unchanged() {
    let server = TestServer::start().await;
    let mut client = server.connect("/ws/echo").await;

    client.send(Message::text("héllo, 소켓")).await;
    assert_eq!(client.next().await, Message::text("héllo, 소켓"));

    let bytes: Vec<u8> = (0..=255).collect();
    client.send(Message::binary(bytes.clone())).await;
    assert_eq!(client.next().await, Message::binary(bytes));

    // A large message, well above one TCP segment.
    let big = vec![7u8; 1 << 20];
    client.send(Message::binary(big.clone())).await;
    assert_eq!(client.next().await, Message::binary(big));

    // Many in flight at once come back in order.
    for i in 0..100 {
        client.send(Message::text(i.to_string())).await;
    }
    for i in 0..100 {
        assert_eq!(client.next().await, Message::text(i.to_string()));
    }
    server.stop().await;
}

/// The server batches replies to messages that arrive together; a burst
/// written in one go must still come back whole, unchanged and in order.
#[tokio::test]
async fn a_pipelined_burst_comes_back_whole_and_in_order() {
    use futures_util::{SinkExt, StreamExt};
    let server = TestServer::start().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url("/ws/echo"))
        .await
        .expect("connect");
    let messages: Vec<Message> = (0..1000u32)
        .map(|i| {
            if i % 2 == 0 {
                Message::text(format!("text {i}"))
            } else {
                Message::binary(vec![(i % 251) as u8; (i as usize * 37) % 3000])
            }
        })
        .collect();
    for message in &messages {
        ws.feed(message.clone()).await.expect("feed");
    }
    ws.flush().await.expect("flush");
    for (i, expected) in messages.iter().enumerate() {
        let got = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .unwrap_or_else(|_| panic!("reply {i} did not arrive"))
            .expect("stream ended")
            .expect("read");
        assert_eq!(&got, expected, "reply {i}");
    }
    server.stop().await;
}

/// A client may send its first message in the same write as its
/// handshake (hyper then has read past the request): that message is
/// the session's first, not lost with hyper's buffer.
#[tokio::test]
async fn a_message_written_with_the_handshake_is_echoed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start().await;
    let addr = server.addr;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut bytes = format!(
        "GET /ws/echo HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes();
    let mask = [0x11, 0x22, 0x33, 0x44];
    bytes.extend([0x81, 0x80 | 5]);
    bytes.extend(mask);
    bytes.extend(b"early".iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    stream.write_all(&bytes).await.unwrap();

    let reply = async {
        common::read_switching_protocols(&mut stream).await;
        let mut frame = [0u8; 7];
        stream.read_exact(&mut frame).await.unwrap();
        frame
    };
    let frame = tokio::time::timeout(std::time::Duration::from_secs(10), reply)
        .await
        .expect("no echo of the message sent with the handshake");
    assert_eq!(&frame, b"\x81\x05early");
    server.stop().await;
}

#[tokio::test]
async fn plain_http_get_on_a_websocket_path_explains_itself() {
    let server = TestServer::start().await;
    let (status, body) = common::http_get(server.addr, "/ws/echo").await;
    assert_eq!(status, 426);
    assert!(body.contains("WebSocket"), "{body}");
    server.stop().await;
}
