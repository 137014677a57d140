//! What an operator relies on: metrics, readiness, logs, configuration errors.

use std::time::Duration;

use crate::common;
use crate::common::{http_get, TestServer};
use socketlab_shared::ServerMessage;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

fn normal() -> CloseFrame {
    CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    }
}

/// The value of one sample line in a Prometheus text exposition.
fn sample(metrics: &str, line_start: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_move_when_clients_connect_and_send() {
    let server = TestServer::start().await;
    let (status, before) = http_get(server.addr, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(
        sample(&before, "socketlab_connections_open{endpoint=\"echo\"}"),
        0.0
    );

    let mut echo = server.connect("/ws/echo").await;
    for _ in 0..3 {
        echo.send(Message::text("hi")).await;
        let _ = echo.next().await;
    }
    let mut chat = server.connect("/ws/chat?room=m&name=ada").await;
    let _ = chat.recv().await;
    chat.send_text(r#"{"type":"say","text":"x"}"#).await;
    assert!(matches!(
        chat.recv_no_presence().await,
        ServerMessage::Message(_)
    ));
    let mut relay = server.connect("/ws/relay/tcp-echo").await;
    relay.send(Message::binary(vec![0u8; 1000])).await;
    let _ = relay.next().await;
    let _ = tokio_tungstenite::connect_async(server.ws_url("/ws/relay/missing")).await;

    let (_, during) = http_get(server.addr, "/metrics").await;
    assert_eq!(
        sample(&during, "socketlab_connections_open{endpoint=\"echo\"}"),
        1.0
    );
    assert_eq!(
        sample(
            &during,
            "socketlab_messages_received_total{endpoint=\"echo\"}"
        ),
        3.0
    );
    assert_eq!(
        sample(&during, "socketlab_messages_sent_total{endpoint=\"echo\"}"),
        3.0
    );
    assert_eq!(
        sample(
            &during,
            "socketlab_messages_received_total{endpoint=\"chat\"}"
        ),
        1.0
    );
    assert!(sample(&during, "socketlab_messages_sent_total{endpoint=\"chat\"}") >= 1.0);
    assert_eq!(
        sample(
            &during,
            "socketlab_relay_bytes_total{target=\"tcp-echo\",direction=\"to_target\"}"
        ),
        1000.0
    );
    assert_eq!(
        sample(
            &during,
            "socketlab_handshake_failures_total{reason=\"unknown_target\"}"
        ),
        1.0
    );
    assert_eq!(sample(&during, "socketlab_chat_members"), 1.0);
    assert!(during.contains("socketlab_relay_connect_seconds_count{target=\"tcp-echo\"} 1"));

    echo.ws.close(Some(normal())).await.unwrap();
    let after = common::metrics_when(server.addr, "close not counted", |m| {
        sample(m, "socketlab_closes_total{endpoint=\"echo\",code=\"1000\"}") == 1.0
    })
    .await;
    assert_eq!(
        sample(&after, "socketlab_connections_open{endpoint=\"echo\"}"),
        0.0
    );
    server.stop().await;
}

#[tokio::test]
async fn readyz_turns_503_while_draining_after_sigterm() {
    let (mut child, url) =
        common::spawn_binary(&["--listen", "127.0.0.1:0", "--drain-secs", "2"]).await;
    let addr = url.trim_start_matches("http://").parse().unwrap();
    assert_eq!(http_get(addr, "/readyz").await, (200, "ready".to_owned()));
    let mut client = common::Client::connect(&format!("ws://{addr}/ws/echo")).await;

    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    // WebSockets are told at once...
    let frame = client.expect_close().await.unwrap();
    assert_eq!(u16::from(frame.code), 1001);
    // ...while HTTP keeps answering, not ready, during the drain.
    assert_eq!(
        http_get(addr, "/readyz").await,
        (503, "shutting down".to_owned())
    );
    assert_eq!(http_get(addr, "/healthz").await.0, 200);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn json_logs_have_one_line_per_connection_with_its_numbers() {
    let (mut child, url) =
        common::spawn_binary(&["--listen", "127.0.0.1:0", "--log-format", "json"]).await;
    let ws = url.replacen("http://", "ws://", 1);
    let mut client = common::Client::connect(&format!("{ws}/ws/echo")).await;
    client.send(Message::text("hello")).await;
    let _ = client.next().await;
    client.ws.close(Some(normal())).await.unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let closed = tokio::time::timeout(common::WAIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let value: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON log line: {line}: {e}"));
            if value["message"] == "websocket closed" {
                return value;
            }
        }
        panic!("no close log line");
    })
    .await
    .unwrap();
    assert_eq!(closed["endpoint"], "echo");
    assert_eq!(closed["close_code"], 1000);
    assert!(closed["bytes_in"].as_u64().unwrap() > 5);
    assert!(closed["bytes_out"].as_u64().unwrap() > 5);
    assert!(closed["peer"].as_str().unwrap().contains("127.0.0.1"));
    assert!(closed["duration_ms"].is_u64());
}

#[tokio::test]
async fn a_bad_config_file_fails_with_the_key_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("socketlab.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:0\"\nmax-room = 5\n").unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_socketlab"))
        .arg("--config")
        .arg(&path)
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown key `max-room`"), "{stderr}");
    assert!(
        stderr.contains("max-rooms"),
        "the valid keys are listed: {stderr}"
    );

    std::fs::write(&path, "relay-target = [\"vnc=ftp://x:1\"]\n").unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_socketlab"))
        .arg("--config")
        .arg(&path)
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("relay-target"));
}

