//! "TCP vs UDP race": the same numbered packets through both relays, side
//! by side, with a simulated network on the UDP side, and a third lane of
//! WebTransport datagrams to the same udp-echo, UDP from the browser on.

use socketlab_shared::relay::{BINARY_SUBPROTOCOL, TCP_ECHO, UDP_ECHO};
use socketlab_shared::PercentImpairment;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::chart::{chart_legend, race_chart};
use super::props::LabProps;
use crate::api::InfoState;
use crate::browser::{hostname, ws_url};
use crate::components::format_ms;
use crate::components::section::panel;
use crate::hooks::{use_race_driver, use_websocket};
use crate::i18n::{CloseStrings, RaceStrings};
use crate::lab::race::{Lane, Phase, Race, RaceAction, Transport, DEFAULT_PACKETS, MAX_PACKETS};
use crate::lab::relay_path;
use crate::ws::{Payload, Received, SocketStatus, UseWebSocketHandle};
use crate::wt::{use_webtransport, WtState};

/// The sliders' upper end for the three probabilities, in percent: well
/// inside what the server accepts, and already a very bad network. (The
/// sliders count whole percents, so no decimal text is ever parsed.)
const SLIDER_MAX_PERCENT: u32 = 50;
/// The delay slider's upper end, in milliseconds.
const SLIDER_MAX_DELAY_MS: u32 = 200;

/// What the learner chose before pressing start.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Settings {
    packets: u32,
    network: PercentImpairment,
}

impl Default for Settings {
    /// A network bad enough that one click shows loss, duplicates and
    /// reordering in 50 packets.
    fn default() -> Self {
        Self {
            packets: DEFAULT_PACKETS,
            network: PercentImpairment {
                loss: 10,
                duplicate: 5,
                reorder: 20,
                delay_ms: 20,
            },
        }
    }
}

/// Owns the race and its two relay sockets, and drives the run through
/// its phases with effects: open both, send every 10 ms, wait for
/// stragglers, then close both and report the numbers.
#[function_component]
pub fn RacePanel(props: &LabProps) -> Html {
    let strings = props.lang.strings();
    let settings = use_state(Settings::default);
    let invalid = use_state(|| None::<String>);
    let race = use_reducer(Race::default);
    let tcp = use_websocket(lane_frames(race.dispatcher(), Transport::Tcp));
    let udp = use_websocket(lane_frames(race.dispatcher(), Transport::Udp));
    let wt = use_webtransport(wt_datagrams(race.dispatcher()));
    // Where the WebTransport lane goes, or why it cannot run.
    let wt_target = wt_target(&strings.lab.race, &props.info);
    let available = match &props.info {
        InfoState::Ready(info) => info
            .relay_targets
            .iter()
            .any(|t| t.name == TCP_ECHO || t.name == UDP_ECHO),
        // Let the learner try; missing targets show as failed lanes.
        InfoState::Loading | InfoState::Failed(_) => true,
    };

    use_race_driver(&race, &tcp, &udp, &wt, props.report.clone());

    let run = {
        let (settings, invalid, race) = (settings.clone(), invalid.clone(), race.dispatcher());
        let (tcp, udp, wt) = (tcp.clone(), udp.clone(), wt.clone());
        let wt_target = wt_target.clone();
        Callback::from(move |_: MouseEvent| {
            let Settings { packets, network } = *settings;
            if let Err(error) = network.validate() {
                invalid.set(Some(error));
                return;
            }
            invalid.set(None);
            race.dispatch(RaceAction::Start { planned: packets });
            let open = |ws: &UseWebSocketHandle, target: &str, network: &PercentImpairment| {
                ws.connect_with(&ws_url(&relay_path(target, network)), &[BINARY_SUBPROTOCOL]);
            };
            open(&tcp, TCP_ECHO, &PercentImpairment::default());
            open(&udp, UDP_ECHO, &network);
            if let Ok((port, hash)) = &wt_target {
                let path = relay_path(UDP_ECHO, &network).replacen("/ws/", "/wt/", 1);
                wt.connect(crate::wt::url(&hostname(), *port, &path), hash.clone());
            }
        })
    };
    let on_change = {
        let settings = settings.clone();
        Callback::from(move |next: Settings| settings.set(next))
    };

    let phase_text = match race.phase {
        Phase::Idle if !available => "",
        Phase::Idle => strings.lab.race.idle,
        Phase::Connecting => strings.lab.race.connecting,
        Phase::Sending => strings.lab.race.sending,
        Phase::Draining => strings.lab.race.draining,
        Phase::Done => "",
    };
    let lane = |id: &'static str, title: (&'static str, &'static str), lane: &Lane, problem| {
        lane_view(
            &strings.lab.race,
            id,
            title,
            lane,
            race.planned,
            race.phase == Phase::Done,
            problem,
        )
    };
    let r = &strings.lab.race;
    let wt_problem = match (&wt_target, wt.state()) {
        (Err(why), _) => Some(why.clone()),
        (Ok(_), WtState::Failed(message)) => Some(message.clone()),
        _ => None,
    };

    panel(
        "panel lab-race",
        Some(strings.lab.race.title),
        html! {
            <>
                <p class="hint">{ strings.lab.race.explain }</p>
                { race_controls(&strings.lab.race, *settings, &on_change, race.is_running()) }
                <div class="buttons">
                    <button id="lab-race-run" class="primary" onclick={run}
                        disabled={race.is_running() || !available}>
                        { strings.lab.race.run }
                    </button>
                    <span id="lab-race-phase" class="muted" role="status" data-phase={phase_name(race.phase)}>
                        { phase_text }
                    </span>
                </div>
                if !available {
                    <p class="note">{ strings.lab.race.unavailable }</p>
                }
                if let Some(error) = &*invalid {
                    <p class="problem">{ strings.lab.race.invalid }{ " " }{ error }</p>
                }
                if race.run > 0 {
                    <div class="lanes">
                        { lane("lab-race-tcp", (r.tcp_title, r.tcp_hops), &race.tcp,
                            lane_problem(&strings.close, tcp.status())) }
                        { lane("lab-race-udp", (r.udp_title, r.udp_hops), &race.udp,
                            lane_problem(&strings.close, udp.status())) }
                        { lane("lab-race-wt", (r.wt_title, r.wt_hops), &race.wt, wt_problem) }
                    </div>
                    { chart_legend(&strings.lab.race) }
                }
            </>
        },
    )
}

