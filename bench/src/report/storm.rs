//! The storm section: N members join one room within a second, stay, and
//! leave within a second, while a publisher sends.

use std::fmt::Write as _;

use super::format::{fmt_count, fmt_median, fmt_num, fmt_spread};
use super::groups::{client_of, metric, rows, Groups};
use crate::plan::{Bench, Peer};
use crate::record::{Metrics, Params};

/// Whether a group is a storm.
pub fn is_storm(params: &Params) -> bool {
    Bench::of(params) == Some(Bench::Storm)
}

/// The sum of a count over the runs (closed members and lost messages are
/// judged over every run, not by their median).
fn total(runs: &[Metrics], field: impl Fn(&Metrics) -> Option<u64>) -> Option<u64> {
    runs.iter().map(field).sum()
}

/// Presence frames per member, the median over the runs: about N per
/// member when every join and leave is a frame to everyone, a few dozen
/// when they are coalesced per tick.
fn presence_per_member(params: &Params, metrics: &Metrics) -> Option<f64> {
    let members = f64::from(params.subscribers?.max(1));
    Some(metrics.presence_frames? as f64 / members)
}

/// "What the numbers say" about the storms: for each peer, the largest
/// storm read with the standard client (else the lean one).
pub fn reading(groups: &Groups, lines: &mut Vec<String>) {
    let storms: Vec<(&Params, &[Metrics])> = rows(groups, is_storm, |p| {
        (p.subscribers, client_of(p) != "standard")
    });
    let mut parts = Vec::new();
    let ours: Vec<&[Metrics]> = storms
        .iter()
        .filter(|(p, _)| p.peer == Peer::Socketlab.name())
        .map(|(_, runs)| *runs)
        .collect();
    if ours.is_empty() {
        return;
    }
    // What kept socketlab from the goal, in the table's words.
    let sum = |count: fn(&Metrics) -> Option<u64>| -> u64 {
        ours.iter()
            .map(|runs| total(runs, count).unwrap_or(0))
            .sum()
    };
    let misses: Vec<String> = [
        (
            sum(|m| m.closed),
            "members closed (1013: behind on the room's events)",
        ),
        (sum(|m| m.lost), "messages lost"),
        (
            sum(|m| m.join_failed),
            "members not in (no `welcome` before their time to leave)",
        ),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, what)| format!("{} {what}", fmt_count(count)))
    .collect();
    for peer in [Peer::Socketlab, Peer::Bun] {
        let Some(&(params, runs)) = storms
            .iter()
            .filter(|(p, _)| p.peer == peer.name())
            .max_by_key(|(p, _)| (p.subscribers, client_of(p) == "standard"))
        else {
            continue;
        };
        let closed = total(runs, |m| m.closed).unwrap_or(0);
        let lost = total(runs, |m| m.lost).unwrap_or(0);
        let late = total(runs, |m| m.late).unwrap_or(0);
        let failed = total(runs, |m| m.join_failed).unwrap_or(0);
        let mut part = format!(
            "{peer} with {} {} members closed {} of them, lost {} messages ({} more late){}",
            fmt_count(u64::from(params.subscribers.unwrap_or(0))),
            client_of(params),
            fmt_count(closed),
            fmt_count(lost),
            fmt_count(late),
            if failed > 0 {
                format!(" and let {} not join", fmt_count(failed))
            } else {
                String::new()
            }
        );
        if let Some(frames) = metric(runs, |m| presence_per_member(params, m)) {
            let _ = write!(
                part,
                ", sent each member {} presence frames",
                fmt_num(frames.median)
            );
        }
        if let Some(welcome) = metric(runs, |m| m.last_welcome_ms) {
            let _ = write!(
                part,
                ", the last welcome came {} ms after the first join",
                fmt_num(welcome.median)
            );
        }
        if let Some(cpu) = metric(runs, |m| m.server_cpu_s) {
            let _ = write!(part, " and cost {} server CPU-seconds", fmt_num(cpu.median));
        }
        parts.push(part);
    }
    let runs = storms.iter().map(|(_, runs)| runs.len()).max().unwrap_or(0);
    lines.push(format!(
        "**Join and leave storms:** {} (over {runs} run(s)). The goal is 0 members closed and \
         0 messages lost in every storm: {}.",
        parts.join("; "),
        if misses.is_empty() {
            "socketlab meets it in every storm measured".to_owned()
        } else {
            format!(
                "socketlab does not meet it yet (over all its storms: {}; see the table)",
                misses.join(", ")
            )
        }
    ));
}

/// The storm table.
pub fn render(doc: &mut String, groups: &Groups) {
    let rows = rows(groups, is_storm, |p| {
        (p.subscribers, client_of(p).to_owned())
    });
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        doc,
        "## Join and leave storms: N members at once\n\n\
         N members join one fresh room within one second, stay, and leave within one \
         second, while a publisher sends 20 messages/s; each storm against a freshly \
         started server. **Closed**: members the server closed while they were reading \
         (summed over the runs; goal 0). **Lost**: messages a member never got although it \
         got a later one (summed; goal 0). **Late**: messages sent after a member's `welcome` \
         and at least 1 s before it left that had not arrived when it left, nor anything \
         after them (summed). \
         **Not in**: members with no `welcome` before their time to leave. **Last welcome**: \
         from the first join to the last member's `welcome`. **Presence / member**: frames \
         other than room messages each member read (about N when each join and leave is a \
         frame to everyone: O(N²) per storm). Latency is the room messages' during the storm. \
         Server CPU-s covers the whole storm; peak RSS is the fresh server's `VmHWM`.\n\n\
         | Members | Client | Peer | Closed | Lost | Late | Not in | Last welcome ms | Presence / member | p50 µs | p99 µs | Server CPU-s | Peak RSS MiB |\n\
         | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (params, runs) in rows {
        let count = |field: fn(&Metrics) -> Option<u64>| {
            total(runs, field).map_or_else(|| "–".to_owned(), fmt_count)
        };
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            fmt_count(u64::from(params.subscribers.unwrap_or(0))),
            client_of(params),
            params.peer,
            count(|m| m.closed),
            count(|m| m.lost),
            count(|m| m.late),
            count(|m| m.join_failed),
            fmt_spread(metric(runs, |m| m.last_welcome_ms)),
            fmt_median(metric(runs, |m| presence_per_member(params, m))),
            fmt_median(metric(runs, |m| m.p50_us)),
            fmt_spread(metric(runs, |m| m.p99_us)),
            fmt_spread(metric(runs, |m| m.server_cpu_s)),
            fmt_median(metric(runs, |m| m
                .peak_rss
                .map(|b| b as f64 / f64::from(1 << 20)))),
        );
    }
    doc.push_str(WHAT_SETS_THE_LAST_WELCOME);
    doc.push('\n');
}

