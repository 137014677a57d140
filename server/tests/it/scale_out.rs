//! Chat rooms spanning several `socketlab` processes on one NATS server:
//! real processes, real nats-server, real WebSocket clients.

use std::process::Stdio;
use std::time::Duration;

use crate::common::{http_get, Client};
use crate::nats::{CutProxy, NatsServer};
use futures_util::StreamExt;
use socketlab_shared::{ErrorCode, ServerInfo, ServerMessage};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A `socketlab` process on the shared bus.
struct Instance {
    child: Child,
    ws: String,
    addr: std::net::SocketAddr,
}

impl Instance {
    async fn start(nats: &NatsServer, id: &str) -> Self {
        Self::start_on(&nats.url(), id, &[]).await
    }

    /// Started on the bus at `url`, with `extra` flags besides the usual
    /// ones.
    async fn start_on(url: &str, id: &str, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_socketlab"))
            .args(["--listen", "127.0.0.1:0", "--bus", url, "--instance-id", id])
            .args([
                "--no-tcp-echo",
                "--no-udp-echo",
                "--no-tcp-chat",
                "--log",
                "warn",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("open ") {
                    return url.trim().trim_end_matches('/').to_owned();
                }
            }
            panic!("{id} exited without printing its URL");
        })
        .await
        .expect("instance starts");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let addr = url.trim_start_matches("http://").parse().unwrap();
        Self {
            child,
            ws: url.replacen("http://", "ws://", 1),
            addr,
        }
    }

    async fn join(&self, room: &str, name: &str) -> (Client, ServerMessage) {
        let mut client =
            Client::connect(&format!("{}/ws/chat?room={room}&name={name}", self.ws)).await;
        let welcome = client.recv().await;
        assert!(
            matches!(welcome, ServerMessage::Welcome { .. }),
            "{welcome:?}"
        );
        (client, welcome)
    }

    fn sigkill(&mut self) {
        let pid = self.child.id().unwrap().to_string();
        assert!(std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success());
    }
}

fn you(welcome: &ServerMessage) -> String {
    match welcome {
        ServerMessage::Welcome { you, .. } => you.to_string(),
        _ => unreachable!(),
    }
}

fn members(welcome: &ServerMessage) -> Vec<String> {
    match welcome {
        ServerMessage::Welcome { members, .. } => members.iter().map(|m| m.to_string()).collect(),
        _ => unreachable!(),
    }
}

