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

    /// The next line that is not presence (`* ada joined; 2 here`).
    async fn reply(&mut self) -> String {
        loop {
            let line = self.line().await;
            if !(line.starts_with("* ") && line.ends_with(" here")) {
                return line;
            }
        }
    }

    async fn line_containing(&mut self, needle: &str) -> String {
        loop {
            let line = self.line().await;
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// The next line, or `None` once the server closed the connection.
    async fn line_or_eof(&mut self) -> Option<String> {
        tokio::time::timeout(common::WAIT, self.lines.next_line())
            .await
            .expect("a line or the end in time")
            .unwrap_or(None)
    }

    /// Answers the door's two questions and reads up to the intro.
    async fn enter(&mut self, name: &str, room: &str) -> String {
        self.line_containing("name").await;
        self.type_line(name).await;
        self.line_containing("Room").await;
        self.type_line(room).await;
        self.line_containing("you are").await
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

    browser
        .recv_until(|m| crate::common::joined(m, "terminal"))
        .await;

    nc.type_line("hello from nc").await;
    let ServerMessage::Message(m) = browser.recv_no_presence().await else {
        panic!("expected a message")
    };
    assert_eq!(
        (m.from.as_str(), m.text.as_str()),
        ("terminal", "hello from nc")
    );
    // (The door shows presence too: "* terminal joined; 2 here".)
    assert_eq!(
        nc.line_containing("hello from nc").await,
        format!("[{}] terminal: hello from nc", m.seq)
    );

    browser
        .send_text(r#"{"type":"say","text":"hello from the browser"}"#)
        .await;
    assert_eq!(
        nc.line_containing("hello from the browser").await,
        format!("[{}] web: hello from the browser", m.seq + 1)
    );

    // The browser's own message comes back to it first, then the departure.
    let ServerMessage::Message(own) = browser.recv_no_presence().await else {
        panic!("own message")
    };
    assert_eq!(own.from.as_str(), "web");
    nc.type_line("/who").await;
    assert_eq!(
        nc.line_containing("in all").await,
        "* here (2 in all): terminal, web"
    );
    nc.type_line("/quit").await;
    browser
        .recv_until(|m| crate::common::left(m, "terminal"))
        .await;
    server.stop().await;
}

#[tokio::test]
async fn a_flooding_nc_client_gets_the_chat_limits_and_a_bystander_is_served() {
    // The door is a transport of the chat service: the same token bucket
    // (10/s, bursts of 20) and the same strikes that end abuse as for a
    // WebSocket client. Before, one nc client put 25,000 messages into a
    // room in 5 s and got the bystander closed with 1013.
    let server = TestServer::start().await;
    let mut bystander = server.connect("/ws/chat?room=flood&name=web").await;
    assert!(matches!(
        bystander.recv().await,
        ServerMessage::Welcome { .. }
    ));
    let mut nc = LineClient::connect(&server).await;
    nc.enter("flooder", "flood").await;
    bystander
        .recv_until(|m| crate::common::joined(m, "flooder"))
        .await;

    let flood: String = (0..2_000).map(|i| format!("spam {i}\n")).collect();
    // The server may close before it has read everything.
    let _ = nc.writer.write_all(flood.as_bytes()).await;

    let (mut slow_down, mut goodbye) = (0, None);
    while let Some(line) = nc.line_or_eof().await {
        if line.starts_with("! slow down") {
            slow_down += 1;
        } else if line.contains("sending too fast, repeatedly") {
            goodbye = Some(line);
        }
    }
    assert!(
        slow_down > 0,
        "the excess was answered with rate-limit errors"
    );
    assert_eq!(
        goodbye.as_deref(),
        Some("! sending too fast, repeatedly; goodbye"),
        "persistent excess ends the session, as 1008 does for a WebSocket"
    );

    // The bystander got the burst, not the flood, then the departure.
    let mut spam = 0;
    loop {
        match bystander.recv().await {
            ServerMessage::Message(m) if m.from.as_str() == "flooder" => spam += 1,
            m if crate::common::left(&m, "flooder") => break,
            ServerMessage::Presence { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        (20..=30).contains(&spam),
        "{spam} flooded messages reached the room; the burst is 20"
    );
    bystander
        .send_text(r#"{"type":"say","text":"still here"}"#)
        .await;
    let ServerMessage::Message(own) = bystander.recv_no_presence().await else {
        panic!("the bystander is still served")
    };
    assert_eq!(own.text, "still here");
    server.stop().await;
}

#[tokio::test]
async fn the_door_validates_lines_as_the_chat_does() {
    let server = TestServer::start().await;
    let mut nc = LineClient::connect(&server).await;
    nc.enter("checker", "valid").await;
    nc.type_line("/help").await;
    assert_eq!(
        nc.reply().await,
        "* type a line to say it; /who lists who is here (/who NAME: after NAME); /quit leaves"
    );
    nc.type_line("bell\u{7}ring").await;
    let refused = nc.reply().await;
    assert!(
        refused.starts_with("! ") && refused.contains("control characters"),
        "{refused}"
    );
    let long = "x".repeat(socketlab_shared::chat::MAX_SAY_BYTES + 10);
    nc.type_line(&long).await;
    let refused = nc.reply().await;
    assert!(refused.contains("limited to"), "{refused}");
    // Neither ended the session (an over-long line used to).
    nc.type_line("fine").await;
    assert!(nc.reply().await.ends_with("checker: fine"));
    server.stop().await;
}

#[tokio::test]
async fn a_door_client_that_types_nothing_is_let_go() {
    let server = TestServer::start_with(|c| c.door_idle_secs = 1).await;
    let mut browser = server.connect("/ws/chat?room=quiet&name=web").await;
    let _ = browser.recv().await;
    let mut nc = LineClient::connect(&server).await;
    nc.enter("lurker", "quiet").await;
    // A busy room does not keep a quiet client: the deadline runs from its
    // last line, not from the last event.
    for i in 0..4 {
        browser
            .send_text(&format!(r#"{{"type":"say","text":"tick {i}"}}"#))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let mut goodbye = None;
    while let Some(line) = nc.line_or_eof().await {
        if line.contains("goodbye") {
            goodbye = Some(line);
        }
    }
    let goodbye = goodbye.expect("a last line");
    assert!(goodbye.contains("--door-idle-secs"), "{goodbye}");
    server.stop().await;
}
