//! Shutdown closes every WebSocket with 1001 (going away).

use std::process::Stdio;
use std::time::Duration;

use crate::common;
use crate::common::{Client, TestServer};
use socketlab_shared::{close, ServerMessage};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn graceful_shutdown_sends_1001_to_every_endpoint() {
    let server = TestServer::start().await;
    let mut chat = server.connect("/ws/chat?room=lab&name=ada").await;
    assert!(matches!(chat.recv().await, ServerMessage::Welcome { .. }));
    let mut echo = server.connect("/ws/echo").await;
    let mut inspect = server.connect("/ws/inspect").await;
    assert!(matches!(inspect.recv().await, ServerMessage::Handshake(_)));

    let stopping = tokio::spawn(server.stop());
    for client in [&mut chat, &mut echo, &mut inspect] {
        let frame = client
            .expect_close()
            .await
            .expect("a close frame with a code");
        assert_eq!(u16::from(frame.code), close::GOING_AWAY);
    }
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("server stops promptly")
        .unwrap();
}

#[tokio::test]
async fn sigterm_closes_clients_with_1001_and_exits_zero() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_socketlab"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start socketlab");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(common::WAIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(at) = line.find("http://") {
                return line[at..].trim_end_matches('/').to_owned();
            }
        }
        panic!("socketlab exited without printing its URL");
    })
    .await
    .expect("URL printed promptly");
    let ws_base = url.replacen("http://", "ws://", 1);

    let mut chat = Client::connect(&format!("{ws_base}/ws/chat?name=ada")).await;
    assert!(matches!(chat.recv().await, ServerMessage::Welcome { .. }));
    let mut echo = Client::connect(&format!("{ws_base}/ws/echo")).await;

    let pid = child.id().expect("running");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());

    for client in [&mut chat, &mut echo] {
        let frame = client.expect_close().await.expect("close frame");
        assert_eq!(u16::from(frame.code), close::GOING_AWAY);
    }
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits promptly")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
}
