//! The datagram section: WebTransport datagrams next to a WebSocket,
//! through the echo and through the relay into a UDP sink.

use std::fmt::Write as _;

use super::format::{fmt_count, fmt_median, fmt_num, fmt_size, fmt_spread};
use super::groups::{median_of, metric, rows, Groups};
use crate::plan::{Bench, DATAGRAM_RATE, DATAGRAM_RTT};
use crate::record::{Metrics, Params};

/// The doors in table order, with the names the tables use.
const DOORS: [(&str, &str); 2] = [
    ("webtransport", "WebTransport datagrams"),
    ("websocket", "WebSocket"),
];

/// Whether a group belongs to this section, in `mode`.
fn is_datagram(params: &Params, mode: &str) -> bool {
    Bench::of(params) == Some(Bench::Datagram) && params.mode.as_deref() == Some(mode)
}

/// A door's rank and name in tables.
fn door(params: &Params) -> (usize, &'static str) {
    let name = params.door.as_deref().unwrap_or_default();
    DOORS
        .iter()
        .position(|(door, _)| *door == name)
        .map_or((DOORS.len(), "?"), |at| (at, DOORS[at].1))
}

/// The lost share of a group's messages, summed over its runs.
fn lost_share(runs: &[Metrics]) -> String {
    let lost: u64 = runs.iter().filter_map(|m| m.lost).sum();
    let delivered: u64 = runs.iter().filter_map(|m| m.delivered).sum();
    let total = lost + delivered;
    if total == 0 {
        return "–".to_owned();
    }
    let share = lost as f64 / total as f64 * 100.0;
    format!("{lost} ({share:.2} %)")
}

/// "What the numbers say" about datagrams.
pub fn reading(groups: &Groups, lines: &mut Vec<String>) {
    let echo = |door: &str, (size, inflight): (u64, u32), field: fn(&Metrics) -> Option<f64>| {
        median_of(
            groups,
            |p| {
                is_datagram(p, "echo")
                    && p.door.as_deref() == Some(door)
                    && p.size == Some(size)
                    && p.inflight == Some(inflight)
            },
            field,
        )
    };
    let (wt, ws) = ("webtransport", "websocket");
    let Some(wt_p50) = echo(wt, DATAGRAM_RTT, |m| m.p50_us) else {
        return;
    };
    let mut line = format!(
        "**WebTransport datagrams next to a WebSocket:** one {} B datagram's round trip \
         through `/wt/echo` took {} µs median",
        DATAGRAM_RTT.0,
        fmt_num(wt_p50)
    );
    if let Some(p99) = echo(wt, DATAGRAM_RTT, |m| m.p99_us) {
        let _ = write!(line, " ({} µs at p99)", fmt_num(p99));
    }
    if let (Some(ws_p50), Some(ws_p99)) = (
        echo(ws, DATAGRAM_RTT, |m| m.p50_us),
        echo(ws, DATAGRAM_RTT, |m| m.p99_us),
    ) {
        let _ = write!(
            line,
            ", a WebSocket message through `/ws/echo` {} µs ({} µs at p99)",
            fmt_num(ws_p50),
            fmt_num(ws_p99)
        );
    }
    if let (Some(wt_rate), Some(ws_rate)) = (
        echo(wt, DATAGRAM_RATE, |m| m.msgs_per_s),
        echo(ws, DATAGRAM_RATE, |m| m.msgs_per_s),
    ) {
        let _ = write!(
            line,
            "; with {} in flight on one session, {} datagrams/s came back against {} \
             WebSocket messages/s",
            DATAGRAM_RATE.1,
            fmt_num(wt_rate),
            fmt_num(ws_rate)
        );
    }
    line.push_str(
        ". On loopback nothing is lost or reordered by the network, so this is what each \
         door costs in software: QUIC encrypts and acknowledges every packet in user space, \
         a WebSocket leaves ordering and retransmission to the kernel's TCP. What a datagram \
         buys shows on a real network, not here: a lost datagram delays nothing behind it, \
         where one lost TCP segment holds back every WebSocket message after it until it is \
         resent (head-of-line blocking). The price is that the application must live with \
         loss (the echo counts datagrams not back within 200 ms as lost).",
    );
    lines.push(line);

    let sink = |door: &str, field: fn(&Metrics) -> Option<f64>| {
        let sizes: Vec<u64> = groups
            .keys()
            .filter(|p| is_datagram(p, "sink"))
            .filter_map(|p| p.size)
            .collect();
        let size = *sizes.iter().max()?;
        median_of(
            groups,
            |p| is_datagram(p, "sink") && p.door.as_deref() == Some(door) && p.size == Some(size),
            field,
        )
        .map(|value| (size, value))
    };
    if let Some((size, wt_rate)) = sink(wt, |m| m.msgs_per_s) {
        let mut line = format!(
            "**Relay to a UDP service, {} datagrams:** through `/wt/relay` (datagrams all the \
             way) the UDP sink received {} datagrams/s",
            fmt_size(size),
            fmt_num(wt_rate)
        );
        if let Some((_, lost)) = sink(wt, |m| m.lost.map(|l| l as f64)) {
            let _ = write!(line, " ({} lost)", fmt_count(lost as u64));
        }
        if let Some((_, ws_rate)) = sink(ws, |m| m.msgs_per_s) {
            let _ = write!(
                line,
                ", through `/ws/relay` (a WebSocket, then UDP) {} datagrams/s",
                fmt_num(ws_rate)
            );
            if let Some((_, lost)) = sink(ws, |m| m.lost.map(|l| l as f64)) {
                let _ = write!(line, " ({} lost)", fmt_count(lost as u64));
            }
        }
        line.push_str(
            ". The sender sends as fast as its door takes messages: a WebSocket waits for \
             TCP's window, so loss appears only where the relay meets UDP; datagrams are \
             paced by QUIC's congestion control and dropped, never queued without bound, \
             when a buffer on the way is full. The sink counts what reached it, on its own \
             clock.",
        );
        lines.push(line);
    }
}

