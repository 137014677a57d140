//! The page's one door to `web_sys::WebSocket`.
//!
//! Everything else on the page talks to the server through
//! [`use_websocket`], so the fiddly parts live here once: the JavaScript
//! callbacks (`onopen`, `onmessage`, `onerror`, `onclose`) are Rust closures
//! that must stay alive exactly as long as the socket may call them, and must
//! be detached before they are freed; binary frames must arrive as
//! `ArrayBuffer`s; and the socket's `readyState` changes are recorded with
//! timestamps so the page can show the learner how a connection lives.
//!
//! The recorded state, [`SocketStatus`], is a plain reducer with no browser
//! types in it, so its rules are unit-tested natively.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Uint8Array};
use socketlab_shared::close;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};
use yew::prelude::*;

use crate::browser::{js_error_text, now_ms};

/// The four values of `WebSocket.readyState`, in the only order a socket
/// can go through them (which is why they are ordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReadyState {
    /// `0`: the HTTP upgrade request is on its way.
    Connecting,
    /// `1`: the server answered `101`; frames can flow both ways.
    Open,
    /// `2`: a close frame was sent; waiting for the other side's.
    Closing,
    /// `3`: the TCP connection is gone.
    Closed,
}

impl ReadyState {
    /// Reads the number the browser reports in `readyState`.
    pub fn from_code(code: u16) -> Self {
        match code {
            0 => Self::Connecting,
            1 => Self::Open,
            2 => Self::Closing,
            _ => Self::Closed,
        }
    }

    /// The number, as `WebSocket.readyState` shows it.
    pub fn code(self) -> u16 {
        match self {
            Self::Connecting => 0,
            Self::Open => 1,
            Self::Closing => 2,
            Self::Closed => 3,
        }
    }

    /// The constant's name (`WebSocket.OPEN` …): what learners will meet in
    /// JavaScript documentation, so it is never translated.
    pub fn name(self) -> &'static str {
        match self {
            Self::Connecting => "CONNECTING",
            Self::Open => "OPEN",
            Self::Closing => "CLOSING",
            Self::Closed => "CLOSED",
        }
    }
}

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
    /// Which connection of this hook it arrived on ([`SocketStatus::connection`]),
    /// so a late answer is never matched with a question from another one.
    pub connection: u32,
    /// What came in.
    pub payload: Payload,
    /// `performance.now()` when the browser handed it to the page.
    pub at_ms: f64,
}

/// What the browser's `CloseEvent` said about how the connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The close code (see `socketlab_shared::close`).
    pub code: u16,
    /// The reason text the closing side sent, often empty.
    pub reason: String,
    /// Whether both sides exchanged close frames (`false` means the TCP
    /// connection just died, or never became a WebSocket).
    pub was_clean: bool,
}

/// A WebSocket operation the browser refused, in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsError(String);

impl WsError {
    fn from_js(value: JsValue) -> Self {
        Self(js_error_text(&value))
    }

    fn not_open() -> Self {
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

/// One entry of the `readyState` timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StateChange {
    /// The state the socket entered.
    pub state: ReadyState,
    /// Milliseconds since `connect` was called.
    pub at_ms: f64,
}

/// Everything the page knows about a hook's current (or last) connection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SocketStatus {
    /// How many connections this hook has started; `0` means none yet.
    pub connection: u32,
    /// The URL of the current connection.
    pub url: String,
    /// Every state the socket was seen entering, oldest first.
    pub timeline: Vec<StateChange>,
    /// How the connection ended, once it has.
    pub close: Option<CloseInfo>,
    /// Why the browser refused to even create the socket.
    pub failure: Option<String>,
    /// Whether the browser fired an `error` event on this connection.
    pub saw_error_event: bool,
    /// The subprotocol the server chose, once open (empty: none).
    pub protocol: Option<String>,
    started_at: f64,
}

impl SocketStatus {
    /// The socket's current state; `None` before the first connect.
    pub fn state(&self) -> Option<ReadyState> {
        self.timeline.last().map(|change| change.state)
    }

