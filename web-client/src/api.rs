//! The page's plain HTTP requests: `GET /api/info`, `GET
//! /api/tcp-echo/captures`, and the lab's deliberately doomed `fetch` at a
//! raw TCP port.
//!
//! Made with the browser's `fetch` through `web_sys` (no HTTP client crate:
//! the page should carry as little code as possible, and these few requests
//! do not need more). The server's description is fetched once, by
//! `hooks::use_server_info` in the page's root, and handed to every panel
//! that needs a port.

use std::rc::Rc;

use socketlab_shared::{endpoints, ServerInfo, TcpCapture};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

use crate::browser::{js_error_parts, js_error_text};
use crate::lab::raw::FetchOutcome;

/// Where the request for the server's description stands.
#[derive(Debug, Clone)]
pub enum InfoState {
    /// The request is on its way.
    Loading,
    /// The server described itself.
    Ready(Rc<ServerInfo>),
    /// The request or its body failed; the text says how.
    Failed(String),
}

/// The description is fetched once and never changed in place, so two
/// `Ready` states are equal when they share it: a comparison (which Yew
/// makes for every prop) need not walk the whole description.
impl PartialEq for InfoState {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (InfoState::Loading, InfoState::Loading) => true,
            (InfoState::Ready(a), InfoState::Ready(b)) => Rc::ptr_eq(a, b),
            (InfoState::Failed(a), InfoState::Failed(b)) => a == b,
            _ => false,
        }
    }
}

/// `GET /api/info`: the server's description of itself.
pub async fn fetch_info() -> Result<ServerInfo, String> {
    let text = get_text(endpoints::API_INFO).await?;
    ServerInfo::from_json(&text).map_err(|e| e.to_string())
}

/// `GET /api/tcp-echo/captures`: the first bytes of `tcp-echo`'s last
/// connections, newest first.
pub async fn fetch_captures() -> Result<Vec<TcpCapture>, String> {
    let text = get_text(endpoints::API_TCP_CAPTURES).await?;
    TcpCapture::list_from_json(&text).map_err(|e| e.to_string())
}

/// `fetch(url)` with nothing but its outcome kept: the lab points it at a
/// raw TCP port to show that the browser refuses to call that an answer.
pub async fn try_fetch(url: &str) -> FetchOutcome {
    let Some(window) = web_sys::window() else {
        return FetchOutcome::Failed {
            name: "Error".to_owned(),
            message: "no window".to_owned(),
        };
    };
    match JsFuture::from(window.fetch_with_str(url))
        .await
        .and_then(|value| value.dyn_into::<Response>())
    {
        Ok(response) => FetchOutcome::Answered {
            status: response.status(),
        },
        Err(error) => {
            let (name, message) = js_error_parts(&error);
            FetchOutcome::Failed { name, message }
        }
    }
}

/// The body of a successful `GET`, as text.
async fn get_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .and_then(|value| value.dyn_into())
        .map_err(|e| js_error_text(&e))?;
    if !response.ok() {
        return Err(format!(
            "HTTP {} {}",
            response.status(),
            response.status_text()
        ));
    }
    let body = response.text().map_err(|e| js_error_text(&e))?;
    JsFuture::from(body)
        .await
        .map_err(|e| js_error_text(&e))?
        .as_string()
        .ok_or_else(|| "the body is not text".to_owned())
}
