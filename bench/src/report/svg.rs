//! The relay throughput plot, as hand-written SVG: a few lines and labels
//! do not justify a plotting dependency, and SVG renders on GitHub as is.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{fmt_num, fmt_size, is_throughput, metric, peer_rank, Groups};

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

/// A measured point: message size, median and range of MB/s.
#[derive(Debug, Clone, Copy)]
struct Point {
    size: u64,
    median: f64,
    min: f64,
    max: f64,
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
    let mut series: BTreeMap<(usize, String), Vec<Point>> = BTreeMap::new();
    for (params, runs) in groups {
        if !is_throughput(params) || params.mode.as_deref() != Some("sink") {
            continue;
        }
        let (Some(size), Some(spread)) = (params.size, metric(runs, |m| m.mb_per_s)) else {
            continue;
        };
        let (rank, peer) = peer_rank(&params.peer);
        series
            .entry((rank, peer.to_owned()))
            .or_default()
            .push(Point {
                size,
                median: spread.median,
                min: spread.min,
                max: spread.max,
            });
    }
    for points in series.values_mut() {
        points.sort_by_key(|point| point.size);
    }
    let points = || series.values().flatten();
    let sizes: Vec<u64> = {
        let mut sizes: Vec<u64> = points().map(|p| p.size).collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    };
    let top_value = points().map(|p| p.max).fold(0.0, f64::max);
    let step = tick_step(top_value * 1.05);
    let y_max = (top_value * 1.05 / step).ceil().max(1.0) * step;

    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let (lo, hi) = match (sizes.first(), sizes.last()) {
        (Some(&lo), Some(&hi)) => ((lo as f64).log2(), (hi as f64).log2()),
        _ => (0.0, 1.0),
    };
    let x = |size: u64| {
        if hi > lo {
            LEFT + ((size as f64).log2() - lo) / (hi - lo) * plot_w
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
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Relay throughput into a TCP sink (MB/s, median of runs)</text>"#,
        LEFT + plot_w / 2.0
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
    // X labels, one per measured size.
    for &size in &sizes {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x(size),
            TOP + plot_h + 18.0,
            fmt_size(size)
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
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">message size (log scale)</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 10.0
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">MB/s (10^6 bytes)</text>"#,
        TOP + plot_h / 2.0
    );
    if series.is_empty() {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">no sink-mode relay results</text>"#,
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        );
    }
    for (index, ((_, peer), points)) in series.iter().enumerate() {
        let colour = COLOURS[index % COLOURS.len()];
        let path: Vec<String> = points
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.size), y(p.median)))
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
                    x(p.size) + nudge,
                    y(p.min),
                    y(p.max)
                );
            }
            let _ = writeln!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>{} {}: {} MB/s</title></circle>"#,
                x(p.size),
                y(p.median),
                escape(peer),
                fmt_size(p.size),
                fmt_num(p.median)
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
    fn no_data_still_makes_a_valid_plot() {
        let svg = relay_throughput(&Groups::new());
        assert!(svg.contains("no sink-mode relay results"));
    }
}