    /// Whether frames can be sent right now.
    pub fn is_open(&self) -> bool {
        self.state() == Some(ReadyState::Open)
    }

    /// Whether a connection is being made or is in use (so "Connect" would
    /// replace it).
    pub fn is_active(&self) -> bool {
        matches!(
            self.state(),
            Some(ReadyState::Connecting | ReadyState::Open)
        )
    }

    /// Milliseconds from `connect` to the `open` event: the TCP handshake
    /// plus the HTTP upgrade, as far as a page can time them.
    pub fn open_ms(&self) -> Option<f64> {
        self.timeline
            .iter()
            .find(|change| change.state == ReadyState::Open)
            .map(|change| change.at_ms)
    }

    /// Whether this connection is over, or never started because the
    /// browser refused its URL: either way nothing more will happen on it.
    pub fn is_finished(&self) -> bool {
        self.failure.is_some() || self.state() == Some(ReadyState::Closed)
    }

    /// Notes a state, ignoring repeats and impossible steps backwards (a
    /// socket never leaves `CLOSED`).
    fn record(&mut self, state: ReadyState, at: f64) {
        if self.state().is_some_and(|last| state > last) {
            self.timeline.push(StateChange {
                state,
                at_ms: at - self.started_at,
            });
        }
    }
}

/// What happened to the socket, as told to [`SocketStatus`].
#[derive(Debug, Clone, PartialEq)]
pub enum StatusAction {
    /// A new socket was created: the timeline starts over at `CONNECTING`.
    Started {
        /// Its number.
        connection: u32,
        /// Where it connects.
        url: String,
        /// `performance.now()` just before it was created.
        at: f64,
    },
    /// The `open` event arrived.
    Opened {
        /// The subprotocol the server chose (empty: none).
        protocol: String,
        /// `performance.now()` when it arrived.
        at: f64,
    },
    /// The socket was seen in a new state.
    Changed {
        /// The new state.
        state: ReadyState,
        /// `performance.now()` when it was seen.
        at: f64,
    },
    /// The `close` event arrived.
    Closed {
        /// What it said.
        info: CloseInfo,
        /// `performance.now()` when it arrived.
        at: f64,
    },
    /// The `error` event arrived.
    ErrorEvent,
    /// The browser refused to create the socket.
    Failed {
        /// The URL it refused.
        url: String,
        /// Its explanation.
        message: String,
    },
}

impl Reducible for SocketStatus {
    type Action = StatusAction;

    fn reduce(self: Rc<Self>, action: StatusAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            StatusAction::Started {
                connection,
                url,
                at,
            } => {
                next = SocketStatus {
                    connection,
                    url,
                    timeline: vec![StateChange {
                        state: ReadyState::Connecting,
                        at_ms: 0.0,
                    }],
                    started_at: at,
                    ..SocketStatus::default()
                };
            }
            StatusAction::Opened { protocol, at } => {
                next.record(ReadyState::Open, at);
                next.protocol = Some(protocol);
            }
            StatusAction::Changed { state, at } => next.record(state, at),
            StatusAction::Closed { info, at } => {
                next.record(ReadyState::Closed, at);
                next.close = Some(info);
            }
            StatusAction::ErrorEvent => next.saw_error_event = true,
            StatusAction::Failed { url, message } => {
                next = SocketStatus {
                    connection: self.connection,
                    url,
                    failure: Some(message),
                    ..SocketStatus::default()
                };
            }
        }
        Rc::new(next)
    }
}

/// The hook's mutable, non-rendering part: the live socket and a counter.
#[derive(Default)]
struct Slot {
    current: Option<WsConnection>,
    started: u32,
}

/// A component's handle on its WebSocket: read the status, connect,
/// disconnect, send. Cheap to clone and to pass as a prop.
#[derive(Clone)]
pub struct UseWebSocketHandle {
    status: UseReducerHandle<SocketStatus>,
    slot: Rc<RefCell<Slot>>,
    on_message: Rc<RefCell<Callback<Received>>>,
}

