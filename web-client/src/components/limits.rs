//! Which network APIs a web page has, and which it does not.

use yew::prelude::*;

use crate::i18n::Strings;

/// A short list: the doors a browser opens, and the two it keeps shut.
pub fn browser_apis(strings: &'static Strings) -> Html {
    let apis: [(&str, bool, &str); 6] = [
        ("WebSocket", true, strings.limits_websocket),
        ("HTTP (fetch)", true, strings.limits_http),
        ("WebRTC", true, strings.limits_webrtc),
        ("WebTransport", true, strings.limits_webtransport),
        ("TCP socket", false, strings.limits_tcp),
        ("UDP socket", false, strings.limits_udp),
    ];
    let items = apis.into_iter().map(|(name, allowed, note)| {
        let (class, verdict) = if allowed {
            ("ok", strings.limits_yes)
        } else {
            ("bad", strings.limits_no)
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