/// The two tables.
pub fn render(doc: &mut String, groups: &Groups) {
    let echo = rows(
        groups,
        |p| is_datagram(p, "echo"),
        |p| (p.size, p.inflight, door(p)),
    );
    if !echo.is_empty() {
        let _ = writeln!(
            doc,
            "## Datagrams: WebTransport next to a WebSocket, echo\n\n\
             One session (or connection) to `/wt/echo` (datagrams) or `/ws/echo`, numbered \
             messages kept in flight; a datagram not back within 200 ms counts as lost and \
             is replaced. Client: `web-transport-quinn`, the crate the server uses, trusting \
             the certificate by the hash `/api/info` publishes.\n\n\
             | Size | In flight | Door | Messages/s | p50 µs | p99 µs | p99.9 µs | Lost | Server CPU % |\n\
             | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for (params, runs) in echo {
            let _ = writeln!(
                doc,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                fmt_size(params.size.unwrap_or(0)),
                params.inflight.unwrap_or(1),
                door(params).1,
                fmt_spread(metric(runs, |m| m.msgs_per_s)),
                fmt_spread(metric(runs, |m| m.p50_us)),
                fmt_spread(metric(runs, |m| m.p99_us)),
                fmt_median(metric(runs, |m| m.p999_us)),
                lost_share(runs),
                fmt_median(metric(runs, |m| m.server_cpu_pct)),
            );
        }
        doc.push('\n');
    }
    let sink = rows(groups, |p| is_datagram(p, "sink"), |p| (p.size, door(p)));
    if !sink.is_empty() {
        let _ = writeln!(
            doc,
            "## Datagrams: relay to a UDP sink\n\n\
             `/wt/relay/udp-sink` (WebTransport datagrams to UDP datagrams) and \
             `/ws/relay/udp-sink` (WebSocket messages to UDP datagrams), one message per \
             datagram; the sender sends as fast as the door takes them, the sink \
             (`socketlab-bench udp-sink`) counts what arrived and when.\n\n\
             | Size | Door | Delivered datagrams/s | MB/s | Lost | Server CPU % |\n\
             | ---: | --- | ---: | ---: | ---: | ---: |"
        );
        for (params, runs) in sink {
            let _ = writeln!(
                doc,
                "| {} | {} | {} | {} | {} | {} |",
                fmt_size(params.size.unwrap_or(0)),
                door(params).1,
                fmt_spread(metric(runs, |m| m.msgs_per_s)),
                fmt_spread(metric(runs, |m| m.mb_per_s)),
                lost_share(runs),
                fmt_median(metric(runs, |m| m.server_cpu_pct)),
            );
        }
        doc.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::groups::group;
    use crate::report::parse_records;

    const RESULTS: &str = r#"
{"bench":"datagram","peer":"socketlab","mode":"echo","door":"webtransport","conns":1,"size":32,"inflight":1,"msgs_per_s":9000.0,"p50_us":100.0,"p99_us":200.0,"p999_us":300.0,"delivered":9000,"lost":0,"run":1}
{"bench":"datagram","peer":"socketlab","mode":"echo","door":"websocket","conns":1,"size":32,"inflight":1,"msgs_per_s":15000.0,"p50_us":60.0,"p99_us":90.0,"p999_us":100.0,"delivered":15000,"lost":0,"run":1}
{"bench":"datagram","peer":"socketlab","mode":"echo","door":"webtransport","conns":1,"size":32,"inflight":16,"msgs_per_s":50000.0,"p50_us":300.0,"p99_us":900.0,"delivered":50000,"lost":10,"run":1}
{"bench":"datagram","peer":"socketlab","mode":"echo","door":"websocket","conns":1,"size":32,"inflight":16,"msgs_per_s":80000.0,"p50_us":200.0,"p99_us":400.0,"delivered":80000,"lost":0,"run":1}
{"bench":"datagram","peer":"socketlab","mode":"sink","door":"webtransport","conns":1,"size":1024,"msgs_per_s":60000.0,"mb_per_s":61.4,"delivered":60000,"lost":5,"run":1}
{"bench":"datagram","peer":"socketlab","mode":"sink","door":"websocket","conns":1,"size":1024,"msgs_per_s":90000.0,"mb_per_s":92.2,"delivered":90000,"lost":0,"run":1}
"#;

    #[test]
    fn datagrams_read_next_to_websockets() {
        let groups = group(&parse_records(RESULTS).unwrap());
        let mut lines = Vec::new();
        reading(&groups, &mut lines);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].contains("took 100 µs median (200 µs at p99)"),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].contains("`/ws/echo` 60.0 µs (90.0 µs at p99)"),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].contains("50,000 datagrams/s came back against 80,000"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains("received 60,000 datagrams/s (5 lost)"),
            "{}",
            lines[1]
        );
        let mut doc = String::new();
        render(&mut doc, &groups);
        assert!(
            doc.contains(
                "| 32 B | 16 | WebTransport datagrams | 50,000 | 300 | 900 | – | 10 (0.02 %) | – |"
            ),
            "{doc}"
        );
        let wt = doc.find("| 1 KiB | WebTransport datagrams |").unwrap();
        let ws = doc.find("| 1 KiB | WebSocket |").unwrap();
        assert!(wt < ws);
    }
}
