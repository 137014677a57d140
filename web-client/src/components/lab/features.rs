//! The feature check: which socket APIs `window` really has.

use yew::prelude::*;

use super::LabProps;
use crate::browser::socket_features;
use crate::components::section::Panel;
use crate::i18n::use_strings;
use crate::lab::{Features, Measured};

/// Three rows, `TCPSocket`, `UDPSocket` and `WebSocket`, each marked
/// present or absent as detected in this page, so "pages get no raw
/// sockets" is a fact the learner sees, not one they are told.
#[function_component]
pub fn FeatureCheck(props: &LabProps) -> Html {
    let strings = use_strings();
    // Detected once, when the panel mounts: the answer cannot change.
    let features = *use_state(socket_features);
    {
        let report = props.report.clone();
        use_effect_with(features, move |&features| {
            report.dispatch(Measured::Features(features));
        });
    }
    let Features {
        tcp_socket,
        udp_socket,
        websocket,
    } = features;
    let rows = [
        (
            "lab-feature-tcp",
            "TCPSocket",
            tcp_socket,
            strings.feat_tcp_note,
        ),
        (
            "lab-feature-udp",
            "UDPSocket",
            udp_socket,
            strings.feat_udp_note,
        ),
        (
            "lab-feature-websocket",
            "WebSocket",
            websocket,
            strings.feat_ws_note,
        ),
    ]
    .into_iter()
    .map(|(id, name, present, note)| {
        html! {
            <li {id} class={if present { "ok" } else { "bad" }} data-present={present.to_string()}>
                <span class="verdict">
                    { if present { strings.feat_present } else { strings.feat_absent } }
                </span>
                <code class="api-name">{ format!("window.{name}") }</code>
                <span class="api-note">{ note }</span>
            </li>
        }
    });
    html! {
        <Panel title={strings.feat_title} class="lab-features">
            <p class="hint">{ strings.feat_explain }</p>
            <ul class="feature-list">{ for rows }</ul>
        </Panel>
    }
}
