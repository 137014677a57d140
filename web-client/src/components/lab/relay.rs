//! "Through the relay": the same `tcp-echo` socket, reached the way a page
//! can, with the bytes shown as bytes.

use socketlab_shared::relay::{BINARY_SUBPROTOCOL, TCP_ECHO};
use socketlab_shared::PercentImpairment;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::props::LabProps;
use crate::api::InfoState;
use crate::browser::{now_ms, ws_url};
use crate::components::section::{announce, panel};
use crate::components::{fill, format_ms};
use crate::hooks::use_websocket;
use crate::i18n::Strings;
use crate::lab::hexdump::hexdump;
use crate::lab::probe::{Probe, ProbeAction};
use crate::lab::{relay_path, Chunking, Measured};
use crate::ws::SocketStatus;

/// What the input holds until the learner types something else.
const DEFAULT_TEXT: &str = "hello, socket";

/// An input and a button; then the timings, both hex dumps and the
/// verdict. The probe sends once the socket opens, collects chunks until
/// every byte is back, then closes the socket and reports its numbers.
#[function_component]
pub fn RelayPanel(props: &LabProps) -> Html {
    let strings = props.lang.strings();
    let text = use_state(|| DEFAULT_TEXT.to_owned());
    let probe = use_reducer(Probe::default);
    let ws = {
        let probe = probe.dispatcher();
        use_websocket(Callback::from(move |frame| {
            probe.dispatch(ProbeAction::Chunk(frame))
        }))
    };
    let status = ws.status();
    let listed = match &props.info {
        InfoState::Ready(info) => info.relay_targets.iter().any(|t| t.name == TCP_ECHO),
        // Let the learner try; a missing target shows as a failed upgrade.
        InfoState::Loading | InfoState::Failed(_) => true,
    };

    // Send as soon as this probe's connection opens.
    {
        let (ws, probe) = (ws.clone(), probe.clone());
        use_effect_with(
            (status.connection, status.is_open()),
            move |&(connection, open)| {
                if open && probe.connection == connection && probe.sent_at.is_none() {
                    let at = now_ms();
                    if ws.send_binary(&probe.sent).is_ok() {
                        let connect_ms = ws.status().open_ms();
                        probe.dispatch(ProbeAction::Sent { at, connect_ms });
                    }
                }
            },
        );
    }
    // Every byte is back: close, and tell the comparison table.
    {
        let (ws, report) = (ws.clone(), props.report.clone());
        let done = probe.is_complete() && probe.connection == status.connection;
        let measured = Measured::Relay {
            connect_ms: probe.connect_ms,
            chunking: Chunking {
                messages: 1,
                chunks: probe.chunks.len() as u32,
            },
        };
        use_effect_with(done, move |&done| {
            if done {
                ws.disconnect();
                report.dispatch(measured);
            }
        });
    }

    let run = {
        let (ws, probe, text) = (ws.clone(), probe.dispatcher(), text.clone());
        Callback::from(move |_: MouseEvent| {
            let url = ws_url(&relay_path(TCP_ECHO, &PercentImpairment::default()));
            let connection = ws.connect_with(&url, &[BINARY_SUBPROTOCOL]);
            probe.dispatch(ProbeAction::Start {
                connection,
                bytes: text.as_bytes().to_vec(),
            });
        })
    };
    let oninput = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            text.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let busy = status.is_active() && !probe.is_complete();

    panel(
        "panel lab-relay",
        Some(strings.lab.relay.title),
        html! {
            <>
                <p class="hint">{ strings.lab.relay.explain }</p>
                <div class="send-row">
                    <input id="lab-relay-input" type="text"
                        aria-label={strings.lab.relay.input_label}
                        placeholder={strings.lab.relay.input_label} value={(*text).clone()}
                        {oninput} />
                    <button id="lab-relay-run" class="primary" onclick={run}
                        disabled={text.is_empty() || busy || !listed}>
                        { strings.lab.relay.run }
                    </button>
                </div>
                if !listed {
                    <p class="note">{ strings.lab.raw.disabled }</p>
                } else if text.is_empty() {
                    <p class="hint">{ strings.lab.relay.empty }</p>
                }
                if probe.connection > 0 {
                    { probe_view(strings, &probe, status) }
                }
                { announce(outcome(strings, &probe, status)) }
            </>
        },
    )
}

