//! The page's files, embedded in the binary.
//!
//! `trunk build` writes the page to `dist/`; rust-embed compiles those files
//! into release builds (and reads them from disk in debug builds), so one
//! binary is the whole product. When the page was never built, `/` explains
//! how to build it instead of answering a bare 404.

use std::borrow::Cow;

use http::{header, HeaderValue, StatusCode};
use rust_embed::RustEmbed;
use warp::filters::path::Tail;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

#[derive(RustEmbed)]
// Relative to this crate's manifest: the trunk output at the repository root.
#[folder = "../dist"]
#[allow_missing = true]
struct Page;

/// `GET /` and `GET /{file}` from the embedded page.
pub fn filter() -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::get()
        .and(warp::path::tail())
        .and_then(|tail: Tail| async move {
            let path = match tail.as_str() {
                "" => "index.html",
                other => other,
            };
            serve(path).ok_or_else(warp::reject::not_found)
        })
}

/// Whether the page is embedded (i.e. `dist/` existed at build time).
pub fn page_is_built() -> bool {
    Page::get("index.html").is_some()
}

fn serve(path: &str) -> Option<Response> {
    let Some(file) = Page::get(path) else {
        return (path == "index.html").then(not_built);
    };
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut response = Response::new(match file.data {
        Cow::Borrowed(bytes) => bytes.into(),
        Cow::Owned(bytes) => bytes.into(),
    });
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime.as_ref()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    // trunk puts a content hash in every file name except index.html, so
    // those can be cached forever; index.html must always be revalidated.
    let cache = if path == "index.html" {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Some(response)
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
