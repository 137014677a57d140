//! The page's hooks: every reusable piece of stateful logic a component
//! calls, in one place.
//!
//! Components render and forward clicks; what they remember between
//! renders and what they start on their own (sockets, requests, timers)
//! lives here. The state those hooks keep is, wherever it can be, a plain
//! reducer elsewhere (`ws::SocketStatus`, `echo`, `chat`, `lab`), so its
//! rules are tested natively; a hook only connects it to Yew and the
//! browser.
//!
//! [`use_websocket`] itself lives in `ws`, the only module that touches
//! `web_sys::WebSocket`, and is re-exported here.

mod language;
mod server_info;

pub use self::language::{use_language_choice, LangChoice};
pub use self::server_info::use_server_info;
pub use crate::ws::use_websocket;
