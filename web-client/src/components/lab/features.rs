//! The feature check: which socket APIs `window` really has.

use yew::prelude::*;

use crate::components::section::panel;
use crate::i18n::FeaturesStrings;
use crate::lab::Features;

/// Four rows, `TCPSocket`, `UDPSocket`, `WebSocket` and `WebTransport`, each marked
/// present or absent as detected in this page (by the page's root, which
/// also reports them to the comparison table), so "pages get no raw
/// sockets" is a fact the learner sees, not one they are told. Until the
/// page has run (`None`), each row says it is checking.
pub fn feature_check(strings: &'static FeaturesStrings, features: Option<Features>) -> Html {
    let present = |has: fn(&Features) -> bool| features.as_ref().map(has);
    let (tcp_socket, udp_socket, websocket, webtransport) = (
        present(|f| f.tcp_socket),
        present(|f| f.udp_socket),
        present(|f| f.websocket),
        present(|f| f.webtransport),
    );
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
        let (class, verdict, data) = match present {
            Some(true) => ("ok", strings.present, "true"),
            Some(false) => ("bad", strings.absent, "false"),
            None => ("starting", strings.checking, "unknown"),
        };
        html! {
            <li {id} {class} data-present={data}>
                <span class="verdict">{ verdict }</span>
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
