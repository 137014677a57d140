//! Small, fallible helpers around the browser's global objects.
//!
//! Components should not each repeat `web_sys::window().and_then(...)`
//! chains; these helpers do it once and degrade quietly (a page without
//! `localStorage`, e.g. in a private window, still works — it just forgets).
//! Pure parts such as [`ws_url_from`] are split out so they can be tested
//! natively.

/// The `localStorage` key under which the chosen language is remembered.
const LANG_KEY: &str = "socketlab.lang";

/// Milliseconds from `performance.now()`: monotonic and sub-millisecond, so
/// round-trip times are not distorted by clock adjustments.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// The WebSocket URL for `path` on the server that served this page.
///
/// The page and its sockets always share one origin (that is what the dev
/// proxy and the real server both provide), so the URL is derived from
/// `window.location` rather than configured.
pub fn ws_url(path: &str) -> String {
    let location = web_sys::window().map(|w| w.location());
    let protocol = location
        .as_ref()
        .and_then(|l| l.protocol().ok())
        .unwrap_or_else(|| "http:".to_owned());
    let host = location
        .as_ref()
        .and_then(|l| l.host().ok())
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    ws_url_from(&protocol, &host, path)
}

/// `ws://host/path` for an `http:` page and `wss://host/path` for `https:`:
/// a secure page may only open secure sockets.
pub fn ws_url_from(page_protocol: &str, host: &str, path: &str) -> String {
    let scheme = if page_protocol == "https:" {
        "wss"
    } else {
        "ws"
    };
    format!("{scheme}://{host}{path}")
}

/// The page's host name without the port (`location.hostname`; IPv6
/// addresses keep their brackets). The built-in raw sockets listen on the
/// same IP as the page's server, only on other ports.
pub fn hostname() -> String {
    web_sys::window()
        .and_then(|w| w.location().hostname().ok())
        .unwrap_or_else(|| "127.0.0.1".to_owned())
}

/// Whether the global object (`window`) has a property called `name`:
/// how a page finds out which APIs its browser offers, without calling
/// them.
pub fn has_global(name: &str) -> bool {
    js_sys::Reflect::has(&js_sys::global(), &wasm_bindgen::JsValue::from_str(name)).unwrap_or(false)
}

/// Which browser runs the page, as its name and major version ("Firefox
/// 153"), read from `navigator.userAgent` at run time: error messages, close
/// codes and WebTransport support differ between browsers, so the lab says
/// whose they are. `None` when the agent is not one it knows.
pub fn browser_label() -> Option<String> {
    let agent = web_sys::window()?.navigator().user_agent().ok()?;
    browser_from_user_agent(&agent)
}

/// The pure part of [`browser_label`]. The markers are tried in order,
/// because agents name their relatives too: Edge and Opera also say
/// `Chrome/`, and Chromium also says `Safari/`. Chrome and Chromium are
/// both reported as Chromium, the engine whose behaviour the page shows.
pub fn browser_from_user_agent(agent: &str) -> Option<String> {
    const MARKERS: &[(&str, &str)] = &[
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox for iOS"),
        ("CriOS/", "Chrome for iOS"),
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("HeadlessChrome/", "Chromium"),
        ("Chrome/", "Chromium"),
        ("Version/", "Safari"),
    ];
    MARKERS.iter().find_map(|&(marker, name)| {
        let (_, rest) = agent.split_once(marker)?;
        let major: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (!major.is_empty() && (name != "Safari" || agent.contains("Safari/")))
            .then(|| format!("{name} {major}"))
    })
}

