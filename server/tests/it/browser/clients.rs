//! Real third-party clients in headless Chromium, through the relay, to
//! real servers: noVNC to TigerVNC, MQTT.js to mosquitto, xterm.js to a
//! shell. Each test starts its own servers on free loopback ports and its
//! own browser, and leaves a screenshot in `target/screenshots/`.
//!
//! The clients are the npm packages `cargo xtask install-tools` puts in
//! `target/tools/npm`, loaded as published by the small pages in `pages/`,
//! which socketlab itself serves with `--web`, as a user would.
//! A test whose tools are missing says so and skips, except in CI
//! (`CI=true`), where it fails: there the tools must be there.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::Value;
use tempfile::TempDir;

use super::servers::{self, Background, MOSQUITTO, SOCAT, XTIGERVNC};
use super::{find, save_screenshot, Driver, Socketlab, WAIT};

/// The most one client test may take, servers and browser included; each
/// step also has its own [`WAIT`], this catches a WebDriver call that hangs.
const BUDGET: Duration = Duration::from_secs(120);

/// Runs a test's body within [`BUDGET`].
async fn bounded(test: &str, body: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(BUDGET, body)
        .await
        .unwrap_or_else(|_| panic!("{test} took longer than {BUDGET:?}"));
}

/// Where xtask installs the clients' npm packages.
fn node_modules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tools/npm/node_modules")
}

/// The test pages, beside this file.
fn pages_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/browser/pages")
}

/// Whether `test` can run: every path in `needed` and a chromedriver
/// exist. Outside CI a missing one skips the test with a message naming
/// it; in CI it fails the test.
pub(super) fn tools_present(test: &str, needed: &[PathBuf]) -> bool {
    let mut missing: Vec<String> = needed
        .iter()
        .filter(|path| !path.exists())
        .map(|path| path.display().to_string())
        .collect();
    if !chromedriver_present() {
        missing.push("chromedriver".to_owned());
    }
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join(", ");
    let fix = "`cargo xtask install-tools` installs them";
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{test} needs {missing}, and CI must run it: {fix}");
    }
    // Straight to stderr: the test harness captures eprintln! of a passing
    // test, and a skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: missing {missing}; {fix}"
    );
    false
}

/// Whether `$CHROMEDRIVER`, or `chromedriver` on PATH, exists.
fn chromedriver_present() -> bool {
    if let Ok(path) = std::env::var("CHROMEDRIVER") {
        return Path::new(&path).exists();
    }
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join("chromedriver").exists())
    })
}

/// The npm files each page loads: (source under node_modules, path in the
/// web root). noVNC is ESM importing its own `vendor/`, so it is copied
/// whole.
const BUNDLES: &[(&str, &str)] = &[
    ("@novnc/novnc/core", "novnc/core"),
    ("@novnc/novnc/vendor", "novnc/vendor"),
    ("mqtt/dist/mqtt.min.js", "mqtt/mqtt.min.js"),
    ("@xterm/xterm/lib/xterm.mjs", "xterm/xterm.mjs"),
    ("@xterm/xterm/css/xterm.css", "xterm/xterm.css"),
    (
        "@xterm/addon-attach/lib/addon-attach.mjs",
        "xterm/addon-attach.mjs",
    ),
];

/// A directory as a user would lay it out for the server to serve: the
/// test pages and the npm bundles they load.
fn web_root() -> TempDir {
    let root = tempfile::tempdir().unwrap();
    copy(&pages_dir(), root.path());
    for (from, to) in BUNDLES {
        copy(&node_modules().join(from), &root.path().join(to));
    }
    root
}

/// Copies a file or a directory tree.
fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
}

/// One test's world: the web root, a socketlab relaying to `targets` and
/// serving the web root with `--web`, a browser with a fresh profile
/// showing one page.
struct Lab {
    client: Client,
    _driver: Driver,
    _server: Socketlab,
    _web: TempDir,
    _profile: TempDir,
}

impl Lab {
    /// Starts socketlab with `--relay-target` for each of `targets` and
    /// `--web` on a fresh [`web_root`], and opens `/web/<page>` pointed at
    /// relay target `target`: the page and its WebSocket share the
    /// server's origin, as with `socketlab --web /usr/share/novnc`, so no
    /// `--allowed-origin` is needed.
    async fn open(targets: &[String], page: &str, target: &str) -> Self {
        let web = web_root();
        let mut args = vec!["--web".to_owned(), web.path().display().to_string()];
        for spec in targets {
            args.extend(["--relay-target".to_owned(), spec.clone()]);
        }
        let server = Socketlab::start_with(&args).await;
        let url = format!(
            "{}/web/{page}?target={target}",
            server.url.trim_end_matches('/')
        );

        let driver = Driver::start().await;
        let profile = tempfile::tempdir().unwrap();
        let client = driver.browser(&profile).await;
        client.goto(&url).await.unwrap();
        Self {
            client,
            _driver: driver,
            _server: server,
            _web: web,
            _profile: profile,
        }
    }

