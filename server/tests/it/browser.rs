//! The page in a real browser: headless Chromium driven over WebDriver.
//!
//! Needs the built page embedded in the server, plus `chromium` and
//! `chromedriver`; `cargo xtask test` provides all three and runs these with
//! `--ignored`. Screenshots land in `target/screenshots/` for people to look at.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const WAIT: Duration = Duration::from_secs(15);

/// The release server (or the test build's), started on a free port.
struct Socketlab {
    _child: Child,
    url: String,
}

impl Socketlab {
    async fn start() -> Self {
        // SOCKETLAB_BIN may be relative to the workspace root (test
        // binaries run in the package directory).
        let binary = std::env::var("SOCKETLAB_BIN").map_or_else(
            |_| env!("CARGO_BIN_EXE_socketlab").to_owned(),
            |bin| {
                let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
                root.join(bin).display().to_string()
            },
        );
        let mut child = Command::new(&binary)
            .args(["--listen", "127.0.0.1:0", "--log", "warn"])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut url = None;
        let mut page_missing = false;
        while let Ok(Ok(Some(line))) = tokio::time::timeout(WAIT, lines.next_line()).await {
            page_missing |= line.contains("page is not built");
            if let Some(rest) = line.strip_prefix("open ") {
                url = Some(rest.trim().to_owned());
                break;
            }
        }
        assert!(
            !page_missing,
            "{binary} was built without the page: run `cargo xtask test`, which builds it first"
        );
        let url = url.expect("socketlab printed its URL");
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { _child: child, url }
    }
}

/// A chromedriver process on a free port.
struct Driver {
    _child: Child,
    port: u16,
}

