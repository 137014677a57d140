//! The page in Firefox too: Debian's `firefox-esr`, headless, with a fresh
//! profile, driven over WebDriver BiDi by npm's `puppeteer-core` from
//! `firefox.js` beside this file (there is no geckodriver to speak classic
//! WebDriver). Firefox and Chromium share a room, and the lab's knock is
//! run in both to show that each browser fails it in its own words, which
//! the page attributes to the browser that reported them.
//!
//! Needs `/usr/bin/firefox-esr` (or `$FIREFOX`) and `puppeteer-core` under
//! `target/tools/npm`, besides what the Chromium tests need; `cargo xtask
//! test` installs them all and runs these with `--ignored browser::firefox::`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::Client;
use tokio::process::{Child, Command};

use super::{attr, find, open_page, save_screenshot, screenshot_dir, type_into, wait_for_text};
use super::{Driver, Socketlab};

/// The most one `firefox.js` run may take: Firefox's start (several
/// seconds on a busy machine) and every step's own [`super::WAIT`].
const BUDGET: Duration = Duration::from_secs(120);

/// A `firefox.js` run: the child, and the profile it owns until it exits.
struct Firefox {
    child: Child,
    _profile: tempfile::TempDir,
}

impl Firefox {
    /// Starts `firefox.js MODE URL PROFILE SHOTS ARGS...` with a fresh
    /// profile directory.
    fn start(mode: &str, url: &str, args: &[&str]) -> Self {
        let modules =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tools/npm/node_modules");
        assert!(
            modules.join("puppeteer-core").exists(),
            "{} has no puppeteer-core; run `cargo xtask install-tools`",
            modules.display()
        );
        let firefox = std::env::var("FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".into());
        assert!(
            std::path::Path::new(&firefox).exists(),
            "no {firefox}: `apt-get install firefox-esr`, or run `cargo xtask install-tools`"
        );
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/browser/firefox.js");
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new("node")
            .arg(&script)
            .args([mode, url])
            .arg(profile.path())
            .arg(screenshot_dir())
            .args(args)
            .env("NODE_PATH", &modules)
            .env("FIREFOX", &firefox)
            // puppeteer-core never downloads a browser; say so anyway.
            .env("PUPPETEER_SKIP_DOWNLOAD", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node: {e}; install nodejs"));
        Self {
            child,
            _profile: profile,
        }
    }

    /// Waits for the script and returns its `key=value` lines; panics with
    /// its stderr when it failed or ran past [`BUDGET`].
    async fn finish(self) -> Report {
        let output = tokio::time::timeout(BUDGET, self.child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("firefox.js did not finish within {BUDGET:?}"))
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "firefox.js failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            output.status
        );
        eprint!("{stderr}");
        let mut report = Report::default();
        for (key, value) in stdout.lines().filter_map(|line| line.split_once('=')) {
            report
                .0
                .entry(key.to_owned())
                .or_default()
                .push(value.to_owned());
        }
        report
    }
}

/// What `firefox.js` saw, by key; a key may repeat (`message`).
#[derive(Debug, Default)]
struct Report(HashMap<String, Vec<String>>);

impl Report {
    fn get(&self, key: &str) -> &str {
        self.0
            .get(key)
            .and_then(|values| values.first())
            .unwrap_or_else(|| panic!("firefox.js reported no {key}: {self:?}"))
    }

    fn all(&self, key: &str) -> &[String] {
        self.0.get(key).map_or(&[], Vec::as_slice)
    }
}

/// The major version `firefox-esr --version` prints (`153`), which the page
/// must name too.
async fn firefox_major() -> String {
    let firefox = std::env::var("FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".into());
    let output = Command::new(&firefox)
        .arg("--version")
        .output()
        .await
        .unwrap();
    let version = String::from_utf8_lossy(&output.stdout);
    version
        .split_whitespace()
        .last()
        .and_then(|v| v.split('.').next())
        .filter(|major| major.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("{firefox} --version said {version:?}"))
        .to_owned()
}

