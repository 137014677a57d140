//! The page's files, embedded in the binary.
//!
//! `trunk build` writes the page to `dist/`; rust-embed compiles those files
//! into release builds (and reads them from disk in debug builds), so one
//! binary is the whole product. When the page was never built, `/` explains
//! how to build it instead of answering a bare 404.
//!
//! The build script also compresses each file (brotli and gzip, see
//! `build.rs`); a browser that accepts one gets it, with `Vary:
//! Accept-Encoding` so caches keep the variants apart.

use std::borrow::Cow;

use http::{header, HeaderMap, HeaderValue, StatusCode};
use rust_embed::RustEmbed;
use warp::filters::path::Tail;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use super::page_lang;

#[derive(RustEmbed)]
// Relative to this crate's manifest: the trunk output at the repository root.
#[folder = "../dist"]
#[allow_missing = true]
struct Page;

/// The page's files compressed by `build.rs`, named `{sha256 of the
/// file}.br` and `.gz`.
#[derive(RustEmbed)]
#[folder = "$OUT_DIR/page-compressed"]
#[allow_missing = true]
struct Compressed;

/// The encodings the build script made, best first, with their file suffix.
const ENCODINGS: &[(&str, &str)] = &[("br", "br"), ("gzip", "gz")];

/// `GET /` (in the visitor's language) and `GET /{file}` from the
/// embedded page.
pub fn filter() -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::get()
        .and(warp::path::tail())
        .and(warp::header::headers_cloned())
        .and_then(|tail: Tail, headers: HeaderMap| async move {
            let accept = headers
                .get(header::ACCEPT_ENCODING)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("");
            let response = match tail.as_str() {
                "" => serve_page(&headers, accept),
                other => serve(other, accept),
            };
            response.ok_or_else(warp::reject::not_found)
        })
}

/// The page's HTML in the language `page_lang` picks for this request
/// (`index.LANG.html`), or `index.html` when the page was built without
/// one per language.
fn serve_page(headers: &HeaderMap, accept_encoding: &str) -> Option<Response> {
    let file = |code: &str| format!("index.{code}.html");
    let lang = page_lang::choose(headers, |code| Page::get(&file(code)).is_some());
    let localized = file(&lang);
    let (path, language) = match Page::get(&localized) {
        Some(_) => (localized.as_str(), Some(lang.as_str())),
        None => ("index.html", None),
    };
    let mut response = serve(path, accept_encoding)?;
    let headers = response.headers_mut();
    // The HTML varies by language as well as by encoding.
    if let Ok(vary) = HeaderValue::from_str(&format!("Accept-Encoding, {}", page_lang::VARY)) {
        headers.insert(header::VARY, vary);
    }
    if let Some(value) = language.and_then(|code| HeaderValue::from_str(code).ok()) {
        headers.insert(header::CONTENT_LANGUAGE, value);
    }
    Some(response)
}

/// Whether the page is embedded (i.e. `dist/` existed at build time).
pub fn page_is_built() -> bool {
    Page::get("index.html").is_some()
}

fn serve(path: &str, accept_encoding: &str) -> Option<Response> {
    let Some(file) = Page::get(path) else {
        return (path == "index.html").then(not_built);
    };
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let hash = hex(&file.metadata.sha256_hash());
    let compressed = ENCODINGS.iter().find_map(|&(encoding, suffix)| {
        if !accepts(accept_encoding, encoding) {
            return None;
        }
        Compressed::get(&format!("{hash}.{suffix}")).map(|file| (encoding, file.data))
    });
    let (encoding, data) = match compressed {
        Some((encoding, data)) => (Some(encoding), data),
        None => (None, file.data),
    };
    let mut response = Response::new(match data {
        Cow::Borrowed(bytes) => bytes.into(),
        Cow::Owned(bytes) => bytes.into(),
    });
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime.as_ref()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // trunk puts a content hash in every file name except the HTML
    // (index.html and index.LANG.html), so those can be cached forever;
    // the HTML must always be revalidated.
    let cache = if path.ends_with(".html") {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Some(response)
}

/// Whether an `Accept-Encoding` value accepts `encoding`: listed (or `*`)
/// without `q=0`.
fn accepts(accept_encoding: &str, encoding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused = parts.any(|param| {
            param
                .trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (name.eq_ignore_ascii_case(encoding) || name == "*") && !refused
    })
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

fn not_built() -> Response {
    const HTML: &str =
        "<!doctype html><meta charset=utf-8><title>Socketlab: page not built</title>\
<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">\
<h1>The Socketlab page has not been built</h1>\
<p>This server is running, and its WebSocket endpoints work, but it was compiled \
without the web page. Build everything and start the server with:</p>\
<pre>cargo xtask run</pre>\
<p>or, for development, run <code>trunk serve</code> from the repository root and \
open the address it prints.</p></body>";
    warp::reply::with_status(warp::reply::html(HTML), StatusCode::OK).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_lists_are_read_with_their_weights() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("gzip, deflate", "gzip"));
        assert!(!accepts("gzip, deflate", "br"));
        assert!(accepts("BR;q=0.5", "br"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(!accepts("br; q=0.0", "br"));
        assert!(accepts("*", "gzip"));
        assert!(!accepts("", "gzip"));
        assert!(!accepts("identity", "gzip"));
    }
}