impl Driver {
    async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let child = Command::new(&path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {path}: {e}; install it with `apt-get install chromium-driver` or run `cargo xtask test`")
            });
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            _child: child,
            port,
        }
    }

    /// A fresh headless browser with its own profile.
    async fn browser(&self, profile: &tempfile::TempDir) -> Client {
        let mut caps = serde_json::Map::new();
        let mut options = json!({
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1280,2200", "--lang=en-US",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        });
        if let Ok(binary) = std::env::var("CHROMIUM") {
            options["binary"] = json!(binary);
        }
        caps.insert("goog:chromeOptions".to_owned(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session")
    }
}

async fn find(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

/// Waits until `css` exists and its text contains `needle`.
async fn wait_for_text(client: &Client, css: &str, needle: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Ok(elements) = client.find_all(Locator::Css(css)).await {
            for element in elements {
                if element.text().await.is_ok_and(|t| t.contains(needle)) {
                    return;
                }
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {css} containing {needle:?} within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn type_into(client: &Client, css: &str, text: &str) {
    let input = find(client, css).await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

async fn join_chat(client: &Client, url: &str, room: &str, name: &str) {
    client.goto(url).await.unwrap();
    find(client, "button[data-lang=\"en\"]")
        .await
        .click()
        .await
        .unwrap();
    type_into(client, "#chat-room", room).await;
    type_into(client, "#chat-name", name).await;
    find(client, "#chat-join").await.click().await.unwrap();
    wait_for_text(client, "#chat-you", name).await;
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn two_browsers_chat_in_one_room() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let (p1, p2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ada = driver.browser(&p1).await;
    let bob = driver.browser(&p2).await;

    join_chat(&ada, &server.url, "e2e", "ada").await;
    join_chat(&bob, &server.url, "e2e", "bob").await;
    wait_for_text(&ada, "#chat-members li", "bob").await;
    wait_for_text(&bob, "#chat-members li", "ada").await;

    type_into(&ada, "#chat-input", "hello from ada").await;
    find(&ada, "#chat-send").await.click().await.unwrap();
    wait_for_text(&bob, "li.chat-message .text", "hello from ada").await;
    wait_for_text(&ada, "li.chat-message .text", "hello from ada").await;

    type_into(&bob, "#chat-input", "hi ada, bob here").await;
    find(&bob, "#chat-send").await.click().await.unwrap();
    wait_for_text(&ada, "li.chat-message .text", "hi ada, bob here").await;
    wait_for_text(&ada, "li.chat-message .from", "bob").await;

    // Live RTT from the application-level ping shows up.
    let rtt = find(&ada, "#chat-rtt").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while !rtt
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .any(|c| c.is_ascii_digit())
    {
        assert!(tokio::time::Instant::now() < deadline, "no RTT shown");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    save_screenshot(&ada, "chat-ada.png").await;
    save_screenshot(&bob, "chat-bob.png").await;

    // When bob leaves, ada sees him go.
    find(&bob, "#chat-leave").await.click().await.unwrap();
    wait_for_text(&ada, "#chat-messages li.chat-notice", "bob").await;

    ada.close().await.unwrap();
    bob.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn inspector_verifies_the_accept_key_and_echo_round_trips() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    client.goto(&server.url).await.unwrap();
    find(&client, "button[data-lang=\"en\"]")
        .await
        .click()
        .await
        .unwrap();

    find(&client, "#inspect-run").await.click().await.unwrap();
    find(&client, "#inspect-verdict[data-ok=\"true\"]").await;
    wait_for_text(&client, "#inspect-request", "sec-websocket-key").await;
    wait_for_text(&client, "#inspect-response", "101").await;
    let computed = find(&client, "#inspect-computed")
        .await
        .text()
        .await
        .unwrap();
    let answered = find(&client, "#inspect-server-accept")
        .await
        .text()
        .await
        .unwrap();
    assert!(!computed.trim().is_empty());
    assert_eq!(computed.trim(), answered.trim());

    // Echo through the connection panel.
    find(&client, "#conn-connect").await.click().await.unwrap();
    wait_for_text(&client, "#conn-state", "OPEN").await;
    type_into(&client, "#echo-input", "ping 소켓").await;
    find(&client, "#echo-send-text")
        .await
        .click()
        .await
        .unwrap();
    find(&client, "#echo-send-binary")
        .await
        .click()
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let matched = client
            .find_all(Locator::Css("#echo-log li.echo-entry[data-match=\"true\"]"))
            .await
            .unwrap()
            .len();
        if matched >= 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "echo round trips not shown"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    find(&client, "#conn-disconnect")
        .await
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "#conn-close", "1000").await;

    // The Korean switch changes the page's language.
    find(&client, "button[data-lang=\"ko\"]")
        .await
        .click()
        .await
        .unwrap();
    let lang = client
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(lang, json!("ko"));
    save_screenshot(&client, "inspector-ko.png").await;
    client.close().await.unwrap();
}

/// Reads an attribute, empty when missing.
async fn attr(element: &Element, name: &str) -> String {
    element.attr(name).await.ok().flatten().unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn the_lab_proves_raw_sockets_fail_and_the_relay_works() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    client.goto(&server.url).await.unwrap();
    find(&client, "button[data-lang=\"en\"]")
        .await
        .click()
        .await
        .unwrap();

    // 1. The browser offers no raw socket API to this page, but WebSocket.
    find(&client, "#lab-feature-tcp[data-present=\"false\"]").await;
    find(&client, "#lab-feature-udp[data-present=\"false\"]").await;
    find(&client, "#lab-feature-websocket[data-present=\"true\"]").await;

    // 2. A WebSocket and a fetch aimed at the raw TCP port fail, and the raw
    //    socket shows it received an HTTP upgrade request.
    find(&client, "#lab-raw-run").await.click().await.unwrap();
    find(&client, "#lab-raw-ws[data-code=\"1006\"]").await;
    find(&client, "#lab-raw-fetch[data-failed=\"true\"]").await;
    wait_for_text(&client, "#lab-raw-captured", "GET / HTTP/1.1").await;
    wait_for_text(&client, "#lab-raw-captured", "Upgrade: websocket").await;
    wait_for_text(&client, "#lab-raw-captured", "Sec-WebSocket-Key").await;

    // 3. The same bytes through the relay come back intact.
    find(&client, "#lab-relay-run").await.click().await.unwrap();
    find(&client, "#lab-relay-verdict[data-ok=\"true\"]").await;
    wait_for_text(&client, "#lab-relay-hex", "|hello, socket|").await;

    // 4. The race: TCP delivers everything in order; both charts render.
    find(&client, "#lab-race-run").await.click().await.unwrap();
    let tcp = find(&client, "#lab-race-tcp[data-done=\"true\"]").await;
    let udp = find(&client, "#lab-race-udp[data-done=\"true\"]").await;
    let sent = attr(&tcp, "data-sent").await;
    assert!(!sent.is_empty() && sent != "0");
    assert_eq!(attr(&tcp, "data-received").await, sent, "TCP loses nothing");
    assert_eq!(attr(&tcp, "data-reordered").await, "0", "TCP keeps order");
    assert_eq!(attr(&tcp, "data-lost").await, "0");
    assert_eq!(attr(&udp, "data-sent").await, sent);
    find(&client, "#lab-race-tcp svg").await;
    find(&client, "#lab-race-udp svg").await;

    // 5/6. The comparison table holds measurements; nc instructions are real.
    wait_for_text(&client, "#compare-table", "ms").await;
    let nc = find(&client, "#lab-nc-chat").await.text().await.unwrap();
    assert!(nc.starts_with("nc 127.0.0.1 "), "{nc}");

    let section = find(&client, "#lab-race-tcp").await;
    section.click().await.ok();
    save_screenshot(&client, "lab.png").await;
    client.close().await.unwrap();
}