/// Opens the page in Chromium, once it is live, in English.
async fn chromium_page(client: &Client, url: &str) {
    open_page(client, url).await;
    find(client, "button[data-lang=\"en\"]")
        .await
        .click()
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs firefox-esr, puppeteer-core, chromedriver and the page: run `cargo xtask test`"]
async fn a_firefox_user_and_a_chromium_user_chat_in_one_room() {
    let server = Socketlab::start().await;
    let answer = "hi fox, crow here in chromium";
    let fox = Firefox::start("chat", &server.url, &["mixed", "fox", "crow", answer]);

    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let crow = driver.browser(&profile).await;
    chromium_page(&crow, &server.url).await;
    type_into(&crow, "#chat-room", "mixed").await;
    type_into(&crow, "#chat-name", "crow").await;
    find(&crow, "#chat-join").await.click().await.unwrap();
    wait_for_text(&crow, "#chat-you", "crow").await;
    // Firefox starts slower than Chromium: allow it its budget to join
    // and say hello, then answer.
    let deadline = tokio::time::Instant::now() + BUDGET;
    loop {
        let messages = crow
            .find_all(fantoccini::Locator::Css("li.chat-message .text"))
            .await
            .unwrap();
        let mut seen = false;
        for message in messages {
            seen |= message
                .text()
                .await
                .is_ok_and(|t| t.contains("hello from fox in firefox"));
        }
        if seen {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Chromium never saw Firefox's hello"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_for_text(&crow, "#chat-members li", "fox").await;
    wait_for_text(&crow, "li.chat-message .from", "fox").await;
    type_into(&crow, "#chat-input", answer).await;
    find(&crow, "#chat-send").await.click().await.unwrap();

    let report = fox.finish().await;
    let messages = report.all("message");
    assert!(
        messages.contains(&format!("crow: {answer}")),
        "Firefox shows Chromium's answer: {messages:?}"
    );
    assert!(
        messages.contains(&"fox: hello from fox in firefox".to_owned()),
        "{messages:?}"
    );
    assert!(report.get("browser").starts_with("Firefox "));
    wait_for_text(&crow, "li.chat-message .text", answer).await;
    save_screenshot(&crow, "firefox-chat-chromium-side.png").await;
    crow.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs firefox-esr, puppeteer-core, chromedriver and the page: run `cargo xtask test`"]
async fn firefox_runs_the_lab_and_fails_the_knock_in_its_own_words() {
    let server = Socketlab::start().await;
    let fox = Firefox::start("lab", &server.url, &[]);

    // The same knock in Chromium, for comparison.
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    chromium_page(&client, &server.url).await;
    let chromium = find(&client, "#lab-browser[data-browser]").await;
    let chromium_name = attr(&chromium, "data-browser").await;
    assert!(chromium_name.starts_with("Chromium "), "{chromium_name}");
    find(&client, "#lab-raw-run").await.click().await.unwrap();
    let chromium_fetch = find(&client, "#lab-raw-fetch[data-failed=\"true\"] code.bad")
        .await
        .text()
        .await
        .unwrap();
    let chromium_code = attr(&find(&client, "#lab-raw-ws[data-code]").await, "data-code").await;
    client.close().await.unwrap();

    let report = fox.finish().await;
    // The WebAssembly ran and named its browser, in the version installed.
    let major = firefox_major().await;
    assert_eq!(report.get("browser"), format!("Firefox {major}"));
    assert!(
        report
            .get("reported")
            .starts_with(&format!("Reported by Firefox {major}")),
        "{}",
        report.get("reported")
    );

    let korean = report.get("reported_ko");
    assert!(
        korean.starts_with(&format!("Firefox {major} 기준")),
        "{korean}"
    );

    // The knock fails in both, each in its own words.
    let firefox_fetch = report.get("raw_fetch");
    eprintln!(
        "knock: Firefox fetch {firefox_fetch:?} close {}, {chromium_name} fetch \
         {chromium_fetch:?} close {chromium_code}",
        report.get("raw_code")
    );
    assert!(firefox_fetch.starts_with("TypeError: "), "{firefox_fetch}");
    assert!(
        chromium_fetch.starts_with("TypeError: "),
        "{chromium_fetch}"
    );
    assert_ne!(
        firefox_fetch, chromium_fetch,
        "the browsers word the failed fetch differently"
    );
    assert!(firefox_fetch.contains("NetworkError"), "{firefox_fetch}");
    let code: u16 = report.get("raw_code").parse().unwrap();
    assert!(
        (1000..5000).contains(&code),
        "Firefox reports a close code: {code}"
    );
    assert!(report.get("raw_ws").contains(&code.to_string()));

    // This Firefox has WebTransport; a session to /wt/echo echoes.
    if report.get("webtransport") == "true" {
        let max: u32 = report.get("wt_max").parse().expect("maxDatagramSize");
        let datagram: f64 = report.get("wt_datagram").parse().expect("datagram RTT");
        let stream: f64 = report.get("wt_stream").parse().expect("stream RTT");
        eprintln!("Firefox WebTransport: maxDatagramSize {max} B, datagram {datagram} ms, stream {stream} ms");
        assert!(max >= 1000, "maxDatagramSize {max}");
    }
    race_completed(&report);
}

/// The race completed: TCP delivered everything in order, UDP sent as
/// much, and the WebTransport lane either raced or said why not.
fn race_completed(report: &Report) {
    let sent = report.get("race_tcp_sent");
    assert!(!sent.is_empty() && sent != "0", "{sent}");
    assert_eq!(report.get("race_tcp_received"), sent, "TCP loses nothing");
    assert_eq!(report.get("race_tcp_reordered"), "0", "TCP keeps order");
    assert_eq!(report.get("race_udp_sent"), sent);
    assert_ne!(report.get("race_udp_received"), "0");
    let wt_sent = report.get("race_wt_sent");
    let problem = report.get("race_wt_problem");
    eprintln!(
        "Firefox race: WebTransport present={} sent={wt_sent} received={} problem={problem:?}",
        report.get("webtransport"),
        report.get("race_wt_received"),
    );
    if report.get("webtransport") == "true" {
        assert_eq!(wt_sent, sent, "every packet went out as a datagram");
        assert_ne!(report.get("race_wt_received"), "0");
        assert_eq!(problem, "", "a lane that raced has no problem");
    } else {
        assert_eq!(wt_sent, "0", "without the API nothing goes out");
        assert!(
            !problem.is_empty(),
            "the page says why WebTransport sat out"
        );
    }
}

#[tokio::test]
#[ignore = "needs firefox-esr, puppeteer-core and the page: run `cargo xtask test`"]
async fn firefox_without_webtransport_says_why_and_races_on() {
    let server = Socketlab::start().await;
    let report = Firefox::start("race-without-webtransport", &server.url, &[])
        .finish()
        .await;
    assert_eq!(
        report.get("webtransport"),
        "false",
        "the pref switched it off"
    );
    let why = report.get("wt_unavailable");
    assert!(why.contains("This browser has no WebTransport"), "{why}");
    let problem = report.get("race_wt_problem");
    assert!(
        problem.contains(why),
        "the race lane says the same: {problem}"
    );
    race_completed(&report);
}

#[tokio::test]
#[ignore = "needs firefox-esr, puppeteer-core and the page: run `cargo xtask test`"]
async fn in_firefox_a_field_typed_into_before_the_webassembly_keeps_focus_and_text() {
    let server = Socketlab::start().await;
    let report = Firefox::start("focus", &server.url, &[]).finish().await;
    assert_eq!(
        report.get("held"),
        "true",
        "the WebAssembly was held back while the visitor typed"
    );
    assert_eq!(
        report.get("typed_before"),
        "ada",
        "the prerendered field took keys"
    );
    assert_eq!(
        report.get("focused"),
        "chat-name",
        "focus left the field as its part came alive"
    );
    assert_eq!(report.get("value"), "ada");
    // The page knows the whole name, not only what came after it hydrated.
    assert_eq!(report.get("you"), "ada-lovelace");
}
