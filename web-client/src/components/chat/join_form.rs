//! Room and name fields, checked before any connection is attempted.

use socketlab_shared::names::DEFAULT_ROOM;
use socketlab_shared::{DisplayName, RoomName};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::JoinRequest;
use crate::i18n::use_strings;

/// Props of [`JoinForm`].
#[derive(Debug, PartialEq, Properties)]
pub struct JoinFormProps {
    /// Whether the chat socket is connecting or open.
    pub active: bool,
    /// Called with a valid room and name.
    pub on_join: Callback<JoinRequest>,
    /// Called when the visitor leaves the room.
    pub on_leave: Callback<()>,
}

/// Validates with the same rules as the server (`socketlab_shared::names`),
/// so a typo is explained here instead of costing a failed upgrade.
#[function_component]
pub fn JoinForm(props: &JoinFormProps) -> Html {
    let strings = use_strings();
    let room = use_state(|| DEFAULT_ROOM.to_owned());
    let name = use_state(String::new);
    let problem = use_state(|| None::<&'static str>);

    let onsubmit = {
        let (room, name, problem) = (room.clone(), name.clone(), problem.clone());
        let on_join = props.on_join.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Ok(room) = RoomName::parse(&room) else {
                problem.set(Some(strings.chat_room_rule));
                return;
            };
            let name = match name.trim() {
                "" => None,
                raw => match DisplayName::parse(raw) {
                    Ok(name) => Some(name),
                    Err(_) => {
                        problem.set(Some(strings.chat_name_rule));
                        return;
                    }
                },
            };
            problem.set(None);
            on_join.emit(JoinRequest { room, name });
        })
    };
    let on_leave = props.on_leave.reform(|_: MouseEvent| ());
    let input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            state.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };

    html! {
        <form class="join-form" {onsubmit}>
            <label class="field">
                <span>{ strings.chat_room_label }</span>
                <input id="chat-room" type="text" spellcheck="false" autocomplete="off"
                    disabled={props.active} value={(*room).clone()} oninput={input(&room)} />
            </label>
            <label class="field">
                <span>{ strings.chat_name_label }</span>
                <input id="chat-name" type="text" spellcheck="false" autocomplete="nickname"
                    placeholder={strings.chat_name_placeholder}
                    disabled={props.active} value={(*name).clone()} oninput={input(&name)} />
            </label>
            <div class="buttons">
                <button id="chat-join" type="submit" class="primary" disabled={props.active}>
                    { strings.chat_join }
                </button>
                <button id="chat-leave" type="button" disabled={!props.active} onclick={on_leave}>
                    { strings.chat_leave }
                </button>
            </div>
            if let Some(problem) = *problem {
                <p class="problem">{ problem }</p>
            }
        </form>
    }
}
