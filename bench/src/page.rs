//! `page`: how long the page takes, in headless Chromium, from navigation
//! to a chat the visitor can type into.
//!
//! Each session is a fresh browser with an empty profile (cold cache): it
//! loads the page, then reloads it (warm cache). The page does not join a
//! room by itself, so the harness clicks Join the moment the join form is
//! live, as an impatient visitor would; "usable" is when the chat has
//! its `welcome` (the room bar names you) and the message box is enabled.
//!
//! Every time comes from the browser's own clock, measured from navigation
//! start. WebDriver's navigation returns only after the `load` event, and
//! the WebAssembly app starts around then, so watching from outside would
//! miss when the form appeared; instead a small observer is registered
//! (over the DevTools protocol) to run in every new document before the
//! page's own scripts. It only watches the DOM, clicks Join once, and
//! notes `performance.now()`; the navigation and resource timing entries
//! supply the rest.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use clap::Args;
use fantoccini::wd::{TimeoutConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use crate::guard;
use crate::record::{PageLoad, RunArgs};
use crate::stats::{round1, spread};

/// How long chromedriver and a browser session may take to start, and a
/// session to close.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// `socketlab-bench page`.
#[derive(Debug, Clone, Args)]
pub struct PageArgs {
    /// The page, served by socketlab on loopback, e.g. http://127.0.0.1:8080/.
    #[arg(long)]
    pub url: String,
    /// Fresh browser sessions: each loads the page cold, then reloads it warm.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
    /// The chromedriver to start (on a free loopback port).
    #[arg(long, env = "CHROMEDRIVER", default_value = "/usr/bin/chromedriver")]
    pub chromedriver: PathBuf,
    /// The Chromium it drives.
    #[arg(long, env = "CHROMIUM", default_value = "/usr/bin/chromium")]
    pub chromium: PathBuf,
    /// Seconds one session (its cold load and its reload) may take.
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Labels (no CPU is measured here).
    #[command(flatten)]
    pub run: RunArgs,
}

/// Registered to run first in every new document: watches the DOM, clicks
/// Join once the form is there and live, and notes when the chat became
/// usable. The prerendered HTML already has the form, so "live" is when
/// `<main>` is no longer `.starting` (the WebAssembly has taken the page
/// over); a click before that would land on a button without a handler.
const OBSERVER: &str = r#"(() => {
  if (window !== window.top) return;
  const marks = {};
  Object.defineProperty(window, '__socketlabBench', { value: marks });
  const check = () => {
    const now = performance.now();
    if (marks.joinForm === undefined) {
      const join = document.getElementById('chat-join');
      const main = document.querySelector('main');
      if (!join || join.disabled || !main || main.classList.contains('starting')) return;
      marks.joinForm = now;
      join.click();
      marks.clicked = performance.now();
      return;
    }
    const you = document.getElementById('chat-you');
    const input = document.getElementById('chat-input');
    if (you && input && !input.disabled) {
      marks.usable = now;
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, {
    childList: true, subtree: true, attributes: true, attributeFilter: ['disabled', 'class'],
  });
})();"#;

/// Run after navigation returns: waits (up to `arguments[0]` ms) for the
/// observer's marks and the `load` event's end, then reports the timings.
const COLLECT: &str = r#"
const done = arguments[arguments.length - 1];
const deadline = performance.now() + arguments[0];
const poll = () => {
  const marks = window.__socketlabBench;
  const nav = performance.getEntriesByType('navigation')[0];
  if (marks && marks.usable !== undefined && nav && nav.loadEventEnd > 0) {
    const resources = performance.getEntriesByType('resource');
    const wasm = resources.filter((e) => new URL(e.name).pathname.endsWith('.wasm'));
    const sum = (entries) => entries.reduce((total, e) => total + e.transferSize, 0);
    done({
      timeOrigin: performance.timeOrigin,
      html: nav.responseEnd,
      domContentLoaded: nav.domContentLoadedEventEnd,
      load: nav.loadEventEnd,
      joinForm: marks.joinForm,
      clicked: marks.clicked,
      usable: marks.usable,
      wasmBytes: sum(wasm),
      pageBytes: nav.transferSize + sum(resources),
    });
  } else if (performance.now() > deadline) {
    done({
      error: !marks ? 'the timing observer did not run in this document'
        : marks.joinForm === undefined ? 'the join form (#chat-join) never appeared'
        : marks.usable === undefined ? 'after Join, the chat never showed #chat-you with #chat-input enabled'
        : 'the load event never ended',
    });
  } else {
    setTimeout(poll, 5);
  }
};
poll();
"#;