impl fmt::Debug for UseWebSocketHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UseWebSocketHandle")
            .field("status", &*self.status)
            .finish_non_exhaustive()
    }
}

impl PartialEq for UseWebSocketHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.slot, &other.slot) && self.status == other.status
    }
}

impl UseWebSocketHandle {
    /// The current (or last) connection's status.
    pub fn status(&self) -> &SocketStatus {
        &self.status
    }

    /// Opens a new connection to `url`, closing the previous one if any.
    pub fn connect(&self, url: &str) {
        self.connect_with(url, &[]);
    }

    /// Opens a new connection to `url` offering `protocols` as
    /// subprotocols, closing the previous one if any. Returns the new
    /// connection's number ([`SocketStatus::connection`]), so the caller can
    /// tell its frames from a previous connection's before re-rendering.
    pub fn connect_with(&self, url: &str, protocols: &[&str]) -> u32 {
        let mut slot = self.slot.borrow_mut();
        // Detach and close the old socket first, so none of its late events
        // can land in the new connection's timeline.
        slot.current = None;
        slot.started += 1;
        let connection = slot.started;

        let on_event = route_events(
            connection,
            self.status.dispatcher(),
            Rc::clone(&self.on_message),
        );
        let at = now_ms();
        let opened =
            WsConnection::open(url, protocols, on_event).map(|socket| slot.current = Some(socket));
        // Release the slot before telling the reducer, which may re-render.
        drop(slot);
        let url = url.to_owned();
        self.status.dispatch(match opened {
            Ok(()) => StatusAction::Started {
                connection,
                url,
                at,
            },
            Err(error) => StatusAction::Failed {
                url,
                message: error.to_string(),
            },
        });
        connection
    }

    /// Starts the closing handshake (code 1000). The `close` event, with the
    /// code the server answered, arrives when the handshake is done.
    pub fn disconnect(&self) {
        let state = self.slot.borrow().current.as_ref().map(WsConnection::close);
        if let Some(state) = state {
            self.status.dispatch(StatusAction::Changed {
                state,
                at: now_ms(),
            });
        }
    }

    /// Sends a text frame on the open connection.
    pub fn send_text(&self, text: &str) -> Result<(), WsError> {
        match &self.slot.borrow().current {
            Some(socket) => socket.send_text(text),
            None => Err(WsError::not_open()),
        }
    }

    /// Sends a binary frame on the open connection.
    pub fn send_binary(&self, bytes: &[u8]) -> Result<(), WsError> {
        match &self.slot.borrow().current {
            Some(socket) => socket.send_binary(bytes),
            None => Err(WsError::not_open()),
        }
    }
}

/// Turns one connection's events into status changes and stamped messages.
fn route_events(
    connection: u32,
    status: UseReducerDispatcher<SocketStatus>,
    on_message: Rc<RefCell<Callback<Received>>>,
) -> Callback<WsEvent> {
    Callback::from(move |event: WsEvent| {
        let at = now_ms();
        match event {
            WsEvent::Open(protocol) => status.dispatch(StatusAction::Opened { protocol, at }),
            WsEvent::Message(payload) => {
                // Clone out of the cell: the callback may re-render the
                // component, which stores a new callback in it.
                let on_message = on_message.borrow().clone();
                on_message.emit(Received {
                    connection,
                    payload,
                    at_ms: at,
                });
            }
            WsEvent::Error => status.dispatch(StatusAction::ErrorEvent),
            WsEvent::Close(info) => status.dispatch(StatusAction::Closed { info, at }),
        }
    })
}

