//! The scale-out section: one chat room across instances sharing it
//! through NATS, next to one instance.

use std::fmt::Write as _;

use super::fanout::is_fanout;
use super::format::{fmt_median, fmt_num, fmt_spread};
use super::groups::{metric, rows, Groups};
use crate::plan::{Bench, LOAD_CORE, SERVER_CORE};
use crate::record::{Metrics, Params};

/// Whether a group is a scale-out fan-out run.
pub fn is_scale_out(params: &Params) -> bool {
    Bench::of(params) == Some(Bench::ScaleOut)
}

/// A scale-out setup for humans: `2 instances, NATS`.
pub fn setup_name(params: &Params) -> String {
    let instances = params.instances.map_or_else(
        || "? instances".to_owned(),
        |n| format!("{n} instance{}", if n == 1 { "" } else { "s" }),
    );
    let bus = match params.bus.as_deref() {
        Some("local") => "in-process bus",
        Some("nats") => "NATS",
        Some(other) => other,
        None => "bus unknown",
    };
    format!("{instances}, {bus}")
}

/// The scale-out rows in the order the story goes: one instance without
/// NATS, with NATS, then more instances.
pub fn scale_out_key(params: &Params) -> (Option<u32>, Option<u32>, bool, Option<u32>) {
    (
        params.subscribers,
        params.instances,
        params.bus.as_deref() != Some("local"),
        params.messages,
    )
}

/// "What the numbers say" about scale-out: p99 across instances against
/// one instance on its in-process bus, and the ≤ 2× goal.
pub fn reading(groups: &Groups) -> Option<String> {
    let runs = rows(groups, is_scale_out, scale_out_key);
    let find = |instances: u32, bus: &str| {
        runs.iter()
            .filter(|(p, _)| p.instances == Some(instances) && p.bus.as_deref() == Some(bus))
            .max_by_key(|(p, _)| p.subscribers)
    };
    let &(across_params, across) = runs
        .iter()
        .filter(|(p, _)| p.instances.is_some_and(|n| n > 1))
        .max_by_key(|(p, _)| (p.subscribers, p.instances))?;
    let p99 = |runs: &[Metrics]| metric(runs, |m| m.p99_us).map(|s| s.median);
    let across_p99 = p99(across)?;
    let subscribers = across_params.subscribers.unwrap_or(0);
    let instances = across_params.instances.unwrap_or(0);
    let mut line = format!(
        "**Scale-out, one room of {subscribers} subscribers over {instances} instances \
         (NATS):** 99 % of deliveries took at most {} µs",
        fmt_num(across_p99)
    );
    let same_room = |found: Option<&(&Params, &[Metrics])>| {
        found
            .filter(|(p, _)| p.subscribers == across_params.subscribers)
            .and_then(|(_, runs)| p99(runs))
    };
    let single_p99 = same_room(find(1, "local"));
    if let Some(single_p99) = single_p99 {
        let ratio = across_p99 / single_p99;
        let _ = write!(
            line,
            " against {} µs on one instance with the in-process bus, measured alongside: \
             {ratio:.1}× the single instance, so the goal of at most 2× is {}",
            fmt_num(single_p99),
            if ratio <= 2.0 { "met" } else { "missed" }
        );
    }
    if let Some(nats_p99) = same_room(find(1, "nats")) {
        let _ = write!(
            line,
            " (one instance through NATS: {} µs",
            fmt_num(nats_p99)
        );
        if let Some(single_p99) = single_p99.filter(|&single| across_p99 > single) {
            let share = (nats_p99 - single_p99) / (across_p99 - single_p99);
            line.push_str(if share >= 0.5 {
                ", so most of the difference is the trip through NATS, not the second instance"
            } else {
                ", so the second instance adds more than the trip through NATS"
            });
        }
        line.push(')');
    }
    let table_p99 = groups
        .iter()
        .find(|(p, _)| {
            is_fanout(p)
                && p.subscribers == across_params.subscribers
                && p.messages == across_params.messages
                && p.rate == across_params.rate
        })
        .and_then(|(_, runs)| p99(runs));
    if let Some(table_p99) = table_p99 {
        let _ = write!(
            line,
            ". The fan-out table's row for {subscribers} subscribers, from another run, reads \
             {} µs: p99 at this load varies widely from run to run (see the min–max), so \
             compare rows measured alongside",
            fmt_num(table_p99)
        );
    }
    let lost: u64 = runs
        .iter()
        .flat_map(|(_, runs)| runs.iter())
        .filter_map(|m| m.lost)
        .sum();
    if lost == 0 {
        line.push_str(". No delivery was lost in any scale-out run.");
    } else {
        let _ = write!(line, ". {lost} deliveries were lost (see the table).");
    }
    line.push_str(
        " Both instances and nats-server share the server's one core, so this is the \
         latency cost of crossing instances, not the capacity a second machine would add.",
    );
    Some(line)
}

/// The scale-out table: one room across instances, next to one instance.
pub fn render(doc: &mut String, groups: &Groups, notes: &[String], commands: &[String]) {
    let rows = rows(groups, is_scale_out, scale_out_key);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        doc,
        "## Scale-out: one room across instances\n\n\
         The fan-out above, with the subscribers dealt round-robin over the instances and the \
         publisher on the first, so most deliveries cross from one instance to the other \
         through NATS JetStream. All setups were measured in the same run, in interleaved \
         rounds, each on freshly started instances. Every socketlab instance and nats-server \
         run on core {SERVER_CORE} (`taskset -c {SERVER_CORE}`), the load generator on core \
         {LOAD_CORE} (`taskset -c {LOAD_CORE}`); \"Core {SERVER_CORE} CPU %\" is the instances \
         and nats-server together.\n\n\
         | Setup | Subscribers | Messages | Rate /s | Deliveries/s | p50 µs | p99 µs | Slowest p99 µs | Lost | Core {SERVER_CORE} CPU % | Load CPU % |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (params, runs) in rows {
        let lost: u64 = runs.iter().filter_map(|m| m.lost).sum();
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            setup_name(params),
            params.subscribers.unwrap_or(0),
            params.messages.unwrap_or(0),
            params.rate.unwrap_or(0),
            fmt_spread(metric(runs, |m| m.msgs_per_s)),
            fmt_median(metric(runs, |m| m.p50_us)),
            fmt_spread(metric(runs, |m| m.p99_us)),
            fmt_spread(metric(runs, |m| m.slowest_p99_us)),
            lost,
            fmt_median(metric(runs, |m| m.server_cpu_pct)),
            fmt_median(metric(runs, |m| m.load_cpu_pct)),
        );
    }
    doc.push('\n');
    for note in notes {
        let _ = writeln!(doc, "- {note}");
    }
    if !notes.is_empty() {
        doc.push('\n');
    }
    if !commands.is_empty() {
        let _ = writeln!(doc, "The scale-out servers were started as:\n\n```sh");
        for command in commands {
            let _ = writeln!(doc, "{command}");
        }
        let _ = writeln!(doc, "```\n");
    }
}
