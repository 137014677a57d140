//! "Try it with nc": the real commands for this server's raw sockets.

use socketlab_shared::relay::{TCP_ECHO, UDP_ECHO};
use yew::prelude::*;

use crate::api::InfoState;
use crate::browser::hostname;
use crate::components::section::panel;
use crate::i18n::NcStrings;
use crate::lab::raw::{command_host, endpoint_port};

/// The line-based door to the chat rooms (`/api/info` calls it this).
const TCP_CHAT: &str = "tcp-chat";

/// One command per built-in socket, with this page's host and the ports
/// from `/api/info`, so it can be pasted into a terminal as is.
pub fn nc_panel(strings: &'static NcStrings, info: &InfoState) -> Html {
    // The server's ports come after the page has run; so may its host
    // (no render reads the browser before hydration, see `app::App`).
    let host = matches!(info, InfoState::Ready(_))
        .then(hostname)
        .unwrap_or_default();
    let rows = [
        ("lab-nc-chat", TCP_CHAT, "nc", strings.chat_note),
        ("lab-nc-udp", UDP_ECHO, "nc -u", strings.udp_note),
        ("lab-nc-tcp", TCP_ECHO, "nc", strings.tcp_note),
    ]
    .into_iter()
    .map(|(id, name, nc, note)| {
        let port = match info {
            InfoState::Ready(info) => endpoint_port(info, name),
            InfoState::Loading | InfoState::Failed(_) => None,
        };
        let command = match (port, info) {
            (Some(port), _) => html! {
                <code {id} class="command">{ format!("{nc} {} {port}", command_host(&host)) }</code>
            },
            (None, InfoState::Ready(_)) => {
                html! { <span class="muted">{ strings.missing }</span> }
            }
            (None, _) => html! { <span class="muted">{ "…" }</span> },
        };
        html! {
            <li>
                <span class="badge">{ name }</span>
                { command }
                if port.is_some() {
                    <p class="nc-note">{ note }</p>
                }
            </li>
        }
    });
    panel(
        "panel lab-nc",
        Some(strings.title),
        html! {
            <>
                <p class="hint">{ strings.explain }</p>
                <ul class="nc-list">{ for rows }</ul>
            </>
        },
    )
}
