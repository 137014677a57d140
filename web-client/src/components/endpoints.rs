//! The table of the server's real sockets, from `GET /api/info`.

use yew::prelude::*;

use socketlab_shared::{InstanceInfo, RelayTargetInfo, TextMode};

use super::fill;
use crate::api::InfoState;
use crate::i18n::EndpointsStrings;

/// Shows each endpoint's socket address, so "a socket is IP + port" is
/// illustrated with the numbers of the server the learner is using.
pub fn server_endpoints(strings: &'static EndpointsStrings, info: &InfoState) -> Html {
    let status_row = |class: &'static str, text: String| {
        html! { <tr class={class}><td colspan="4">{ text }</td></tr> }
    };
    let instance = match info {
        InfoState::Ready(info) => info.instance.as_ref().map(|i| instance_line(strings, i)),
        _ => None,
    };
    let (rows, server) = match info {
        InfoState::Loading => (status_row("loading", strings.loading.to_owned()), None),
        InfoState::Failed(error) => (
            status_row("failed", format!("{} {error}", strings.failed)),
            None,
        ),
        InfoState::Ready(info) => (
            info.endpoints
                .iter()
                .map(|endpoint| {
                    html! {
                        <tr data-protocol={endpoint.protocol.clone()}>
                            <td>{ &endpoint.name }</td>
                            <td><span class="badge">{ &endpoint.protocol }</span></td>
                            <td><code>{ &endpoint.addr }</code></td>
                            <td><code>{ endpoint.path.as_deref().unwrap_or("–") }</code></td>
                        </tr>
                    }
                })
                .collect::<Html>(),
            Some(format!("{} {}", info.name, info.version)),
        ),
    };

    // While loading, the panel keeps the room the tables will take, so
    // nothing below it moves when they arrive (no layout shift).
    let loading = matches!(info, InfoState::Loading).then_some("loading");
    // A new table when the state changes, not the old one patched: Yew
    // would turn the tall "loading" cell into the first row's first cell
    // and re-flow the header, which Chromium counts as a layout shift
    // (0.11 of Lighthouse's 0.18 on a phone); a replaced node counts none.
    let state = match info {
        InfoState::Loading => "loading",
        InfoState::Failed(_) => "failed",
        InfoState::Ready(_) => "ready",
    };
    html! {
        <div class={classes!("panel", "endpoints-panel", loading)}>
            <div class="table-wrap">
                <table key={state} id="server-endpoints" class="data">
                    <caption>{ strings.caption }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ strings.col_name }</th>
                            <th scope="col">{ strings.col_protocol }</th>
                            <th scope="col">{ strings.col_addr }</th>
                            <th scope="col">{ strings.col_path }</th>
                        </tr>
                    </thead>
                    <tbody>{ rows }</tbody>
                </table>
            </div>
            if let InfoState::Ready(info) = info {
                { relay_targets(strings, &info.relay_targets) }
            }
            if let Some(instance) = instance {
                { instance }
            }
            if let Some(server) = server {
                <p class="fine">{ server }</p>
            }
        </div>
    }
}

/// "Answered by instance `ID` at `IP:PORT` — rooms: …": with several
/// instances behind a load balancer, reloading may land on another one.
fn instance_line(strings: &'static EndpointsStrings, instance: &InstanceInfo) -> Html {
    let rooms = match instance.bus.as_str() {
        "local" => html! { strings.rooms_local },
        "nats" => html! { strings.rooms_nats },
        other => html! { <code>{ other.to_owned() }</code> },
    };
    html! {
        <p id="server-instance" class="fine"
            data-bus={instance.bus.clone()} data-id={instance.id.clone()}>
            { fill(strings.instance, &[
                ("id", html! { <code>{ &instance.id }</code> }),
                ("addr", html! { <code>{ &instance.listen }</code> }),
                ("rooms", rooms),
            ]) }
        </p>
    }
}

/// What each relay target is: its kind, its address (unless it needs a
/// token), the subprotocols it allows besides `binary`, and what a text
/// frame becomes, so a learner sees why MQTT.js or xterm.js work through it.
fn relay_targets(strings: &'static EndpointsStrings, targets: &[RelayTargetInfo]) -> Html {
    if targets.is_empty() {
        return Html::default();
    }
    let rows = targets.iter().map(|target| {
        let protocols = std::iter::once("binary")
            .chain(target.protocols.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(", ");
        let text = match target.text {
            TextMode::Bytes => strings.text_bytes,
            TextMode::Refuse => strings.text_refuse,
        };
        html! {
            <tr data-target={target.name.clone()} data-text={target.text.as_str()}>
                <td><code>{ &target.name }</code></td>
                <td><span class="badge">{ target.kind.to_string() }</span></td>
                <td>{ match &target.addr {
                    Some(addr) => html! { <code>{ addr }</code> },
                    None => html! { strings.needs_token },
                } }</td>
                <td><code>{ protocols }</code></td>
                <td>{ text }</td>
            </tr>
        }
    });
    html! {
        <div class="table-wrap">
            <table id="relay-targets" class="data">
                <caption>{ strings.relay_caption }</caption>
                <thead>
                    <tr>
                        <th scope="col">{ strings.col_name }</th>
                        <th scope="col">{ strings.col_protocol }</th>
                        <th scope="col">{ strings.col_addr }</th>
                        <th scope="col">{ strings.col_protocols }</th>
                        <th scope="col">{ strings.col_text }</th>
                    </tr>
                </thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}