/// Feeds one relay socket's binary messages into its lane.
fn lane_frames(race: UseReducerDispatcher<Race>, transport: Transport) -> Callback<Received> {
    Callback::from(move |frame: Received| {
        if let Payload::Binary(bytes) = frame.payload {
            race.dispatch(RaceAction::Received {
                transport,
                bytes,
                at: frame.at_ms,
            });
        }
    })
}

/// Feeds the WebTransport session's datagrams into its lane.
fn wt_datagrams(race: UseReducerDispatcher<Race>) -> Callback<(Vec<u8>, f64)> {
    Callback::from(move |(bytes, at): (Vec<u8>, f64)| {
        race.dispatch(RaceAction::Received {
            transport: Transport::Wt,
            bytes,
            at,
        });
    })
}

/// The WebTransport listener's port and certificate hash, or why the lane
/// cannot run: this browser has no WebTransport, or the server none.
fn wt_target(
    strings: &'static RaceStrings,
    info: &InfoState,
) -> Result<(u16, Option<Vec<u8>>), String> {
    // The server's answer first: before it (and before hydration) no
    // render may ask the browser anything (see `app::App`).
    let InfoState::Ready(info) = info else {
        return Err(strings.wt_no_server.to_owned());
    };
    if !crate::wt::available() {
        return Err(strings.wt_no_browser.to_owned());
    }
    let Some(wt) = &info.webtransport else {
        return Err(strings.wt_no_server.to_owned());
    };
    let port = wt.port().ok_or_else(|| strings.wt_no_server.to_owned())?;
    let hash = wt.cert_sha256.as_deref().and_then(crate::wt::hash_bytes);
    Ok((port, hash))
}

/// Why a lane has nothing to show: the browser refused its URL, or it
/// closed without ever opening (e.g. the server refused the upgrade).
fn lane_problem(strings: &'static CloseStrings, status: &SocketStatus) -> Option<String> {
    if let Some(failure) = &status.failure {
        return Some(failure.clone());
    }
    match (&status.close, status.open_ms()) {
        (Some(info), None) => Some(format!("{} — {}", info.code, strings.meaning(info.code))),
        _ => None,
    }
}

/// The phase as a stable word for `data-phase`, so tests need not read
/// translated text.
fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Idle => "idle",
        Phase::Connecting => "connecting",
        Phase::Sending => "sending",
        Phase::Draining => "draining",
        Phase::Done => "done",
    }
}