/// What the storms' last welcome measures at 10,000 standard members,
/// found by hand (a run's clocks taken apart; `nstat`, `perf`).
const WHAT_SETS_THE_LAST_WELCOME: &str = "\n\
    At 10,000 standard members the load generator sets much of the last welcome, for \
    both peers. Measured by hand on 2026-12-02 (the storm's member tasks timed at each \
    step): the members' own join timers fired up to 2.0–2.9 s late, because the one load \
    core was busy, and about a sixth of that core went to tungstenite zeroing its default \
    128 KiB read buffer before every read (11 %) and to page faults. Opening a WebSocket \
    (TCP, then the upgrade) then took up to 3.5–6 s on either server, and the `welcome` \
    came within 1 ms of the upgrade for all but a few members. Before the server asked \
    the kernel for a listen backlog of 4,096 (tokio's default is 1,024), a storm \
    overflowed the accept queue (`TcpExtListenOverflows`: 22 to 923 per storm), \
    each dropped connection waited a second or more for its SYN to be sent again, and \
    up to 481 members were not in; with it, none overflowed and every member got in.\n";

#[cfg(test)]
mod tests {
    use super::super::{group, parse_records};
    use super::*;

    const STORMS: &str = r#"
{"bench":"storm","peer":"socketlab","subscribers":1000,"rate":20,"client":"standard","p50_us":900.0,"p99_us":5000.0,"delivered":100000,"lost":12,"presence_frames":1500000,"closed":700,"join_failed":0,"last_welcome_ms":1100.0,"peak_rss":52428800,"server_cpu_s":3.5,"run":1}
{"bench":"storm","peer":"socketlab","subscribers":1000,"rate":20,"client":"standard","p50_us":800.0,"p99_us":6000.0,"delivered":100000,"lost":0,"presence_frames":1500000,"closed":650,"join_failed":0,"last_welcome_ms":1200.0,"peak_rss":52428800,"server_cpu_s":3.7,"run":2}
{"bench":"storm","peer":"bun","subscribers":1000,"rate":20,"client":"standard","p50_us":500.0,"p99_us":2000.0,"delivered":100000,"lost":0,"presence_frames":20000,"closed":0,"join_failed":0,"last_welcome_ms":1000.0,"peak_rss":41943040,"server_cpu_s":0.5,"run":1}
{"bench":"storm","peer":"bun","subscribers":1000,"rate":20,"client":"lean","p50_us":500.0,"p99_us":2000.0,"delivered":100000,"lost":0,"presence_frames":20000,"closed":0,"join_failed":0,"last_welcome_ms":1000.0,"peak_rss":41943040,"server_cpu_s":0.5,"run":1}
"#;

    #[test]
    fn storms_are_tabled_with_sums_and_judged_against_the_goal() {
        let groups = group(&parse_records(STORMS).unwrap());
        let mut doc = String::new();
        render(&mut doc, &groups);
        assert!(
            doc.contains("| 1,000 | standard | socketlab | 1,350 | 12 | – | 0 | 1,150 (1,100–1,200) | 1,500 | 850 | 5,500 (5,000–6,000) | 3.60 (3.50–3.70) | 50.0 |"),
            "{doc}"
        );
        assert!(
            doc.contains(
                "| 1,000 | standard | bun | 0 | 0 | – | 0 | 1,000 | 20.0 | 500 | 2,000 | 0.50 | 40.0 |"
            ),
            "{doc}"
        );
        // Lean rows after standard ones of the same size? Sorted by name.
        assert!(doc.find("| lean | bun").unwrap() < doc.find("| standard | socketlab").unwrap());
        let mut lines = Vec::new();
        reading(&groups, &mut lines);
        let line = &lines[0];
        assert!(
            line.contains("socketlab with 1,000 standard members closed 1,350 of them, lost 12 messages (0 more late), sent each member 1,500 presence frames"),
            "{line}"
        );
        assert!(
            line.contains("bun with 1,000 standard members closed 0"),
            "{line}"
        );
        assert!(line.contains("socketlab does not meet it yet"), "{line}");
        assert!(line.contains("members closed (1013"), "{line}");
        assert!(line.contains("messages lost"), "{line}");
        assert!(!line.contains("not in"), "nobody failed to join: {line}");
    }

    #[test]
    fn zeros_meet_the_goal() {
        let text = STORMS
            .replace("\"closed\":700", "\"closed\":0")
            .replace("\"closed\":650", "\"closed\":0")
            .replace("\"lost\":12", "\"lost\":0");
        let groups = group(&parse_records(&text).unwrap());
        let mut lines = Vec::new();
        reading(&groups, &mut lines);
        assert!(lines[0].contains("socketlab meets it"), "{}", lines[0]);
    }
}
