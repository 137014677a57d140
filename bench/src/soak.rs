//! `soak`: many connections opening and closing for a long time, to find
//! what a short benchmark cannot: leaks.
//!
//! One release server is started (with the benchmark limits and its
//! built-in tcp-echo); connections are opened at an even pace over the
//! run, at most `--parallel` at a time, a third each of chat (join, say,
//! hear it back), echo (one round trip) and relay to tcp-echo (one round
//! trip), and each is closed politely. The server's resident memory, open
//! file descriptors (`/proc/PID/fd`) and tasks (`socketlab_tasks_open` and
//! `socketlab_runtime_tasks_alive` from `/metrics`) are sampled before,
//! during and after. The run fails if, once the load is gone, any of them
//! has not come back near where it started, or if more than 0.5 % of the
//! connections failed. The figures go into `docs/BENCHMARKS.md`'s "Soak"
//! section (which the benchmark report carries over).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use crate::cpu;
use crate::runner::start_socketlab_with;
use crate::transport::{self, Ws};

/// How long one connection's whole life (open, exchange, close) may take.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(15);

/// How long the server may take to let go of everything after the load.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Descriptors the server may hold after the run beyond its start (a
/// listener's backlog, a log file rotated).
const FD_SLACK: u64 = 8;

/// Tasks beyond the start: none is expected; a couple of timers may be in
/// flight when the sample is taken.
const TASK_SLACK: u64 = 2;

/// Memory beyond the start: the allocator keeps some freed pages, but a
/// leak of even 4 KiB per connection (40 MB over 10,000) shows.
const RSS_SLACK: u64 = 32 * 1024 * 1024;

/// `socketlab-bench soak`.
#[derive(Debug, Clone, Args)]
pub struct SoakArgs {
    /// Connections to open and close in all.
    #[arg(long, default_value_t = 10_000)]
    pub connections: u32,
    /// Minutes to spread them over.
    #[arg(long, default_value_t = 10.0)]
    pub minutes: f64,
    /// Connections open at once at most.
    #[arg(long, default_value_t = 64)]
    pub parallel: usize,
    /// The report whose "Soak" section gets the figures.
    #[arg(long, default_value = "docs/BENCHMARKS.md")]
    pub report: PathBuf,
    /// Where the server's log goes.
    #[arg(long, default_value = "target/bench/soak")]
    pub logs: PathBuf,
    /// A sentence on the conditions (e.g. how busy the machine was),
    /// printed with the figures.
    #[arg(long)]
    pub note: Option<String>,
}

/// One reading of the server.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Seconds since the load started (negative: before).
    at: f64,
    rss: u64,
    fds: u64,
    /// Tasks the server tracks (sessions, demo sockets, listeners).
    tasks: u64,
    /// Every task alive on its runtime.
    runtime_tasks: u64,
    /// Open WebSockets.
    open: u64,
}

/// Runs `soak` (starts its own server and runtime).
pub fn run(args: SoakArgs) -> Result<()> {
    if args.connections == 0 || !args.minutes.is_finite() || args.minutes <= 0.0 {
        bail!("--connections and --minutes must be above 0");
    }
    std::fs::create_dir_all(&args.logs)
        .with_context(|| format!("cannot create {}", args.logs.display()))?;
    let (mut server, url) = start_socketlab_with(&args.logs, "socketlab-soak", &[])?;
    let pid = server.pid();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let outcome = runtime.block_on(soak(&args, &url, pid));
    server.terminate();
    let (samples, failed, took) = outcome?;
    let verdict = verdict(&samples, failed, args.connections);
    let section = render(&args, &samples, failed, took, &verdict);
    eprint!("{section}");
    let old = std::fs::read_to_string(&args.report).unwrap_or_default();
    std::fs::write(&args.report, crate::report::soak::replace(&old, &section))
        .with_context(|| format!("cannot write {}", args.report.display()))?;
    eprintln!("soak: figures written to {}", args.report.display());
    match verdict {
        Ok(()) => Ok(()),
        Err(why) => bail!("soak failed: {why}"),
    }
}