    /// Waits until the page has reported `wanted` (it may have moved on
    /// since), failing at once with the page's log, and `server`'s, if it
    /// reports an error instead.
    async fn wait_for_state(&self, wanted: &str, server: &Background) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let log = self.log().await;
            if log
                .iter()
                .any(|entry| entry.starts_with(&format!("{wanted}:")))
            {
                return;
            }
            if log.iter().any(|entry| entry.starts_with("error:"))
                || tokio::time::Instant::now() >= deadline
            {
                save_screenshot(&self.client, "client-failed.png").await;
                panic!(
                    "the page did not report {wanted:?}; its log:\n{}\nthe server's log:\n{}",
                    log.join("\n"),
                    server.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until a line of the xterm.js page's screen satisfies `wanted`.
    async fn wait_for_line(&self, wanted: impl Fn(&str) -> bool, what: &str, server: &Background) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let lines = match self
                .client
                .execute("return window.screenLines()", vec![])
                .await
            {
                Ok(Value::Array(lines)) => lines
                    .into_iter()
                    .filter_map(|line| line.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            if lines.iter().any(|line| wanted(line)) {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                save_screenshot(&self.client, "client-failed.png").await;
                panic!(
                    "the terminal never showed {what}; its screen:\n{}\nthe page's log:\n{}\nthe server's log:\n{}",
                    lines.join("\n").trim_end(),
                    self.log().await.join("\n"),
                    server.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The page's log, `state: what happened` per entry, oldest first.
    async fn log(&self) -> Vec<String> {
        let script = "return [...document.querySelectorAll('#log li')].map(li => li.textContent)";
        match self.client.execute(script, vec![]).await {
            Ok(Value::Array(entries)) => entries
                .into_iter()
                .filter_map(|entry| entry.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[tokio::test]
#[ignore = "needs chromedriver, Xtigervnc and noVNC: run `cargo xtask test`"]
async fn novnc_shows_a_tigervnc_desktop_through_the_relay() {
    let test = "browser::clients::novnc";
    if !tools_present(
        test,
        &[
            XTIGERVNC.into(),
            node_modules().join("@novnc/novnc/core/rfb.js"),
        ],
    ) {
        return;
    }
    bounded(test, async {
        let logs = tempfile::tempdir().unwrap();
        let vnc = servers::vnc_desktop(logs.path()).await;
        let target = format!("vnc=tcp://127.0.0.1:{}", vnc.port);
        let lab = Lab::open(&[target], "novnc.html", "vnc").await;

        lab.wait_for_state("connected", &vnc).await;
        lab.wait_for_state("drawn", &vnc).await;
        let size = lab
            .client
            .execute("return document.body.dataset.size", vec![])
            .await
            .unwrap();
        assert_eq!(
            size,
            Value::from("640x480"),
            "the canvas is the desktop's size"
        );
        lab.client
            .find(Locator::Css("#screen canvas"))
            .await
            .expect("noVNC's canvas");
        save_screenshot(&lab.client, "novnc.png").await;
        lab.client.clone().close().await.unwrap();
    })
    .await;
}

#[tokio::test]
#[ignore = "needs chromedriver, mosquitto and MQTT.js: run `cargo xtask test`"]
async fn mqtt_js_receives_its_own_message_through_the_relay() {
    let test = "browser::clients::mqtt";
    if !tools_present(
        test,
        &[
            MOSQUITTO.into(),
            node_modules().join("mqtt/dist/mqtt.min.js"),
        ],
    ) {
        return;
    }
    bounded(test, async {
        let logs = tempfile::tempdir().unwrap();
        let broker = servers::mosquitto(logs.path()).await;
        // MQTT.js offers the `mqtt` subprotocol and gives up on a handshake
        // that selects none.
        let target = format!("mqtt=tcp://127.0.0.1:{}?protocols=mqtt", broker.port);
        let lab = Lab::open(&[target], "mqtt.html", "mqtt").await;

        lab.wait_for_state("connected", &broker).await;
        lab.wait_for_state("subscribed", &broker).await;
        lab.wait_for_state("received", &broker).await;
        let received = find(&lab.client, "#received").await.text().await.unwrap();
        assert!(received.starts_with("hello from MQTT.js"), "{received}");
        save_screenshot(&lab.client, "mqtt.png").await;
        lab.client.clone().close().await.unwrap();
    })
    .await;
}

#[tokio::test]
#[ignore = "needs chromedriver, socat and xterm.js: run `cargo xtask test`"]
async fn xterm_js_runs_a_command_in_a_shell_through_the_relay() {
    let test = "browser::clients::xterm";
    if !tools_present(
        test,
        &[
            SOCAT.into(),
            node_modules().join("@xterm/xterm/lib/xterm.mjs"),
            node_modules().join("@xterm/addon-attach/lib/addon-attach.mjs"),
        ],
    ) {
        return;
    }
    bounded(test, async {
        let logs = tempfile::tempdir().unwrap();
        let shell = servers::shell(logs.path()).await;
        // The attach addon sends every keystroke as a text frame.
        let target = format!("shell=tcp://127.0.0.1:{}?text=bytes", shell.port);
        let lab = Lab::open(&[target], "xterm.html", "shell").await;

        lab.wait_for_state("open", &shell).await;
        // The prompt first, so the keystrokes reach a shell that reads them.
        lab.wait_for_line(|line| line.starts_with('$'), "a prompt", &shell)
            .await;
        // Typed as a person types: key events into xterm.js's input element.
        let input = find(&lab.client, ".xterm-helper-textarea").await;
        input.send_keys("echo $((6*7))\u{E007}").await.unwrap();
        lab.wait_for_line(
            |line| line.trim() == "42",
            "`42` on a line of its own",
            &shell,
        )
        .await;
        save_screenshot(&lab.client, "xterm.png").await;
        lab.client.clone().close().await.unwrap();
    })
    .await;
}
