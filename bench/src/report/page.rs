//! The page sections: the size of its WebAssembly, and its time to a
//! usable chat in headless Chromium.

use std::fmt::Write as _;

use super::format::{fmt_num, fmt_spread};
use super::groups::{metric, rows, Groups};
use crate::plan::{Bench, LOAD_CORE};
use crate::record::{Metrics, PageLoad, Params};
use crate::stats::{spread, Spread};

/// The page-size record: the built page's WebAssembly, raw and gzipped.
pub fn is_page_size(params: &Params) -> bool {
    Bench::of(params) == Some(Bench::PageSize)
}

/// The goal for the page's WebAssembly after gzip, bytes.
pub const PAGE_GZIP_GOAL: f64 = 150_000.0;

/// The page's WebAssembly size (median over the records), raw and gzip.
pub fn page_size(groups: &Groups) -> Option<(f64, f64)> {
    let (_, runs) = groups.iter().find(|(params, _)| is_page_size(params))?;
    let raw = metric(runs, |m| m.wasm_raw_bytes.map(|b| b as f64))?.median;
    let gzip = metric(runs, |m| m.wasm_gzip_bytes.map(|b| b as f64))?.median;
    Some((raw, gzip))
}

/// The page size bullet of "What the numbers say".
pub fn size_reading(groups: &Groups) -> Option<String> {
    let (raw, gzip) = page_size(groups)?;
    Some(format!(
        "**The page's size:** its WebAssembly is {} bytes, {} after `gzip -9`: {} the goal \
         of at most {} bytes gzip.",
        fmt_num(raw),
        fmt_num(gzip),
        if gzip <= PAGE_GZIP_GOAL {
            "within"
        } else {
            "over"
        },
        fmt_num(PAGE_GZIP_GOAL)
    ))
}

/// The page size section.
pub fn render_size(doc: &mut String, groups: &Groups) {
    let Some((raw, gzip)) = page_size(groups) else {
        return;
    };
    let _ = writeln!(
        doc,
        "## The page: size\n\n\
         The page's WebAssembly as `trunk build --release` leaves it in `dist/` (the \
         `wasm-release` profile: fat LTO, `opt-level = \"z\"`, `panic = \"abort\"`; then \
         `wasm-opt -Oz`). A web server with compression on sends about the gzip figure. \
         Goal: at most {} bytes gzip.\n\n\
         | File | Raw bytes | `gzip -9` bytes |\n\
         | --- | ---: | ---: |\n\
         | WebAssembly | {} | {} |\n",
        fmt_num(PAGE_GZIP_GOAL),
        fmt_num(raw),
        fmt_num(gzip)
    );
}

/// Whether a group is a page-load run.
pub fn is_page(params: &Params) -> bool {
    Bench::of(params) == Some(Bench::Page)
}

/// The cold (or warm) loads of a group's records.
pub fn page_loads(runs: &[Metrics], warm: bool) -> Vec<&PageLoad> {
    runs.iter()
        .filter_map(|m| {
            if warm {
                m.warm.as_ref()
            } else {
                m.cold.as_ref()
            }
        })
        .collect()
}

/// The median over records of one page timing (each already a median
/// over its sessions).
pub fn page_median(loads: &[&PageLoad], field: impl Fn(&PageLoad) -> Option<f64>) -> Option<f64> {
    let values: Vec<f64> = loads.iter().filter_map(|load| field(load)).collect();
    spread(&values).map(|s| s.median)
}

/// Time to usable over records: the median of their medians, the
/// fastest and slowest session of any.
pub fn usable_spread(loads: &[&PageLoad]) -> Option<Spread> {
    let median = page_median(loads, |l| l.usable_p50_ms)?;
    let extreme = |field: fn(&PageLoad) -> Option<f64>, pick: fn(f64, f64) -> f64| {
        loads.iter().filter_map(|l| field(l)).reduce(pick)
    };
    Some(Spread {
        median,
        min: extreme(|l| l.usable_min_ms, f64::min).unwrap_or(median),
        max: extreme(|l| l.usable_max_ms, f64::max).unwrap_or(median),
    })
}

/// Bytes over the wire in KiB; a warm load's 0 says where it came from.
pub fn fmt_wire(bytes: Option<f64>) -> String {
    match bytes {
        None => "–".to_owned(),
        Some(b) if b < 1.0 => "0 (cached)".to_owned(),
        Some(b) => format!("{} KiB", fmt_num(b / 1024.0)),
    }
}

