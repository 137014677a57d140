//! The comparison table's WebTransport column: what the session probe
//! and the race's datagram lane measured in this browser, "not measured
//! yet" before they ran, and "not available" where the browser has no
//! WebTransport.

use yew::prelude::*;

use super::{not_yet, presence, value};
use crate::components::{fill, format_ms};
use crate::i18n::{CompareStrings, Strings};
use crate::lab::Measurements;

/// Whether this browser is known to have no WebTransport: then no cell
/// will ever be measured.
fn unavailable(m: &Measurements) -> bool {
    m.features.is_some_and(|f| !f.webtransport)
}

/// The cell of a browser without WebTransport.
fn not_available(s: &'static CompareStrings) -> Html {
    html! { <span class="not-available wt-unavailable">{ s.wt_unavailable }</span> }
}

/// Handshake row: the session's set-up, a datagram's and a stream's
/// round trip.
pub fn round_trips(s: &'static CompareStrings, m: &Measurements) -> Html {
    if unavailable(m) {
        return not_available(s);
    }
    let Some(found) = m.webtransport.filter(|f| f.ready_ms.is_some()) else {
        return not_yet(s);
    };
    let line = |id: &'static str, template: &'static str, ms: Option<f64>| {
        ms.map(|ms| {
            html! {
                <p {id} data-value={format_ms(ms)}>
                    { fill(template, &[("ms", value(format_ms(ms)))]) }
                </p>
            }
        })
    };
    html! {
        <>
            { line("compare-wt-ready", s.wt_ready_measured, found.ready_ms) }
            { line("compare-wt-datagram", s.wt_datagram_measured, found.datagram_ms) }
            { line("compare-wt-stream", s.wt_stream_measured, found.stream_ms) }
        </>
    }
}

/// Boundaries row: the largest datagram the browser sends.
pub fn datagram_size(s: &'static CompareStrings, m: &Measurements) -> Html {
    if unavailable(m) {
        return not_available(s);
    }
    match m.webtransport.and_then(|f| f.max_datagram) {
        Some(bytes) => html! {
            <span id="compare-wt-max" data-value={bytes.to_string()}>
                { fill(s.wt_size_measured, &[("bytes", value(bytes.to_string()))]) }
            </span>
        },
        None => not_yet(s),
    }
}

/// Ordering row: loss, reordering and duplicates of the race's datagram
/// lane.
pub fn race_lane(s: &'static CompareStrings, m: &Measurements) -> Html {
    if unavailable(m) {
        return not_available(s);
    }
    match m.race.map(|race| race.wt).filter(|lane| lane.sent > 0) {
        Some(lane) => html! {
            <span id="compare-wt-order" data-sent={lane.sent.to_string()}
                data-lost={lane.lost.to_string()} data-reordered={lane.reordered.to_string()}
                data-duplicated={lane.duplicated.to_string()}>
                { fill(s.wt_order_measured, &[
                    ("sent", value(lane.sent.to_string())),
                    ("lost", value(lane.lost.to_string())),
                    ("reordered", value(lane.reordered.to_string())),
                    ("duplicated", value(lane.duplicated.to_string())),
                ]) }
            </span>
        },
        None => not_yet(s),
    }
}

/// Support row: whether the browser has the API.
pub fn support(s: &'static Strings, m: &Measurements) -> Html {
    match m.features {
        Some(features) => html! {
            <p id="compare-wt-support" data-present={features.webtransport.to_string()}>
                { fill(s.compare.wt_support_measured,
                    &[("wt", presence(&s.lab.features, features.webtransport))]) }
            </p>
        },
        None => not_yet(&s.compare),
    }
}