/// The next chat message's (from, text, seq), skipping presence events.
async fn next_said(client: &mut Client) -> (String, String, u64) {
    match client
        .recv_until(|m| matches!(m, ServerMessage::Message(_)))
        .await
    {
        ServerMessage::Message(m) => (m.from.to_string(), m.text, m.seq),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn three_instances_share_rooms_order_history_and_names() {
    let nats = NatsServer::start();
    let a = Instance::start(&nats, "inst-a").await;
    let b = Instance::start(&nats, "inst-b").await;
    let c = Instance::start(&nats, "inst-c").await;

    let (_, info) = http_get(b.addr, "/api/info").await;
    let info: ServerInfo = serde_json::from_str(&info).unwrap();
    let instance = info.instance.unwrap();
    assert_eq!(
        (instance.id.as_str(), instance.bus.as_str()),
        ("inst-b", "nats")
    );

    let (mut ada, _) = a.join("span", "ada").await;
    // The same name on another instance gets a suffix.
    let (mut ada2, welcome) = b.join("span", "ada").await;
    assert_eq!(you(&welcome), "ada-2");
    assert_eq!(members(&welcome), ["ada", "ada-2"]);
    // The welcome names this instance and where every member is.
    let ServerMessage::Welcome {
        instance,
        member_instances,
        ..
    } = &welcome
    else {
        unreachable!()
    };
    assert_eq!(instance.as_ref().map(|i| i.id.as_str()), Some("inst-b"));
    let placed: Vec<(&str, &str)> = member_instances
        .iter()
        .map(|(n, i)| (n.as_str(), i.as_str()))
        .collect();
    assert_eq!(placed, [("ada", "inst-a"), ("ada-2", "inst-b")]);
    // And ada, on a, hears where ada-2 joined.
    let presence = ada.recv_until(|m| crate::common::joined(m, "ada-2")).await;
    let ServerMessage::Presence {
        member_instances, ..
    } = &presence
    else {
        unreachable!()
    };
    assert_eq!(
        member_instances
            .iter()
            .find(|(name, _)| name.as_str() == "ada-2")
            .map(|(_, instance)| instance.as_str()),
        Some("inst-b"),
        "{presence:?}"
    );

    // Interleaved speakers on two instances: everyone sees one order, one seq.
    for i in 0..10 {
        let speaker = if i % 2 == 0 { &mut ada } else { &mut ada2 };
        speaker
            .send_text(&format!(r#"{{"type":"say","text":"m{i}"}}"#))
            .await;
    }
    let mut seen_a = Vec::new();
    let mut seen_b = Vec::new();
    for _ in 0..10 {
        seen_a.push(next_said(&mut ada).await);
        seen_b.push(next_said(&mut ada2).await);
    }
    assert_eq!(
        seen_a, seen_b,
        "both instances deliver the same order and seq"
    );
    assert!(
        seen_a.windows(2).all(|w| w[0].2 < w[1].2),
        "seq strictly increases"
    );

    // A newcomer on a third instance gets the history from all instances.
    let (_carol, welcome) = c.join("span", "carol").await;
    let ServerMessage::Welcome {
        history, members, ..
    } = &welcome
    else {
        unreachable!()
    };
    let history: Vec<(String, String, u64)> = history
        .iter()
        .map(|m| (m.from.to_string(), m.text.clone(), m.seq))
        .collect();
    assert_eq!(history, seen_a);
    assert_eq!(
        members.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["ada", "ada-2", "carol"]
    );
}

#[tokio::test]
async fn a_killed_instance_members_leave_on_the_others() {
    let nats = NatsServer::start();
    let mut a = Instance::start(&nats, "doomed").await;
    let b = Instance::start(&nats, "survivor").await;
    let (_victim, _) = a.join("fate", "victim").await;
    let (mut watcher, welcome) = b.join("fate", "watcher").await;
    assert_eq!(members(&welcome), ["victim", "watcher"]);
    // Let a heartbeat carry the victim's membership to the survivor.
    tokio::time::sleep(Duration::from_secs(4)).await;

    a.sigkill();
    let started = tokio::time::Instant::now();
    let left = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) =
                watcher.ws.next().await
            {
                if let Ok(ServerMessage::Presence { left, .. }) = ServerMessage::parse(&text) {
                    if let Some(name) = left.into_iter().next() {
                        return name;
                    }
                }
            }
        }
    })
    .await
    .expect("`left` for the dead instance's member within 15 s");
    assert_eq!(left.as_str(), "victim");
    eprintln!("left announced {:?} after SIGKILL", started.elapsed());
    // Its name is free again.
    let (_again, welcome) = b.join("fate", "victim").await;
    assert_eq!(you(&welcome), "victim");
}

/// The next `left` the client hears, skipping everything else, within `bound`.
async fn next_left(client: &mut Client, bound: Duration) -> String {
    tokio::time::timeout(bound, async {
        loop {
            if let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) =
                client.ws.next().await
            {
                if let Ok(ServerMessage::Presence { left, .. }) = ServerMessage::parse(&text) {
                    if let Some(name) = left.into_iter().next() {
                        return name.to_string();
                    }
                }
            }
        }
    })
    .await
    .expect("a `left` within the bound")
}

