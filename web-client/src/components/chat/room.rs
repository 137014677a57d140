//! The room once joined: who you are, who is here, what was said, and a
//! box to say more.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::browser::local_time;
use crate::chat::{ChatEntry, ChatState, Placement};
use crate::components::{fill, format_ms};
use crate::i18n::ChatStrings;

/// The room as the server described it: identity and RTT on top, members
/// beside the messages (in `list`, see `hooks::use_scrolled_to_newest`),
/// composer below. Unless the socket is `open`, the view is history;
/// `on_send` is called with the text to say, which the chat panel keeps in
/// `composer_text` while it is typed; `on_more` asks for the next page of
/// members.
pub fn room_view(
    strings: &'static ChatStrings,
    chat: &ChatState,
    list: &NodeRef,
    open: bool,
    composer_text: &UseStateHandle<String>,
    on_send: &Callback<String>,
    on_more: &Callback<()>,
) -> Html {
    html! {
        <div class="room">
            if let (true, Some(you), Some(room)) = (open, &chat.you, &chat.room) {
                <div class="room-bar">
                    <p class="you">
                        { fill(strings.you, &[
                            ("name", html! { <strong id="chat-you">{ you.as_str() }</strong> }),
                            ("room", html! { <strong class="room-name">{ room.as_str() }</strong> }),
                        ]) }
                    </p>
                    if let Some(instance) = &chat.instance {
                        <p class="instance">
                            { fill(strings.instance, &[
                                ("id", html! { <code id="chat-instance">{ &instance.id }</code> }),
                                ("addr", html! { <code>{ &instance.listen }</code> }),
                            ]) }
                        </p>
                    }
                    <p class="rtt">
                        { strings.rtt_label }{ ": " }
                        if let Some(rtt) = chat.rtt_ms {
                            <span id="chat-rtt">{ format_ms(rtt) }</span>{ " ms" }
                        } else {
                            <span class="muted">{ strings.rtt_waiting }</span>
                        }
                    </p>
                </div>
            }
            <div class="room-grid">
                if open {
                    { members(strings, chat, on_more) }
                }
                { messages(strings, chat, list) }
            </div>
            { composer(strings, open, composer_text, on_send) }
        </div>
    }
}

/// Everyone in the room; you are marked, and each member carries a badge
/// naming the server instance their socket is on. A large room's list is
/// fetched a page at a time, with "show more".
fn members(strings: &'static ChatStrings, chat: &ChatState, on_more: &Callback<()>) -> Html {
    let items = chat.members.iter().map(|member| {
        let me = chat.you.as_ref() == Some(&member.name);
        let (placement, title) = match chat.placement(member) {
            Placement::SameInstance if me => (Some("same-instance"), strings.instance_yours),
            Placement::SameInstance => (Some("same-instance"), strings.instance_same),
            Placement::OtherInstance => (Some("other-instance"), strings.instance_other),
            Placement::Unknown => (None, ""),
        };
        html! {
            <li class={classes!(me.then_some("me"), placement)}
                data-instance={member.instance.clone()}
                title={(!title.is_empty()).then_some(title)}>
                <span class="member-name">{ member.name.as_str() }</span>
                if let Some(instance) = &member.instance {
                    <span class="badge instance-badge">{ instance }</span>
                }
            </li>
        }
    });
    // The server's count: in a large room the list is only its first page.
    let count = chat.count.max(chat.members.len() as u64);
    let more = count.saturating_sub(chat.members.len() as u64);
    html! {
        <aside class="members">
            <h3 id="chat-members-count">{ strings.members_title }{ format!(" ({count})") }</h3>
            <ul id="chat-members">{ for items }</ul>
            if more > 0 {
                <p class="members-more">{ strings.members_more.replace("{count}", &more.to_string()) }</p>
                if chat.more_after.is_some() {
                    <button id="chat-members-more" type="button"
                        disabled={chat.next_members_request().is_none()}
                        onclick={on_more.reform(|_: MouseEvent| ())}>
                        { strings.members_show_more }
                    </button>
                }
            }
        </aside>
    }
}

/// The message list, oldest first.
fn messages(strings: &'static ChatStrings, chat: &ChatState, list: &NodeRef) -> Html {
    let items = chat
        .entries
        .iter()
        .map(|entry| entry_item(strings, chat.you.as_ref().map(|y| y.as_str()), entry));
    html! {
        // A log: screen readers read each new line (messages, joins and
        // leaves, errors) as it arrives, not the whole list again.
        <div class="messages" role="log" aria-live="polite" aria-relevant="additions">
            <ol id="chat-messages" ref={list.clone()}>{ for items }</ol>
            if chat.entries.is_empty() {
                <p class="hint">{ strings.empty }</p>
            }
        </div>
    }
}

/// One line: a message, a join/leave notice, or an error.
fn entry_item(strings: &'static ChatStrings, you: Option<&str>, entry: &ChatEntry) -> Html {
    let notice = |template: &str, name: &str| {
        html! {
            <li class="chat-notice">
                { fill(template, &[("name", html! { <strong>{ name.to_owned() }</strong> })]) }
            </li>
        }
    };
    match entry {
        ChatEntry::Message(message) => {
            let mine = you == Some(message.from.as_str());
            html! {
                <li class={classes!("chat-message", mine.then_some("mine"))}
                    data-seq={message.seq.to_string()}>
                    <span class="from">{ message.from.as_str() }</span>
                    <span class="text">{ &message.text }</span>
                    <span class="meta">
                        <span class="seq">{ format!("seq {}", message.seq) }</span>
                        <time>{ local_time(message.ts_ms) }</time>
                    </span>
                </li>
            }
        }
        ChatEntry::Joined(name) => notice(strings.joined, name.as_str()),
        ChatEntry::Left(name) => notice(strings.left, name.as_str()),
        ChatEntry::Error { code, message } => html! {
            <li class="chat-error" data-code={code.clone()}>
                <code>{ code }</code>{ " " }{ message }
            </li>
        },
        ChatEntry::Unreadable(text) => html! {
            <li class="chat-error">{ strings.unreadable }{ " " }<code>{ text }</code></li>
        },
    }
}

/// The input line (its `text` kept by the chat panel); Enter sends (but
/// not while an IME is still composing a Hangul syllable).
fn composer(
    strings: &'static ChatStrings,
    enabled: bool,
    text: &UseStateHandle<String>,
    on_send: &Callback<String>,
) -> Html {
    let send = {
        let text = text.clone();
        let on_send = on_send.clone();
        move || {
            if !text.is_empty() {
                on_send.emit((*text).clone());
                text.set(String::new());
            }
        }
    };
    let onclick = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send())
    };
    let onkeydown = Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Enter" && !event.is_composing() {
            event.prevent_default();
            send();
        }
    });
    let oninput = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            text.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };

    html! {
        <div class="send-row composer">
            <input id="chat-input" type="text" autocomplete="off"
                placeholder={strings.input_placeholder}
                disabled={!enabled} value={(**text).clone()} {oninput} {onkeydown} />
            <button id="chat-send" class="primary" onclick={onclick}
                disabled={!enabled || text.is_empty()}>
                { strings.send }
            </button>
        </div>
    }
}