/// A WebSocket owned by the calling component.
///
/// Incoming frames go to `on_message` (the latest one passed, so it may be
/// rebuilt on every render); state changes are kept in the returned handle's
/// [`SocketStatus`]. The socket is closed when the component unmounts.
#[hook]
pub fn use_websocket(on_message: Callback<Received>) -> UseWebSocketHandle {
    let status = use_reducer(SocketStatus::default);
    let slot = use_mut_ref(Slot::default);
    let latest_on_message = use_mut_ref(|| on_message.clone());
    *latest_on_message.borrow_mut() = on_message;

    {
        let slot = Rc::clone(&slot);
        use_effect_with((), move |_| move || slot.borrow_mut().current = None);
    }

    UseWebSocketHandle {
        status,
        slot,
        on_message: latest_on_message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(status: SocketStatus, action: StatusAction) -> SocketStatus {
        (*Rc::new(status).reduce(action)).clone()
    }

    fn started() -> SocketStatus {
        reduce(
            SocketStatus::default(),
            StatusAction::Started {
                connection: 1,
                url: "ws://h/ws/echo".into(),
                at: 100.0,
            },
        )
    }

    fn states(status: &SocketStatus) -> Vec<&'static str> {
        status.timeline.iter().map(|c| c.state.name()).collect()
    }

    #[test]
    fn a_full_life_is_recorded_relative_to_the_start() {
        let mut status = started();
        for (state, at) in [(ReadyState::Open, 103.5), (ReadyState::Closing, 200.0)] {
            status = reduce(status, StatusAction::Changed { state, at });
        }
        let info = CloseInfo {
            code: 1000,
            reason: String::new(),
            was_clean: true,
        };
        status = reduce(
            status,
            StatusAction::Closed {
                info: info.clone(),
                at: 201.0,
            },
        );
        assert_eq!(states(&status), ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]);
        assert_eq!(status.timeline[1].at_ms, 3.5);
        assert_eq!(status.close, Some(info));
        assert!(!status.is_open());
    }

    #[test]
    fn opening_records_the_subprotocol_and_the_connect_time() {
        let status = reduce(
            started(),
            StatusAction::Opened {
                protocol: "binary".into(),
                at: 104.25,
            },
        );
        assert!(status.is_open());
        assert_eq!(status.protocol.as_deref(), Some("binary"));
        assert_eq!(status.open_ms(), Some(4.25));
        assert!(!status.is_finished());
    }

    #[test]
    fn a_refused_or_closed_connection_is_finished() {
        let refused = reduce(
            started(),
            StatusAction::Failed {
                url: "ws://h:1/".into(),
                message: "blocked".into(),
            },
        );
        assert!(refused.is_finished());
        let closed = reduce(
            started(),
            StatusAction::Closed {
                info: CloseInfo {
                    code: 1006,
                    reason: String::new(),
                    was_clean: false,
                },
                at: 150.0,
            },
        );
        assert!(closed.is_finished());
        assert_eq!(closed.open_ms(), None);
    }

    #[test]
    fn repeats_and_steps_backwards_are_ignored() {
        let mut status = started();
        for state in [ReadyState::Open, ReadyState::Open, ReadyState::Connecting] {
            status = reduce(status, StatusAction::Changed { state, at: 101.0 });
        }
        assert_eq!(states(&status), ["CONNECTING", "OPEN"]);
        assert!(status.is_open());
    }

    #[test]
    fn nothing_is_recorded_before_a_connection_starts() {
        let status = reduce(
            SocketStatus::default(),
            StatusAction::Changed {
                state: ReadyState::Open,
                at: 1.0,
            },
        );
        assert_eq!(status.state(), None);
    }

    #[test]
    fn a_refused_url_clears_the_old_connection() {
        let status = reduce(
            started(),
            StatusAction::Failed {
                url: "http://nope".into(),
                message: "bad scheme".into(),
            },
        );
        assert_eq!(status.state(), None);
        assert_eq!(status.failure.as_deref(), Some("bad scheme"));
        assert_eq!(status.connection, 1);
    }

    #[test]
    fn ready_state_codes_round_trip() {
        for code in 0..4 {
            assert_eq!(ReadyState::from_code(code).code(), code);
        }
    }
}
