//! The feature check: which socket APIs `window` really has.

use yew::prelude::*;

use crate::components::section::panel;
use crate::i18n::FeaturesStrings;
use crate::lab::Features;

/// Four rows, `TCPSocket`, `UDPSocket`, `WebSocket` and `WebTransport`, each marked
/// present or absent as detected in this page (by the page's root, which
/// also reports them to the comparison table), so "pages get no raw
/// sockets" is a fact the learner sees, not one they are told.
pub fn feature_check(strings: &'static FeaturesStrings, features: Features) -> Html {
    let Features {
        tcp_socket,
        udp_socket,
        websocket,
        webtransport,
    } = features;
    let rows = [
        ("lab-feature-tcp", "TCPSocket", tcp_socket, strings.tcp_note),
        ("lab-feature-udp", "UDPSocket", udp_socket, strings.udp_note),
        (
            "lab-feature-websocket",
            "WebSocket",
            websocket,
            strings.ws_note,
        ),
        (
            "lab-feature-webtransport",
            "WebTransport",
            webtransport,
            strings.wt_note,
        ),
    ]
    .into_iter()
    .map(|(id, name, present, note)| {
        html! {
            <li {id} class={if present { "ok" } else { "bad" }} data-present={present.to_string()}>
                <span class="verdict">
                    { if present { strings.present } else { strings.absent } }
                </span>
                <code class="api-name">{ format!("window.{name}") }</code>
                <span class="api-note">{ note }</span>
            </li>
        }
    });
    panel(
        "panel lab-features",
        Some(strings.title),
        html! {
            <>
                <p class="hint">{ strings.explain }</p>
                <ul class="feature-list">{ for rows }</ul>
            </>
        },
    )
}