/// One load's timings, milliseconds from navigation start.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Load {
    /// The document's time origin (epoch ms), to tell documents apart.
    time_origin: f64,
    /// `responseEnd` of the document.
    html: f64,
    /// `domContentLoadedEventEnd`.
    dom_content_loaded: f64,
    /// `loadEventEnd`.
    load: f64,
    /// The join form appeared.
    join_form: f64,
    /// Join's click handler returned.
    clicked: f64,
    /// The chat became usable.
    usable: f64,
    /// WebAssembly bytes over the wire.
    wasm_bytes: f64,
    /// The document's and every resource's bytes over the wire.
    page_bytes: f64,
}

/// Runs `page`.
pub async fn run(args: PageArgs) -> Result<()> {
    let addr = guard::http_url_addr(&args.url)?;
    ensure!(
        args.timeout.is_finite() && args.timeout > 0.0,
        "--timeout must be a positive number of seconds"
    );
    let limit = Duration::from_secs_f64(args.timeout);
    check_page_is_built(addr, &args.url).await?;
    let driver = Driver::start(&args.chromedriver).await?;
    let started = Instant::now();
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    let mut browser = None;
    for session in 1..=args.runs {
        let profile = tempfile::tempdir().context("cannot create a browser profile directory")?;
        let client = tokio::time::timeout(
            START_TIMEOUT,
            driver.browser(&args.chromium, profile.path(), limit),
        )
        .await
        .with_context(|| format!("no browser session within {START_TIMEOUT:?}"))??;
        browser = browser.or_else(|| browser_name(&client));
        let measured = tokio::time::timeout(limit, measure(&client, &args.url, limit)).await;
        // Closed whatever happened, so no browser outlives its session.
        let closed = tokio::time::timeout(START_TIMEOUT, client.close()).await;
        let (first, again) = measured
            .map_err(|_| anyhow::anyhow!("session {session} took longer than {limit:?}"))?
            .with_context(|| format!("session {session}"))?;
        if !matches!(closed, Ok(Ok(()))) {
            eprintln!("page: session {session} did not close cleanly");
        }
        eprintln!(
            "page: session {session}/{}: cold {}; warm {}",
            args.runs,
            describe(&first),
            describe(&again)
        );
        cold.push(first);
        warm.push(again);
    }
    let duration = started.elapsed();
    drop(driver);

    let mut record = args.run.record("page");
    record.params.sessions = Some(args.runs);
    record.params.browser = browser;
    let (cold, warm) = (summarize(&cold), summarize(&warm));
    for (name, load) in [("cold", &cold), ("warm", &warm)] {
        eprintln!(
            "page: {name}: usable p50 {} ms (min {}, max {})",
            load.usable_p50_ms.unwrap_or(f64::NAN),
            load.usable_min_ms.unwrap_or(f64::NAN),
            load.usable_max_ms.unwrap_or(f64::NAN)
        );
    }
    record.metrics.cold = Some(cold);
    record.metrics.warm = Some(warm);
    record.metrics.duration_s = Some(round1(duration.as_secs_f64()));
    record.emit()
}

/// One session: the cold load, then a reload in the same browser.
/// The in-page waits end a second before `limit`, so that their error
/// (what never appeared) is reported rather than a bare timeout.
async fn measure(client: &Client, url: &str, limit: Duration) -> Result<(Load, Load)> {
    let deadline = Instant::now() + limit.saturating_sub(Duration::from_secs(1));
    client
        .goto(url)
        .await
        .with_context(|| format!("cannot load {url}"))?;
    let cold = collect(client, deadline).await.context("cold load")?;
    client.refresh().await.context("cannot reload the page")?;
    let warm = collect(client, deadline).await.context("reload")?;
    ensure!(
        warm.time_origin > cold.time_origin,
        "the reload measured the first document again"
    );
    Ok((cold, warm))
}

