//! The `web_sys::WebSocket` wrapper: one browser socket, the four
//! JavaScript closures it calls back into, and the values it reports.

use std::fmt;

use js_sys::{Array, ArrayBuffer, Uint8Array};
use socketlab_shared::close;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};
use yew::Callback;

use super::status::{CloseInfo, ReadyState};
use crate::browser::js_error_text;

/// The content of one WebSocket message. The protocol has exactly these
/// two kinds of data frame, and the page shows them differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A text frame (always valid UTF-8).
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
}

/// A message as it arrived, stamped so the page can compute round trips.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// Which connection of this hook it arrived on
    /// ([`SocketStatus::connection`](super::SocketStatus::connection)), so a
    /// late answer is never matched with a question from another one.
    pub connection: u32,
    /// What came in.
    pub payload: Payload,
    /// `performance.now()` when the browser handed it to the page.
    pub at_ms: f64,
}

/// A WebSocket operation the browser refused, in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsError(String);

impl WsError {
    fn from_js(value: JsValue) -> Self {
        Self(js_error_text(&value))
    }

    /// The error for a send on a socket that is not (or no longer) open.
    pub(super) fn not_open() -> Self {
        Self("the WebSocket is not open".to_owned())
    }
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a [`WsConnection`] reports to its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum WsEvent {
    /// `open`: the upgrade succeeded. Carries the subprotocol the server
    /// chose (`WebSocket.protocol`), empty when none was negotiated.
    Open(String),
    /// `message`: a frame arrived.
    Message(Payload),
    /// `error`: something failed. Browsers deliberately give no details.
    Error,
    /// `close`: the connection is over.
    Close(CloseInfo),
}

/// One browser WebSocket and the four closures it calls back into.
///
/// Owning the closures here ties their lifetime to the socket's: they live
/// as long as this value, and [`Drop`] detaches them from the socket before
/// freeing them, so the browser can never call freed memory and nothing
/// leaks when a panel reconnects or unmounts.
pub struct WsConnection {
    socket: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl WsConnection {
    /// Starts connecting to `url`, offering `protocols` as subprotocols
    /// (`Sec-WebSocket-Protocol`; none when empty); every event is reported
    /// to `on_event`.
    ///
    /// Fails only if the browser rejects the URL itself (wrong scheme, a
    /// fragment, a blocked port, mixed content); network failures arrive
    /// later as events.
    pub fn open(
        url: &str,
        protocols: &[&str],
        on_event: Callback<WsEvent>,
    ) -> Result<Self, WsError> {
        let socket = if protocols.is_empty() {
            WebSocket::new(url)
        } else {
            let offered: Array = protocols.iter().map(|p| JsValue::from_str(p)).collect();
            WebSocket::new_with_str_sequence(url, &offered)
        }
        .map_err(WsError::from_js)?;
        // Blobs would need another asynchronous read; ArrayBuffers are bytes.
        socket.set_binary_type(BinaryType::Arraybuffer);

        let on_open = Closure::<dyn FnMut(Event)>::new({
            // A second handle on the same JavaScript object, not a second
            // socket; Drop detaches this closure, so no cycle outlives it.
            let socket = socket.clone();
            let on_event = on_event.clone();
            move |_| on_event.emit(WsEvent::Open(socket.protocol()))
        });
        let on_error = Closure::<dyn FnMut(Event)>::new({
            let on_event = on_event.clone();
            move |_| on_event.emit(WsEvent::Error)
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let on_event = on_event.clone();
            move |event: MessageEvent| {
                if let Some(payload) = payload_of(&event.data()) {
                    on_event.emit(WsEvent::Message(payload));
                }
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            on_event.emit(WsEvent::Close(CloseInfo {
                code: event.code(),
                reason: event.reason(),
                was_clean: event.was_clean(),
            }));
        });

        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));

        Ok(Self {
            socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_error: on_error,
            _on_close: on_close,
        })
    }

    /// Sends one text frame.
    pub fn send_text(&self, text: &str) -> Result<(), WsError> {
        self.ensure_open()?;
        self.socket.send_with_str(text).map_err(WsError::from_js)
    }

    /// Sends one binary frame holding exactly `bytes`, as an `ArrayBuffer`.
    pub fn send_binary(&self, bytes: &[u8]) -> Result<(), WsError> {
        self.ensure_open()?;
        let buffer = Uint8Array::from(bytes).buffer();
        self.socket
            .send_with_array_buffer(&buffer)
            .map_err(WsError::from_js)
    }

    /// Starts the closing handshake with code 1000 and returns the state the
    /// socket is in right after (normally `CLOSING`).
    ///
    /// The code is explicit because a bare `close()` sends a close frame
    /// with no code at all, which the peer echoes, and the page would then
    /// report 1005 ("no status") for an ordinary goodbye.
    pub fn close(&self) -> ReadyState {
        // Only throws for codes other than 1000 and 3000–4999.
        let _ = self.socket.close_with_code(close::NORMAL);
        self.ready_state()
    }

    fn ready_state(&self) -> ReadyState {
        ReadyState::from_code(self.socket.ready_state())
    }

    /// A browser silently drops frames sent on a closing socket and throws
    /// on a connecting one; both deserve the same clear error.
    fn ensure_open(&self) -> Result<(), WsError> {
        match self.ready_state() {
            ReadyState::Open => Ok(()),
            _ => Err(WsError::not_open()),
        }
    }
}

impl Drop for WsConnection {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onerror(None);
        self.socket.set_onclose(None);
        if self.ready_state() < ReadyState::Closing {
            let _ = self.socket.close_with_code(close::NORMAL);
        }
    }
}

/// The frame inside a `message` event: a string for text frames, an
/// `ArrayBuffer` for binary ones (see `binaryType` above).
fn payload_of(data: &JsValue) -> Option<Payload> {
    if let Some(text) = data.as_string() {
        return Some(Payload::Text(text));
    }
    data.dyn_ref::<ArrayBuffer>()
        .map(|buffer| Payload::Binary(Uint8Array::new(buffer).to_vec()))
}
