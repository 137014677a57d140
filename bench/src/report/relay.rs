//! The relay sections: WebSocket → TCP throughput, and the round trip of
//! one small message.

use std::fmt::Write as _;

use super::format::{fmt_median, fmt_num, fmt_size, fmt_spread};
use super::groups::{median_of, metric, percent_of, rows, times, Groups};
use crate::plan::{Bench, Peer, RTT_SIZE};
use crate::record::Params;

/// Whether a group is a byte-stream throughput run (relay or raw TCP).
pub fn is_throughput(params: &Params) -> bool {
    Bench::of(params) == Some(Bench::Relay)
        && matches!(params.mode.as_deref(), Some("sink" | "echo"))
}

/// Whether a group is a byte-stream round-trip run.
pub fn is_rtt(params: &Params) -> bool {
    Bench::of(params) == Some(Bench::Relay) && params.mode.as_deref() == Some("rtt")
}

/// "What the numbers say" about relay throughput, at the largest sink
/// size measured.
pub fn throughput_reading(groups: &Groups, lines: &mut Vec<String>) {
    let sink_sizes: Vec<u64> = groups
        .keys()
        .filter(|p| is_throughput(p) && p.mode.as_deref() == Some("sink"))
        .filter_map(|p| p.size)
        .collect();
    if let Some(&size) = sink_sizes.iter().max() {
        let at = |peer: Peer| {
            median_of(
                groups,
                |p| {
                    is_throughput(p)
                        && p.peer == peer.name()
                        && p.mode.as_deref() == Some("sink")
                        && p.size == Some(size)
                },
                |m| m.mb_per_s,
            )
        };
        if let Some(ours) = at(Peer::Socketlab) {
            let mut line = format!(
                "**Relay throughput, {} messages into a TCP sink:** socketlab delivered {} MB/s",
                fmt_size(size),
                fmt_num(ours)
            );
            if let Some(raw) = at(Peer::RawTcp) {
                let _ = write!(
                    line,
                    ", {} of what one plain loopback TCP connection carries ({} MB/s)",
                    percent_of(ours, raw),
                    fmt_num(raw)
                );
            }
            let others: Vec<String> = [
                (Peer::Bare, "the bare relay"),
                (Peer::Websocat, "websocat"),
                (Peer::Websockify, "websockify"),
            ]
            .into_iter()
            .filter_map(|(peer, name)| {
                at(peer).map(|theirs| {
                    format!("{name} {} MB/s ({})", fmt_num(theirs), times(ours, theirs))
                })
            })
            .collect();
            if !others.is_empty() {
                let _ = write!(line, "; {}", others.join(", "));
            }
            line.push_str(". The sink acknowledges the bytes it has read, so this is delivered data, not data handed to a socket buffer.");
            lines.push(line);
        }
    }
}

/// "What the numbers say" about the relay round trip, against raw TCP.
pub fn rtt_reading(groups: &Groups, lines: &mut Vec<String>) {
    let rtt = |peer: Peer| median_of(groups, |p| is_rtt(p) && p.peer == peer.name(), |m| m.p50_us);
    if let Some(ours) = rtt(Peer::Socketlab) {
        let mut line = format!(
            "**Relay round trip, {RTT_SIZE} bytes:** {} µs median through socketlab",
            fmt_num(ours)
        );
        if let Some(raw) = rtt(Peer::RawTcp) {
            let _ = write!(
                line,
                " against {} µs over raw TCP to the same echo: the WebSocket hop adds about {} µs",
                fmt_num(raw),
                fmt_num(ours - raw)
            );
        }
        if let Some(bare) = rtt(Peer::Bare) {
            let _ = write!(line, " (the bare relay: {} µs)", fmt_num(bare));
        }
        line.push('.');
        lines.push(line);
    }
}

/// The relay throughput and round-trip tables, and the plot.
pub fn render(doc: &mut String, groups: &Groups, svg_name: &str) {
    // Sink before echo: one-way delivery is the headline number.
    let throughput = rows(groups, is_throughput, |p| {
        (p.mode.as_deref() != Some("sink"), p.size)
    });
    if !throughput.is_empty() {
        let _ = writeln!(
            doc,
            "## Relay: WebSocket → TCP throughput\n\n\
             `sink`: bytes acknowledged by the sink; `echo`: bytes sent and received back through \
             a TCP echo. `raw-tcp` is the same loop without WebSocket or relay.\n\n\
             ![Relay throughput against message size]({svg_name})\n\n\
             | Mode | Size | Peer | MB/s | Server CPU % | Load CPU % |\n\
             | --- | ---: | --- | ---: | ---: | ---: |"
        );
        for (params, runs) in throughput {
            let _ = writeln!(
                doc,
                "| {} | {} | {} | {} | {} | {} |",
                params.mode.as_deref().unwrap_or("?"),
                fmt_size(params.size.unwrap_or(0)),
                params.peer,
                fmt_spread(metric(runs, |m| m.mb_per_s)),
                fmt_median(metric(runs, |m| m.server_cpu_pct)),
                fmt_median(metric(runs, |m| m.load_cpu_pct)),
            );
        }
        doc.push('\n');
    }
    let rtt = rows(groups, is_rtt, |p| p.size);
    if !rtt.is_empty() {
        let _ = writeln!(
            doc,
            "## Relay: round trip of one small message\n\n\
             | Size | Peer | p50 µs | p99 µs | p99.9 µs | Round trips/s | Server CPU % |\n\
             | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
        );
        for (params, runs) in rtt {
            let _ = writeln!(
                doc,
                "| {} | {} | {} | {} | {} | {} | {} |",
                fmt_size(params.size.unwrap_or(0)),
                params.peer,
                fmt_spread(metric(runs, |m| m.p50_us)),
                fmt_spread(metric(runs, |m| m.p99_us)),
                fmt_median(metric(runs, |m| m.p999_us)),
                fmt_median(metric(runs, |m| m.msgs_per_s)),
                fmt_median(metric(runs, |m| m.server_cpu_pct)),
            );
        }
        doc.push('\n');
    }
}
