//! `socketlab-bench run`, what `cargo xtask bench` calls once it has built
//! the server and the harness: starts every peer pinned to its core, runs
//! the measurement plan and writes the report.
//!
//! The server under test (and each reference peer) runs on core 0, the
//! load generator and its TCP targets on core 1, so the two sides never
//! steal each other's CPU and each side's CPU use means something. All
//! measuring happens in the load-generating subcommands; this module only
//! starts, stops and sequences processes, and it kills everything it
//! started.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use clap::Args;

mod jobs;
mod peers;

pub use peers::start_socketlab_with;
mod scale_out;

use crate::plan::Peer;
use crate::plan::{Plan, Section, SCALE_OUT_CHAT_QUEUE, SCALE_OUT_CHAT_QUEUE_WHY};
use crate::report::{self, ReportArgs};
use crate::supervise::{self, short_path};
use crate::workspace;
use jobs::{alloc_job, jobs, page_job, Job, Measurements, Storm};
use peers::Peers;
use scale_out::{scale_out, NatsServer};

/// Where this run's files go.
struct Outputs {
    /// Results, one JSON line each.
    results: PathBuf,
    /// The scale-out section's results (kept apart so that it can be
    /// measured again on its own).
    scale_out_results: PathBuf,
    /// The Markdown report.
    report: PathBuf,
    /// The throughput plot.
    svg: PathBuf,
    /// Peers' stderr.
    logs: PathBuf,
}

impl Outputs {
    /// A full run writes the report into docs/; a quick one keeps
    /// everything under target/ so it never overwrites real results.
    fn new(quick: bool) -> Self {
        let bench = workspace::target_dir().join("bench");
        if quick {
            let dir = bench.join("quick");
            Self {
                results: dir.join("results.jsonl"),
                scale_out_results: dir.join("scale-out.jsonl"),
                report: dir.join("BENCHMARKS.md"),
                svg: dir.join("bench-relay-throughput.svg"),
                logs: dir.join("logs"),
            }
        } else {
            let docs = workspace::root().join("docs");
            Self {
                results: bench.join("results.jsonl"),
                scale_out_results: bench.join("scale-out.jsonl"),
                report: docs.join("BENCHMARKS.md"),
                svg: docs.join("bench-relay-throughput.svg"),
                logs: bench.join("logs"),
            }
        }
    }
}

/// `socketlab-bench run`: what `cargo xtask bench` asks for, once it has
/// built the binaries and installed the peers. Runs in the workspace root.
#[derive(Debug, Clone, Args)]
pub struct RunnerArgs {
    /// One short run of a few configurations, written to
    /// target/bench/quick/ instead of docs/.
    #[arg(long)]
    pub quick: bool,
    /// Measure only this section again; the report keeps the other
    /// results, notes and commands of the previous run.
    #[arg(long, value_enum, value_name = "SECTION")]
    pub only: Option<Section>,
    /// Bun 1.4, if installed (else its rows are skipped).
    #[arg(long, value_name = "PROGRAM")]
    pub bun: Option<PathBuf>,
    /// websockify, if installed (else its rows are skipped).
    #[arg(long, value_name = "PROGRAM")]
    pub websockify: Option<PathBuf>,
    /// websocat 1.x, if installed (else its rows are skipped).
    #[arg(long, value_name = "PROGRAM")]
    pub websocat: Option<PathBuf>,
    /// nats-server, for the scale-out section.
    #[arg(long, value_name = "PROGRAM", default_value = "nats-server")]
    pub nats_server: PathBuf,
    /// A note for the report (a skipped peer, say); repeatable. The
    /// SOCKETLAB_BENCH_NOTE variable, if set, comes first.
    #[arg(long = "note")]
    pub notes: Vec<String>,
    /// Seconds spent building and installing before this run started, for
    /// the report's note on how long the measurements took.
    #[arg(long, default_value_t = 0.0)]
    pub prepared_secs: f64,
}

