//! Which network APIs a web page has, and which it does not.

use yew::prelude::*;

use crate::i18n::LimitsStrings;

/// A short list: the doors a browser opens, and the two it keeps shut.
pub fn browser_apis(strings: &'static LimitsStrings) -> Html {
    let apis: [(&str, bool, &str); 6] = [
        ("WebSocket", true, strings.websocket),
        ("HTTP (fetch)", true, strings.http),
        ("WebRTC", true, strings.webrtc),
        ("WebTransport", true, strings.webtransport),
        ("TCP socket", false, strings.tcp),
        ("UDP socket", false, strings.udp),
    ];
    let items = apis.into_iter().map(|(name, allowed, note)| {
        let (class, verdict) = if allowed {
            ("ok", strings.yes)
        } else {
            ("bad", strings.no)
        };
        html! {
            <li class={class} data-allowed={allowed.to_string()}>
                <span class="verdict">{ verdict }</span>
                <strong>{ name }</strong>
                <span class="api-note">{ note }</span>
            </li>
        }
    });
    html! {
        <div class="panel">
            <ul class="api-list">{ for items }</ul>
        </div>
    }
}