#[tokio::test]
async fn an_instance_killed_right_after_a_join_leaves_no_ghost() {
    let nats = NatsServer::start();
    let mut a = Instance::start(&nats, "short-lived").await;
    let (_victim, _) = a.join("brief", "victim").await;
    // The survivor starts after the victim joined: it has heard no
    // heartbeat that could name the victim (nor, most likely, any heartbeat
    // of the doomed instance at all); it knows them from the member records.
    let b = Instance::start(&nats, "survivor").await;
    let (mut watcher, welcome) = b.join("brief", "watcher").await;
    assert_eq!(members(&welcome), ["victim", "watcher"]);
    a.sigkill();

    let left = next_left(&mut watcher, Duration::from_secs(30)).await;
    assert_eq!(left, "victim");
    // And the name is free again (polled: the others may free it a moment
    // after announcing).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_again, welcome) = b.join("brief", "victim").await;
        if you(&welcome) == "victim" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dead instance's name stayed claimed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_nats_outage_errors_senders_and_recovers() {
    let mut nats = NatsServer::start();
    let a = Instance::start(&nats, "inst-a").await;
    let b = Instance::start(&nats, "inst-b").await;
    let (mut ada, _) = a.join("storm", "ada").await;
    let (mut bob, _) = b.join("storm", "bob").await;
    ada.send_text(r#"{"type":"say","text":"before"}"#).await;
    assert_eq!(next_said(&mut bob).await.1, "before");

    nats.kill();
    // Not ready while the bus is down, but the WebSockets stay open.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while http_get(a.addr, "/readyz").await.0 != 503 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "readyz never reported the outage"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ada.send_text(r#"{"type":"say","text":"during"}"#).await;
    let reply = ada
        .recv_until(|m| matches!(m, ServerMessage::Error { .. }))
        .await;
    assert!(
        matches!(
            reply,
            ServerMessage::Error {
                code: ErrorCode::Unavailable,
                ..
            }
        ),
        "{reply:?}"
    );

    nats.restart();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while http_get(a.addr, "/readyz").await.0 != 200 || http_get(b.addr, "/readyz").await.0 != 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "instances did not reconnect"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Messages flow again, in both directions.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        ada.send_text(r#"{"type":"say","text":"after"}"#).await;
        let reply = tokio::time::timeout(Duration::from_secs(2), ada.ws.next()).await;
        if let Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text)))) = reply {
            if matches!(ServerMessage::parse(&text), Ok(ServerMessage::Message(ref m)) if m.text == "after")
            {
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "messages never flowed again"
        );
    }
    let (_, text, _) = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let said = next_said(&mut bob).await;
            if said.1 == "after" {
                return said;
            }
        }
    })
    .await
    .expect("bob receives after the restart");
    assert_eq!(text, "after");
    bob.send_text(r#"{"type":"say","text":"bob is back"}"#)
        .await;
    loop {
        if next_said(&mut ada).await.1 == "bob is back" {
            break;
        }
    }
}