#[tokio::test]
async fn behind_a_trusted_proxy_limits_apply_to_the_forwarded_address() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let server = TestServer::start_with(|c| {
        c.trust_proxy = true;
        c.max_connections_per_ip = 1;
    })
    .await;
    let connect = |forwarded: &'static str| {
        let mut request = server.ws_url("/ws/echo").into_client_request().unwrap();
        request
            .headers_mut()
            .insert("x-forwarded-for", forwarded.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    let _first = connect("198.51.100.7, 10.0.0.1")
        .await
        .expect("first client");
    let _second = connect("203.0.113.9")
        .await
        .expect("another client, same proxy");
    match connect("10.9.9.9, 10.0.0.1").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503)
        }
        other => panic!("the same forwarded address twice must be refused: {other:?}"),
    }
    server.stop().await;
}

#[tokio::test]
async fn a_rate_that_is_not_a_finite_number_is_refused_naming_the_flag() {
    // NaN would make every comparison in the token bucket false: no limit
    // at all, silently.
    for bad in ["NaN", "inf", "-1", "0", "lots"] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_socketlab"))
            .args(["--listen", "127.0.0.1:0"])
            .arg(format!("--chat-rate={bad}"))
            .output()
            .await
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "--chat-rate {bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--chat-rate"), "{stderr}");
    }
}

#[tokio::test]
async fn client_chosen_close_codes_do_not_grow_the_metrics() {
    let server = TestServer::start().await;
    // Forty clients, forty codes of their own choosing.
    for code in (4000..4040).chain(3000..3002) {
        let mut client = server.connect("/ws/echo").await;
        client
            .ws
            .close(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: "mine".into(),
            }))
            .await
            .unwrap();
        let _ = client.expect_close().await;
    }
    let closes = |metrics: &str, code: &str| {
        sample(
            metrics,
            &format!("socketlab_closes_total{{endpoint=\"echo\",code=\"{code}\"}}"),
        )
    };
    let metrics = common::metrics_when(server.addr, "closes not counted", |m| {
        closes(m, "4xxx") == 40.0 && closes(m, "3xxx") == 2.0
    })
    .await;
    let series = metrics
        .lines()
        .filter(|l| l.starts_with("socketlab_closes_total{"))
        .count();
    assert_eq!(series, 2, "one series per range, not per code:\n{metrics}");
    server.stop().await;
}