/// Waits in the page (until `deadline`) for the observer's marks and
/// returns the timings.
async fn collect(client: &Client, deadline: Instant) -> Result<Load> {
    let wait = deadline.saturating_duration_since(Instant::now());
    let value = client
        .execute_async(COLLECT, vec![json!(wait.as_millis() as u64)])
        .await
        .context("the timing script failed")?;
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        bail!("{error}");
    }
    serde_json::from_value(value.clone()).with_context(|| format!("unexpected timings {value}"))
}

/// One load for the progress line.
fn describe(load: &Load) -> String {
    format!(
        "usable at {:.1} ms (HTML {:.1}, DOMContentLoaded {:.1}, load {:.1}, join form {:.1}, \
         join {:.1} of which click handler {:.1}; {:.1} KiB wasm over the wire)",
        load.usable,
        load.html,
        load.dom_content_loaded,
        load.load,
        load.join_form,
        load.usable - load.join_form,
        load.clicked - load.join_form,
        load.wasm_bytes / 1024.0
    )
}

/// The median (and for "usable" the range) of each timing over sessions.
fn summarize(loads: &[Load]) -> PageLoad {
    let median = |field: fn(&Load) -> f64| {
        let values: Vec<f64> = loads.iter().map(field).collect();
        spread(&values).map(|s| s.median)
    };
    let usable = spread(&loads.iter().map(|l| l.usable).collect::<Vec<_>>());
    PageLoad {
        usable_p50_ms: usable.map(|s| round1(s.median)),
        usable_min_ms: usable.map(|s| round1(s.min)),
        usable_max_ms: usable.map(|s| round1(s.max)),
        html_ms: median(|l| l.html).map(round1),
        dom_content_loaded_ms: median(|l| l.dom_content_loaded).map(round1),
        load_ms: median(|l| l.load).map(round1),
        join_form_ms: median(|l| l.join_form).map(round1),
        join_ms: median(|l| l.usable - l.join_form).map(round1),
        join_click_ms: median(|l| l.clicked - l.join_form).map(round1),
        wasm_bytes: median(|l| l.wasm_bytes).map(|b| b.round() as u64),
        page_bytes: median(|l| l.page_bytes).map(|b| b.round() as u64),
    }
}

/// `chrome 156.0.8078.108`, from the session's capabilities.
fn browser_name(client: &Client) -> Option<String> {
    let caps = client.capabilities()?;
    let name = caps.get("browserName")?.as_str()?;
    let version = caps.get("browserVersion")?.as_str()?;
    Some(format!("{name} {version}"))
}

/// Fails early, with the fix, when the server has no page to load: a
/// server built before `trunk build` serves no WebAssembly.
async fn check_page_is_built(addr: SocketAddr, url: &str) -> Result<()> {
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or("/");
    let fetch = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.take(1 << 20).read_to_end(&mut response).await?;
        anyhow::Ok(String::from_utf8_lossy(&response).into_owned())
    };
    let response = tokio::time::timeout(Duration::from_secs(10), fetch)
        .await
        .with_context(|| format!("{url} did not answer within 10 s"))?
        .with_context(|| format!("cannot fetch {url}"))?;
    ensure!(
        serves_the_page(&response),
        "{url} does not serve the page (no WebAssembly in its HTML): build it with \
         `cargo xtask dist` (or `trunk build --release`), then rebuild the server, which \
         embeds it"
    );
    Ok(())
}

/// Whether an HTTP response is the built page: 200 and a `.wasm` in it.
fn serves_the_page(response: &str) -> bool {
    let status_ok = response
        .lines()
        .next()
        .is_some_and(|line| line.split_whitespace().nth(1) == Some("200"));
    status_ok && response.contains(".wasm")
}

/// A chromedriver on a free loopback port, in its own process group so
/// that every browser it started goes with it.
struct Driver {
    /// The chromedriver process, also the process group's ID.
    child: Child,
    /// Its WebDriver port.
    port: u16,
}