#[tokio::test]
async fn a_room_whose_feed_cannot_be_reopened_closes_its_members_so_they_reconnect() {
    // NATS gone for longer than --bus-recover-secs: the room's reader
    // cannot reopen its consumer, and its members are told so (1013, a
    // reason) instead of sitting in a room that hears nothing.
    let mut nats = NatsServer::start();
    let a = Instance::start_on(&nats.url(), "inst-a", &["--bus-recover-secs", "1"]).await;
    let (mut ada, _) = a.join("adrift", "ada").await;
    ada.send_text(r#"{"type":"say","text":"before"}"#).await;
    assert_eq!(next_said(&mut ada).await.1, "before");

    nats.kill();
    // Silence first (the reader waits a few heartbeats), then a second of
    // trying to reopen.
    let frame = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match ada.ws.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("the member is closed once the room cannot be recovered")
    .expect("with a code and a reason");
    assert_eq!(
        u16::from(frame.code),
        socketlab_shared::close::TRY_AGAIN_LATER
    );
    assert!(
        frame.reason.contains("lost this room"),
        "{:?}",
        frame.reason
    );
    let metrics = crate::common::metrics_when(a.addr, "the lost room is counted", |m| {
        m.contains("socketlab_bus_rooms_lost_total 1")
    })
    .await;
    assert!(
        !metrics.contains("socketlab_bus_reader_restarts_total 0"),
        "{metrics}"
    );

    // Once NATS is back, the member's reconnect gets the room again, with
    // its history.
    nats.restart();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while http_get(a.addr, "/readyz").await.0 != 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the instance did not reconnect"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (mut ada, welcome) = loop {
        let mut client = Client::connect(&format!("{}/ws/chat?room=adrift&name=ada", a.ws)).await;
        let first = tokio::time::timeout(Duration::from_secs(5), client.ws.next()).await;
        if let Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text)))) = first {
            let welcome = ServerMessage::parse(&text).unwrap();
            if matches!(welcome, ServerMessage::Welcome { .. }) {
                break (client, welcome);
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the room never came back after NATS did"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let ServerMessage::Welcome { history, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(
        history.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        ["before"]
    );
    ada.send_text(r#"{"type":"say","text":"after"}"#).await;
    assert_eq!(next_said(&mut ada).await.1, "after");
}

#[tokio::test]
async fn a_presence_update_lost_in_a_network_cut_is_made_good() {
    // Presence between instances is core NATS: what is published while an
    // instance's connection is down never reaches it. The next numbered
    // update shows the gap, and the member list is read again.
    let nats = NatsServer::start();
    let proxy = CutProxy::start(&nats).await;
    let a = Instance::start(&nats, "inst-a").await;
    let b = Instance::start_on(&proxy.url(), "inst-b", &[]).await;
    let (mut bob, _) = b.join("cut", "bob").await;
    let (_ada, _) = a.join("cut", "ada").await;
    bob.recv_until(|m| crate::common::joined(m, "ada")).await;

    // Cut b off, and watch a's update about carl go by without it.
    let client = async_nats::connect(nats.url()).await.unwrap();
    let mut presence = client.subscribe("socketlab.presence.cut").await.unwrap();
    client.flush().await.unwrap();
    proxy.cut();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while http_get(b.addr, "/readyz").await.0 != 503 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "b never noticed the cut"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_carl, _) = a.join("cut", "carl").await;
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(message) = presence.next().await {
            if String::from_utf8_lossy(&message.payload).contains("carl") {
                return;
            }
        }
    })
    .await
    .expect("a announces carl");
    proxy.mend();
    while http_get(b.addr, "/readyz").await.0 != 200 {
        assert!(
            tokio::time::Instant::now() < deadline + Duration::from_secs(10),
            "b never reconnected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // a's next update is the first b hears again; carl was in the lost one.
    let (_dora, _) = a.join("cut", "dora").await;
    let mut heard = std::collections::BTreeSet::new();
    tokio::time::timeout(Duration::from_secs(15), async {
        while !(heard.contains("carl") && heard.contains("dora")) {
            let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = bob.ws.next().await
            else {
                continue;
            };
            if let Ok(ServerMessage::Presence { joined, .. }) = ServerMessage::parse(&text) {
                heard.extend(joined.iter().map(|n| n.to_string()));
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("bob heard of {heard:?} joining, not carl and dora"));
    bob.send_text(r#"{"type":"members"}"#).await;
    let page = bob
        .recv_until(|m| matches!(m, ServerMessage::Members { .. }))
        .await;
    let ServerMessage::Members {
        members,
        member_instances,
        ..
    } = page
    else {
        unreachable!()
    };
    let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
    assert_eq!(members, ["ada", "bob", "carl", "dora"]);
    // The page says where each of them is connected, the ones b heard of
    // only after the cut included.
    let placed: Vec<(String, &str)> = member_instances
        .iter()
        .map(|(name, instance)| (name.to_string(), instance.as_str()))
        .collect();
    assert_eq!(
        placed,
        [
            ("ada".to_owned(), "inst-a"),
            ("bob".to_owned(), "inst-b"),
            ("carl".to_owned(), "inst-a"),
            ("dora".to_owned(), "inst-a"),
        ]
    );
}
