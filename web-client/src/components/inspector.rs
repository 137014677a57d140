//! The handshake inspector: open a fresh socket to `/ws/inspect`, show the
//! HTTP upgrade the server saw, and check its `Sec-WebSocket-Accept`.

use std::rc::Rc;

use socketlab_shared::handshake::WEBSOCKET_GUID;
use socketlab_shared::{accept_key_for, endpoints, HandshakeReport, ServerMessage};
use yew::prelude::*;

use super::section::{announce, panel};
use crate::browser::ws_url;
use crate::hooks::use_websocket;
use crate::i18n::{InspectorStrings, LangProps};
use crate::ws::{Payload, Received};

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
        Payload::Text(text) => match ServerMessage::from_json(&text) {
            Ok(ServerMessage::Handshake(report)) => Ok(Rc::new(report)),
            Ok(_) => Err(format!("unexpected frame: {text}")),
            Err(error) => Err(error.to_string()),
        },
        Payload::Binary(bytes) => Err(format!("unexpected binary frame of {} bytes", bytes.len())),
    }
}

/// The run button, and the report once it came.
#[function_component]
pub fn InspectorPanel(props: &LangProps) -> Html {
    let strings = props.lang.strings();
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
    // What a screen reader is told: the verdict, or why there is none.
    let said = match (&*report, status.state(), &status.close) {
        (Some(Ok(report)), _, _) => if accept_matches(report) {
            strings.inspector.matched
        } else {
            strings.inspector.mismatched
        }
        .to_owned(),
        (Some(Err(error)), _, _) => format!("{} {error}", strings.inspector.failed),
        (None, Some(_), Some(info)) => format!(
            "{} {} — {}",
            strings.inspector.failed,
            info.code,
            strings.close.meaning(info.code)
        ),
        _ => String::new(),
    };
    let body = match (&*report, status.state(), &status.close) {
        (Some(Ok(report)), _, _) => handshake_view(&strings.inspector, report),
        (Some(Err(error)), _, _) => {
            html! { <p class="problem">{ strings.inspector.failed }{ " " }{ error }</p> }
        }
        (None, None, _) => html! { <p class="hint">{ strings.inspector.idle }</p> },
        (None, Some(_), Some(info)) => html! {
            <p class="problem">
                { strings.inspector.failed }{ " " }<code>{ info.code }</code>{ " — " }
                { strings.close.meaning(info.code) }
            </p>
        },
        (None, Some(_), None) => html! { <p class="hint">{ strings.inspector.waiting }</p> },
    };

    panel(
        "panel inspector",
        None,
        html! {
            <>
                <div class="buttons">
                    <button id="inspect-run" class="primary" onclick={run}>
                        { strings.inspector.run }
                    </button>
                </div>
                { body }
                { announce(said) }
            </>
        },
    )
}

/// Request, response, and the accept-key check.
fn handshake_view(strings: &'static InspectorStrings, report: &HandshakeReport) -> Html {
    let HandshakeReport { request, response } = report;
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
    let ok = accept_matches(report);
    let missing = || strings.missing.to_owned();

    html! {
        <div class="handshake">
            <div class="http-pair">
                { http_head("inspect-request", strings.request_title, request_line,
                    &request.headers, UPGRADE_REQUEST_HEADERS) }
                { http_head("inspect-response", strings.response_title, status_line,
                    &response.headers, UPGRADE_RESPONSE_HEADERS) }
            </div>
            <div class="accept-check">
                <p class="formula">
                    <code>{ format!("base64(SHA-1(key + {WEBSOCKET_GUID}))") }</code>
                </p>
                <dl>
                    <dt>{ "sec-websocket-key" }</dt>
                    <dd><code>{ key.map_or_else(missing, str::to_owned) }</code></dd>
                    <dt>{ strings.computed_label }</dt>
                    <dd><code id="inspect-computed">{ computed.unwrap_or_else(missing) }</code></dd>
                    <dt>{ strings.server_label }</dt>
                    <dd><code id="inspect-server-accept">
                        { server_accept.map_or_else(missing, str::to_owned) }
                    </code></dd>
                </dl>
                <p id="inspect-verdict" data-ok={ok.to_string()} class={if ok { "ok" } else { "bad" }}>
                    { if ok { strings.matched } else { strings.mismatched } }
                </p>
            </div>
        </div>
    }
}

/// Whether the server's `Sec-WebSocket-Accept` is the one its key calls for.
fn accept_matches(report: &HandshakeReport) -> bool {
    let computed = report
        .request
        .header("sec-websocket-key")
        .map(accept_key_for);
    computed.is_some() && computed.as_deref() == report.response.header("sec-websocket-accept")
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

/// An HTTP head as it looks on the wire (in `<pre id={id}>`), with the
/// `highlight`ed headers (those of the upgrade) marked.
fn http_head(
    id: &'static str,
    title: &'static str,
    first_line: String,
    headers: &[(String, String)],
    highlight: &[&str],
) -> Html {
    let lines = headers.iter().map(|(name, value)| {
        let text = format!("{name}: {value}\n");
        if highlight.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            html! { <mark>{ text }</mark> }
        } else {
            html! { text }
        }
    });
    html! {
        <figure class="http-head">
            <figcaption>{ title }</figcaption>
            <pre {id}><strong>{ first_line + "\n" }</strong>{ for lines }</pre>
        </figure>
    }
}