/// The packet count and the simulated network's four sliders, showing
/// `current` and reporting every change to `on_change`.
fn race_controls(
    strings: &'static RaceStrings,
    current: Settings,
    on_change: &Callback<Settings>,
    disabled: bool,
) -> Html {
    // Each control edits one field of a copy of the settings.
    let edit = |apply: fn(&mut Settings, &str)| {
        let on_change = on_change.clone();
        Callback::from(move |event: InputEvent| {
            let value = event.target_unchecked_into::<HtmlInputElement>().value();
            let mut next = current;
            apply(&mut next, &value);
            on_change.emit(next);
        })
    };
    let probability = |id: &'static str, label: &'static str, percent: u32, apply| {
        html! {
            <label class="slider" for={id}>
                <span>{ label }</span>
                <input {id} type="range" min="0" max={SLIDER_MAX_PERCENT.to_string()}
                    step="5" value={percent.to_string()} disabled={disabled}
                    oninput={edit(apply)} />
                <output>{ format!("{percent} %") }</output>
            </label>
        }
    };
    let network = current.network;

    html! {
        <div class="race-controls">
            <label class="slider" for="lab-race-packets">
                <span>{ strings.packets_label }</span>
                <input id="lab-race-packets" type="range" min="10" max={MAX_PACKETS.to_string()}
                    step="10" value={current.packets.to_string()} disabled={disabled}
                    oninput={edit(|s, v| s.packets = v.parse().unwrap_or(DEFAULT_PACKETS))} />
                <output>{ current.packets }</output>
            </label>
            <fieldset class="network" disabled={disabled}>
                <legend>{ strings.network_title }</legend>
                { probability("lab-race-loss", strings.loss_label, network.loss,
                    |s, v| s.network.loss = v.parse().unwrap_or(0)) }
                { probability("lab-race-duplicate", strings.duplicate_label, network.duplicate,
                    |s, v| s.network.duplicate = v.parse().unwrap_or(0)) }
                { probability("lab-race-reorder", strings.reorder_label, network.reorder,
                    |s, v| s.network.reorder = v.parse().unwrap_or(0)) }
                <label class="slider" for="lab-race-delay">
                    <span>{ strings.delay_label }</span>
                    <input id="lab-race-delay" type="range" min="0"
                        max={SLIDER_MAX_DELAY_MS.to_string()} step="10"
                        value={network.delay_ms.to_string()} disabled={disabled}
                        oninput={edit(|s, v| s.network.delay_ms = v.parse().unwrap_or(0))} />
                    <output>{ format!("{} ms", network.delay_ms) }</output>
                </label>
            </fieldset>
        </div>
    }
}

/// One transport: its chart and its numbers, also as `data-*` attributes
/// so tests read them without parsing text.
fn lane_view(
    strings: &'static RaceStrings,
    id: &'static str,
    (title, hops): (&'static str, &'static str),
    lane: &Lane,
    planned: u32,
    done: bool,
    problem: Option<String>,
) -> Html {
    let stats = lane.stats();
    let rtt = stats.rtt.map_or_else(
        || "—".to_owned(),
        |rtt| {
            format!(
                "{} / {} / {} ms",
                format_ms(rtt.min),
                format_ms(rtt.median),
                format_ms(rtt.max)
            )
        },
    );
    let stat = |label: &'static str, value: String, class: &'static str| {
        html! {
            <div class={classes!("stat", class)}>
                <dt>{ label }</dt>
                <dd>{ value }</dd>
            </div>
        }
    };
    // Until the run is over, "lost" only means "not here yet".
    let lost = if done {
        stats.lost.to_string()
    } else {
        "…".to_owned()
    };
    html! {
        <figure id={id} class="lane" data-sent={stats.sent.to_string()}
            data-received={stats.received.to_string()} data-lost={stats.lost.to_string()}
            data-duplicated={stats.duplicated.to_string()}
            data-reordered={stats.reordered.to_string()} data-done={done.to_string()}>
            <figcaption>{ title }</figcaption>
            <p class="hops">{ hops }</p>
            { race_chart(strings, lane, planned, done, title) }
            if let Some(problem) = &problem {
                <p class="problem">{ strings.lane_failed }{ " " }<code>{ problem }</code></p>
            }
            <dl class="lane-stats">
                { stat(strings.received, format!("{} / {}", stats.received, stats.sent), "") }
                { stat(strings.lost, lost, if done && stats.lost > 0 { "bad" } else { "" }) }
                { stat(strings.duplicated, stats.duplicated.to_string(),
                    if stats.duplicated > 0 { "warn" } else { "" }) }
                { stat(strings.reordered, stats.reordered.to_string(),
                    if stats.reordered > 0 { "warn" } else { "" }) }
                { stat(strings.rtt, rtt, "wide") }
            </dl>
        </figure>
    }
}
