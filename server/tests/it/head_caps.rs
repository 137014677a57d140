//! The caps on a request head, over raw sockets: one line over
//! `--max-header-line` (431 for a header, 414 for the request line, as
//! nginx answers), the head over `--max-request-head` (431), each with a
//! body naming the flag, and nobody else affected.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{self, http_get, TestServer};

/// A WebSocket upgrade's headers, so a request reaches the inspector.
const UPGRADE: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
                       Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

/// Sends `head` as is and returns the status and everything the server
/// answered up to the end of its body (or the first 16 KiB).
async fn answer(server: &TestServer, head: &str) -> (u16, String) {
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // The server may answer before it has read everything.
    let _ = tcp.write_all(head.as_bytes()).await;
    let read = async {
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&answer).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|n| n.trim().parse::<usize>().ok());
                if head.starts_with("HTTP/1.1 101") || length.is_some_and(|n| body.len() >= n) {
                    return text;
                }
            }
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return text,
                Ok(n) if answer.len() < 16 * 1024 => answer.extend_from_slice(&chunk[..n]),
                Ok(_) => return text,
            }
        }
    };
    let text = tokio::time::timeout(common::WAIT, read)
        .await
        .expect("an answer in time");
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

fn request(server: &TestServer, target: &str, extra: &str) -> String {
    format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\n{extra}\r\n",
        server.addr
    )
}

#[tokio::test]
async fn a_20_kib_header_line_gets_431_naming_the_flag_and_never_reaches_the_inspector() {
    let server = TestServer::start().await;
    let big = format!("X-Big: {}\r\n", "a".repeat(20 * 1024));
    for (path, upgrade) in [
        ("/ws/inspect", UPGRADE),
        ("/api/info", ""),
        ("/healthz", ""),
    ] {
        let (status, text) =
            answer(&server, &request(&server, path, &format!("{upgrade}{big}"))).await;
        assert_eq!(status, 431, "{path}: {text}");
        assert!(
            text.contains("x-big header line is 20487 bytes") && text.contains("--max-header-line"),
            "{path}: {text}"
        );
    }
    // A line just under the default 8 KiB passes, the inspector included.
    let fits = format!("X-Big: {}\r\n", "a".repeat(8 * 1024 - 7));
    let (status, text) = answer(&server, &request(&server, "/api/info", &fits)).await;
    assert_eq!(status, 200, "{text}");
    let (status, text) = answer(
        &server,
        &request(&server, "/ws/inspect", &format!("{UPGRADE}{fits}")),
    )
    .await;
    assert_eq!(status, 101, "{text}");
    // A bystander is served.
    assert_eq!(http_get(server.addr, "/healthz").await.0, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_request_line_over_the_cap_gets_414_as_nginx_answers() {
    let server = TestServer::start().await;
    let long = format!("/ws/inspect?pad={}", "p".repeat(20 * 1024));
    let (status, text) = answer(&server, &request(&server, &long, UPGRADE)).await;
    assert_eq!(status, 414, "{text}");
    assert!(
        text.contains("request line") && text.contains("--max-header-line"),
        "{text}"
    );
    assert_eq!(http_get(server.addr, "/healthz").await.0, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_head_over_the_total_cap_gets_431_naming_its_flag() {
    // Five lines of 7 KiB each fit the per-line cap; together they are
    // over the 32 KiB head.
    let server = TestServer::start().await;
    let lines: String = (0..5)
        .map(|i| format!("X-Part-{i}: {}\r\n", "a".repeat(7 * 1024)))
        .collect();
    let (status, text) = answer(
        &server,
        &request(&server, "/ws/inspect", &format!("{UPGRADE}{lines}")),
    )
    .await;
    assert_eq!(status, 431, "{text}");
    assert!(text.contains("--max-request-head"), "{text}");
    // Both caps are flags: raised, the same head passes.
    server.stop().await;
    let server = TestServer::start_with(|c| c.max_request_head = 64 * 1024).await;
    let (status, text) = answer(
        &server,
        &request(&server, "/ws/inspect", &format!("{UPGRADE}{lines}")),
    )
    .await;
    assert_eq!(status, 101, "{text}");
    let big = format!("X-Big: {}\r\n", "a".repeat(20 * 1024));
    server.stop().await;
    let server = TestServer::start_with(|c| c.max_header_line = 32 * 1024).await;
    let (status, text) = answer(&server, &request(&server, "/api/info", &big)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(http_get(server.addr, "/healthz").await.0, 200);
    server.stop().await;
}
