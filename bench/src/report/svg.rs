//! The report's plots (relay throughput against message size, server cost
//! per message against connections), as hand-written SVG: a few lines and
//! labels do not justify a plotting dependency, and SVG renders on GitHub
//! as is.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::fanout::{cpu_ms_per_1k, is_fanout};
use super::format::{fmt_count, fmt_num, fmt_size};
use super::groups::{client_of, metric, peer_rank, Groups};
use super::growth::{cpu_us_per_message, is_growth};
use super::relay::is_throughput;
use crate::record::{Metrics, Params};

/// Plot size and the margins around the drawing area.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// One colour per peer, in the order of [`peer_rank`].
const COLOURS: [&str; 6] = [
    "#d9480f", "#1971c2", "#2f9e44", "#9c36b5", "#495057", "#e67700",
];

/// A measured point: x (a message size, a connection count), median and
/// range of y over the runs.
#[derive(Debug, Clone, Copy)]
struct Point {
    x: u64,
    median: f64,
    min: f64,
    max: f64,
}

/// Lines by peer, in the order of [`peer_rank`].
type Series = BTreeMap<(usize, String), Vec<Point>>;

/// What a plot says on its axes and title.
struct Labels {
    title: &'static str,
    x_axis: &'static str,
    y_axis: &'static str,
    y_unit: &'static str,
    empty: &'static str,
    x_value: fn(u64) -> String,
}

/// A round step for about five axis ticks up to `max`.
pub fn tick_step(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * magnitude)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * magnitude)
}

/// An axis label: whole numbers without decimals.
fn fmt_tick(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 100.0 {
        format!("{value:.0}")
    } else {
        fmt_num(value)
    }
}

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Sink-mode throughput against message size, one line per peer, with
/// min–max bars when a point was measured more than once.
pub fn relay_throughput(groups: &Groups) -> String {
    let sink = |params: &Params| is_throughput(params) && params.mode.as_deref() == Some("sink");
    line_plot(
        series(groups, sink, |params| params.size, |m| m.mb_per_s),
        &Labels {
            title: "Relay throughput into a TCP sink (MB/s, median of runs)",
            x_axis: "message size (log scale)",
            y_axis: "MB/s (10^6 bytes)",
            y_unit: "MB/s",
            empty: "no sink-mode relay results",
            x_value: fmt_size,
        },
    )
}

/// The server's CPU time per echoed message against the number of
/// connections sharing it: how the cost of a message grows with the crowd.
pub fn growth(groups: &Groups) -> String {
    line_plot(
        series(
            groups,
            is_growth,
            |params| params.conns.map(u64::from),
            cpu_us_per_message,
        ),
        &Labels {
            title: "Server CPU per echoed message (µs, median of runs)",
            x_axis: "open connections, each ping-ponging 32 B (log scale)",
            y_axis: "server CPU µs per message",
            y_unit: "µs",
            empty: "no growth results",
            x_value: fmt_count,
        },
    )
}

/// The server's CPU per 1,000 fan-out deliveries against the room's size,
/// one line per peer and client.
pub fn fanout_cpu(groups: &Groups) -> String {
    line_plot(
        fanout_series(groups, cpu_ms_per_1k),
        &Labels {
            title: "Chat fan-out: server CPU per 1,000 deliveries (ms, median of runs)",
            x_axis: "subscribers in the room (log scale)",
            y_axis: "server CPU ms per 1,000 deliveries",
            y_unit: "ms",
            empty: "no fan-out results with the server's CPU time",
            x_value: fmt_count,
        },
    )
}

/// The fan-out's p99 delivery latency against the room's size, one line
/// per peer and client.
pub fn fanout_p99(groups: &Groups) -> String {
    line_plot(
        fanout_series(groups, |m| m.p99_us.map(|us| us / 1000.0)),
        &Labels {
            title: "Chat fan-out: p99 delivery latency (ms, median of runs)",
            x_axis: "subscribers in the room (log scale)",
            y_axis: "p99 from send to receipt, ms",
            y_unit: "ms",
            empty: "no fan-out results",
            x_value: fmt_count,
        },
    )
}

/// Fan-out lines named `peer, client`.
fn fanout_series(groups: &Groups, y: impl Fn(&Metrics) -> Option<f64>) -> Series {
    series_named(
        groups,
        is_fanout,
        |params| params.subscribers.map(u64::from),
        y,
        |params| format!("{}, {}", params.peer, client_of(params)),
    )
}

