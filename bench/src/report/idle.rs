//! The idle section: resident memory per open, silent connection.

use std::fmt::Write as _;

use super::format::{fmt_median, fmt_num, fmt_spread};
use super::groups::{metric, rows, Groups};
use crate::plan::{Bench, Peer};

/// "What the numbers say" about idle memory, at the largest count.
pub fn reading(groups: &Groups, lines: &mut Vec<String>) {
    let idle = |peer: Peer| {
        groups
            .iter()
            .filter(|(p, _)| Bench::of(p) == Some(Bench::Idle) && p.peer == peer.name())
            .max_by_key(|(p, _)| p.conns)
            .and_then(|(p, runs)| {
                Some((
                    p.conns?,
                    metric(runs, |m| m.bytes_per_conn.map(|b| b as f64))?.median,
                ))
            })
    };
    if let Some((conns, bytes)) = idle(Peer::Socketlab) {
        let mut line = format!(
            "**Idle connections:** with {conns} open, each costs socketlab about {} KiB of resident memory",
            fmt_num(bytes / 1024.0)
        );
        if let Some((_, bare)) = idle(Peer::Bare) {
            let _ = write!(
                line,
                " (the bare echo server: {} KiB)",
                fmt_num(bare / 1024.0)
            );
        }
        line.push('.');
        lines.push(line);
    }
}

/// The idle-memory table.
pub fn render(doc: &mut String, groups: &Groups) {
    let rows = rows(groups, |p| Bench::of(p) == Some(Bench::Idle), |p| p.conns);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        doc,
        "## Idle connections: resident memory\n\n\
         | Conns | Peer | RSS before MiB | RSS after MiB | KiB per connection |\n\
         | ---: | --- | ---: | ---: | ---: |"
    );
    let mib = |bytes: Option<u64>| bytes.map(|b| b as f64 / (1024.0 * 1024.0));
    for (params, runs) in rows {
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} |",
            params.conns.unwrap_or(0),
            params.peer,
            fmt_median(metric(runs, |m| mib(m.rss_before))),
            fmt_median(metric(runs, |m| mib(m.rss_after))),
            fmt_spread(metric(runs, |m| m
                .bytes_per_conn
                .map(|b| b as f64 / 1024.0))),
        );
    }
    doc.push('\n');
}
