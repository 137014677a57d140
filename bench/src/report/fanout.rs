//! The chat fan-out section: one publisher, N subscribers.

use std::fmt::Write as _;

use super::format::{fmt_median, fmt_num, fmt_spread};
use super::groups::{metric, rows, Groups};
use crate::plan::{Bench, Peer};
use crate::record::Params;

/// Whether a group belongs in the fan-out table (scale-out runs have
/// their own).
pub fn is_fanout(params: &Params) -> bool {
    Bench::of(params) == Some(Bench::Fanout)
}

/// "What the numbers say" about the fan-out: the largest room.
pub fn reading(groups: &Groups, lines: &mut Vec<String>) {
    if let Some((params, runs)) = groups
        .iter()
        .filter(|(p, _)| is_fanout(p) && p.peer == Peer::Socketlab.name())
        .max_by_key(|(p, _)| p.subscribers)
    {
        let slowest = metric(runs, |m| m.slowest_p99_us);
        let lost: f64 = runs.iter().filter_map(|m| m.lost).map(|l| l as f64).sum();
        let mut line = format!(
            "**Chat fan-out to {} subscribers:** at {} messages/s,",
            params.subscribers.unwrap_or(0),
            params.rate.unwrap_or(0)
        );
        if let Some(slowest) = slowest {
            let _ = write!(
                line,
                " 99 % of messages had reached every subscriber within {} µs,",
                fmt_num(slowest.median)
            );
        }
        if lost == 0.0 {
            line.push_str(" and no delivery was lost in any run.");
        } else {
            let _ = write!(line, " but {lost} deliveries were lost (see the table).");
        }
        if let Some(load) = metric(runs, |m| m.load_cpu_pct).filter(|load| load.median >= 90.0) {
            let _ = write!(
                line,
                " The load generator's core was {} % busy here, so part of that latency is \
                 the harness's own queueing: the server's core was not the limit.",
                fmt_num(load.median)
            );
        }
        lines.push(line);
    }
}

/// The fan-out table.
pub fn render(doc: &mut String, groups: &Groups) {
    let rows = rows(groups, is_fanout, |p| (p.subscribers, p.messages, p.rate));
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        doc,
        "## Chat fan-out: one publisher, N subscribers\n\n\
         Latency is from the publisher's send to a subscriber's receipt; \"slowest\" is per \
         message, the last subscriber to get it.\n\n\
         | Subscribers | Messages | Rate /s | Deliveries/s | p50 µs | p99 µs | Slowest p50 µs | Slowest p99 µs | Lost | Server CPU % |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (params, runs) in rows {
        let lost: u64 = runs.iter().filter_map(|m| m.lost).sum();
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            params.subscribers.unwrap_or(0),
            params.messages.unwrap_or(0),
            params.rate.unwrap_or(0),
            fmt_spread(metric(runs, |m| m.msgs_per_s)),
            fmt_median(metric(runs, |m| m.p50_us)),
            fmt_spread(metric(runs, |m| m.p99_us)),
            fmt_median(metric(runs, |m| m.slowest_p50_us)),
            fmt_spread(metric(runs, |m| m.slowest_p99_us)),
            lost,
            fmt_median(metric(runs, |m| m.server_cpu_pct)),
        );
    }
    doc.push('\n');
}
