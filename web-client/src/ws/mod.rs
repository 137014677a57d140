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
//!
//! Three parts: [`socket`] wraps the browser's WebSocket and its closures,
//! [`status`] is the reducer, and [`hook`] ties both to a component.

mod hook;
mod socket;
mod status;

pub use hook::{use_websocket, UseWebSocketHandle};
pub use socket::{Payload, Received};
pub use status::{CloseInfo, ReadyState, SocketStatus, StateChange};
