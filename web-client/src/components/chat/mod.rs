//! The chat panel: join a room over `/ws/chat`, talk, and see the room's
//! round-trip time.

mod join_form;
mod room;

use socketlab_shared::ClientMessage;
use yew::prelude::*;

use self::join_form::{join_form, use_join_fields, JoinRequest};
use self::room::room_view;
use super::section::panel;
use crate::chat::{ChatAction, ChatState};
use crate::hooks::{use_room_ping, use_scrolled_to_newest, use_websocket};
use crate::i18n::LangProps;
use crate::ws::ReadyState;

/// Owns the chat socket, the room state and the form fields; the
/// functions of `join_form` and `room` render them.
#[function_component]
pub fn ChatPanel(props: &LangProps) -> Html {
    let strings = props.lang.strings();
    let chat = use_reducer(ChatState::default);
    let ws = {
        let chat = chat.dispatcher();
        use_websocket(Callback::from(move |frame| {
            chat.dispatch(ChatAction::Frame(frame))
        }))
    };
    use_room_ping(&ws, chat.dispatcher());
    let send_error = use_state(|| None::<String>);
    let join_fields = use_join_fields();
    let composer_text = use_state(String::new);
    let list = use_scrolled_to_newest(&chat);

    let on_join = {
        let ws = ws.clone();
        let chat = chat.clone();
        Callback::from(move |request: JoinRequest| {
            chat.dispatch(ChatAction::Reset);
            ws.connect(&request.url());
        })
    };
    let on_leave = {
        let ws = ws.clone();
        Callback::from(move |_| ws.disconnect())
    };
    let on_send = {
        let ws = ws.clone();
        let send_error = send_error.clone();
        Callback::from(move |text: String| {
            let frame = ClientMessage::Say { text }.to_json();
            send_error.set(ws.send_text(&frame).err().map(|e| e.to_string()));
        })
    };

    let on_more = {
        let ws = ws.clone();
        let chat = chat.clone();
        let send_error = send_error.clone();
        Callback::from(move |()| {
            if let Some(request) = chat.next_members_request() {
                chat.dispatch(ChatAction::MembersRequested);
                send_error.set(
                    ws.send_text(&request.to_json())
                        .err()
                        .map(|e| e.to_string()),
                );
            }
        })
    };

    let status = ws.status();
    let open = status.is_open();
    panel(
        "panel chat",
        None,
        html! {
            <>
                { join_form(&strings.chat, &join_fields, status.is_active(), &on_join, &on_leave) }
                if status.state() == Some(ReadyState::Connecting) {
                    <p class="hint">{ strings.chat.connecting }</p>
                }
                if let Some(info) = &status.close {
                    <p class="note chat-closed">
                        { strings.chat.closed }{ " " }
                        <code>{ info.code }</code>{ " — " }{ strings.close.meaning(info.code) }
                    </p>
                }
                if chat.you.is_some() || !chat.entries.is_empty() {
                    { room_view(&strings.chat, &chat, &list, open, &composer_text, &on_send, &on_more) }
                }
                if let Some(error) = &*send_error {
                    <p class="problem">{ strings.chat.send_failed }{ " " }{ error }</p>
                }
            </>
        },
    )
}