impl Driver {
    /// Starts chromedriver and waits until it listens.
    async fn start(program: &Path) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("cannot find a free port")?
            .port();
        let mut child = Command::new(program)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {}: install it with `apt-get install chromium-driver` \
                     (or `cargo xtask install-tools`), or give --chromedriver",
                    program.display()
                )
            })?;
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if let Some(status) = child.try_wait()? {
                bail!("{} exited at start ({status})", program.display());
            }
            ensure!(
                tokio::time::Instant::now() < deadline,
                "{} did not listen within {START_TIMEOUT:?}",
                program.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self { child, port })
    }

    /// A fresh headless Chromium with its own empty profile, whose every
    /// new document runs [`OBSERVER`] first.
    async fn browser(&self, chromium: &Path, profile: &Path, limit: Duration) -> Result<Client> {
        let options = json!({
            "binary": chromium.display().to_string(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1280,800", "--lang=en-US",
                format!("--user-data-dir={}", profile.display()),
            ]
        });
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".to_owned(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .with_context(|| format!("no browser session (is {} there?)", chromium.display()))?;
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(limit + Duration::from_secs(5)),
                Some(limit),
                None,
            ))
            .await
            .context("cannot set the WebDriver timeouts")?;
        client
            .issue_cmd(AddScriptOnNewDocument(OBSERVER))
            .await
            .context(
                "cannot register the timing observer (Page.addScriptToEvaluateOnNewDocument)",
            )?;
        Ok(client)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver and any browser it left behind share its group.
        if let Some(pgid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// chromedriver's DevTools passthrough:
/// `Page.addScriptToEvaluateOnNewDocument` with the given source.
#[derive(Debug)]
struct AddScriptOnNewDocument(&'static str);

impl WebDriverCompatibleCommand for AddScriptOnNewDocument {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({
            "cmd": "Page.addScriptToEvaluateOnNewDocument",
            "params": { "source": self.0 },
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(usable: f64, wasm_bytes: f64) -> Load {
        Load {
            time_origin: 1.0,
            html: 10.0,
            dom_content_loaded: 40.0,
            load: 50.0,
            join_form: 120.0,
            clicked: 125.0,
            usable,
            wasm_bytes,
            page_bytes: wasm_bytes + 60_000.0,
        }
    }

    #[test]
    fn sessions_summarize_to_medians_and_the_usable_range() {
        let summary = summarize(&[
            load(250.04, 554_709.0),
            load(300.0, 554_709.0),
            load(200.0, 0.0),
        ]);
        assert_eq!(summary.usable_p50_ms, Some(250.0));
        assert_eq!(summary.usable_min_ms, Some(200.0));
        assert_eq!(summary.usable_max_ms, Some(300.0));
        assert_eq!(summary.join_ms, Some(130.0));
        assert_eq!(summary.join_click_ms, Some(5.0));
        assert_eq!(summary.dom_content_loaded_ms, Some(40.0));
        assert_eq!(summary.wasm_bytes, Some(554_709));
        assert_eq!(summarize(&[]), PageLoad::default());
    }

    #[test]
    fn the_browser_reports_timings_in_camel_case() {
        let value = json!({
            "timeOrigin": 1.7e12, "html": 9.4, "domContentLoaded": 46.1, "load": 46.9,
            "joinForm": 124.7, "clicked": 199.4, "usable": 254.1,
            "wasmBytes": 554709, "pageBytes": 620000,
        });
        let load: Load = serde_json::from_value(value).unwrap();
        assert_eq!(load.usable, 254.1);
        assert_eq!(load.wasm_bytes, 554_709.0);
    }

    #[test]
    fn only_a_page_with_webassembly_counts_as_built() {
        let built = "HTTP/1.1 200 OK\r\n\r\n<link rel=\"preload\" href=\"/app_bg.wasm\">";
        assert!(serves_the_page(built));
        assert!(!serves_the_page("HTTP/1.1 200 OK\r\n\r\n<p>not built</p>"));
        assert!(!serves_the_page("HTTP/1.1 404 Not Found\r\n\r\nx.wasm"));
    }
}
