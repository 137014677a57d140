//! The chat fan-out section: one publisher, N subscribers, socketlab next
//! to Bun, read with the lean and the standard client.

use std::fmt::Write as _;

use super::format::{fmt_count, fmt_median, fmt_num, fmt_spread};
use super::groups::{client_of, median_of, metric, rows, Groups};
use crate::plan::{Bench, Peer};
use crate::record::{Metrics, Params};

/// The fan-out plots' file names, beside the throughput plot.
pub const FANOUT_CPU_SVG: &str = "bench-fanout-cpu.svg";
/// See [`FANOUT_CPU_SVG`].
pub const FANOUT_P99_SVG: &str = "bench-fanout-p99.svg";

/// Whether a group belongs in the fan-out table (scale-out runs have
/// their own).
pub fn is_fanout(params: &Params) -> bool {
    Bench::of(params) == Some(Bench::Fanout)
}

/// The server's CPU time per 1,000 deliveries, in ms.
pub fn cpu_ms_per_1k(metrics: &Metrics) -> Option<f64> {
    let delivered = metrics.delivered.filter(|&d| d > 0)? as f64;
    Some(metrics.server_cpu_s? * 1e6 / delivered)
}

/// "What the numbers say" about the fan-out: the largest room, and
/// socketlab against Bun room by room.
pub fn reading(groups: &Groups, lines: &mut Vec<String>) {
    if let Some((params, runs)) = groups
        .iter()
        .filter(|(p, _)| is_fanout(p) && p.peer == Peer::Socketlab.name() && client_of(p) == "lean")
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
    if let Some(line) = against_bun(groups) {
        lines.push(line);
    }
}

/// socketlab against Bun, room by room, read with the standard client
/// where it was measured (else the lean one): CPU per delivery and p99.
fn against_bun(groups: &Groups) -> Option<String> {
    let mut parts = Vec::new();
    // None until a room the goal names (1,000 or more) was compared.
    let mut goal_met: Option<bool> = None;
    let mut rooms: Vec<(u32, String)> = groups
        .keys()
        .filter(|p| is_fanout(p) && p.peer == Peer::Bun.name())
        .filter_map(|p| Some((p.subscribers?, client_of(p).to_owned())))
        .collect();
    rooms.sort();
    rooms.dedup();
    for (subscribers, client) in rooms {
        let find = |peer: Peer| {
            let client = client.clone();
            move |p: &Params| {
                is_fanout(p)
                    && p.peer == peer.name()
                    && p.subscribers == Some(subscribers)
                    && client_of(p) == client
            }
        };
        let cpu = |peer| median_of(groups, find(peer), cpu_ms_per_1k);
        let p99 = |peer| median_of(groups, find(peer), |m| m.p99_us);
        let (Some(our_cpu), Some(bun_cpu)) = (cpu(Peer::Socketlab), cpu(Peer::Bun)) else {
            continue;
        };
        let mut part = format!(
            "{} subscribers ({client} client): {} ms of server CPU per 1,000 deliveries against \
             Bun's {} ({:.2}×)",
            fmt_count(u64::from(subscribers)),
            fmt_num(our_cpu),
            fmt_num(bun_cpu),
            our_cpu / bun_cpu.max(1e-9)
        );
        let mut met = our_cpu <= bun_cpu;
        if let (Some(ours), Some(bun)) = (p99(Peer::Socketlab), p99(Peer::Bun)) {
            let _ = write!(
                part,
                ", p99 {} µs against {} µs",
                fmt_num(ours),
                fmt_num(bun)
            );
            met &= ours <= bun;
        }
        if subscribers >= 1000 {
            goal_met = Some(goal_met.unwrap_or(true) && met);
        }
        parts.push(part);
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "**Fan-out next to Bun 1.4:** {}. The goal (at 1,000 and 5,000 subscribers, CPU per \
         delivery and p99 at most Bun's) is {}.",
        parts.join("; "),
        match goal_met {
            Some(true) => "met",
            Some(false) => "not met",
            None => "not judged: no room of 1,000 or more was measured next to Bun",
        }
    ))
}

