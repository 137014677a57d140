//! Which network APIs a web page has, and which it does not.

use yew::prelude::*;

use crate::i18n::Strings;

/// A short list: the doors a browser opens, and the two it keeps shut.
pub fn browser_apis(strings: &'static Strings) -> Html {
    let apis: [(&str, bool, &str); 6] = [
        ("WebSocket", true, strings.limits.websocket),
        ("HTTP (fetch)", true, strings.limits.http),
        ("WebRTC", true, strings.limits.webrtc),
        ("WebTransport", true, strings.limits.webtransport),
        ("TCP socket", false, strings.limits.tcp),
        ("UDP socket", false, strings.limits.udp),
    ];
    let items = apis.into_iter().map(|(name, allowed, note)| {
        let (class, verdict) = if allowed {
            ("ok", strings.limits.yes)
        } else {
            ("bad", strings.limits.no)
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
