//! The allocations section: heap allocations per delivered room message.

use std::fmt::Write as _;

use super::format::{fmt_count, fmt_median, fmt_num};
use super::groups::{metric, rows, Groups};
use crate::plan::Bench;
use crate::record::Params;

/// Whether a group is an allocation count.
fn is_alloc(params: &Params) -> bool {
    Bench::of(params) == Some(Bench::Alloc)
}

/// "What the numbers say" about allocations.
pub fn reading(groups: &Groups, lines: &mut Vec<String>) {
    let found: Vec<(u32, f64)> = rows(groups, is_alloc, |p| p.subscribers)
        .into_iter()
        .filter_map(|(params, runs)| {
            Some((
                params.subscribers?,
                metric(runs, |m| m.allocs_per_delivery)?.median,
            ))
        })
        .collect();
    if found.is_empty() {
        return;
    }
    let sizes: Vec<String> = found
        .iter()
        .map(|(members, per)| {
            format!(
                "{} at {} members ({} per message said)",
                fmt_num(*per),
                fmt_count(u64::from(*members)),
                fmt_num(per * f64::from(*members))
            )
        })
        .collect();
    let (first, last) = (found[0], found[found.len() - 1]);
    let trend = if found.len() < 2 {
        String::new()
    } else if last.1 <= first.1 * 1.2 {
        format!(
            " From {} to {} members the count per delivery does not grow (by more than \
             20 %): a delivery costs no more in a larger room.",
            fmt_count(u64::from(first.0)),
            fmt_count(u64::from(last.0))
        )
    } else {
        format!(
            " From {} to {} members the count per delivery grows {}: something is allocated \
             per member per message beyond the send itself.",
            fmt_count(u64::from(first.0)),
            fmt_count(u64::from(last.0)),
            super::groups::times(last.1, first.1)
        )
    };
    lines.push(format!(
        "**Allocations per delivery:** the server made {} heap allocations per delivered room \
         message. A room message is serialised once and the same bytes are handed to every \
         member; what is counted per delivery is each member's share of the work (its queue, \
         its WebSocket write) plus the one encoding spread over the room.{trend} Counted by a \
         counting allocator in `socketlab-alloc` on the server's threads only, around an \
         in-process server.",
        sizes.join(", ")
    ));
}

/// The table.
pub fn render(doc: &mut String, groups: &Groups) {
    let table = rows(groups, is_alloc, |p| p.subscribers);
    if table.is_empty() {
        return;
    }
    let _ = writeln!(
        doc,
        "## Allocations per delivered room message\n\n\
         `socketlab-alloc`: an in-process socketlab whose runtime threads count every heap \
         allocation (a counting global allocator in the benchmark binary, never in the \
         server), one room of N tokio-tungstenite members on another runtime, one of them \
         saying M messages 20 ms apart; the server's allocations from the first message to the \
         last delivery, divided by N × M. \"Idle\" is the same window with nothing said.\n\n\
         | Members | Messages | Allocations per delivery | Per message said | Bytes per delivery | Idle allocations |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (params, runs) in table {
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} | {} |",
            fmt_count(u64::from(params.subscribers.unwrap_or(0))),
            params.messages.unwrap_or(0),
            fmt_median(metric(runs, |m| m.allocs_per_delivery)),
            fmt_median(metric(runs, |m| m
                .allocs_per_delivery
                .map(|per| per * f64::from(params.subscribers.unwrap_or(0))))),
            fmt_median(metric(runs, |m| m.alloc_bytes_per_delivery)),
            runs.last()
                .and_then(|m| m.idle_allocs)
                .map_or_else(|| "–".to_owned(), fmt_count),
        );
    }
    doc.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::groups::group;
    use crate::report::parse_records;

    #[test]
    fn allocations_read_per_room_size() {
        let results = r#"
{"bench":"alloc","peer":"socketlab","subscribers":100,"messages":50,"allocs_per_delivery":3.25,"alloc_bytes_per_delivery":400.0,"idle_allocs":12,"run":1}
{"bench":"alloc","peer":"socketlab","subscribers":1000,"messages":50,"allocs_per_delivery":3.1,"alloc_bytes_per_delivery":390.0,"idle_allocs":20,"run":1}
"#;
        let groups = group(&parse_records(results).unwrap());
        let mut lines = Vec::new();
        reading(&groups, &mut lines);
        assert!(
            lines[0].contains("3.25 at 100 members (325 per message said), 3.10 at 1,000 members"),
            "{}",
            lines[0]
        );
        let mut doc = String::new();
        render(&mut doc, &groups);
        assert!(
            doc.contains("| 1,000 | 50 | 3.10 | 3,100 | 390 | 20 |"),
            "{doc}"
        );
        assert!(lines[0].contains("does not grow"), "{}", lines[0]);
    }
}
