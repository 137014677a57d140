//! The handshake inspector: open a fresh socket to `/ws/inspect`, show the
//! HTTP upgrade the server saw, and check its `Sec-WebSocket-Accept`.

use std::rc::Rc;

use socketlab_shared::handshake::WEBSOCKET_GUID;
use socketlab_shared::{accept_key_for, endpoints, HandshakeReport, ServerMessage};
use yew::prelude::*;

use super::section::Panel;
use crate::browser::ws_url;
use crate::i18n::use_strings;
use crate::ws::{use_websocket, Payload, Received};

/// Request headers that make an HTTP request a WebSocket upgrade.
const UPGRADE_REQUEST_HEADERS: &[&str] = &[
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
];
/// Response headers by which the server accepts the upgrade.
const UPGRADE_RESPONSE_HEADERS: &[&str] = &["upgrade", "connection", "sec-websocket-accept"];

/// The first frame on `/ws/inspect`, read as a handshake report.
fn report_from(frame: Received) -> Result<Rc<HandshakeReport>, String> {
    match frame.payload {
        Payload::Text(text) => match ServerMessage::parse(&text) {
            Ok(ServerMessage::Handshake(report)) => Ok(Rc::new(report)),
            Ok(other) => Err(format!("unexpected frame: {}", other.to_json())),
            Err(error) => Err(error.to_string()),
        },
        Payload::Binary(bytes) => Err(format!("unexpected binary frame of {} bytes", bytes.len())),
    }
}

/// The run button, and the report once it came.
#[function_component]
pub fn InspectorPanel() -> Html {
    let strings = use_strings();
    let report = use_state(|| None::<Result<Rc<HandshakeReport>, String>>);
    let ws = {
        let report = report.clone();
        use_websocket(Callback::from(move |frame| {
            report.set(Some(report_from(frame)))
        }))
    };
    {
        // The report is all this socket is for: close it once it came.
        let ws = ws.clone();
        use_effect_with(report.is_some(), move |&arrived| {
            if arrived {
                ws.disconnect();
            }
        });
    }
    let run = {
        let ws = ws.clone();
        let report = report.clone();
        Callback::from(move |_| {
            report.set(None);
            ws.connect(&ws_url(endpoints::WS_INSPECT));
        })
    };

    let status = ws.status();
    let body = match (&*report, status.state(), &status.close) {
        (Some(Ok(report)), _, _) => html! { <HandshakeView report={report.clone()} /> },
        (Some(Err(error)), _, _) => {
            html! { <p class="problem">{ strings.inspect_failed }{ " " }{ error }</p> }
        }
        (None, None, _) => html! { <p class="hint">{ strings.inspect_idle }</p> },
        (None, Some(_), Some(info)) => html! {
            <p class="problem">
                { strings.inspect_failed }{ " " }<code>{ info.code }</code>{ " — " }
                { strings.close_meaning(info.code) }
            </p>
        },
        (None, Some(_), None) => html! { <p class="hint">{ strings.inspect_waiting }</p> },
    };

    html! {
        <Panel class="inspector">
            <div class="buttons">
                <button id="inspect-run" class="primary" onclick={run}>{ strings.inspect_run }</button>
            </div>
            { body }
        </Panel>
    }
}

/// Props of [`HandshakeView`].
#[derive(Debug, PartialEq, Properties)]
struct HandshakeViewProps {
    report: Rc<HandshakeReport>,
}

/// Request, response, and the accept-key check.
#[function_component]
fn HandshakeView(props: &HandshakeViewProps) -> Html {
    let strings = use_strings();
    let HandshakeReport { request, response } = &*props.report;
    let request_line = format!("{} {} {}", request.method, request.path, request.version);
    let status_line = format!(
        "{} {} {}",
        request.version,
        response.status,
        reason_phrase(response.status)
    );

    let key = request.header("sec-websocket-key");
    let computed = key.map(accept_key_for);
    let server_accept = response.header("sec-websocket-accept");
    let ok = computed.is_some() && computed.as_deref() == server_accept;
    let missing = || strings.inspect_missing.to_owned();

    html! {
        <div class="handshake">
            <div class="http-pair">
                <HttpHead id="inspect-request" title={strings.inspect_request_title}
                    first_line={request_line} headers={request.headers.clone()}
                    highlight={UPGRADE_REQUEST_HEADERS} />
                <HttpHead id="inspect-response" title={strings.inspect_response_title}
                    first_line={status_line} headers={response.headers.clone()}
                    highlight={UPGRADE_RESPONSE_HEADERS} />
            </div>
            <div class="accept-check">
                <p class="formula">
                    <code>{ format!("base64(SHA-1(key + {WEBSOCKET_GUID}))") }</code>
                </p>
                <dl>
                    <dt>{ "sec-websocket-key" }</dt>
                    <dd><code>{ key.map_or_else(missing, str::to_owned) }</code></dd>
                    <dt>{ strings.inspect_computed_label }</dt>
                    <dd><code id="inspect-computed">{ computed.unwrap_or_else(missing) }</code></dd>
                    <dt>{ strings.inspect_server_label }</dt>
                    <dd><code id="inspect-server-accept">
                        { server_accept.map_or_else(missing, str::to_owned) }
                    </code></dd>
                </dl>
                <p id="inspect-verdict" data-ok={ok.to_string()} class={if ok { "ok" } else { "bad" }}>
                    { if ok { strings.inspect_match } else { strings.inspect_mismatch } }
                </p>
            </div>
        </div>
    }
}

/// The standard reason phrase; the report carries only the number.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        426 => "Upgrade Required",
        _ => "",
    }
}

/// Props of [`HttpHead`].
#[derive(Debug, PartialEq, Properties)]
struct HttpHeadProps {
    id: &'static str,
    title: &'static str,
    first_line: String,
    headers: Vec<(String, String)>,
    highlight: &'static [&'static str],
}

/// An HTTP head as it looks on the wire, with the upgrade headers marked.
#[function_component]
fn HttpHead(props: &HttpHeadProps) -> Html {
    let lines = props.headers.iter().map(|(name, value)| {
        let text = format!("{name}: {value}\n");
        if props.highlight.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            html! { <mark>{ text }</mark> }
        } else {
            html! { text }
        }
    });
    html! {
        <figure class="http-head">
            <figcaption>{ props.title }</figcaption>
            <pre id={props.id}><strong>{ format!("{}\n", props.first_line) }</strong>{ for lines }</pre>
        </figure>
    }
}