/// The load, with samples before, during and after.
async fn soak(args: &SoakArgs, url: &str, pid: u32) -> Result<(Vec<Sample>, u32, Duration)> {
    transport::ensure_open_files(args.parallel as u64 * 2)?;
    // The server prints `open http://ADDR/`; the runner hands over ADDR.
    let http = url.trim_start_matches("http://").to_owned();
    let ws = format!("ws://{http}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let started = Instant::now();
    let mut samples = vec![sample(pid, &http, started).await?];
    samples[0].at = 0.0;

    let duration = Duration::from_secs_f64(args.minutes * 60.0);
    let pace = duration / args.connections;
    let slots = Arc::new(tokio::sync::Semaphore::new(args.parallel.max(1)));
    let failed = Arc::new(AtomicU32::new(0));
    let done = Arc::new(AtomicU32::new(0));
    let mut every = tokio::time::interval(duration / 10);
    every.tick().await;
    let mut workers = tokio::task::JoinSet::new();
    for i in 0..args.connections {
        let due = tokio::time::Instant::from_std(started) + pace * i;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(due) => break,
                _ = every.tick() => samples.push(sample(pid, &http, started).await?),
            }
        }
        let slot = slots.clone().acquire_owned().await?;
        let (ws, failed, done) = (ws.clone(), failed.clone(), done.clone());
        workers.spawn(async move {
            let life = tokio::time::timeout(CONNECTION_TIMEOUT, one(&ws, i));
            let error = match life.await {
                Ok(Ok(())) => None,
                Ok(Err(err)) => Some(format!("{err:#}")),
                Err(_) => Some(format!("took over {CONNECTION_TIMEOUT:?}")),
            };
            if let Some(error) = error {
                // The first few say what is wrong; the count says how often.
                if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                    eprintln!("soak: connection {i} failed: {error}");
                }
            }
            done.fetch_add(1, Ordering::Relaxed);
            drop(slot);
        });
        while workers.try_join_next().is_some() {}
    }
    while workers.join_next().await.is_some() {}
    let took = started.elapsed();
    samples.push(sample(pid, &http, started).await?);
    // After: wait for the server to let go of every session.
    let baseline = samples[0];
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    loop {
        let now = sample(pid, &http, started).await?;
        if (now.open == 0 && now.tasks <= baseline.tasks && now.fds <= baseline.fds + FD_SLACK)
            || Instant::now() > deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    samples.push(sample(pid, &http, started).await?);
    eprintln!(
        "soak: {} connections in {:.0} s, {} failed",
        done.load(Ordering::Relaxed),
        took.as_secs_f64(),
        failed.load(Ordering::Relaxed)
    );
    Ok((samples, failed.load(Ordering::Relaxed), took))
}

/// One connection's life: chat, echo or relay by turns.
async fn one(ws_base: &str, i: u32) -> Result<()> {
    let text = format!("soak {i}");
    match i % 3 {
        0 => {
            let url = format!("{ws_base}/ws/chat?room=soak-{}&name=s{i}", i % 16);
            let mut ws = transport::connect_ws(&url, None).await?;
            let say = format!(r#"{{"type":"say","text":"{text}"}}"#);
            ws.send(Message::text(say)).await?;
            let wanted = format!(r#""text":"{text}""#);
            until(
                &mut ws,
                |m| matches!(m, Message::Text(t) if t.contains(&wanted)),
            )
            .await?;
            close(ws).await
        }
        1 => {
            let mut ws = transport::connect_ws(&format!("{ws_base}/ws/echo"), None).await?;
            ws.send(Message::text(text.clone())).await?;
            until(
                &mut ws,
                |m| matches!(m, Message::Text(t) if t.as_str() == text),
            )
            .await?;
            close(ws).await
        }
        _ => {
            let url = format!("{ws_base}/ws/relay/tcp-echo");
            let mut ws = transport::connect_ws(&url, None).await?;
            ws.send(Message::binary(text.clone().into_bytes())).await?;
            // TCP keeps no message boundaries: collect until it is all back.
            let mut back = Vec::new();
            while back.len() < text.len() {
                match ws.next().await {
                    Some(Ok(Message::Binary(bytes))) => back.extend_from_slice(&bytes),
                    Some(Ok(_)) => {}
                    _ => bail!("relay closed before the echo"),
                }
            }
            close(ws).await
        }
    }
}

async fn until(ws: &mut Ws, wanted: impl Fn(&Message) -> bool) -> Result<()> {
    while let Some(message) = ws.next().await {
        if wanted(&message?) {
            return Ok(());
        }
    }
    bail!("closed before the answer")
}

/// Closes and reads until the server's close arrives.
async fn close(mut ws: Ws) -> Result<()> {
    ws.close(None).await?;
    while let Some(Ok(_)) = ws.next().await {}
    Ok(())
}

/// Reads the server's memory, descriptors and task counts.
async fn sample(pid: u32, http: &str, started: Instant) -> Result<Sample> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .with_context(|| format!("cannot list /proc/{pid}/fd: is the server running?"))?
        .count() as u64;
    let metrics = metrics(http).await?;
    let gauge = |name: &str| -> u64 {
        metrics
            .lines()
            .filter(|line| line.starts_with(name))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    };
    Ok(Sample {
        at: started.elapsed().as_secs_f64(),
        rss: cpu::rss_bytes(pid)?,
        fds,
        tasks: gauge("socketlab_tasks_open "),
        runtime_tasks: gauge("socketlab_runtime_tasks_alive "),
        open: gauge("socketlab_connections_open{"),
    })
}

/// `GET /metrics` over a plain socket.
async fn metrics(http: &str) -> Result<String> {
    let addr = crate::guard::parse_loopback(http)?;
    let mut tcp = transport::connect_tcp(addr).await?;
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {http}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await?;
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_string(&mut text))
        .await
        .context("/metrics did not answer within 10 s")??;
    if !text.contains("socketlab_tasks_open") {
        bail!("the server's /metrics has no socketlab_tasks_open: is it an older build?");
    }
    Ok(text)
}