/// The fan-out table.
pub fn render(doc: &mut String, groups: &Groups) {
    let rows = rows(groups, is_fanout, |p| {
        (p.subscribers, p.messages, p.rate, client_of(p).to_owned())
    });
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        doc,
        "## Chat fan-out: one publisher, N subscribers\n\n\
         Latency is from the publisher's send to a subscriber's receipt; \"slowest\" is per \
         message, the last subscriber to get it. **Client**: `lean` reads many frames per \
         system call and parses them in place; `standard` is tokio-tungstenite read with \
         `next().await` one message at a time, as an application reads. **CPU / 1k**: the \
         server's CPU time per 1,000 deliveries, ms. **Presence / sub**: frames other than \
         room messages each subscriber read.\n\n\
         | Subscribers | Messages | Rate /s | Client | Peer | Deliveries/s | p50 µs | p99 µs | Slowest p99 µs | Lost | CPU / 1k ms | Server CPU % | Presence / sub |\n\
         | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (params, runs) in rows {
        let lost: u64 = runs.iter().filter_map(|m| m.lost).sum();
        let subscribers = params.subscribers.unwrap_or(0);
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            subscribers,
            params.messages.unwrap_or(0),
            params.rate.unwrap_or(0),
            client_of(params),
            params.peer,
            fmt_spread(metric(runs, |m| m.msgs_per_s)),
            fmt_median(metric(runs, |m| m.p50_us)),
            fmt_spread(metric(runs, |m| m.p99_us)),
            fmt_spread(metric(runs, |m| m.slowest_p99_us)),
            lost,
            fmt_spread(metric(runs, cpu_ms_per_1k)),
            fmt_median(metric(runs, |m| m.server_cpu_pct)),
            fmt_median(metric(runs, |m| m
                .presence_frames
                .map(|f| f as f64 / f64::from(subscribers.max(1))))),
        );
    }
    let _ = writeln!(
        doc,
        "\n![Server CPU per 1,000 deliveries against room size]({FANOUT_CPU_SVG})\n\n\
         ![p99 delivery latency against room size]({FANOUT_P99_SVG})"
    );
    doc.push('\n');
}

#[cfg(test)]
mod tests {
    use super::super::{group, parse_records};
    use super::*;

    const FANOUT: &str = r#"
{"bench":"fanout","peer":"socketlab","subscribers":1000,"messages":500,"rate":100,"client":"standard","p99_us":9000.0,"delivered":500000,"lost":0,"server_cpu_s":2.0,"presence_frames":3000,"run":1}
{"bench":"fanout","peer":"bun","subscribers":1000,"messages":500,"rate":100,"client":"standard","p99_us":6000.0,"delivered":500000,"lost":0,"server_cpu_s":1.0,"presence_frames":2000,"run":1}
{"bench":"fanout","peer":"socketlab","subscribers":100,"messages":500,"rate":100,"p99_us":900.0,"delivered":50000,"lost":0,"run":1}
"#;

    #[test]
    fn socketlab_is_compared_with_bun_per_room_and_client() {
        let groups = group(&parse_records(FANOUT).unwrap());
        let mut doc = String::new();
        render(&mut doc, &groups);
        assert!(
            doc.contains("| 1000 | 500 | 100 | standard | socketlab | – | – | 9,000 | – | 0 | 4.00 | – | 3.00 |"),
            "{doc}"
        );
        // Results from before the client was recorded read as lean.
        assert!(
            doc.contains("| 100 | 500 | 100 | lean | socketlab |"),
            "{doc}"
        );
        let mut lines = Vec::new();
        reading(&groups, &mut lines);
        let bun = lines.iter().find(|l| l.contains("next to Bun")).unwrap();
        assert!(
            bun.contains("1,000 subscribers (standard client): 4.00 ms of server CPU per 1,000 deliveries against Bun's 2.00 (2.00×), p99 9,000 µs against 6,000 µs"),
            "{bun}"
        );
        assert!(bun.ends_with("is not met."), "{bun}");

        // Rooms smaller than the goal names do not decide it.
        let small: String = FANOUT
            .replace("\"subscribers\":1000", "\"subscribers\":200")
            .replace("\"server_cpu_s\":2.0", "\"server_cpu_s\":0.5");
        let mut lines = Vec::new();
        reading(&group(&parse_records(&small).unwrap()), &mut lines);
        let bun = lines.iter().find(|l| l.contains("next to Bun")).unwrap();
        assert!(
            bun.ends_with("is not judged: no room of 1,000 or more was measured next to Bun."),
            "{bun}"
        );
    }
}
