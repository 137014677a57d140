//! "A WebTransport session, live": what a page gets from the closest thing
//! to a UDP socket it may open.
//!
//! One button opens `/wt/echo` with the certificate hash from
//! `/api/info`, then shows the session, `datagrams.maxDatagramSize`, one
//! datagram's round trip and one bidirectional stream's. A browser
//! without WebTransport, or a server without it, is told so in words.

use socketlab_shared::endpoints::WT_ECHO;
use yew::prelude::*;

use super::props::LabProps;
use crate::api::InfoState;
use crate::browser::{hostname, now_ms};
use crate::components::format_ms;
use crate::components::section::{announce, panel};
use crate::lab::{Measured, WtFindings};
use crate::wt::{hash_bytes, url, WtSession};

/// What the probe found so far.
#[derive(Debug, Clone, PartialEq, Default)]
struct Probe {
    running: bool,
    url: Option<String>,
    ready_ms: Option<f64>,
    max_datagram: Option<u32>,
    datagram_ms: Option<f64>,
    stream_ms: Option<f64>,
    failure: Option<String>,
}

impl Probe {
    /// What the comparison table shows of it.
    fn findings(&self) -> WtFindings {
        WtFindings {
            ready_ms: self.ready_ms,
            datagram_ms: self.datagram_ms,
            stream_ms: self.stream_ms,
            max_datagram: self.max_datagram,
        }
    }
}

/// The panel: a button, then the session's facts as they come in.
#[function_component]
pub fn WtPanel(props: &LabProps) -> Html {
    let strings = props.lang.strings();
    let s = &strings.lab.wt;
    let probe = use_state(Probe::default);
    // Loading first: no render asks the browser before hydration (`app::App`).
    let target = match &props.info {
        InfoState::Loading => Err(strings.endpoints.loading),
        InfoState::Ready(_) if !crate::wt::available() => Err(strings.lab.race.wt_no_browser),
        InfoState::Ready(info) => match info.webtransport.as_ref().and_then(|wt| {
            let hash = wt.cert_sha256.as_deref().and_then(hash_bytes);
            Some((wt.port()?, hash))
        }) {
            Some(target) => Ok(target),
            None => Err(strings.lab.race.wt_no_server),
        },
        InfoState::Failed(_) => Err(strings.lab.race.wt_no_server),
    };
    let run = {
        let report = props.report.clone();
        let probe = probe.clone();
        let target = target.clone();
        Callback::from(move |_: MouseEvent| {
            let Ok((port, hash)) = target.clone() else {
                return;
            };
            let (probe, report) = (probe.clone(), report.clone());
            let address = url(&hostname(), port, WT_ECHO);
            let mut found = Probe {
                running: true,
                url: Some(address.clone()),
                ..Probe::default()
            };
            probe.set(found.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let started = now_ms();
                let session = match WtSession::connect(&address, hash.as_deref()).await {
                    Ok(session) => session,
                    Err(message) => {
                        found.failure = Some(message);
                        found.running = false;
                        report.dispatch(Measured::WebTransport(found.findings()));
                        probe.set(found);
                        return;
                    }
                };
                found.ready_ms = Some(now_ms() - started);
                found.max_datagram = session.max_datagram_size();
                probe.set(found.clone());
                let sent = now_ms();
                if session.send_datagram(b"ping").is_ok() && session.read_datagram().await.is_some()
                {
                    found.datagram_ms = Some(now_ms() - sent);
                    probe.set(found.clone());
                }
                let sent = now_ms();
                match session.stream_round_trip(b"hello, stream").await {
                    Ok(answer) if answer == b"hello, stream" => {
                        found.stream_ms = Some(now_ms() - sent)
                    }
                    Ok(_) => found.failure = Some("the stream came back different".to_owned()),
                    Err(message) => found.failure = Some(message),
                }
                session.close();
                found.running = false;
                report.dispatch(Measured::WebTransport(found.findings()));
                probe.set(found);
            });
        })
    };
    let ms = |value: Option<f64>| {
        value.map_or_else(
            || {
                if probe.running {
                    s.waiting.to_owned()
                } else {
                    "—".to_owned()
                }
            },
            |ms| format!("{} ms", format_ms(ms)),
        )
    };
    let row = |id: &'static str, label: &'static str, value: String, data: String| {
        html! {
            <div class="stat" {id} data-value={data}>
                <dt>{ label }</dt>
                <dd>{ value }</dd>
            </div>
        }
    };
    let number = |value: Option<f64>| value.map(format_ms).unwrap_or_default();
    panel(
        "panel lab-wt",
        Some(s.title),
        html! {
            <>
                <p class="hint">{ s.explain }</p>
                <div class="buttons">
                    <button id="lab-wt-run" class="primary" onclick={run}
                        disabled={probe.running || target.is_err()}>
                        { s.run }
                    </button>
                </div>
                if let Err(why) = target {
                    <p id="lab-wt-unavailable" class="note">{ why }</p>
                }
                if let Some(address) = &probe.url {
                    <dl class="lane-stats">
                        { row("lab-wt-session", s.session, address.clone(), address.clone()) }
                        { row("lab-wt-ready", s.ready, ms(probe.ready_ms), number(probe.ready_ms)) }
                        { row("lab-wt-max", s.max_datagram,
                            probe.max_datagram.map_or_else(|| "—".to_owned(), |n| format!("{n} B")),
                            probe.max_datagram.map(|n| n.to_string()).unwrap_or_default()) }
                        { row("lab-wt-datagram", s.datagram_rtt, ms(probe.datagram_ms),
                            number(probe.datagram_ms)) }
                        { row("lab-wt-stream", s.stream_rtt, ms(probe.stream_ms),
                            number(probe.stream_ms)) }
                    </dl>
                }
                if let Some(failure) = &probe.failure {
                    <p class="problem">{ s.failed }{ " " }<code>{ failure }</code></p>
                }
                { announce(probe.failure.as_ref().map(|failure| format!("{} {failure}", s.failed)).unwrap_or_default()) }
            </>
        },
    )
}
