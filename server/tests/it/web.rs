//! `--web DIR`: another application's page under `/web/`, and every way
//! a raw request could try to read outside DIR.

use std::net::SocketAddr;

use crate::common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A raw `GET path` with `host`; the status and the whole response.
async fn get(addr: SocketAddr, path: &str, host: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(crate::common::WAIT, stream.read_to_end(&mut response))
        .await
        .expect("a response in time")
        .unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

/// The value of header `name` in a raw response.
fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

const SECRET: &str = "TOP-SECRET-OUTSIDE-THE-WEB-ROOT";

/// `outside/secret.txt` beside `root/`, which has files, an index, a
/// directory without one, and symbolic links in and out.
fn web_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    for d in [&root, &outside, &root.join("sub"), &root.join("deep")] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(outside.join("secret.txt"), SECRET).unwrap();
    std::fs::write(root.join("index.html"), "<!doctype html><title>app</title>").unwrap();
    std::fs::write(root.join("app.js"), "export const x = 1;").unwrap();
    std::fs::write(root.join("style.css"), "body{}").unwrap();
    std::fs::write(root.join("logo.svg"), "<svg/>").unwrap();
    std::fs::write(root.join("sub").join("file.txt"), "in sub").unwrap();
    std::fs::write(root.join("deep").join("index.html"), "deep index").unwrap();
    std::fs::write(root.join(".hidden"), SECRET).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("link-out")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("link-file")).unwrap();
    std::os::unix::fs::symlink(root.join("app.js"), root.join("link-in.js")).unwrap();
    dir
}

#[tokio::test]
async fn web_serves_files_with_their_types_and_directories_as_their_index() {
    let tree = web_tree();
    let root = tree.path().join("root");
    let server = TestServer::start_with(|c| c.web = Some(root)).await;
    let host = server.addr.to_string();
    let (status, response) = get(server.addr, "/web", &host).await;
    assert_eq!(status, 301, "{response}");
    assert_eq!(header(&response, "location"), Some("/web/"));
    for (path, mime, body) in [
        ("/web/", "text/html", "<title>app</title>"),
        ("/web/index.html", "text/html", "<title>app</title>"),
        ("/web/app.js", "javascript", "export const x"),
        ("/web/style.css", "text/css", "body{}"),
        ("/web/logo.svg", "image/svg+xml", "<svg/>"),
        ("/web/sub/file.txt", "text/plain", "in sub"),
        ("/web/deep/", "text/html", "deep index"),
        ("/web/link-in.js", "javascript", "export const x"),
        ("/web/%61pp.js", "javascript", "export const x"),
    ] {
        let (status, response) = get(server.addr, path, &host).await;
        assert_eq!(status, 200, "{path}: {response}");
        let content_type = header(&response, "content-type").unwrap_or_default();
        assert!(content_type.contains(mime), "{path}: {content_type}");
        assert!(response.contains(body), "{path}: {response}");
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
    }
    let (status, response) = get(server.addr, "/web/deep", &host).await;
    assert_eq!(status, 301);
    assert_eq!(header(&response, "location"), Some("/web/deep/"));
    // No listings, and nothing invented.
    for path in ["/web/sub/", "/web/missing.html", "/web/sub/missing/"] {
        let (status, response) = get(server.addr, path, &host).await;
        assert_eq!(status, 404, "{path}: {response}");
        assert!(!response.contains("file.txt"), "{path}: {response}");
    }
    // The page is still the page.
    assert_eq!(get(server.addr, "/healthz", &host).await.0, 200);
    server.stop().await;
}

#[tokio::test]
async fn no_request_reads_outside_the_web_directory() {
    let tree = web_tree();
    let root = tree.path().join("root");
    let server = TestServer::start_with(|c| c.web = Some(root)).await;
    let host = server.addr.to_string();
    for path in [
        "/web/../outside/secret.txt",
        "/web/sub/../../outside/secret.txt",
        "/web/%2e%2e/outside/secret.txt",
        "/web/%2E%2E/outside/secret.txt",
        "/web/%2e%2e%2foutside%2fsecret.txt",
        "/web/sub/..%2f..%2foutside%2fsecret.txt",
        "/web/..%5coutside%5csecret.txt",
        "/web/%252e%252e/outside/secret.txt",
        "/web/link-out/secret.txt",
        "/web/link-out/",
        "/web/link-file",
        "/web/.hidden",
        "/web/%2ehidden",
        "/web/%00",
        "/web/%2fetc%2fpasswd",
        "/web//etc/passwd",
        "/web/%zz",
        "/web/..",
        "/web/.",
    ] {
        let (status, response) = get(server.addr, path, &host).await;
        assert!(
            status == 404 || status == 400,
            "{path} answered {status}: {response}"
        );
        assert!(!response.contains(SECRET), "{path} leaked: {response}");
        assert!(!response.contains("root:"), "{path} leaked: {response}");
    }
    server.stop().await;
}

#[tokio::test]
async fn web_pages_obey_the_host_rule_and_are_off_without_the_flag() {
    let tree = web_tree();
    let root = tree.path().join("root");
    let server = TestServer::start_with(|c| c.web = Some(root)).await;
    let (status, _) = get(server.addr, "/web/", "rebound.example.com").await;
    assert_eq!(status, 421);
    server.stop().await;

    let plain = TestServer::start().await;
    let (status, _) = get(plain.addr, "/web/", &plain.addr.to_string()).await;
    assert_eq!(status, 404);
    plain.stop().await;

    let mut config = socketlab_server::Config::with_listen("127.0.0.1:0".parse().unwrap());
    config.web = Some(tree.path().join("root").join("index.html"));
    let Err(err) = socketlab_server::Server::bind(config).await else {
        panic!("--web with a file must stop the start-up");
    };
    assert!(format!("{err:#}").contains("--web"), "{err:#}");
}
