//! The echo section: `/ws/echo` round trips.

use std::fmt::Write as _;

use super::format::{fmt_median, fmt_num, fmt_size, fmt_spread};
use super::groups::{median_of, metric, percent_of, rows, Groups};
use crate::plan::{Bench, Peer, ECHO_QUOTED};
use crate::record::Params;

/// "What the numbers say" about the echo: the configurations the text
/// talks about, when they were run.
pub fn reading(groups: &Groups, lines: &mut Vec<String>) {
    for (conns, size, inflight) in ECHO_QUOTED {
        let what = if inflight == 1 {
            let size = if size < 1024 {
                format!("{size}-byte")
            } else {
                fmt_size(size)
            };
            format!("{conns} connections ping-ponging {size} messages")
        } else {
            format!("{conns} connections with {inflight} messages in flight each")
        };
        let is = |peer: Peer| {
            move |p: &Params| {
                Bench::of(p) == Some(Bench::Echo)
                    && p.peer == peer.name()
                    && p.conns == Some(conns)
                    && p.size == Some(size)
                    && p.inflight == Some(inflight)
            }
        };
        let Some(ours) = median_of(groups, is(Peer::Socketlab), |m| m.msgs_per_s) else {
            continue;
        };
        let p99 = median_of(groups, is(Peer::Socketlab), |m| m.p99_us);
        let mut line = format!(
            "**Echo, {what}:** socketlab answered {} messages/s",
            fmt_num(ours)
        );
        if let Some(p99) = p99 {
            let _ = write!(line, " (p99 round trip {} µs)", fmt_num(p99));
        }
        let mut others = Vec::new();
        for (peer, name) in [
            (Peer::Bare, "the bare tokio-tungstenite server"),
            (Peer::Websocat, "websocat"),
        ] {
            if let Some(theirs) = median_of(groups, is(peer), |m| m.msgs_per_s) {
                others.push(format!(
                    "{name} {} (socketlab reaches {} of it)",
                    fmt_num(theirs),
                    percent_of(ours, theirs)
                ));
            }
        }
        if !others.is_empty() {
            let _ = write!(line, "; {}", others.join(", "));
        }
        line.push('.');
        lines.push(line);
    }
}

/// The echo table.
pub fn render(doc: &mut String, groups: &Groups) {
    let rows = rows(
        groups,
        |p| Bench::of(p) == Some(Bench::Echo),
        |p| (p.inflight, p.conns, p.size),
    );
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        doc,
        "## Echo: `/ws/echo` round trips\n\n\
         | Conns | Size | In flight | Peer | Messages/s | p50 µs | p99 µs | p99.9 µs | Server CPU % | Load CPU % |\n\
         | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (params, runs) in rows {
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            params.conns.unwrap_or(0),
            fmt_size(params.size.unwrap_or(0)),
            params.inflight.unwrap_or(0),
            params.peer,
            fmt_spread(metric(runs, |m| m.msgs_per_s)),
            fmt_median(metric(runs, |m| m.p50_us)),
            fmt_spread(metric(runs, |m| m.p99_us)),
            fmt_median(metric(runs, |m| m.p999_us)),
            fmt_median(metric(runs, |m| m.server_cpu_pct)),
            fmt_median(metric(runs, |m| m.load_cpu_pct)),
        );
    }
    doc.push('\n');
}
