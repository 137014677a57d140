//! The line-based TCP chat door and the WebSocket chat share rooms.

use crate::common;
use crate::common::{http_get, TestServer};
use socketlab_shared::{ServerInfo, ServerMessage};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

struct LineClient {
    lines: tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl LineClient {
    async fn connect(server: &TestServer) -> Self {
        let (_, body) = http_get(server.addr, "/api/info").await;
        let info: ServerInfo = serde_json::from_str(&body).unwrap();
        let addr = info
            .endpoints
            .iter()
            .find(|e| e.name == "tcp-chat")
            .unwrap()
            .addr
            .clone();
        let (reader, writer) = TcpStream::connect(addr).await.unwrap().into_split();
        Self {
            lines: BufReader::new(reader).lines(),
            writer,
        }
    }

    async fn line(&mut self) -> String {
        tokio::time::timeout(common::WAIT, self.lines.next_line())
            .await
            .expect("a line in time")
            .unwrap()
            .expect("connection open")
    }

    async fn line_containing(&mut self, needle: &str) -> String {
        loop {
            let line = self.line().await;
            if line.contains(needle) {
                return line;
            }
        }
    }

    async fn type_line(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn nc_and_browser_clients_chat_in_one_room() {
    let server = TestServer::start().await;
    let mut browser = server.connect("/ws/chat?room=mixed&name=web").await;
    assert!(matches!(
        browser.recv().await,
        ServerMessage::Welcome { .. }
    ));

    let mut nc = LineClient::connect(&server).await;
    nc.line_containing("name").await;
    nc.type_line("Bad\u{7}Name").await; // a control character: asked again
    assert!(nc.line().await.starts_with("! "));
    nc.line_containing("name").await;
    nc.type_line("terminal").await;
    nc.line_containing("Room").await;
    nc.type_line("mixed").await;
    let intro = nc.line_containing("you are").await;
    assert!(
        intro.contains("terminal") && intro.contains("web"),
        "{intro}"
    );

    let joined = browser.recv().await;
    assert!(
        matches!(&joined, ServerMessage::Joined { name, .. } if name.as_str() == "terminal"),
        "{joined:?}"
    );

    nc.type_line("hello from nc").await;
    let ServerMessage::Message(m) = browser.recv().await else {
        panic!("expected a message")
    };
    assert_eq!(
        (m.from.as_str(), m.text.as_str()),
        ("terminal", "hello from nc")
    );
    assert_eq!(
        nc.line().await,
        format!("[{}] terminal: hello from nc", m.seq)
    );

    browser
        .send_text(r#"{"type":"say","text":"hello from the browser"}"#)
        .await;
    assert_eq!(
        nc.line().await,
        format!("[{}] web: hello from the browser", m.seq + 1)
    );

    // The browser's own message comes back to it first, then the departure.
    let ServerMessage::Message(own) = browser.recv().await else {
        panic!("own message")
    };
    assert_eq!(own.from.as_str(), "web");
    nc.type_line("/quit").await;
    assert!(
        matches!(browser.recv().await, ServerMessage::Left { name } if name.as_str() == "terminal")
    );
    server.stop().await;
}
