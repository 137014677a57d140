//! The race chart: arrival order across, sequence number up.
//!
//! Drawn as inline SVG (no chart library: a few shapes do not justify the
//! bytes). With that choice of axes a perfect transport draws a clean
//! diagonal, and each kind of misbehaviour has its own look: a packet that
//! was overtaken dips below the line, a duplicate repeats a height, a loss
//! leaves a height that no point ever reaches.
//!
//! Each kind of dot is one `<path>` of zero-length strokes with round caps
//! (`M x y h0` draws a dot), so an arrival during the race changes one
//! attribute instead of adding an element: the chart stays cheap to
//! re-render hundreds of times a second.

use yew::prelude::*;

use crate::components::{format_ms, push_tenths};
use crate::i18n::RaceStrings;
use crate::lab::race::{ArrivalKind, Lane};

/// The drawing's coordinate system (scaled to the width by CSS).
const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 34.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 30.0;
const PLOT_W: f64 = WIDTH - LEFT - RIGHT;
const PLOT_H: f64 = HEIGHT - TOP - BOTTOM;
/// `0 0 WIDTH HEIGHT`, written out: formatting the floats would add float
/// formatting code to the page.
const VIEW_BOX: &str = "0 0 360 220";

/// Where things go: arrival `index` across, `seq` up.
struct Scale {
    columns: f64,
    rows: f64,
}

impl Scale {
    fn x(&self, index: f64) -> f64 {
        LEFT + (index + 0.5) / self.columns * PLOT_W
    }

    fn y(&self, seq: f64) -> f64 {
        TOP + PLOT_H - (seq + 0.5) / self.rows * PLOT_H
    }
}

/// A number with one decimal, as SVG coordinates need no more.
fn num(value: f64) -> String {
    format_ms(value)
}

/// One lane's arrivals as dots, the ideal diagonal behind them, and (once
/// the run is `done`) a mark for every packet that never came, so missing
/// packets are lost, not late. The packets `planned` fix the vertical scale
/// before any arrive; `label` is the chart's accessible name.
pub fn race_chart(
    strings: &'static RaceStrings,
    lane: &Lane,
    planned: u32,
    done: bool,
    label: &'static str,
) -> Html {
    let planned = planned.max(1);
    let scale = Scale {
        columns: lane.arrivals.len().max(planned as usize) as f64,
        rows: f64::from(planned),
    };
    let dot_size = num((PLOT_W / scale.columns).clamp(2.4, 7.0));

    // One path per kind of arrival.
    let mut paths = [String::new(), String::new(), String::new()];
    for (index, arrival) in lane.arrivals.iter().enumerate() {
        let path = &mut paths[match arrival.kind {
            ArrivalKind::InOrder => 0,
            ArrivalKind::Late => 1,
            ArrivalKind::Duplicate => 2,
        }];
        path.push('M');
        push_tenths(path, scale.x(index as f64));
        path.push(' ');
        push_tenths(path, scale.y(f64::from(arrival.seq)));
        path.push_str("h0");
    }
    let mut missing = String::new();
    if done {
        for seq in lane.missing() {
            missing.push('M');
            push_tenths(&mut missing, LEFT - 7.0);
            missing.push(' ');
            push_tenths(&mut missing, scale.y(f64::from(seq)));
            missing.push_str("h6");
        }
    }
    let [in_order, late, duplicate] = paths;
    let last = f64::from(planned - 1);
    let bottom = TOP + PLOT_H;
    let mid = num(TOP + PLOT_H / 2.0);

    html! {
        <svg class="race-chart" viewBox={VIEW_BOX} role="img"
            aria-label={label}>
            <rect class="plot" x={num(LEFT)} y={num(TOP)} width={num(PLOT_W)} height={num(PLOT_H)} />
            <line class="ideal" x1={num(scale.x(0.0))} y1={num(scale.y(0.0))}
                x2={num(scale.x(last))} y2={num(scale.y(last))} />
            <path class="dots in-order" d={in_order} stroke-width={dot_size.clone()} />
            <path class="dots late" d={late} stroke-width={dot_size.clone()} />
            <path class="dots duplicate" d={duplicate} stroke-width={dot_size} />
            <path class="missing" d={missing} />
            <text class="tick" x={num(LEFT - 9.0)} y={num(scale.y(0.0) + 3.0)} text-anchor="end">
                { "0" }
            </text>
            <text class="tick" x={num(LEFT - 9.0)} y={num(scale.y(last) + 3.0)} text-anchor="end">
                { planned - 1 }
            </text>
            <text class="tick" x={num(scale.x(0.0))} y={num(bottom + 12.0)} text-anchor="middle">
                { "1" }
            </text>
            <text class="tick" x={num(scale.x(scale.columns - 1.0))} y={num(bottom + 12.0)}
                text-anchor="middle">
                { scale.columns as u32 }
            </text>
            <text class="axis" x={num(LEFT + PLOT_W / 2.0)} y={num(HEIGHT - 3.0)}
                text-anchor="middle">
                { strings.axis_x }
            </text>
            <text class="axis" x="10" y={mid.clone()} text-anchor="middle"
                transform={format!("rotate(-90 10 {mid})")}>
                { strings.axis_y }
            </text>
        </svg>
    }
}

/// What the dots' colours mean.
pub fn chart_legend(strings: &'static RaceStrings) -> Html {
    let items = [
        ("in-order", strings.legend_in_order),
        ("late", strings.legend_late),
        ("duplicate", strings.legend_duplicate),
        ("missing", strings.legend_missing),
    ]
    .into_iter()
    .map(|(class, text)| {
        html! { <li><span class={classes!("swatch", class)}></span>{ text }</li> }
    });
    html! { <ul class="chart-legend">{ for items }</ul> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_box_is_the_drawing() {
        assert_eq!(VIEW_BOX, format!("0 0 {WIDTH} {HEIGHT}"));
    }
}
