//! `wss://` and `https://` with a self-signed certificate made in the test.

use std::sync::Arc;

use crate::common;
use crate::common::TestServer;
use futures_util::{SinkExt, StreamExt};
use rustls_pki_types::{CertificateDer, ServerName};
use socketlab_shared::ServerInfo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;

struct Certificate {
    _dir: tempfile::TempDir,
    cert_path: std::path::PathBuf,
    key_path: std::path::PathBuf,
    der: CertificateDer<'static>,
}

fn self_signed() -> Certificate {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("generate a certificate");
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, certified.cert.pem()).unwrap();
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();
    Certificate {
        der: certified.cert.der().clone(),
        _dir: dir,
        cert_path,
        key_path,
    }
}

async fn tls_connect(server: &TestServer, cert: &Certificate) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake with the server's certificate")
}

#[tokio::test]
async fn wss_round_trip_and_https_info() {
    let cert = self_signed();
    let server = TestServer::start_tls(|c| {
        c.tls_cert = Some(cert.cert_path.clone());
        c.tls_key = Some(cert.key_path.clone());
    })
    .await;

    // A WebSocket over TLS: wss://.
    let stream = tls_connect(&server, &cert).await;
    let url = format!("wss://localhost:{}/ws/echo", server.addr.port());
    let (mut ws, response) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    assert_eq!(response.status(), 101);
    ws.send(Message::text("over TLS")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("over TLS"));
    ws.close(None).await.unwrap();

    // Plain HTTPS: the info document names the secure schemes.
    let mut stream = tls_connect(&server, &cert).await;
    stream
        .write_all(b"GET /api/info HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok();
    let body = response.split_once("\r\n\r\n").unwrap().1;
    let info: ServerInfo = serde_json::from_str(body).unwrap();
    let chat = info.endpoints.iter().find(|e| e.name == "chat").unwrap();
    assert_eq!(chat.protocol, "wss");

    // A client that skips TLS gets nothing usable.
    let mut plain = TcpStream::connect(server.addr).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = Vec::new();
    let _ = tokio::time::timeout(common::WAIT, plain.read_to_end(&mut buffer)).await;
    assert!(!String::from_utf8_lossy(&buffer).contains("200 OK"));
    server.stop().await;
}

#[tokio::test]
async fn a_key_that_does_not_match_is_refused_at_start() {
    let cert = self_signed();
    let other = self_signed();
    let mut config = socketlab_server::Config::with_listen("127.0.0.1:0".parse().unwrap());
    config.tls_cert = Some(cert.cert_path.clone());
    config.tls_key = Some(other.key_path.clone());
    let err = socketlab_server::Server::bind(config)
        .await
        .err()
        .expect("mismatched key");
    let message = format!("{err:#}");
    assert!(
        message.contains("--tls-cert") && message.contains("--tls-key"),
        "{message}"
    );

    let mut config = socketlab_server::Config::with_listen("127.0.0.1:0".parse().unwrap());
    config.tls_cert = Some("/no/such/cert.pem".into());
    config.tls_key = Some(cert.key_path.clone());
    let err = socketlab_server::Server::bind(config)
        .await
        .err()
        .expect("missing file");
    assert!(format!("{err:#}").contains("/no/such/cert.pem"));
}