/// The page's goal: usable within a second of navigation.
pub const PAGE_GOAL_MS: f64 = 1000.0;

/// The reading's bullet on the page, from the cold loads.
pub fn reading(groups: &Groups) -> Option<String> {
    let (params, runs) = groups.iter().find(|(p, _)| is_page(p))?;
    let cold = page_loads(runs, false);
    let warm = page_loads(runs, true);
    let usable = usable_spread(&cold)?;
    let verdict = if usable.max <= PAGE_GOAL_MS {
        "every session met the goal of at most 1 s"
    } else if usable.median <= PAGE_GOAL_MS {
        "the median met the goal of at most 1 s, the slowest session did not"
    } else {
        "the goal of at most 1 s is missed"
    };
    let mut line = format!(
        "**The page:** in headless Chromium over loopback, the chat was usable {} ms after \
         navigation with an empty cache (slowest of {} sessions: {} ms)",
        fmt_num(usable.median),
        params.sessions.unwrap_or(0),
        fmt_num(usable.max)
    );
    if let Some(warm) = usable_spread(&warm) {
        let _ = write!(line, " and {} ms on a reload", fmt_num(warm.median));
    }
    let _ = write!(line, ": {verdict}.");
    let form = page_median(&cold, |l| l.join_form_ms);
    let join = page_median(&cold, |l| l.join_ms);
    if let (Some(form), Some(join)) = (form, join) {
        let _ = write!(
            line,
            " Cold, {} ms went to getting the app on screen (HTML, then {} of WebAssembly \
             downloaded, compiled and started) and {} ms to joining (click handler, WebSocket \
             handshake, `welcome`, render)",
            fmt_num(form),
            fmt_wire(page_median(&cold, |l| l.wasm_bytes.map(|b| b as f64))),
            fmt_num(join)
        );
        if let Some(click) = page_median(&cold, |l| l.join_click_ms) {
            let _ = write!(
                line,
                ", {} ms of it in the page's own click handler",
                fmt_num(click)
            );
        }
        line.push('.');
    }
    Some(line)
}

/// The page table: time to a usable chat, cold and warm.
pub fn render(doc: &mut String, groups: &Groups) {
    let rows = rows(groups, is_page, |p| p.browser.clone());
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        doc,
        "## The page: time to usable\n\n\
         Headless Chromium loads the page from the socketlab server above (release build, \
         the page built by `trunk build --release` and embedded in it) over loopback. Each \
         session starts a fresh browser with an empty profile and loads the page (**cold**: \
         nothing cached), then reloads it in the same browser (**warm**). The page does not \
         join a room by itself, so the harness clicks Join the moment the join form is live (the WebAssembly has taken over the prerendered page, which already shows the form); \
         the chat is **usable** once it has its `welcome` (the room bar names you) and the \
         message box is enabled. Times are the browser's own clock, ms from navigation start, \
         noted by a DOM observer registered before the page's scripts run; usable reads \
         `median (min–max)` over the sessions, the other columns are medians. Chromium runs \
         on the load generator's core (`taskset -c {LOAD_CORE}`). Goal: usable within 1 s.\n\n\
         | Browser | Sessions | Load | Usable ms | HTML received ms | DOMContentLoaded ms | load ms | Join form ms | Join → usable ms | WebAssembly transferred | Page transferred |\n\
         | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (params, runs) in rows {
        for (name, warm) in [("cold", false), ("warm", true)] {
            let loads = page_loads(runs, warm);
            if loads.is_empty() {
                continue;
            }
            let median = |field: fn(&PageLoad) -> Option<f64>| {
                page_median(&loads, field).map_or_else(|| "–".to_owned(), fmt_num)
            };
            let _ = writeln!(
                doc,
                "| {} | {} | {name} | {} | {} | {} | {} | {} | {} | {} | {} |",
                params.browser.as_deref().unwrap_or("?"),
                params.sessions.unwrap_or(0),
                fmt_spread(usable_spread(&loads)),
                median(|l| l.html_ms),
                median(|l| l.dom_content_loaded_ms),
                median(|l| l.load_ms),
                median(|l| l.join_form_ms),
                median(|l| l.join_ms),
                fmt_wire(page_median(&loads, |l| l.wasm_bytes.map(|b| b as f64))),
                fmt_wire(page_median(&loads, |l| l.page_bytes.map(|b| b as f64))),
            );
        }
    }
    doc.push('\n');
}
