//! The page before its WebAssembly runs, and without JavaScript at all:
//! it is rendered ahead of time in the visitor's language and then
//! hydrated (see `web-client/src/prerender.rs`).

use fantoccini::Client;
use serde_json::json;

use super::{
    attr, console_errors, find, open_page, save_screenshot, type_keys, wait_for_text, Driver,
    SessionPost, Socketlab,
};

const KO_TITLE: &str = "소켓은 주소예요: IP + 포트";
const EN_TITLE: &str = "A socket is an address: IP + port";

/// Chromium asking for Korean pages, as a Korean visitor's does.
fn korean() -> serde_json::Value {
    json!({ "intl.accept_languages": "ko-KR,ko" })
}

/// Makes Chromium refuse (or again fetch) the page's WebAssembly.
async fn block_webassembly(client: &Client, blocked: bool) {
    let urls = if blocked { vec!["*.wasm"] } else { vec![] };
    for (cmd, params) in [
        ("Network.enable", json!({})),
        ("Network.setBlockedURLs", json!({ "urls": urls })),
    ] {
        let body = json!({ "cmd": cmd, "params": params });
        client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body,
            })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    }
}

/// Opens the page with its WebAssembly refused.
async fn open_without_webassembly(client: &Client, url: &str) {
    block_webassembly(client, true).await;
    client.goto(url).await.unwrap();
}

