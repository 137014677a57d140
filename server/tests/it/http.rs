//! The plain HTTP side: health, info, the page.

use crate::common::{http_get, TestServer};
use socketlab_shared::ServerInfo;

#[tokio::test]
async fn healthz_answers_ok() {
    let server = TestServer::start().await;
    assert_eq!(
        http_get(server.addr, "/healthz").await,
        (200, "ok".to_owned())
    );
    server.stop().await;
}

#[tokio::test]
async fn info_lists_real_socket_addresses() {
    let server = TestServer::start().await;
    let (status, body) = http_get(server.addr, "/api/info").await;
    assert_eq!(status, 200);
    let info: ServerInfo = serde_json::from_str(&body).expect("ServerInfo JSON");
    assert_eq!(info.name, "socketlab");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    let chat = info
        .endpoints
        .iter()
        .find(|e| e.name == "chat")
        .expect("chat endpoint");
    assert_eq!(chat.protocol, "ws");
    assert_eq!(chat.addr, server.addr.to_string(), "the real port, not 0");
    assert_eq!(chat.path.as_deref(), Some("/ws/chat"));
    assert!(info.relay_targets.iter().any(|t| t.name == "tcp-echo"));
    server.stop().await;
}

#[tokio::test]
async fn root_serves_html_never_a_bare_404() {
    let server = TestServer::start().await;
    let (status, body) = http_get(server.addr, "/").await;
    assert_eq!(status, 200);
    assert!(body.to_lowercase().contains("<!doctype html>"), "{body}");
    // Either the real page or the explanation of how to build it.
    assert!(
        body.contains("cargo xtask run") || body.contains("wasm"),
        "unexpected page: {body}"
    );
    let (status, body) = http_get(server.addr, "/no-such-file.js").await;
    assert_eq!(status, 404);
    assert_eq!(body.trim(), "not found");
    server.stop().await;
}

#[tokio::test]
async fn a_taken_port_is_reported_with_the_flag_name() {
    let server = TestServer::start().await;
    let config = socketlab_server::Config::with_listen(server.addr);
    let err = socketlab_server::Server::bind(config)
        .await
        .err()
        .expect("port is taken");
    let message = format!("{err:#}");
    assert!(message.contains("--listen"), "{message}");
    assert!(message.contains(&server.addr.to_string()), "{message}");
    server.stop().await;
}
