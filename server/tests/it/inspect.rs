//! `/ws/inspect` reports the handshake exactly as it happened.

use crate::common;
use crate::common::TestServer;
use socketlab_shared::{accept_key_for, ServerMessage};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

#[tokio::test]
async fn reports_the_key_sent_and_the_accept_answered() {
    let server = TestServer::start().await;
    let mut request = server
        .ws_url("/ws/inspect?probe=1")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("x-socketlab-test", "hello".parse().unwrap());
    let key = request.headers()["sec-websocket-key"]
        .to_str()
        .unwrap()
        .to_owned();

    let (ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    let answered_accept = response.headers()["sec-websocket-accept"]
        .to_str()
        .unwrap()
        .to_owned();
    let mut client = common::Client { ws };

    let ServerMessage::Handshake(report) = client.recv().await else {
        panic!("first frame must be the handshake");
    };
    assert_eq!(report.request.method, "GET");
    assert_eq!(report.request.path, "/ws/inspect?probe=1");
    assert_eq!(report.request.version, "HTTP/1.1");
    assert_eq!(
        report.request.header("Sec-WebSocket-Key"),
        Some(key.as_str())
    );
    assert_eq!(report.request.header("sec-websocket-version"), Some("13"));
    assert_eq!(report.request.header("x-socketlab-test"), Some("hello"));
    assert_eq!(report.response.status, 101);
    // The accept the report shows is the one the client really received,
    // and both independent implementations agree it is right for the key.
    assert_eq!(
        report.response.header("sec-websocket-accept"),
        Some(answered_accept.as_str())
    );
    assert_eq!(accept_key_for(&key), answered_accept);
    assert_eq!(derive_accept_key(key.as_bytes()), answered_accept);
    assert!(report
        .response
        .header("upgrade")
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket")));
    server.stop().await;
}

#[tokio::test]
async fn credentials_are_shown_as_their_length_only() {
    let server = TestServer::start().await;
    let mut request = server.ws_url("/ws/inspect").into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("cookie", "session=s3cr3t-cookie".parse().unwrap());
    headers.insert("authorization", "Bearer s3cr3t-token".parse().unwrap());
    headers.insert("x-visible", "shown".parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut client = common::Client { ws };
    let ServerMessage::Handshake(report) = client.recv().await else {
        panic!("first frame must be the handshake");
    };
    assert_eq!(
        report.request.header("cookie"),
        Some("<redacted, 21 bytes>")
    );
    assert_eq!(
        report.request.header("authorization"),
        Some("<redacted, 19 bytes>")
    );
    assert_eq!(report.request.header("x-visible"), Some("shown"));
    let json = ServerMessage::Handshake(report).to_json();
    assert!(!json.contains("s3cr3t"), "{json}");
    server.stop().await;
}