/// Percent-encodes a query-string value (room and member names may contain
/// any printable character, including `&` and `#`).
pub fn encode_query_value(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

/// The browser's preferred language tag, e.g. `ko-KR`.
pub fn navigator_language() -> Option<String> {
    web_sys::window().and_then(|w| w.navigator().language())
}

/// The language the visitor picked on an earlier visit, if any.
pub fn stored_language() -> Option<String> {
    local_storage().and_then(|s| s.get_item(LANG_KEY).ok().flatten())
}

/// Remembers the visitor's language choice for the next visit: in
/// `localStorage`, and in the `lang` cookie, from which the server picks the
/// language of the page's HTML (see the server's `routes::page_lang`).
pub fn store_language(code: &str) {
    if let Some(storage) = local_storage() {
        // A full or disabled storage only costs the preference; ignore it.
        let _ = storage.set_item(LANG_KEY, code);
    }
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        // `document.cookie = …` through Reflect: web-sys's HtmlDocument
        // binding would add code for one assignment. A year, the whole site.
        let cookie = format!("lang={code}; path=/; max-age=31536000; samesite=lax");
        let _ = js_sys::Reflect::set(&document, &"cookie".into(), &cookie.into());
    }
}

/// The `lang` attribute of `<html>` as the page's HTML arrived (the
/// language the server rendered it in), and whether that HTML was
/// rendered ahead of time (`data-prerendered`) and so can be hydrated.
pub fn served_language() -> (Option<String>, bool) {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element());
    match root {
        Some(root) => (
            root.get_attribute("lang"),
            root.has_attribute("data-prerendered"),
        ),
        None => (None, false),
    }
}

/// Sets `<html lang>`, so screen readers pronounce the page correctly and
/// the browser picks the right fonts. Only when it changes: setting it, even
/// to the value it has, makes the browser restyle the whole page (16 ms of
/// the page's first task in Lighthouse's trace).
pub fn set_document_lang(code: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        if root.get_attribute("lang").as_deref() != Some(code) {
            let _ = root.set_attribute("lang", code);
        }
    }
}

/// Wall-clock `HH:MM:SS` in the visitor's time zone for a Unix time in
/// milliseconds (chat messages carry the server's timestamp).
pub fn local_time(unix_ms: u64) -> String {
    // f64 represents every millisecond timestamp until the year 287,396.
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_ms as f64));
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

/// A readable sentence from a JavaScript exception (`Error`, including
/// `DOMException`, or a thrown string), for showing to the learner.
pub fn js_error_text(value: &wasm_bindgen::JsValue) -> String {
    use wasm_bindgen::JsCast as _;
    match value.dyn_ref::<js_sys::Error>() {
        Some(error) => String::from(error.message()),
        None => value.as_string().unwrap_or_else(|| format!("{value:?}")),
    }
}

/// An exception's class and message (`TypeError`, `Failed to fetch`):
/// for a failed `fetch` the class is the only hint a page gets.
pub fn js_error_parts(value: &wasm_bindgen::JsValue) -> (String, String) {
    use wasm_bindgen::JsCast as _;
    match value.dyn_ref::<js_sys::Error>() {
        Some(error) => (String::from(error.name()), String::from(error.message())),
        None => ("Error".to_owned(), js_error_text(value)),
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_named_from_their_user_agent() {
        let agent = |ua| browser_from_user_agent(ua);
        assert_eq!(
            agent("Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0")
                .as_deref(),
            Some("Firefox 153")
        );
        assert_eq!(
            agent(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 HeadlessChrome/156.0.0.0 Safari/537.36"
            )
            .as_deref(),
            Some("Chromium 156")
        );
        assert_eq!(
            agent(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                 Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
            )
            .as_deref(),
            Some("Edge 131")
        );
        assert_eq!(
            agent(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, \
                 like Gecko) Version/18.1 Safari/605.1.15"
            )
            .as_deref(),
            Some("Safari 18")
        );
        assert_eq!(agent("curl/8.5.0"), None);
        assert_eq!(agent("Firefox/"), None);
        assert_eq!(agent("Version/3.0 NotSafari"), None);
    }

    #[test]
    fn secure_pages_get_secure_sockets() {
        assert_eq!(
            ws_url_from("http:", "127.0.0.1:8080", "/ws/echo"),
            "ws://127.0.0.1:8080/ws/echo"
        );
        assert_eq!(
            ws_url_from("https:", "lab.example", "/ws/chat"),
            "wss://lab.example/ws/chat"
        );
    }
}
