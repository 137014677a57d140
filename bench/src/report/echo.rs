//! The echo section: `/ws/echo` round trips.

use std::fmt::Write as _;

use super::format::{fmt_median, fmt_num, fmt_size, fmt_spread};
use super::groups::{median_of, metric, percent_of, rows, Groups};
use crate::plan::{Bench, Peer, ECHO_QUOTED};
use crate::record::{Metrics, Params};

/// Messages answered per second of the server's CPU time (per "server
/// core-second"): what a message costs, whatever the load generator
/// managed to offer.
pub fn per_core_second(metrics: &Metrics) -> Option<f64> {
    let cpu = metrics.server_cpu_pct.filter(|&cpu| cpu > 0.0)?;
    Some(metrics.msgs_per_s? / (cpu / 100.0))
}

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
            (Peer::Bun, "Bun"),
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
    if let Some(line) = against_bun(groups) {
        lines.push(line);
    }
}

/// socketlab against Bun in every echo configuration both were measured
/// in: messages per server core-second.
fn against_bun(groups: &Groups) -> Option<String> {
    let mut parts = Vec::new();
    let mut met = true;
    for (params, runs) in rows(
        groups,
        |p| Bench::of(p) == Some(Bench::Echo) && p.peer == Peer::Socketlab.name(),
        |p| (p.inflight, p.conns, p.size),
    ) {
        let bun = median_of(
            groups,
            |p| {
                Bench::of(p) == Some(Bench::Echo)
                    && p.peer == Peer::Bun.name()
                    && (p.conns, p.size, p.inflight) == (params.conns, params.size, params.inflight)
            },
            per_core_second,
        );
        let (Some(ours), Some(bun)) = (metric(runs, per_core_second).map(|s| s.median), bun) else {
            continue;
        };
        met &= ours >= bun;
        parts.push(format!(
            "{}×{}×{}: {} against {} ({:.2}×)",
            params.conns.unwrap_or(0),
            fmt_size(params.size.unwrap_or(0)),
            params.inflight.unwrap_or(0),
            fmt_num(ours),
            fmt_num(bun),
            ours / bun.max(1e-9)
        ));
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "**Echo next to Bun 1.4, messages per server core-second** (connections × size × in \
         flight: socketlab against Bun): {}. The goal (at least Bun's in every \
         configuration) is {}.",
        parts.join("; "),
        if met { "met" } else { "not met" }
    ))
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
         **Per core-s**: messages answered per second of the server's CPU time.\n\n\
         | Conns | Size | In flight | Peer | Messages/s | p50 µs | p99 µs | p99.9 µs | Server CPU % | Load CPU % | Per core-s |\n\
         | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (params, runs) in rows {
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
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
            fmt_median(metric(runs, per_core_second)),
        );
    }
    doc.push('\n');
}

#[cfg(test)]
mod tests {
    use super::super::{group, parse_records};
    use super::*;

    #[test]
    fn socketlab_is_judged_against_bun_per_core_second() {
        let groups = group(
            &parse_records(
                r#"{"bench":"echo","peer":"socketlab","conns":64,"size":32,"inflight":1,"msgs_per_s":99000.0,"server_cpu_pct":100.0}
{"bench":"echo","peer":"bun","conns":64,"size":32,"inflight":1,"msgs_per_s":50000.0,"server_cpu_pct":50.0}
{"bench":"echo","peer":"socketlab","conns":512,"size":4096,"inflight":1,"msgs_per_s":50000.0,"server_cpu_pct":50.0}
{"bench":"echo","peer":"bun","conns":512,"size":4096,"inflight":1,"msgs_per_s":90000.0,"server_cpu_pct":100.0}"#,
            )
            .unwrap(),
        );
        let mut lines = Vec::new();
        reading(&groups, &mut lines);
        let bun = lines.iter().find(|l| l.contains("next to Bun")).unwrap();
        assert!(
            bun.contains("64×32 B×1: 99,000 against 100,000 (0.99×); 512×4 KiB×1: 100,000 against 90,000 (1.11×)"),
            "{bun}"
        );
        assert!(bun.ends_with("is not met."), "{bun}");
        assert!(
            lines[0].contains("Bun 50,000 (socketlab reaches 198 % of it)"),
            "{}",
            lines[0]
        );
    }
}
