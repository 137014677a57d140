//! The growth series: the echo's cost per message from one connection to
//! thousands.

use std::fmt::Write as _;

use super::format::{fmt_count, fmt_median, fmt_num, fmt_spread};
use super::groups::{metric, rows, times, Groups};
use crate::plan::{Bench, Peer, Plan, GROWTH_SIZE};
use crate::record::{Metrics, Params};

/// The growth plot's file name, beside the throughput plot.
pub const GROWTH_SVG: &str = "bench-growth.svg";

/// Echo runs of the growth series: ping-pong from a few connections to
/// thousands ([`growth_range`]).
pub fn is_growth(params: &Params) -> bool {
    Bench::of(params) == Some(Bench::Growth)
}

/// The server's CPU time per echoed message, in µs: its share of a core
/// spread over the messages answered in the same window.
pub fn cpu_us_per_message(metrics: &Metrics) -> Option<f64> {
    let cpu = metrics.server_cpu_pct?;
    let rate = metrics.msgs_per_s.filter(|rate| *rate > 0.0)?;
    Some(cpu / 100.0 * 1e6 / rate)
}

/// "What the numbers say" about growth: the cost of a message at the
/// fewest and the most connections.
pub fn reading(groups: &Groups, lines: &mut Vec<String>) {
    let growth: Vec<(&Params, &[Metrics])> = rows(
        groups,
        |p| is_growth(p) && p.peer == Peer::Socketlab.name(),
        |p| p.conns,
    );
    if let (Some(first), Some(last)) = (growth.first(), growth.last()) {
        let cost = |runs: &[Metrics]| metric(runs, cpu_us_per_message).map(|s| s.median);
        if let (Some(few), Some(many)) = (cost(first.1), cost(last.1)) {
            if first.0.conns != last.0.conns {
                lines.push(format!(
                    "**Growth, {} to {} connections ping-ponging {GROWTH_SIZE} bytes:** the server spent \
                     {} µs of CPU per message with {} and {} µs with {} ({}; the table and \
                     plot under Growth show the steps between).",
                    fmt_count(u64::from(first.0.conns.unwrap_or(0))),
                    fmt_count(u64::from(last.0.conns.unwrap_or(0))),
                    fmt_num(few),
                    fmt_count(u64::from(first.0.conns.unwrap_or(0))),
                    fmt_num(many),
                    fmt_count(u64::from(last.0.conns.unwrap_or(0))),
                    times(many, few),
                ));
            }
        }
    }
}

/// The full plan's fewest and most connections in the growth series.
pub fn growth_range() -> (u32, u32) {
    let counts = Plan::new(false).growth;
    (
        counts.first().copied().unwrap_or(0),
        counts.last().copied().unwrap_or(0),
    )
}

/// The growth table: cost per message as connections multiply.
pub fn render(doc: &mut String, groups: &Groups) {
    let rows = rows(groups, is_growth, |p| p.conns);
    if rows.is_empty() {
        return;
    }
    let (fewest, most) = growth_range();
    let _ = writeln!(
        doc,
        "## Growth: cost per message from {} to {} connections\n\n\
         Every connection ping-pongs {GROWTH_SIZE}-byte messages (one in flight), so more \
         connections mean more sockets, tasks and timers for the server to juggle \
         per message. \"CPU µs per message\" is the server's CPU time over the \
         window divided by the messages it answered: flat means the server scales \
         with the crowd; rising means each message gets dearer.\n\n\
         ![Server CPU per message against connections]({GROWTH_SVG})\n\n\
         | Conns | Peer | Messages/s | p50 µs | p99 µs | Server CPU % | CPU µs per message | Load CPU % |\n\
         | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        fmt_count(u64::from(fewest)),
        fmt_count(u64::from(most)),
    );
    for (params, runs) in rows {
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            fmt_count(u64::from(params.conns.unwrap_or(0))),
            params.peer,
            fmt_spread(metric(runs, |m| m.msgs_per_s)),
            fmt_median(metric(runs, |m| m.p50_us)),
            fmt_spread(metric(runs, |m| m.p99_us)),
            fmt_median(metric(runs, |m| m.server_cpu_pct)),
            fmt_spread(metric(runs, cpu_us_per_message)),
            fmt_median(metric(runs, |m| m.load_cpu_pct)),
        );
    }
    doc.push('\n');
}