/// One line per peer through the groups `keep` accepts: `x` of each
/// group's parameters against the median and range of `y` over its runs.
fn series(
    groups: &Groups,
    keep: impl Fn(&Params) -> bool,
    x: impl Fn(&Params) -> Option<u64>,
    y: impl Fn(&Metrics) -> Option<f64>,
) -> Series {
    series_named(groups, keep, x, y, |params| params.peer.clone())
}

/// [`series`] with lines named by `name` (ordered by peer, then name).
fn series_named(
    groups: &Groups,
    keep: impl Fn(&Params) -> bool,
    x: impl Fn(&Params) -> Option<u64>,
    y: impl Fn(&Metrics) -> Option<f64>,
    name: impl Fn(&Params) -> String,
) -> Series {
    let mut series = Series::new();
    for (params, runs) in groups {
        if !keep(params) {
            continue;
        }
        let (Some(x), Some(spread)) = (x(params), metric(runs, &y)) else {
            continue;
        };
        let (rank, _) = peer_rank(&params.peer);
        series.entry((rank, name(params))).or_default().push(Point {
            x,
            median: spread.median,
            min: spread.min,
            max: spread.max,
        });
    }
    series
}

/// One line per peer over a log-scale x axis, with min–max bars when a
/// point was measured more than once.
fn line_plot(mut series: Series, labels: &Labels) -> String {
    for points in series.values_mut() {
        points.sort_by_key(|point| point.x);
    }
    let points = || series.values().flatten();
    let xs: Vec<u64> = {
        let mut xs: Vec<u64> = points().map(|p| p.x).collect();
        xs.sort_unstable();
        xs.dedup();
        xs
    };
    let top_value = points().map(|p| p.max).fold(0.0, f64::max);
    let step = tick_step(top_value * 1.05);
    let y_max = (top_value * 1.05 / step).ceil().max(1.0) * step;

    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let (lo, hi) = match (xs.first(), xs.last()) {
        (Some(&lo), Some(&hi)) => ((lo.max(1) as f64).log2(), (hi.max(1) as f64).log2()),
        _ => (0.0, 1.0),
    };
    let x = |value: u64| {
        if hi > lo {
            LEFT + ((value.max(1) as f64).log2() - lo) / (hi - lo) * plot_w
        } else {
            LEFT + plot_w / 2.0
        }
    };
    let y = |value: f64| TOP + plot_h - value / y_max * plot_h;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
        LEFT + plot_w / 2.0,
        escape(labels.title)
    );
    // Horizontal grid and y labels.
    let mut value = 0.0;
    while value <= y_max + step / 2.0 {
        let at = y(value);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{at:.1}" x2="{:.1}" y2="{at:.1}" stroke="#e9ecef"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + plot_w,
            LEFT - 8.0,
            at + 4.0,
            fmt_tick(value)
        );
        value += step;
    }
    // X labels, one per measured value.
    for &value in &xs {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x(value),
            TOP + plot_h + 18.0,
            (labels.x_value)(value)
        );
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{LEFT}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="#343a40"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{0:.1}" stroke="#343a40"/>"##,
        TOP + plot_h,
        LEFT + plot_w
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 10.0,
        escape(labels.x_axis)
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        TOP + plot_h / 2.0,
        escape(labels.y_axis)
    );
    if series.is_empty() {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0,
            escape(labels.empty)
        );
    }
    for (index, ((_, peer), points)) in series.iter().enumerate() {
        let colour = COLOURS[index % COLOURS.len()];
        let path: Vec<String> = points
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.x), y(p.median)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
        // Range bars side by side, so peers measured at the same size do
        // not hide each other's.
        let nudge = (index as f64 - (series.len() as f64 - 1.0) / 2.0) * 4.0;
        for p in points {
            if p.max > p.min {
                let _ = writeln!(
                    svg,
                    r#"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="{colour}"/>"#,
                    x(p.x) + nudge,
                    y(p.min),
                    y(p.max)
                );
            }
            let _ = writeln!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>{} {}: {} {}</title></circle>"#,
                x(p.x),
                y(p.median),
                escape(peer),
                (labels.x_value)(p.x),
                fmt_num(p.median),
                labels.y_unit
            );
        }
        let legend_y = TOP + 10.0 + index as f64 * 20.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{0:.1}" y1="{1:.1}" x2="{2:.1}" y2="{1:.1}" stroke="{colour}" stroke-width="3"/><text x="{3:.1}" y="{4:.1}">{5}</text>"#,
            WIDTH - RIGHT + 15.0,
            legend_y,
            WIDTH - RIGHT + 35.0,
            WIDTH - RIGHT + 42.0,
            legend_y + 4.0,
            escape(peer)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::super::{group, parse_records};
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(1000.0), 200.0);
        assert_eq!(tick_step(3500.0), 1000.0);
        assert_eq!(tick_step(48.0), 10.0);
        assert_eq!(tick_step(0.0), 1.0);
        assert_eq!(fmt_tick(0.0), "0");
        assert_eq!(fmt_tick(2000.0), "2,000");
        assert_eq!(fmt_tick(0.5), "0.50");
    }

    #[test]
    fn the_plot_has_one_line_per_peer_and_a_label_per_size() {
        let groups = group(
            &parse_records(
                r#"{"bench":"relay","peer":"socketlab","mode":"sink","size":4096,"mb_per_s":300.0}
{"bench":"relay","peer":"socketlab","mode":"sink","size":65536,"mb_per_s":900.0}
{"bench":"relay","peer":"socketlab","mode":"sink","size":65536,"mb_per_s":950.0}
{"bench":"raw-tcp","peer":"raw-tcp","mode":"sink","size":65536,"mb_per_s":3000.0}
{"bench":"relay","peer":"socketlab","mode":"echo","size":65536,"mb_per_s":1.0}"#,
            )
            .unwrap(),
        );
        let svg = relay_throughput(&groups);
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(">4 KiB</text>") && svg.contains(">64 KiB</text>"));
        assert!(svg.contains("socketlab 64 KiB: 925 MB/s"));
        // The echo-mode point is not plotted.
        assert!(!svg.contains("1.00 MB/s"));
    }

    #[test]
    fn growth_plots_cpu_per_message_against_connections() {
        let groups = group(
            &parse_records(
                r#"{"bench":"echo","peer":"socketlab","section":"growth","conns":1,"size":32,"inflight":1,"msgs_per_s":20000.0,"server_cpu_pct":40.0}
{"bench":"echo","peer":"socketlab","section":"growth","conns":10000,"size":32,"inflight":1,"msgs_per_s":50000.0,"server_cpu_pct":100.0}
{"bench":"echo","peer":"socketlab","conns":64,"size":32,"inflight":1,"msgs_per_s":1.0,"server_cpu_pct":100.0}"#,
            )
            .unwrap(),
        );
        let svg = growth(&groups);
        assert_eq!(svg.matches("<polyline").count(), 1);
        // 40 % of a core over 20,000 messages/s is 20 µs each.
        assert!(svg.contains("socketlab 1: 20.0 µs"), "{svg}");
        assert!(svg.contains("socketlab 10,000: 20.0 µs"), "{svg}");
        assert!(!svg.contains(">64</text>"), "plain echo rows stay out");
    }

    #[test]
    fn fanout_plots_one_line_per_peer_and_client() {
        let groups = group(
            &parse_records(
                r#"{"bench":"fanout","peer":"socketlab","subscribers":500,"client":"lean","delivered":1000000,"server_cpu_s":2.0,"p99_us":3000.0}
{"bench":"fanout","peer":"socketlab","subscribers":5000,"client":"lean","delivered":1000000,"server_cpu_s":4.0,"p99_us":9000.0}
{"bench":"fanout","peer":"bun","subscribers":500,"client":"lean","delivered":1000000,"server_cpu_s":1.0,"p99_us":2000.0}
{"bench":"fanout","peer":"bun","subscribers":500,"client":"standard","delivered":1000000,"server_cpu_s":1.0,"p99_us":2500.0}"#,
            )
            .unwrap(),
        );
        let cpu = fanout_cpu(&groups);
        assert_eq!(cpu.matches("<polyline").count(), 3, "{cpu}");
        assert!(cpu.contains("socketlab, lean 5,000: 4.00 ms"), "{cpu}");
        assert!(cpu.contains("bun, standard 500: 1.00 ms"), "{cpu}");
        // socketlab's lines come first in the legend.
        assert!(cpu.find(">socketlab, lean<").unwrap() < cpu.find(">bun, lean<").unwrap());
        let p99 = fanout_p99(&groups);
        assert!(p99.contains("socketlab, lean 500: 3.00 ms"), "{p99}");
    }

    #[test]
    fn no_data_still_makes_a_valid_plot() {
        let svg = relay_throughput(&Groups::new());
        assert!(svg.contains("no sink-mode relay results"));
    }
}
