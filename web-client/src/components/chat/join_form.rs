//! Room and name fields, checked before any connection is attempted.

use socketlab_shared::names::DEFAULT_ROOM;
use socketlab_shared::{endpoints, DisplayName, RoomName};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::browser::{encode_query_value, ws_url};
use crate::i18n::ChatStrings;

/// Where to join, once the form has validated it.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinRequest {
    /// The room.
    pub room: RoomName,
    /// The name to ask for; `None` lets the server pick a guest name.
    pub name: Option<DisplayName>,
}

impl JoinRequest {
    /// The `/ws/chat?room=…&name=…` URL on this page's server.
    pub fn url(&self) -> String {
        let mut url = format!(
            "{}?room={}",
            ws_url(endpoints::WS_CHAT),
            encode_query_value(self.room.as_str())
        );
        if let Some(name) = &self.name {
            url.push_str("&name=");
            url.push_str(&encode_query_value(name.as_str()));
        }
        url
    }
}

/// The form's fields, kept by the chat panel.
#[derive(Clone)]
pub struct JoinFields {
    room: UseStateHandle<String>,
    name: UseStateHandle<String>,
    problem: UseStateHandle<Option<String>>,
}

/// The form's fields, starting with the default room and no name.
#[hook]
pub fn use_join_fields() -> JoinFields {
    JoinFields {
        room: use_state(|| DEFAULT_ROOM.to_owned()),
        name: use_state(String::new),
        problem: use_state(|| None),
    }
}

/// Room and name fields and the Join/Leave buttons. Validates with the
/// same rules as the server (`socketlab_shared::names`), so a typo is
/// explained here instead of costing a failed upgrade; `on_join` gets a
/// valid room and name. `active`: whether the chat socket is connecting or
/// open.
pub fn join_form(
    strings: &'static ChatStrings,
    fields: &JoinFields,
    active: bool,
    on_join: &Callback<JoinRequest>,
    on_leave: &Callback<()>,
) -> Html {
    let JoinFields {
        room,
        name,
        problem,
    } = fields;
    let onsubmit = {
        let (room, name, problem) = (room.clone(), name.clone(), problem.clone());
        let on_join = on_join.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Ok(room) = RoomName::parse(&room) else {
                problem.set(Some(strings.room_rule.to_owned()));
                return;
            };
            let name = match name.trim() {
                "" => None,
                raw => match DisplayName::parse(raw) {
                    Ok(name) => Some(name),
                    Err(_) => {
                        problem.set(Some(strings.name_rule.to_owned()));
                        return;
                    }
                },
            };
            problem.set(None);
            on_join.emit(JoinRequest { room, name });
        })
    };
    let on_leave = on_leave.reform(|_: MouseEvent| ());
    let input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            state.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };

    html! {
        <form class="join-form" {onsubmit}>
            <label class="field">
                <span>{ strings.room_label }</span>
                <input id="chat-room" type="text" spellcheck="false" autocomplete="off"
                    disabled={active} value={(**room).clone()} oninput={input(room)} />
            </label>
            <label class="field">
                <span>{ strings.name_label }</span>
                <input id="chat-name" type="text" spellcheck="false" autocomplete="nickname"
                    placeholder={strings.name_placeholder}
                    disabled={active} value={(**name).clone()} oninput={input(name)} />
            </label>
            <div class="buttons">
                <button id="chat-join" type="submit" class="primary" disabled={active}>
                    { strings.join }
                </button>
                <button id="chat-leave" type="button" disabled={!active} onclick={on_leave}>
                    { strings.leave }
                </button>
            </div>
            if let Some(problem) = &**problem {
                <p class="problem">{ problem }</p>
            }
        </form>
    }
}
