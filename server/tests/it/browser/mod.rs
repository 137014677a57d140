//! Real browsers: headless Chromium driven over WebDriver, each with a
//! fresh profile, against the real `socketlab` binary.
//!
//! Needs `chromium` and `chromedriver` (and, for [`page`], the built page
//! embedded in the server); `cargo xtask test` provides them and runs these
//! with `--ignored`. Screenshots land in `target/screenshots/` for people
//! to look at. This module is the harness; [`page`] tests the page itself,
//! [`access`] it on a phone and by keyboard, [`firefox`] the page in
//! Firefox beside Chromium, [`clients`] real third-party clients through
//! the relay to the real servers of [`servers`].

mod access;
mod clients;
mod firefox;
mod page;
mod prerendered;
mod servers;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long any one browser step may take.
pub const WAIT: Duration = Duration::from_secs(15);

/// The test build's server (or `SOCKETLAB_BIN`'s), started on a free port.
pub struct Socketlab {
    _child: Child,
    pub url: String,
}

impl Socketlab {
    /// The server for the page's tests, which must have the page embedded.
    pub async fn start() -> Self {
        let (server, page_missing) = Self::spawn(&[]).await;
        assert!(
            !page_missing,
            "the socketlab binary was built without the page: run `cargo xtask test`, which builds it first"
        );
        server
    }

    /// A server with extra flags (relay targets, `--web`), for tests that do
    /// not need the page itself.
    pub async fn start_with(args: &[String]) -> Self {
        Self::spawn(args).await.0
    }

    /// Starts the server and reads its URL from stdout; also says whether
    /// it announced that the page is not built.
    async fn spawn(args: &[String]) -> (Self, bool) {
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
            .args(args)
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
        let url = url.unwrap_or_else(|| panic!("{binary} {args:?} printed no URL"));
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        (Self { _child: child, url }, page_missing)
    }
}

/// A chromedriver process on a free port.
pub struct Driver {
    _child: Child,
    port: u16,
}

impl Driver {
    pub async fn start() -> Self {
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
    pub async fn browser(&self, profile: &tempfile::TempDir) -> Client {
        self.browser_with(profile, json!({}), None).await
    }

    /// A fresh headless browser emulating a phone `width` CSS pixels wide
    /// (Chromium's device emulation: a touch screen, a mobile viewport and
    /// user agent, twice as many device pixels).
    pub async fn phone(&self, profile: &tempfile::TempDir, width: u32) -> Client {
        let emulation = json!({
            "deviceMetrics": { "width": width, "height": 780, "pixelRatio": 2.0, "touch": true },
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
        });
        self.browser_with(profile, json!({}), Some(emulation)).await
    }

    /// A fresh headless browser with Chromium preferences `prefs` (e.g.
    /// `intl.accept_languages`) and `mobileEmulation` options if given,
    /// whose console the test can read ([`console_errors`]).
    pub async fn browser_with(
        &self,
        profile: &tempfile::TempDir,
        prefs: serde_json::Value,
        mobile_emulation: Option<serde_json::Value>,
    ) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("goog:loggingPrefs".to_owned(), json!({ "browser": "ALL" }));
        let mut options = json!({
            "prefs": prefs,
            "args": [
                // No --disable-quic: WebTransport is HTTP/3, on QUIC.
                "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1280,2200", "--lang=en-US",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        });
        if let Ok(binary) = std::env::var("CHROMIUM") {
            options["binary"] = json!(binary);
        }
        if let Some(emulation) = mobile_emulation {
            options["mobileEmulation"] = emulation;
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

/// Opens the page and waits until its WebAssembly has hydrated it: the
/// HTML is there (and clickable-looking) before that, but its controls
/// ignore clicks while `<main>` is `.starting`, and each part's nodes are
/// replaced by live ones as it hydrates (an element found before then goes
/// stale).
pub async fn open_page(client: &Client, url: &str) {
    client.goto(url).await.unwrap();
    find(client, "main:not(.starting)").await;
}

/// A POST to a WebDriver session's vendor endpoint (`se/log`,
/// `goog/cdp/execute`), which fantoccini has no method for.
#[derive(Debug)]
pub struct SessionPost {
    pub path: &'static str,
    pub body: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/{}",
            session.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// The console's error lines since the last call (chromedriver's
/// `browser` log, level SEVERE).
pub async fn console_errors(client: &Client) -> Vec<String> {
    let body = json!({ "type": "browser" });
    let log = client
        .issue_cmd(SessionPost {
            path: "se/log",
            body,
        })
        .await
        .expect("the browser's console log");
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["level"] == "SEVERE")
        .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub async fn find(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

/// Waits until `css` exists and its text contains `needle`.
pub async fn wait_for_text(client: &Client, css: &str, needle: &str) {
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

pub async fn type_into(client: &Client, css: &str, text: &str) {
    let input = find(client, css).await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Types `text` on the keyboard WebDriver keeps for the session, so it
/// goes wherever focus is (no element needs to take a pointer).
pub async fn type_keys(client: &Client, text: &str) {
    let mut keys = KeyActions::new("keyboard".to_owned());
    for key in text.chars() {
        keys = keys
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
    }
    client.perform_actions(keys).await.unwrap();
}

pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}
/// Reads an attribute, empty when missing.
pub async fn attr(element: &Element, name: &str) -> String {
    element.attr(name).await.ok().flatten().unwrap_or_default()
}
