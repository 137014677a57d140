//! `/ws/echo` against a real server and client.

mod common;

use common::TestServer;
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

#[tokio::test]
async fn plain_http_get_on_a_websocket_path_explains_itself() {
    let server = TestServer::start().await;
    let (status, body) = common::http_get(server.addr, "/ws/echo").await;
    assert_eq!(status, 426);
    assert!(body.contains("WebSocket"), "{body}");
    server.stop().await;
}
