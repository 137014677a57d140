//! The connection panel: open a WebSocket and watch it live and die.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::format_ms;
use super::section::panel;
use crate::i18n::{ConnectionStrings, Strings};
use crate::ws::{CloseInfo, StateChange, UseWebSocketHandle};

/// URL field, Connect/Disconnect, the `readyState` timeline and, once
/// closed, what the close code means. `ws` is the socket this panel opens
/// and closes (the echo panel uses it too); `url` holds the URL field.
pub fn connection_panel(
    strings: &'static Strings,
    ws: &UseWebSocketHandle,
    url: &UseStateHandle<String>,
) -> Html {
    let status = ws.status();
    let state = status.state();

    let oninput = {
        let url = url.clone();
        Callback::from(move |event: InputEvent| {
            url.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let connect = {
        let ws = ws.clone();
        let url = url.clone();
        Callback::from(move |_| ws.connect(&url))
    };
    let disconnect = {
        let ws = ws.clone();
        Callback::from(move |_| ws.disconnect())
    };

    panel(
        "panel",
        Some(strings.connection.title),
        html! {
            <>
                <label class="field">
                    <span>{ strings.connection.url_label }</span>
                    <input id="conn-url" type="url" spellcheck="false" value={(**url).clone()}
                        {oninput} />
                </label>
                <div class="buttons">
                    <button id="conn-connect" class="primary" disabled={status.is_active()}
                        onclick={connect}>
                        { strings.connection.connect }
                    </button>
                    <button id="conn-disconnect" disabled={!status.is_active()}
                        onclick={disconnect}>
                        { strings.connection.disconnect }
                    </button>
                    <span class="state-now">
                        { strings.connection.state_label }{ ": " }
                        <output id="conn-state" data-state={state.map_or("NONE", |s| s.name())}>
                            { state.map_or("—", |s| s.name()) }
                        </output>
                    </span>
                </div>
                if let Some(failure) = &status.failure {
                    <p class="problem">
                        { strings.connection.refused }{ " " }<code>{ failure }</code>
                    </p>
                }
                { timeline(&strings.connection, &status.timeline) }
                if status.saw_error_event {
                    <p class="note">{ strings.connection.error_event }</p>
                }
                // Read out when the socket closes: the code and what it means.
                <div class="close-live" aria-live="polite">
                    if let Some(info) = &status.close {
                        { close_report(strings, info) }
                    }
                </div>
            </>
        },
    )
}

/// The states the socket went through, with when.
fn timeline(strings: &'static ConnectionStrings, changes: &[StateChange]) -> Html {
    let items = changes.iter().map(|change| {
        let name = change.state.name();
        html! {
            <li data-state={name}>
                <span class="at">{ format!("+{} ms", format_ms(change.at_ms)) }</span>
                <code class="state">{ name }</code>
                <span class="code">{ format!("readyState = {}", change.state.code()) }</span>
            </li>
        }
    });
    html! {
        <div class="timeline">
            <h4>{ strings.timeline_title }</h4>
            <ol id="conn-timeline">{ for items }</ol>
            if changes.is_empty() {
                <p class="hint">{ strings.timeline_empty }</p>
            }
        </div>
    }
}

/// The `CloseEvent`'s fields, and what its code means in words.
fn close_report(strings: &'static Strings, info: &CloseInfo) -> Html {
    let reason = if info.reason.is_empty() {
        html! { <span class="muted">{ strings.connection.close_reason_none }</span> }
    } else {
        html! { <code>{ &info.reason }</code> }
    };
    html! {
        <div id="conn-close" class="close-report" data-code={info.code.to_string()}>
            <h4>{ strings.connection.closed_title }</h4>
            <dl>
                <dt>{ strings.connection.close_code }</dt>
                <dd><code class="close-code">{ info.code }</code></dd>
                <dt>{ strings.connection.close_reason }</dt>
                <dd>{ reason }</dd>
                <dt>{ "wasClean" }</dt>
                <dd><code>{ info.was_clean.to_string() }</code></dd>
                <dt>{ strings.connection.close_meaning }</dt>
                <dd class="meaning">{ strings.close.meaning(info.code) }</dd>
            </dl>
        </div>
    }
}
