//! `--relay-targets-file`: targets added and removed while the server
//! runs, a broken file, websockify's token-file format, and SIGHUP.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::common::{http_get, metrics_when, TestServer, WAIT};
use crate::gateway::{echo_target, refusal};
use socketlab_shared::ServerInfo;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

/// The relay target names `/api/info` lists at `addr`.
async fn target_names(addr: std::net::SocketAddr) -> Vec<String> {
    let (status, body) = http_get(addr, "/api/info").await;
    assert_eq!(status, 200);
    let info: ServerInfo = serde_json::from_str(&body).unwrap();
    info.relay_targets.into_iter().map(|t| t.name).collect()
}

/// Waits (bounded) until `/api/info` lists exactly `names`.
async fn wait_for_targets(addr: std::net::SocketAddr, names: &[&str]) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = target_names(addr).await;
        if now == names {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "targets are {now:?}, expected {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Replaces the file's content in one step, as editors and config
/// management do (write a temporary file, rename it over).
fn replace(path: &Path, text: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

fn quiet(c: &mut socketlab_server::Config) {
    c.no_tcp_echo = true;
    c.no_udp_echo = true;
    c.no_tcp_chat = true;
}

#[tokio::test]
async fn targets_appear_and_disappear_while_live_relays_are_left_alone() {
    let echo = echo_target().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("targets.toml");
    replace(&path, &format!("[a]\nurl = \"tcp://{echo}\"\n"));
    let file = path.clone();
    let server = TestServer::start_with(|c| {
        quiet(c);
        c.relay_targets_file = Some(file);
        c.relay_targets = vec![format!("fixed=tcp://{echo}").parse().unwrap()];
    })
    .await;
    assert_eq!(target_names(server.addr).await, ["a", "fixed"]);
    let mut live = server.connect("/ws/relay/a").await;
    live.send(Message::binary(b"before".to_vec())).await;
    assert_eq!(live.next().await, Message::binary(b"before".to_vec()));

    replace(
        &path,
        &format!("[b]\nurl = \"tcp://{echo}\"\nprotocols = [\"mqtt\"]\n"),
    );
    wait_for_targets(server.addr, &["b", "fixed"]).await;
    // The removed target refuses new connections...
    let (status, _) = refusal(&server.ws_url("/ws/relay/a"), "").await;
    assert_eq!(status, 404);
    // ...while its running relay carries on.
    live.send(Message::binary(b"after".to_vec())).await;
    assert_eq!(live.next().await, Message::binary(b"after".to_vec()));
    // The new one works, with its options.
    let (status, body) = refusal(&server.ws_url("/ws/relay/b"), "amqp").await;
    assert_eq!(status, 400, "{body}");
    let mut fresh = server.connect("/ws/relay/b").await;
    fresh.send(Message::binary(b"new".to_vec())).await;
    assert_eq!(fresh.next().await, Message::binary(b"new".to_vec()));
    metrics_when(server.addr, "one reload counted", |m| {
        m.contains("socketlab_relay_target_reloads_total{result=\"ok\"} 1")
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn a_broken_file_keeps_the_old_targets() {
    let echo = echo_target().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("targets.toml");
    replace(&path, &format!("[a]\nurl = \"tcp://{echo}\"\n"));
    let file = path.clone();
    let server = TestServer::start_with(|c| {
        quiet(c);
        c.relay_targets_file = Some(file);
        c.relay_targets = vec![format!("fixed=tcp://{echo}").parse().unwrap()];
    })
    .await;
    assert_eq!(target_names(server.addr).await, ["a", "fixed"]);
    for (count, broken) in [
        format!("[a]\nurl = \"tcp://{echo}\"\n[b]\nurl = \"tcp://{echo}\"\ntokn = \"x\"\n"),
        "[a\n".to_owned(),
        // Valid alone, but the name is taken by --relay-target.
        format!("[a]\nurl = \"tcp://{echo}\"\n[fixed]\nurl = \"tcp://{echo}\"\n"),
    ]
    .into_iter()
    .enumerate()
    {
        replace(&path, &broken);
        let counted = format!(
            "socketlab_relay_target_reloads_total{{result=\"invalid\"}} {}",
            count + 1
        );
        metrics_when(server.addr, &counted, |m| m.contains(&counted)).await;
        assert_eq!(target_names(server.addr).await, ["a", "fixed"], "{broken}");
    }
    let mut client = server.connect("/ws/relay/a").await;
    client.send(Message::binary(b"still".to_vec())).await;
    assert_eq!(client.next().await, Message::binary(b"still".to_vec()));
    // Fixed, it is taken.
    replace(&path, &format!("[c]\nurl = \"tcp://{echo}\"\n"));
    wait_for_targets(server.addr, &["c", "fixed"]).await;
    server.stop().await;
}

#[tokio::test]
async fn a_bad_file_at_start_up_is_an_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("targets.toml");
    std::fs::write(
        &path,
        "[a]\nurl = \"tcp://127.0.0.1:1\"\n\n[b]\nurl = \"ftp://x:1\"\n",
    )
    .unwrap();
    let mut config = socketlab_server::Config::with_listen("127.0.0.1:0".parse().unwrap());
    quiet(&mut config);
    config.relay_targets_file = Some(path);
    let Err(err) = socketlab_server::Server::bind(config).await else {
        panic!("a bad targets file must stop the start-up");
    };
    let text = format!("{err:#}");
    assert!(
        text.contains("targets.toml (--relay-targets-file): line 4: [b]"),
        "{text}"
    );
}

#[tokio::test]
async fn websockify_token_files_are_read_as_they_are() {
    let echo = echo_target().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.cfg");
    replace(
        &path,
        &format!("# websockify --token-plugin TokenFile\nvnc1: {echo}\n\nvnc2: {echo}\n"),
    );
    let file = path.clone();
    let server = TestServer::start_with(|c| {
        quiet(c);
        c.relay_targets_file = Some(file);
    })
    .await;
    assert_eq!(target_names(server.addr).await, ["vnc1", "vnc2"]);
    let mut client = server.connect("/ws/relay/vnc2").await;
    client.send(Message::text("RFB 003.008\n")).await;
    assert_eq!(
        client.next().await,
        Message::binary(b"RFB 003.008\n".to_vec())
    );
    replace(&path, &format!("vnc3: {echo}\n"));
    wait_for_targets(server.addr, &["vnc3"]).await;
    server.stop().await;
}

#[tokio::test]
async fn sighup_rereads_the_file_even_when_its_time_and_size_did_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("targets.toml");
    std::fs::write(&path, "[aa]\nurl = \"tcp://127.0.0.1:9\"\n").unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_socketlab"))
        .args(["--listen", "127.0.0.1:0", "--log", "warn"])
        .args(["--no-tcp-echo", "--no-udp-echo", "--no-tcp-chat"])
        .arg("--relay-targets-file")
        .arg(&path)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = None;
    while let Ok(Ok(Some(line))) = tokio::time::timeout(WAIT, lines.next_line()).await {
        if let Some(url) = line.strip_prefix("open http://") {
            addr = Some(url.trim().trim_end_matches('/').parse().unwrap());
            break;
        }
    }
    let addr = addr.expect("socketlab printed its URL");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    assert_eq!(target_names(addr).await, ["aa"]);

    // Same size, same modification time: polling cannot see it. A poll
    // that falls between the write and the restored time does see it; then
    // the file has a new baseline and the next name is tried.
    let mut unseen = None;
    for (before, after) in [("aa", "bb"), ("bb", "cc"), ("cc", "dd")] {
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::fs::write(&path, format!("[{after}]\nurl = \"tcp://127.0.0.1:9\"\n")).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        tokio::time::sleep(live_poll() * 2).await;
        let names = target_names(addr).await;
        if names == [before] {
            unseen = Some(after);
            break;
        }
        assert_eq!(
            names,
            [after],
            "a poll between the write and the time reset"
        );
    }
    let after = unseen.expect("polling saw no change in one of three tries");
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for_targets(addr, &[after]).await;
    child.kill().await.unwrap();
}

fn live_poll() -> Duration {
    socketlab_server::service::relay::live::POLL
}