/// What a reader sees in the HTML alone: headings, explanations and the
/// sockets table's shape, in `lang`.
async fn reads_as_a_document(client: &Client, lang: &str, title: &str) {
    let root = find(client, "html").await;
    assert_eq!(attr(&root, "lang").await, lang);
    wait_for_text(client, "#sockets-title", title).await;
    for css in [
        "#websocket-title",
        "#chat-title",
        "#inspector-title",
        "#limits-title",
        "#lab-title",
        "#compare-title",
        "#server-endpoints thead th",
        "#server-endpoints caption",
        ".card.tcp p",
        "table.compare",
    ] {
        let text = find(client, css).await.text().await.unwrap();
        assert!(!text.trim().is_empty(), "{css} is empty");
    }
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn without_javascript_the_page_reads_in_korean_and_says_what_needs_it() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let mut prefs = korean();
    prefs["profile.managed_default_content_settings.javascript"] = json!(2);
    let client = driver.browser_with(&profile, prefs, None).await;
    client.goto(&server.url).await.unwrap();

    reads_as_a_document(&client, "ko", KO_TITLE).await;
    // WebDriver calls a <noscript> never displayed, whatever it shows; its
    // box tells: with scripts off it is laid out.
    let note = find(&client, "body > noscript").await;
    let (_, _, width, height) = note.rectangle().await.unwrap();
    assert!(width > 0.0 && height > 0.0, "the noscript note has no box");
    let text = note.prop("textContent").await.unwrap().unwrap_or_default();
    assert!(text.contains("JavaScript가 꺼져 있어서"), "{text}");
    let starting = find(&client, ".live-status").await;
    assert!(
        !starting.is_displayed().await.unwrap(),
        "a page that cannot start says it is starting"
    );
    save_screenshot(&client, "no-javascript-ko.png").await;
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn before_the_webassembly_runs_the_page_reads_and_says_it_is_starting() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    // The WebAssembly never arrives: what a visitor sees while it downloads.
    open_without_webassembly(&client, &server.url).await;

    reads_as_a_document(&client, "en", EN_TITLE).await;
    wait_for_text(&client, ".live-status", "Starting the live parts").await;
    find(&client, "main.starting").await;
    wait_for_text(&client, "#server-endpoints tbody", "Asking the server").await;
    wait_for_text(&client, "#lab-feature-websocket .verdict", "checking").await;
    save_screenshot(&client, "before-wasm.png").await;
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn the_webassembly_hydrates_the_korean_page_without_an_error_and_it_works() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser_with(&profile, korean(), None).await;
    open_page(&client, &server.url).await;

    // Still Korean (the first render matched the HTML), and live.
    reads_as_a_document(&client, "ko", KO_TITLE).await;
    find(&client, ".live-status[hidden]").await;
    find(&client, "#server-endpoints tr[data-protocol]").await;
    find(&client, "#lab-feature-websocket[data-present=\"true\"]").await;
    // The page's script and WebAssembly were not fetched until the HTML
    // was on screen (the loader in Trunk.toml): nothing competed with it.
    let timing = client
        .execute(
            "const paint = performance.getEntriesByName('first-contentful-paint')[0];
             const fetched = performance.getEntriesByType('resource')
                 .filter(e => /\\.(js|wasm)$/.test(new URL(e.name).pathname))
                 .map(e => [e.name, e.startTime]);
             return [paint ? paint.startTime : null, fetched];",
            vec![],
        )
        .await
        .unwrap();
    let painted = timing[0].as_f64().expect("no first-contentful-paint entry");
    let fetched = timing[1].as_array().unwrap();
    assert_eq!(
        fetched.len(),
        2,
        "the script and the WebAssembly: {fetched:?}"
    );
    for entry in fetched {
        let started = entry[1].as_f64().unwrap();
        assert!(
            started >= painted,
            "{} was requested at {started:.0} ms, before the first paint at {painted:.0} ms",
            entry[0]
        );
    }
    let url = find(&client, "#conn-url")
        .await
        .prop("value")
        .await
        .unwrap();
    assert!(
        url.is_some_and(|url| url.starts_with("ws://127.0.0.1:")),
        "the connection panel's URL is this page's"
    );
    // Nothing moved while the page came alive and filled in the server's
    // sockets: the layout shifts the browser recorded (before any input)
    // add up to far less than what Lighthouse calls good (0.1).
    let shift = client
        .execute_async(
            "const done = arguments[0]; let sum = 0;
             new PerformanceObserver(list => {
                 for (const e of list.getEntries()) if (!e.hadRecentInput) sum += e.value;
             }).observe({ type: 'layout-shift', buffered: true });
             setTimeout(() => done(sum), 200);",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    eprintln!("cumulative layout shift while the page came alive: {shift:.4}");
    assert!(shift < 0.05, "the page moved as it came alive: {shift}");
    find(&client, "#conn-connect").await.click().await.unwrap();
    wait_for_text(&client, "#conn-state", "OPEN").await;

    // Switching language goes on working, and is remembered for the
    // server: a reload comes back in English.
    find(&client, "button[data-lang=\"en\"]")
        .await
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "#sockets-title", EN_TITLE).await;
    open_page(&client, &server.url).await;
    assert_eq!(attr(&find(&client, "html").await, "lang").await, "en");
    wait_for_text(&client, "#sockets-title", EN_TITLE).await;

    let errors = console_errors(&client).await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs the built page and chromedriver: run `cargo xtask test`"]
async fn a_field_typed_into_before_the_webassembly_keeps_focus_and_text_as_it_comes_alive() {
    let server = Socketlab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let client = driver.browser(&profile).await;
    // A visitor on a slow link starts typing into the prerendered form
    // while the WebAssembly is still on its way.
    open_without_webassembly(&client, &server.url).await;
    wait_for_text(&client, ".live-status", "Starting the live parts").await;
    // The live controls take no pointer yet, but the keyboard reaches
    // them: Tab to the name field, then type (key actions go to whatever
    // has focus, as keys do).
    client
        .execute("document.getElementById('chat-name').focus()", vec![])
        .await
        .unwrap();
    type_keys(&client, "ada").await;
    // Now it arrives: the page's own loader, run again.
    block_webassembly(&client, false).await;
    client
        .execute(
            "const loader = [...document.querySelectorAll('script[type=module]')]
                 .map(s => s.textContent).find(t => t.includes('module_or_path'));
             const js = loader.match(/import\\(\"([^\"]+)\"\\)/)[1];
             const wasm = loader.match(/module_or_path: \"([^\"]+)\"/)[1];
             import(js).then(page => page.default({ module_or_path: wasm }));",
            vec![],
        )
        .await
        .unwrap();
    // Every part has hydrated once the lab has its findings.
    find(&client, ".live-status[hidden]").await;
    find(&client, "#lab-feature-websocket[data-present=\"true\"]").await;
    let (focused, value) = focused_field(&client).await;
    assert_eq!(
        focused, "chat-name",
        "focus left the field as its part came alive"
    );
    assert_eq!(value, "ada");
    // The caret is still in it: typing goes on where it was, and the page
    // knows the whole name, not only what was typed after it came alive.
    type_keys(&client, "-lovelace").await;
    find(&client, "#chat-join").await.click().await.unwrap();
    wait_for_text(&client, "#chat-you", "ada-lovelace").await;
    let errors = console_errors(&client).await;
    assert!(
        // The blocked download, and the loader's first try failing on it.
        errors
            .iter()
            .all(|e| e.contains(".wasm") || e.contains("Failed to fetch")),
        "console errors besides the blocked download: {errors:#?}"
    );
    client.close().await.unwrap();
}

/// The focused element's id and value.
async fn focused_field(client: &Client) -> (String, String) {
    let got = client
        .execute(
            "const e = document.activeElement; return [e ? e.id : '', e && 'value' in e ? e.value : ''];",
            vec![],
        )
        .await
        .unwrap();
    let pair = |i: usize| got[i].as_str().unwrap_or_default().to_owned();
    (pair(0), pair(1))
}
