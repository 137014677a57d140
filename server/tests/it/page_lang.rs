//! `GET /` in the visitor's language: the page's HTML is rendered ahead of
//! time once per language (`cargo xtask dist`), and the server picks one by
//! the `lang` cookie, then `Accept-Language`, then English.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{TestServer, WAIT};

/// A raw `GET /` with extra header lines; the status, head and body.
async fn get_page(addr: SocketAddr, headers: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut response))
        .await
        .expect("a response in time")
        .unwrap();
    let response = String::from_utf8(response).expect("the page is UTF-8");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn built_page() -> bool {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    let built = dist.join("index.ko.html").is_file();
    assert!(
        built || std::env::var_os("CI").is_none(),
        "dist/ has no index.ko.html: CI builds the page before the tests"
    );
    if !built {
        eprintln!("skipped: dist/ has no index.ko.html; run `cargo xtask dist` first");
    }
    built
}

#[tokio::test]
async fn the_page_comes_in_the_visitors_language_and_the_cookie_wins() {
    if !built_page() {
        return;
    }
    let server = TestServer::start().await;
    // Korean, English, and text that is in the HTML itself, before any
    // WebAssembly runs (the sockets section's heading and the table).
    const KO: &str = "소켓은 주소예요: IP + 포트";
    const EN: &str = "A socket is an address: IP + port";
    for (headers, lang, text) in [
        ("Accept-Language: ko-KR,ko;q=0.9,en;q=0.8\r\n", "ko", KO),
        ("Accept-Language: ko\r\n", "ko", KO),
        ("Accept-Language: en-US,en;q=0.9\r\n", "en", EN),
        ("Accept-Language: fr-FR, de;q=0.5\r\n", "en", EN),
        ("", "en", EN),
        (
            "Accept-Language: en\r\nCookie: theme=dark; lang=ko\r\n",
            "ko",
            KO,
        ),
        ("Accept-Language: ko\r\nCookie: lang=en\r\n", "en", EN),
        ("Accept-Language: ko\r\nCookie: lang=xx\r\n", "ko", KO),
        ("Accept-Language: ;;;q=9,,*\r\nCookie: lang\r\n", "en", EN),
    ] {
        let (status, head, body) = get_page(server.addr, headers).await;
        assert_eq!(status, 200, "{headers:?}: {head}");
        assert!(
            body.contains(&format!("<html lang=\"{lang}\" data-prerendered")),
            "{headers:?}: want lang={lang}: {}",
            &body[..body.len().min(300)]
        );
        assert!(body.contains(text), "{headers:?}: no {text:?}");
        assert!(
            body.contains("<table id=\"server-endpoints\""),
            "{headers:?}"
        );
        assert!(
            head.contains("vary: accept-encoding, accept-language, cookie"),
            "{head}"
        );
        assert!(
            head.contains(&format!("content-language: {lang}")),
            "{head}"
        );
        assert!(head.contains("cache-control: no-cache"), "{head}");
    }
    // The page says, in the reader's language, that the live parts need
    // JavaScript.
    let (_, _, body) = get_page(server.addr, "Accept-Language: ko\r\n").await;
    assert!(
        body.contains("<noscript>JavaScript가 꺼져 있어서"),
        "no Korean noscript"
    );
    let (_, _, body) = get_page(server.addr, "").await;
    assert!(
        body.contains("<noscript>JavaScript is off"),
        "no English noscript"
    );
    server.stop().await;
}
