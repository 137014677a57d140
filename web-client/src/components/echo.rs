//! The echo panel: send text or bytes, see them come back, and how fast.

use socketlab_shared::json::quote;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::format_ms;
use super::section::panel;
use crate::browser::now_ms;
use crate::echo::{hex, EchoAction, EchoLog, RoundTrip, Sent};
use crate::i18n::EchoStrings;
use crate::ws::{Payload, UseWebSocketHandle};

/// An input, two send buttons and the log of round trips. `ws` is the
/// connection panel's socket, expected to be on `/ws/echo`; `log` holds
/// the round trips so far, `text` the input and `error` the last refusal.
pub fn echo_panel(
    strings: &'static EchoStrings,
    ws: &UseWebSocketHandle,
    log: &UseReducerHandle<EchoLog>,
    text: &UseStateHandle<String>,
    error: &UseStateHandle<Option<String>>,
) -> Html {
    let open = ws.status().is_open();

    // Sends the input as one frame, logging it only if the browser took it.
    let send = {
        let ws = ws.clone();
        let log = log.clone();
        let text = text.clone();
        let error = error.clone();
        move |binary: bool| {
            let payload = if binary {
                Payload::Binary(text.as_bytes().to_vec())
            } else {
                Payload::Text((*text).clone())
            };
            let at_ms = now_ms();
            let result = match &payload {
                Payload::Text(t) => ws.send_text(t),
                Payload::Binary(b) => ws.send_binary(b),
            };
            match result {
                Ok(()) => {
                    log.dispatch(EchoAction::Sent(Sent {
                        connection: ws.status().connection,
                        payload,
                        at_ms,
                    }));
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    };
    let send_text = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send(false))
    };
    let send_binary = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send(true))
    };
    let onkeydown = Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Enter" && !event.is_composing() {
            event.prevent_default();
            send(false);
        }
    });
    let oninput = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            text.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };

    panel(
        "panel",
        Some(strings.title),
        html! {
            <>
                <p class="hint">{ strings.explain }</p>
                <div class="send-row">
                    <input
                        id="echo-input"
                        type="text"
                        placeholder={strings.placeholder}
                        value={(**text).clone()}
                        {oninput}
                        {onkeydown}
                    />
                    <button id="echo-send-text" class="primary" disabled={!open}
                        onclick={send_text}>
                        { strings.send_text }
                    </button>
                    <button id="echo-send-binary" disabled={!open} onclick={send_binary}>
                        { strings.send_binary }
                    </button>
                </div>
                if !open {
                    <p class="hint">{ strings.needs_open }</p>
                }
                if let Some(error) = &**error {
                    <p class="problem">{ error }</p>
                }
                { echo_log(strings, log, ws.status().connection, open) }
            </>
        },
    )
}

/// The round trips, oldest first. The socket's `current` connection
/// number and whether it is `open` tell an echo still on its way from one
/// that will never come.
fn echo_log(strings: &'static EchoStrings, log: &EchoLog, current: u32, open: bool) -> Html {
    let items = log.trips.iter().map(|trip| {
        let still_possible = open && trip.sent.as_ref().is_some_and(|s| s.connection == current);
        trip_item(strings, trip, still_possible)
    });
    html! {
        // Each round trip is read when it is added and when its echo comes.
        <div role="log" aria-live="polite" aria-relevant="additions">
            <ol id="echo-log" class="echo-log">{ for items }</ol>
            if log.trips.is_empty() {
                <p class="hint">{ strings.empty }</p>
            }
        </div>
    }
}

/// One round trip. Only complete ones are `li.echo-entry` (with
/// `data-match`), so a test waiting for an entry never sees a half one.
fn trip_item(strings: &'static EchoStrings, trip: &RoundTrip, still_possible: bool) -> Html {
    let sent = match &trip.sent {
        Some(sent) => payload_view(strings, &sent.payload),
        None => html! { <span class="muted">{ strings.unsolicited }</span> },
    };
    let line = |label: &'static str, value: Html| {
        html! { <div class="line"><span class="label">{ label }</span>{ value }</div> }
    };
    match (&trip.reply, trip.matched()) {
        (Some(reply), Some(matched)) => html! {
            <li class="echo-entry" data-match={matched.to_string()}>
                { line(strings.sent, sent) }
                { line(strings.back, payload_view(strings, &reply.payload)) }
                <div class="verdict">
                    <span class={if matched { "ok" } else { "bad" }}>
                        { if matched { strings.matched } else { strings.mismatched } }
                    </span>
                    if let Some(rtt) = trip.rtt_ms() {
                        <span class="rtt">{ format!("RTT {} ms", format_ms(rtt)) }</span>
                    }
                </div>
            </li>
        },
        _ => html! {
            <li class="echo-pending">
                { line(strings.sent, sent) }
                <div class="verdict muted">
                    { if still_possible { strings.waiting } else { strings.lost } }
                </div>
            </li>
        },
    }
}

/// A payload as a learner should see it: text as text, bytes as hex.
fn payload_view(strings: &'static EchoStrings, payload: &Payload) -> Html {
    match payload {
        Payload::Text(text) => html! {
            <>
                <span class="kind">{ strings.kind_text }</span>
                <code class="payload">{ quote(text) }</code>
            </>
        },
        Payload::Binary(bytes) => html! {
            <>
                <span class="kind binary">{ format!("{} · {} B", strings.kind_binary, bytes.len()) }</span>
                <code class="payload">{ hex(bytes) }</code>
            </>
        },
    }
}
