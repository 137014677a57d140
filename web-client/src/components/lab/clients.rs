//! "Real clients": what the relay does for the browser apps people already
//! use (noVNC, MQTT.js, xterm.js), and the target that serves each.

use yew::prelude::*;

use crate::components::section::panel;
use crate::i18n::{ClientStrings, ClientsStrings};

/// One row per protocol: its clients, the `--relay-target` that serves
/// them (the options are the point, so they are spelled out), and what the
/// relay does with their frames. The same three are proven in headless
/// Chromium by the server's browser tests, against real servers.
pub fn clients_panel(strings: &'static ClientsStrings) -> Html {
    let rows = [
        (
            "lab-clients-vnc",
            &strings.vnc,
            "socketlab --relay-target vnc=tcp://127.0.0.1:5900",
        ),
        (
            "lab-clients-mqtt",
            &strings.mqtt,
            "socketlab --relay-target 'mqtt=tcp://127.0.0.1:1883?protocols=mqtt,mqttv3.1'",
        ),
        (
            "lab-clients-terminal",
            &strings.terminal,
            "socketlab --relay-target 'shell=tcp://127.0.0.1:7000?text=bytes'",
        ),
    ]
    .into_iter()
    .map(|(id, client, command): (_, &ClientStrings, _)| {
        html! {
            <li {id}>
                <span class="badge">{ client.protocol }</span>
                <span class="client-names">{ client.clients }</span>
                <code class="command">{ command }</code>
                <p class="nc-note">{ client.relay_does }</p>
            </li>
        }
    });
    panel(
        "panel lab-clients",
        Some(strings.title),
        html! {
            <>
                <p class="hint">{ strings.explain }</p>
                <ul class="nc-list">{ for rows }</ul>
            </>
        },
    )
}
