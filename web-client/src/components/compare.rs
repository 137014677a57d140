//! Network socket vs WebSocket, one row per aspect, with the lab's
//! measurements beside the textbook answers.

use yew::prelude::*;

mod wt;

use super::{fill, format_ms};
use crate::i18n::{CompareRow, CompareStrings, FeaturesStrings, Strings};
use crate::lab::Measurements;

/// The comparison table, given what the lab measured so far. Every cell
/// the lab can measure shows either the measurement or "— (run the lab)",
/// so the learner sees which claims were checked in their own browser.
pub fn comparison_table(s: &'static Strings, m: &Measurements) -> Html {
    let rows = [
        (&s.compare.layer, None, None, None),
        (&s.compare.who, None, None, None),
        (
            &s.compare.handshake,
            None,
            Some(handshake(&s.compare, m)),
            Some(wt::round_trips(&s.compare, m)),
        ),
        (
            &s.compare.boundaries,
            Some(boundaries(&s.compare, m)),
            None,
            Some(wt::datagram_size(&s.compare, m)),
        ),
        (
            &s.compare.ordering,
            Some(ordering(&s.compare, m)),
            None,
            Some(wt::race_lane(&s.compare, m)),
        ),
        (
            &s.compare.support,
            Some(socket_support(s, m)),
            Some(ws_support(s, m)),
            Some(wt::support(s, m)),
        ),
    ]
    .into_iter()
    .map(|(row, socket, websocket, webtransport): Row<'_>| {
        // The labels repeat the column headers for narrow screens,
        // where each row becomes a card (see style.css).
        html! {
            <tr>
                <th scope="row">{ row.aspect }</th>
                <td data-label={s.compare.socket}>
                    { row.socket }{ socket.map(measured_cell) }
                </td>
                <td data-label={s.compare.websocket}>
                    { row.websocket }{ websocket.map(measured_cell) }
                </td>
                <td data-label={s.compare.webtransport}>
                    { row.webtransport }{ webtransport.map(measured_cell) }
                </td>
            </tr>
        }
    });
    html! {
        <div class="panel">
            <div class="table-wrap">
                <table id="compare-table" class="data compare">
                    <thead>
                        <tr>
                            <td></td>
                            <th scope="col">{ s.compare.socket }</th>
                            <th scope="col">{ s.compare.websocket }</th>
                            <th scope="col">{ s.compare.webtransport }</th>
                        </tr>
                    </thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </div>
    }
}

/// One row: its texts, and the measured part of the socket, WebSocket
/// and WebTransport cells.
type Row<'a> = (&'a CompareRow, Option<Html>, Option<Html>, Option<Html>);

/// A measurement under a cell's textbook answer.
fn measured_cell(content: Html) -> Html {
    html! { <div class="measured">{ content }</div> }
}

/// Shown in a measurable cell before the lab ran.
pub(super) fn not_yet(s: &'static CompareStrings) -> Html {
    html! { <span class="not-measured">{ s.not_measured }</span> }
}

/// A measured number, emphasised.
pub(super) fn value(text: impl Into<AttrValue>) -> Html {
    html! { <strong>{ text.into() }</strong> }
}

fn handshake(s: &'static CompareStrings, m: &Measurements) -> Html {
    match m.connect_ms {
        Some(ms) => html! {
            <span id="compare-connect">
                { fill(s.connect_measured, &[("ms", value(format_ms(ms)))]) }
            </span>
        },
        None => not_yet(s),
    }
}

fn boundaries(s: &'static CompareStrings, m: &Measurements) -> Html {
    let tcp = m.tcp_chunking.map(|c| {
        html! {
            <p id="compare-tcp-chunks" data-messages={c.messages.to_string()}
                data-chunks={c.chunks.to_string()}>
                { fill(s.tcp_chunks_measured, &[
                    ("messages", value(c.messages.to_string())),
                    ("chunks", value(c.chunks.to_string())),
                ]) }
            </p>
        }
    });
    let udp = m.race.map(|race| {
        html! {
            <p id="compare-udp-messages">
                { fill(s.udp_messages_measured, &[
                    ("datagrams", value((race.udp.received + race.udp.duplicated).to_string())),
                    ("messages", value(race.udp_messages.to_string())),
                ]) }
            </p>
        }
    });
    if tcp.is_none() && udp.is_none() {
        return not_yet(s);
    }
    html! { <>{ tcp }{ udp }</> }
}

fn ordering(s: &'static CompareStrings, m: &Measurements) -> Html {
    match m.race {
        Some(race) => html! {
            <span id="compare-order" data-tcp={race.tcp.reordered.to_string()}
                data-udp={race.udp.reordered.to_string()}>
                { fill(s.order_measured, &[
                    ("sent", value(race.udp.sent.max(race.tcp.sent).to_string())),
                    ("tcp", value(race.tcp.reordered.to_string())),
                    ("udp", value(race.udp.reordered.to_string())),
                ]) }
            </span>
        },
        None => not_yet(s),
    }
}

pub(super) fn presence(s: &'static FeaturesStrings, present: bool) -> Html {
    let (class, text) = if present {
        ("ok", s.present)
    } else {
        ("bad", s.absent)
    };
    html! { <strong class={class}>{ text }</strong> }
}

fn socket_support(s: &'static Strings, m: &Measurements) -> Html {
    let Some(features) = m.features else {
        return not_yet(&s.compare);
    };
    html! {
        <>
            <p>
                { fill(s.compare.support_measured, &[
                    ("tcp", presence(&s.lab.features, features.tcp_socket)),
                    ("udp", presence(&s.lab.features, features.udp_socket)),
                ]) }
            </p>
            if let Some(code) = m.raw_close_code {
                <p>{ fill(s.compare.raw_measured, &[("code", value(code.to_string()))]) }</p>
            }
        </>
    }
}

fn ws_support(s: &'static Strings, m: &Measurements) -> Html {
    match m.features {
        Some(features) => html! {
            <p>{ fill(s.compare.ws_support_measured,
                &[("ws", presence(&s.lab.features, features.websocket))]) }</p>
        },
        None => not_yet(&s.compare),
    }
}