/// The probe's verdict in words, for screen readers (the dumps are not
/// read out): same or different bytes, or why none came back; empty while
/// nothing is decided.
fn outcome(strings: &'static Strings, probe: &Probe, status: &SocketStatus) -> String {
    if probe.connection == 0 {
        return String::new();
    }
    match (probe.identical(), &status.failure, &status.close) {
        (Some(true), _, _) => strings.lab.relay.same.to_owned(),
        (Some(false), _, _) => strings.lab.relay.different.to_owned(),
        (None, Some(failure), _) => format!("{} {failure}", strings.connection.refused),
        (None, None, Some(info)) => format!(
            "{} {} — {}",
            strings.lab.relay.closed,
            info.code,
            strings.close.meaning(info.code)
        ),
        (None, None, None) => String::new(),
    }
}

/// Timings, the two dumps and the verdict of one probe, run on the
/// socket whose `status` is given.
fn probe_view(strings: &'static Strings, probe: &Probe, status: &SocketStatus) -> Html {
    let Probe { sent, received, .. } = probe;
    let ms = |value: Option<f64>| {
        value.map_or_else(|| "…".to_owned(), |v| format!("{} ms", format_ms(v)))
    };
    let chunk_sizes = probe
        .chunks
        .iter()
        .map(|size| format!("{size} B"))
        .collect::<Vec<_>>()
        .join(" + ");
    let verdict = match probe.identical() {
        Some(ok) => html! {
            <p id="lab-relay-verdict" class={classes!("verdict-line", if ok { "ok" } else { "bad" })}
                data-ok={ok.to_string()}>
                { if ok { strings.lab.relay.same } else { strings.lab.relay.different } }
            </p>
        },
        None => match (&status.failure, &status.close) {
            (Some(failure), _) => html! {
                <p class="problem">{ strings.connection.refused }{ " " }<code>{ failure }</code></p>
            },
            (None, Some(info)) => html! {
                <p class="problem">
                    { strings.lab.relay.closed }{ " " }<code>{ info.code }</code>{ " — " }
                    { strings.close.meaning(info.code) }
                </p>
            },
            (None, None) => html! {
                <p class="hint">
                    { fill(strings.lab.relay.waiting, &[("missing", html! { probe.missing() })]) }
                </p>
            },
        },
    };

    html! {
        <div class="probe">
            <dl class="facts">
                <dt>{ strings.lab.relay.connect_label }</dt>
                <dd id="lab-relay-connect">{ ms(probe.connect_ms) }</dd>
                <dt>{ strings.lab.relay.protocol_label }</dt>
                <dd><code>{ status.protocol.clone().unwrap_or_else(|| "…".to_owned()) }</code></dd>
                <dt>{ strings.lab.relay.rtt_label }</dt>
                <dd id="lab-relay-rtt">{ ms(probe.rtt_ms()) }</dd>
                <dt>{ strings.lab.relay.chunks_label }</dt>
                <dd id="lab-relay-chunks" data-chunks={probe.chunks.len().to_string()}>
                    { probe.chunks.len() }
                    if !probe.chunks.is_empty() {
                        <span class="muted">{ format!(" ({chunk_sizes})") }</span>
                    }
                </dd>
            </dl>
            <div class="dumps">
                <figure class="dump">
                    <figcaption>
                        { format!("{} · {} B", strings.lab.relay.sent_label, sent.len()) }
                    </figcaption>
                    <pre class="hexdump">{ hexdump(sent) }</pre>
                </figure>
                <figure class="dump">
                    <figcaption>
                        { format!("{} · {} B", strings.lab.relay.back_label, received.len()) }
                    </figcaption>
                    <pre id="lab-relay-hex" class="hexdump">{ hexdump(received) }</pre>
                </figure>
            </div>
            { verdict }
        </div>
    }
}
