//! SIGHUP reloads the `--tls-cert`/`--tls-key` certificate of the
//! WebTransport listener, against the real binary: new sessions get the
//! new certificate, a live session goes on, and a broken file keeps the
//! old one and says why.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use web_transport_quinn::Session;

use crate::common::WAIT;

/// A self-signed P-256 certificate (rcgen's default key), its PEM files
/// under `dir/name.*`, and its SHA-256.
fn certificate(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf, Vec<u8>) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}.key"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let provider = web_transport_quinn::crypto::default_provider();
    let hash = web_transport_quinn::crypto::sha256(&provider, certified.cert.der());
    (cert, key, hash.as_ref().to_vec())
}

/// Opens `/wt/echo` on UDP `port` accepting only the certificate `hash`.
async fn open(port: u16, hash: &[u8]) -> Result<Session, String> {
    let client = web_transport_quinn::ClientBuilder::new()
        .with_server_certificate_hashes(vec![hash.to_vec()])
        .unwrap();
    let url = url::Url::parse(&format!("https://127.0.0.1:{port}/wt/echo")).unwrap();
    match tokio::time::timeout(WAIT, client.connect(url)).await {
        Ok(Ok(session)) => Ok(session),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

/// Sends datagrams until one comes back (a datagram may be lost).
async fn echoes(session: &Session) -> bool {
    for _ in 0..10 {
        if session
            .send_datagram(Bytes::from_static(b"still here"))
            .is_err()
        {
            return false;
        }
        if let Ok(reply) =
            tokio::time::timeout(Duration::from_millis(500), session.read_datagram()).await
        {
            return reply.is_ok_and(|r| &r[..] == b"still here");
        }
    }
    false
}

/// Sends SIGHUP to `pid`.
fn hang_up(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for a log line containing every one of `words`.
async fn logged(lines: &mut mpsc::UnboundedReceiver<String>, words: &[&str]) -> String {
    tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.recv().await {
            if words.iter().all(|word| line.contains(word)) {
                return line;
            }
        }
        panic!("the server exited before logging {words:?}");
    })
    .await
    .unwrap_or_else(|_| panic!("no log line with {words:?}"))
}

#[tokio::test]
async fn sighup_swaps_the_certificate_for_new_sessions_and_keeps_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, old_hash) = certificate(dir.path(), "live");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_socketlab"))
        .args(["--listen", "127.0.0.1:0", "--log", "info"])
        .args(["--no-tcp-echo", "--no-udp-echo", "--no-tcp-chat"])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let port: u16 = tokio::time::timeout(WAIT, async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("open https://") {
                let authority = url.trim().trim_end_matches('/');
                return authority.rsplit_once(':').unwrap().1.parse().unwrap();
            }
        }
        panic!("socketlab exited without printing its URL");
    })
    .await
    .expect("URL printed promptly");
    tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
    let (tx, mut log) = mpsc::unbounded_channel();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = stderr.next_line().await {
            let _ = tx.send(line);
        }
    });
    let pid = child.id().unwrap();

    let live = open(port, &old_hash).await.expect("the first certificate");
    assert!(echoes(&live).await);

    // The new pair replaces the files the flags name, then SIGHUP.
    let (new_cert, new_key, new_hash) = certificate(dir.path(), "next");
    std::fs::rename(&new_cert, &cert).unwrap();
    std::fs::rename(&new_key, &key).unwrap();
    hang_up(pid);
    logged(&mut log, &["WebTransport certificate reloaded", "live.pem"]).await;
    let fresh = open(port, &new_hash).await.expect("the new certificate");
    assert!(echoes(&fresh).await);
    let refused = open(port, &old_hash).await;
    assert!(
        refused.is_err(),
        "a new session must not get the old certificate"
    );
    assert!(echoes(&live).await, "the live session goes on");

    // A broken certificate file: the old (new) one stays, the log says why.
    std::fs::write(&cert, "not a certificate\n").unwrap();
    hang_up(pid);
    let line = logged(&mut log, &["WebTransport certificate reload failed"]).await;
    assert!(
        line.contains(&cert.display().to_string()) && line.contains("holds no certificate"),
        "{line}"
    );
    let still = open(port, &new_hash)
        .await
        .expect("the certificate in use stays");
    assert!(echoes(&still).await);
    child.kill().await.unwrap();
}
