//! The page's hooks: every reusable piece of stateful logic a component
//! calls, in one place.
//!
//! Components render and forward clicks, keeping only simple local state
//! (a field's text, a reducer they own); the logic that owns sockets,
//! requests, timers and effects lives here. The state those hooks keep is,
//! wherever it can be, a plain reducer elsewhere (`ws::SocketStatus`,
//! `echo`, `chat`, `lab`), so its rules are tested natively; a hook only
//! connects it to Yew and the browser.
//!
//! [`use_websocket`] itself lives in `ws`, the only module that touches
//! `web_sys::WebSocket`, and is re-exported here. One hook stays with its
//! component: the chat join form's `use_join_fields`, whose fields only
//! that form reads.

mod chat;
#[cfg(target_arch = "wasm32")]
mod held_focus;
mod language;
#[cfg(target_arch = "wasm32")]
mod on_screen;
mod race;
mod server_info;
mod turn;

pub use self::chat::{use_room_ping, use_scrolled_to_newest};
pub use self::language::{use_language_choice, LangChoice};
pub use self::race::use_race_driver;
pub use self::server_info::use_server_info;
#[cfg(feature = "hydrate")]
pub use self::turn::hydrate_in_turns;
pub use self::turn::{use_effect_after_parts, use_own_task};
pub use crate::ws::use_websocket;
