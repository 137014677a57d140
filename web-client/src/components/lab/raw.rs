//! "Knock on a raw TCP port": a WebSocket and a `fetch` aimed at
//! `tcp-echo`, and what that socket really received.

use socketlab_shared::relay::TCP_ECHO;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::props::LabProps;
use crate::api::{fetch_captures, try_fetch, InfoState};
use crate::browser::hostname;
use crate::components::fill;
use crate::components::section::{announce, panel};
use crate::hooks::use_websocket;
use crate::i18n::{RawStrings, Strings};
use crate::lab::raw::{
    endpoint_port, is_telltale, raw_http_url, raw_ws_url, FetchOutcome, Picked, RawAction,
    RawAttempt,
};
use crate::lab::Measured;
use crate::ws::SocketStatus;

/// The button and the three steps' results: the WebSocket's `error` and
/// close code, `fetch`'s rejection, and the captured request.
///
/// The steps run one after the other (the next starts when the WebSocket
/// is over), so the captures list ends with this page's two attempts.
#[function_component]
pub fn RawAttemptPanel(props: &LabProps) -> Html {
    let strings = props.lang.strings();
    let info = &props.info;
    let port = match info {
        InfoState::Ready(info) => endpoint_port(info, TCP_ECHO),
        _ => None,
    };
    let attempt = use_reducer(RawAttempt::default);
    // tcp-echo never becomes a WebSocket, so no message ever arrives.
    let ws = use_websocket(Callback::noop());
    // Only needed once there is a port, i.e. after the page has run: a
    // render must not read the browser before hydration (see `app::App`).
    let host = port.map(|_| hostname()).unwrap_or_default();

    // Once the WebSocket is over, try fetch, then read the captures.
    {
        let run = attempt.run;
        let attempt = attempt.dispatcher();
        let report = props.report.clone();
        let close_code = ws.status().close.as_ref().map(|info| info.code);
        let finished = ws.status().is_finished();
        let http_url = port.map(|port| raw_http_url(&host, port));
        use_effect_with((run, finished), move |&(run, finished)| {
            let Some(url) = http_url.filter(|_| run > 0 && finished) else {
                return;
            };
            if let Some(code) = close_code {
                report.dispatch(Measured::RawClose(code));
            }
            spawn_local(async move {
                let outcome = try_fetch(&url).await;
                attempt.dispatch(RawAction::Fetched { run, outcome });
                let result = fetch_captures().await;
                attempt.dispatch(RawAction::Captured { run, result });
            });
        });
    }

    let busy = attempt.run > 0 && attempt.captures.is_none();
    let run = {
        let (attempt, ws, host) = (attempt.clone(), ws.clone(), host.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(port) = port {
                attempt.dispatch(RawAction::Start);
                ws.connect(&raw_ws_url(&host, port));
            }
        })
    };

    let availability = match (info, port) {
        (_, Some(_)) => Html::default(),
        (InfoState::Loading, None) => html! { <p class="hint">{ strings.endpoints.loading }</p> },
        (InfoState::Failed(error), None) => {
            html! { <p class="problem">{ strings.endpoints.failed }{ " " }{ error }</p> }
        }
        (InfoState::Ready(_), None) => {
            html! { <p id="lab-raw-disabled" class="note">{ strings.lab.raw.disabled }</p> }
        }
    };
    let port_text = port.map_or_else(|| "—".to_owned(), |port| port.to_string());

    panel(
        "panel lab-raw",
        Some(strings.lab.raw.title),
        html! {
            <>
                <p class="hint">
                    { fill(strings.lab.raw.explain,
                        &[("port", html! { <code>{ port_text }</code> })]) }
                </p>
                <div class="buttons">
                    <button id="lab-raw-run" class="primary" disabled={port.is_none() || busy}
                        onclick={run}>
                        { strings.lab.raw.run }
                    </button>
                </div>
                { availability }
                if let (Some(port), true) = (port, attempt.run > 0) {
                    <ol class="raw-steps">
                        { ws_step(strings, &raw_ws_url(&host, port), ws.status()) }
                        { fetch_step(&strings.lab.raw, &raw_http_url(&host, port),
                            attempt.fetch.as_ref()) }
                        { capture_step(&strings.lab.raw, attempt.captures.as_ref()) }
                    </ol>
                }
                { announce(if attempt.run > 0 { outcome(strings, ws.status(), attempt.fetch.as_ref()) } else { String::new() }) }
            </>
        },
    )
}

/// Step 1: `new WebSocket(url)`, its `error` event and its close code.
fn ws_step(strings: &'static Strings, url: &str, status: &SocketStatus) -> Html {
    let close = status.close.as_ref();
    html! {
        <li id="lab-raw-ws" class="raw-step" data-code={close.map(|info| info.code.to_string())}>
            <h4>{ strings.lab.raw.ws_title }</h4>
            <code class="call">{ format!("new WebSocket(\"{url}\")") }</code>
            if let Some(failure) = &status.failure {
                <p class="problem">{ strings.connection.refused }{ " " }<code>{ failure }</code></p>
            }
            if status.saw_error_event {
                <p class="bad">{ strings.lab.raw.error_event }</p>
            }
            if let Some(info) = close {
                <p class="outcome">
                    { "close " }<code class="close-code">{ info.code }</code>
                    { format!(" · wasClean {} — ", info.was_clean) }
                    { strings.close.meaning(info.code) }
                </p>
                <p class="why">{ strings.lab.raw.ws_why }</p>
            } else if status.failure.is_none() {
                <p class="hint">{ strings.lab.raw.waiting }</p>
            }
        </li>
    }
}