/// Whether the server came back to where it started.
fn verdict(samples: &[Sample], failed: u32, connections: u32) -> Result<(), String> {
    let (start, end) = (samples[0], samples[samples.len() - 1]);
    let mut why = Vec::new();
    if u64::from(failed) * 200 > u64::from(connections) {
        why.push(format!(
            "{failed} of {connections} connections failed (over 0.5 %)"
        ));
    }
    if end.open != 0 {
        why.push(format!("{} WebSockets still open", end.open));
    }
    if end.fds > start.fds + FD_SLACK {
        why.push(format!("descriptors {} -> {}", start.fds, end.fds));
    }
    if end.tasks > start.tasks + TASK_SLACK {
        why.push(format!("tracked tasks {} -> {}", start.tasks, end.tasks));
    }
    if end.runtime_tasks > start.runtime_tasks + TASK_SLACK {
        why.push(format!(
            "runtime tasks {} -> {}",
            start.runtime_tasks, end.runtime_tasks
        ));
    }
    if end.rss > start.rss + RSS_SLACK {
        why.push(format!(
            "RSS {} -> {} KiB",
            start.rss / 1024,
            end.rss / 1024
        ));
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(why.join("; "))
    }
}

/// The report's "Soak" section.
fn render(
    args: &SoakArgs,
    samples: &[Sample],
    failed: u32,
    took: Duration,
    verdict: &Result<(), String>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", crate::report::soak::HEADING);
    let _ = writeln!(
        out,
        "Written by `cargo xtask soak --connections {} --minutes {}` (not part of CI): {} \
         connections opened and closed over {:.0} s, at most {} at once, a third each of \
         chat (join, say, hear it back), echo and relay to tcp-echo (one round trip), \
         against a release build; {failed} failed. The server's figures before, during \
         and after (after = once every session was let go, plus 2 s):\n",
        args.connections,
        args.minutes,
        args.connections,
        took.as_secs_f64(),
        args.parallel,
    );
    let _ = writeln!(
        out,
        "| at (s) | RSS (KiB) | open fds | tracked tasks | runtime tasks | open WebSockets |"
    );
    let _ = writeln!(out, "| ---: | ---: | ---: | ---: | ---: | ---: |");
    let last = samples.len() - 1;
    for (i, s) in samples.iter().enumerate() {
        let at = match i {
            0 => "start".to_owned(),
            i if i == last => "after".to_owned(),
            _ => format!("{:.0}", s.at),
        };
        let _ = writeln!(
            out,
            "| {at} | {} | {} | {} | {} | {} |",
            s.rss / 1024,
            s.fds,
            s.tasks,
            s.runtime_tasks,
            s.open
        );
    }
    let _ = writeln!(
        out,
        "\nVerdict: {} (after must be within {FD_SLACK} descriptors, {TASK_SLACK} tasks and \
         {} MiB of the start, with no WebSocket open).",
        match verdict {
            Ok(()) => "back to the start values".to_owned(),
            Err(why) => format!("**failed**: {why}"),
        },
        RSS_SLACK / (1024 * 1024)
    );
    if let Some(note) = &args.note {
        let _ = writeln!(out, "\n{note}");
    }
    out.push('\n');
    out
}