#[tokio::test]
async fn a_client_cannot_choose_its_forwarded_address_with_header_lines_of_its_own() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let server = TestServer::start_with(|c| {
        c.trust_proxy = true;
        c.max_connections_per_ip = 1;
    })
    .await;
    // Each request carries its X-Forwarded-For as separate header lines: the
    // client's own first, the proxy's appended last.
    let connect = |lines: &'static [&'static str]| {
        let mut request = server.ws_url("/ws/echo").into_client_request().unwrap();
        for line in lines {
            request
                .headers_mut()
                .append("x-forwarded-for", line.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
    };
    let status = |result: Result<_, tokio_tungstenite::tungstenite::Error>| match result {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("{other:?}"),
    };
    let first = connect(&["198.51.100.1", "192.0.2.10"]).await;
    assert!(first.is_ok(), "first client");
    assert_eq!(
        status(connect(&["198.51.100.2", "192.0.2.10"]).await),
        503,
        "the proxy's line decides, not the client's"
    );
    // IPv6 clients count by their /64.
    let v6 = connect(&["2001:db8:1:2::1"]).await;
    assert!(v6.is_ok());
    assert_eq!(status(connect(&["2001:db8:1:2::ffff"]).await), 503);
    assert_eq!(status(connect(&["2001:db8:1:3::1"]).await), 101);
    drop((first, v6));
    server.stop().await;
}

#[tokio::test]
async fn a_log_nobody_reads_does_not_stop_the_server() {
    // spawn_binary pipes stderr and never reads it, like `socketlab | less`
    // paused, or a stuck log shipper. Each connection logs two lines; a
    // blocking writer stopped a runtime worker after a few hundred.
    let (_child, url) = common::spawn_binary(&["--listen", "127.0.0.1:0", "--log", "info"]).await;
    let ws = url.replacen("http://", "ws://", 1);
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let churn = async {
        for _ in 0..3_000 {
            let mut client = common::Client::connect(&format!("{ws}/ws/echo")).await;
            client.ws.close(Some(normal())).await.unwrap();
            let _ = client.expect_close().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(120), churn)
        .await
        .expect("connections kept being served while nobody read the log");
    assert_eq!(http_get(addr, "/healthz").await.0, 200);
    let (_, metrics) = http_get(addr, "/metrics").await;
    assert!(
        sample(&metrics, "socketlab_log_lines_dropped_total") > 0.0,
        "the lines that could not be written are counted:\n{metrics}"
    );
}

#[tokio::test]
async fn task_gauges_rise_with_a_session_and_come_back_when_it_ends() {
    // What `cargo xtask soak` watches for leaks: both gauges exist, count
    // a session while it lasts and return to their idle values after it.
    let server = TestServer::start().await;
    let (_, idle) = http_get(server.addr, "/metrics").await;
    let tracked = sample(&idle, "socketlab_tasks_open ");
    let alive = sample(&idle, "socketlab_runtime_tasks_alive ");
    assert!(tracked >= 1.0 && alive >= tracked, "{idle}");
    let mut client = server.connect("/ws/echo").await;
    client.send(Message::text("hi")).await;
    assert_eq!(client.next().await, Message::text("hi"));
    common::metrics_when(server.addr, "the session is not counted", |m| {
        sample(m, "socketlab_tasks_open ") > tracked
            && sample(m, "socketlab_runtime_tasks_alive ") > alive
    })
    .await;
    client.ws.close(Some(normal())).await.unwrap();
    let _ = client.expect_close().await;
    drop(client);
    common::metrics_when(server.addr, "the tasks did not come back", |m| {
        sample(m, "socketlab_tasks_open ") == tracked
            && sample(m, "socketlab_runtime_tasks_alive ") <= alive
    })
    .await;
    server.stop().await;
}