/// What the attempt showed, in words for screen readers: the WebSocket's
/// close code and what it means, then how `fetch` ended.
fn outcome(
    strings: &'static Strings,
    status: &SocketStatus,
    fetch: Option<&FetchOutcome>,
) -> String {
    let mut said = match (&status.failure, &status.close) {
        (Some(failure), _) => format!("{} {failure}", strings.connection.refused),
        (None, Some(info)) => format!("close {} — {}", info.code, strings.close.meaning(info.code)),
        (None, None) => return String::new(),
    };
    match fetch {
        Some(FetchOutcome::Failed { name, message }) => {
            said = format!("{said}. {} {name}: {message}", strings.lab.raw.fetch_failed);
        }
        Some(FetchOutcome::Answered { status }) => {
            said = format!("{said}. {} {status}", strings.lab.raw.fetch_answered);
        }
        None => {}
    }
    said
}

/// Step 2: `fetch(url)` and the rejection it ends in.
fn fetch_step(strings: &'static RawStrings, url: &str, outcome: Option<&FetchOutcome>) -> Html {
    let failed = match outcome {
        Some(FetchOutcome::Failed { .. }) => Some("true"),
        Some(FetchOutcome::Answered { .. }) => Some("false"),
        None => None,
    };
    let body = match outcome {
        None => html! { <p class="hint">{ strings.waiting }</p> },
        Some(FetchOutcome::Failed { name, message }) => html! {
            <>
                <p class="outcome">
                    { strings.fetch_failed }{ " " }
                    <code class="bad">{ format!("{name}: {message}") }</code>
                </p>
                <p class="why">{ strings.fetch_why }</p>
            </>
        },
        Some(FetchOutcome::Answered { status }) => html! {
            <p class="outcome">{ strings.fetch_answered }{ " " }<code>{ status }</code></p>
        },
    };
    html! {
        <li id="lab-raw-fetch" class="raw-step" data-failed={failed}>
            <h4>{ strings.fetch_title }</h4>
            <code class="call">{ format!("fetch(\"{url}\")") }</code>
            { body }
        </li>
    }
}

/// Step 3: the bytes `tcp-echo` received, as the server kept them.
fn capture_step(strings: &'static RawStrings, captures: Option<&Result<Picked, String>>) -> Html {
    let body = match captures {
        None => html! { <p class="hint">{ strings.waiting }</p> },
        Some(Err(error)) => {
            html! { <p class="problem">{ strings.captured_failed }{ " " }{ error }</p> }
        }
        Some(Ok(picked)) => captured_view(strings, picked),
    };
    html! {
        <li id="lab-raw-capture" class="raw-step">
            <h4>{ strings.captured_title }</h4>
            <code class="call">{ "GET /api/tcp-echo/captures" }</code>
            { body }
        </li>
    }
}

fn captured_view(strings: &'static RawStrings, picked: &Picked) -> Html {
    let websocket = match &picked.websocket {
        Some(capture) => html! {
            <>
                <p class="why strong">{ strings.captured_why }</p>
                <pre id="lab-raw-captured" class="wire" data-len={capture.len.to_string()}>
                    { request_lines(&capture.text) }
                </pre>
                <p class="fine">{ format!("peer {} · {} B", capture.peer, capture.len) }</p>
            </>
        },
        None => html! { <p class="note">{ strings.captured_none }</p> },
    };
    html! {
        <>
            { websocket }
            if let Some(plain) = &picked.plain {
                <details class="plain-capture">
                    <summary>{ strings.captured_plain }</summary>
                    <pre id="lab-raw-captured-fetch" class="wire">{ request_lines(&plain.text) }</pre>
                </details>
            }
        </>
    }
}

/// The request exactly as received, line by line, with the lines that
/// make it a WebSocket upgrade marked. Each `\r` stays in the text (so it
/// is verbatim) inside a span that CSS shows as a visible `\r\n`, because
/// HTTP's line endings are part of what a raw socket sees.
fn request_lines(text: &str) -> Html {
    text.split_inclusive('\n')
        .map(|line| {
            let content = line.trim_end_matches(['\r', '\n']);
            let cr = line[content.len()..].contains('\r');
            let newline = line.ends_with('\n');
            let content = if is_telltale(content) {
                html! { <mark>{ content.to_owned() }</mark> }
            } else {
                html! { content.to_owned() }
            };
            html! {
                <>
                    { content }
                    if cr {
                        <span class="crlf">{ "\r" }</span>
                    }
                    if newline {
                        { "\n" }
                    }
                </>
            }
        })
        .collect()
}
