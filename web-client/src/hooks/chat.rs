//! The chat panel's hooks: the ping that measures the room's round trip,
//! and the message list that follows the newest line.

use gloo_timers::callback::Interval;
use socketlab_shared::ClientMessage;
use yew::prelude::*;

use crate::browser::now_ms;
use crate::chat::{ChatAction, ChatState, PING_INTERVAL_MS};
use crate::ws::UseWebSocketHandle;

/// Sends `{"type":"ping","id":N}` right after the socket opens and then
/// every [`PING_INTERVAL_MS`], while it stays open. Browsers cannot send
/// WebSocket-level ping frames, so round-trip time is measured this way.
#[hook]
pub fn use_room_ping(ws: &UseWebSocketHandle, chat: UseReducerDispatcher<ChatState>) {
    let open = ws.status().is_open();
    let connection = ws.status().connection;
    let ws = ws.clone();
    use_effect_with((open, connection), move |&(open, _)| {
        let interval = open.then(|| {
            let mut next_id = 0_u64;
            let mut ping = move || {
                next_id += 1;
                let at_ms = now_ms();
                let frame = ClientMessage::Ping { id: next_id }.to_json();
                if ws.send_text(&frame).is_ok() {
                    chat.dispatch(ChatAction::PingSent { id: next_id, at_ms });
                }
            };
            ping();
            Interval::new(PING_INTERVAL_MS, ping)
        });
        // Dropping the interval cancels it.
        move || drop(interval)
    });
}

/// Keeps the chat's message list (the `list` given to the chat panel's
/// `room_view`) scrolled to the newest line.
#[hook]
pub fn use_scrolled_to_newest(chat: &ChatState) -> NodeRef {
    let list = use_node_ref();
    {
        let list = list.clone();
        use_effect_with(chat.entries.len(), move |_| {
            if let Some(list) = list.cast::<web_sys::Element>() {
                list.set_scroll_top(list.scroll_height());
            }
        });
    }
    list
}