/// Runs the whole plan, or with `only` one section, keeping the other
/// results in the report.
pub fn run(args: RunnerArgs) -> Result<()> {
    let started = Instant::now() - Duration::from_secs_f64(args.prepared_secs.max(0.0));
    let (quick, only) = (args.quick, args.only);
    let plan = Plan::new(quick);
    let out = Outputs::new(quick);
    fs::create_dir_all(&out.logs)
        .with_context(|| format!("cannot create {}", out.logs.display()))?;
    let nats = NatsServer::probe(&args.nats_server)?;
    supervise::stop_all_on_signal()?;

    let mut notes = Vec::new();
    let mut commands = Vec::new();
    let mut failures = Vec::new();
    if only.is_none() {
        if let Ok(note) = std::env::var("SOCKETLAB_BENCH_NOTE") {
            notes.push(note);
        }
        notes.extend(args.notes.iter().cloned());
        notes.push(format!(
            "Load average (1, 5, 15 min) at the start: {}.",
            load_average()
        ));
        let mut bench = Measurements::new(&out.results, plan.runs)?;
        let peers = Peers::start(
            &out.logs,
            args.bun.as_deref(),
            args.websockify.as_deref(),
            args.websocat.as_deref(),
        )?;
        bench.commands = peers.commands();
        notes.extend(peers.skipped.iter().cloned());
        let jobs = jobs(&plan, &peers);
        let chat_peers: Vec<Peer> = peers.chats.iter().map(|(peer, _, _)| *peer).collect();
        let storms: Vec<Storm<'_>> = plan
            .storms
            .iter()
            .flat_map(|&members| {
                plan.storm_clients.iter().flat_map({
                    let chat_peers = &chat_peers;
                    let bun = args.bun.as_deref();
                    move |&client| {
                        chat_peers.iter().map(move |&peer| Storm {
                            peer,
                            members,
                            client,
                            bun,
                        })
                    }
                })
            })
            .collect();
        let measuring = Instant::now();
        eprintln!(
            "bench: {} measurements x {} run(s), results in {}",
            jobs.len() + plan.idle_peers.len() + storms.len(),
            plan.runs,
            out.results.display()
        );
        for run in 1..=plan.runs {
            for job in &jobs {
                bench.run(job, run);
            }
            for &idle_peer in plan.idle_peers {
                bench.idle(idle_peer, &plan, run, &out.logs);
            }
            for storm in &storms {
                bench.storm(*storm, &plan, run, &out.logs);
            }
        }
        bench.run(
            &Job::new(
                "page-size".to_owned(),
                60.0,
                format!(
                    "page-size --dist {}",
                    workspace::root().join("dist").display()
                ),
            ),
            1,
        );
        bench.run(&alloc_job(&plan), 1);
        match page_job(&plan, &peers) {
            Ok(job) => bench.run(&job, 1),
            Err(why) => {
                eprintln!("bench: page skipped: {why}");
                notes.push(format!("page: skipped; {why}."));
            }
        }
        drop(peers);
        notes.push(format!(
            "Load average (1, 5, 15 min) at the end: {}.",
            load_average()
        ));
        notes.push(format!(
            "The measurements took {:.1} minutes (building and installing before them: {:.1}).",
            measuring.elapsed().as_secs_f64() / 60.0,
            measuring.duration_since(started).as_secs_f64() / 60.0
        ));
        notes.extend(bench.failures.iter().map(|f| format!("Failed: {f}")));
        failures.append(&mut bench.failures);
        commands = bench.commands;
    } else {
        notes.extend(args.notes.iter().cloned());
    }

    let mut scale_out_notes = vec![match only {
        None => "Measured after the rest of the plan, in the same run.".to_owned(),
        Some(section) => format!(
            "Measured on its own with `cargo xtask bench --only {}`; the other tables, the \
             notes and the commands above come from the previous full run.",
            section.name()
        ),
    }];
    if only.is_some() {
        // The full run puts it among the main notes.
        if let Ok(note) = std::env::var("SOCKETLAB_BENCH_NOTE") {
            scale_out_notes.push(note);
        }
    }
    let mut bench = Measurements::new(&out.scale_out_results, plan.runs)?;
    let measuring = Instant::now();
    let load_before = load_average();
    if let Err(err) = scale_out(&plan, &nats, &out.logs, &mut bench) {
        bench.failures.push(format!("scale-out: {err:#}"));
    }
    scale_out_notes.push(format!(
        "Load average (1, 5, 15 min) at the start: {load_before}; at the end: {}. The \
         measurements took {:.1} minutes.",
        load_average(),
        measuring.elapsed().as_secs_f64() / 60.0
    ));
    scale_out_notes.push(format!(
        "{} with JetStream, its store in a fresh temporary directory; socketlab with the fan-out \
         table's flags and `--chat-queue {SCALE_OUT_CHAT_QUEUE}`{}.",
        nats.version, SCALE_OUT_CHAT_QUEUE_WHY
    ));
    scale_out_notes.extend(bench.failures.iter().map(|f| format!("Failed: {f}")));
    failures.append(&mut bench.failures);

    // Relative paths: the report quotes them, and it runs in the root.
    let short = |path: &Path| PathBuf::from(short_path(path));
    let keep_notes_from = (only.is_some() && out.report.exists()).then(|| short(&out.report));
    report::run(ReportArgs {
        results: [&out.results, &out.scale_out_results]
            .into_iter()
            .filter(|results| results.exists())
            .map(|results| short(results))
            .collect(),
        out: short(&out.report),
        svg: short(&out.svg),
        notes,
        commands,
        scale_out_notes,
        scale_out_commands: bench.commands,
        keep_notes_from,
        quick,
    })?;
    eprintln!(
        "bench: done in {:.0} s; report {}",
        started.elapsed().as_secs_f64(),
        out.report.display()
    );
    if !failures.is_empty() {
        bail!(
            "{} measurement(s) failed:\n  {}\nfix: read their output above; logs are in {}",
            failures.len(),
            failures.join("\n  "),
            out.logs.display()
        );
    }
    Ok(())
}

/// `/proc/loadavg`'s first three fields, to tell how busy the machine was.
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_runs_never_write_into_docs() {
        let quick = Outputs::new(true);
        assert!(quick.report.starts_with(workspace::target_dir()));
        assert!(quick.scale_out_results.starts_with(workspace::target_dir()));
        let full = Outputs::new(false);
        assert!(full.report.ends_with("docs/BENCHMARKS.md"));
        assert_ne!(full.results, full.scale_out_results);
        assert!(full.svg.ends_with("docs/bench-relay-throughput.svg"));
    }
}
