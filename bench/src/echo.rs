//! `echo`: many connections, each keeping K messages in flight to a
//! WebSocket echo server, measuring replies per second and round trips.
//!
//! K = 1 is ping-pong, the latency view; larger K keeps the server busy
//! while replies are in transit, the throughput view.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use clap::Args;
use futures_util::{StreamExt, TryStreamExt};
use tokio::time::Instant;

use crate::cpu::CpuMeter;
use crate::guard;
use crate::record::RunArgs;
use crate::stats::{round1, Latencies, LatencyBatch};
use crate::transport;
use crate::wire::{opcode, WireWs};

/// How long replies still in flight at the end may take.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// `socketlab-bench echo`.
#[derive(Debug, Clone, Args)]
pub struct EchoArgs {
    /// The echo endpoint, e.g. ws://127.0.0.1:8080/ws/echo.
    #[arg(long)]
    pub url: String,
    /// Connections, all open before the clock starts.
    #[arg(long, default_value_t = 1)]
    pub conns: u32,
    /// Payload bytes per (binary) message.
    #[arg(long, default_value_t = 32)]
    pub size: usize,
    /// Messages each connection keeps in flight (1 = ping-pong).
    #[arg(long, default_value_t = 1)]
    pub inflight: u32,
    /// Seconds measured (after the warm-up).
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Seconds of load before measuring, not counted.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Stop each connection after this many messages even if time is left.
    #[arg(long, default_value_t = 10_000_000)]
    pub max_messages: u64,
    /// Labels and CPU sampling.
    #[command(flatten)]
    pub run: RunArgs,
}

/// The clock every connection follows.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// Sending starts (warm-up begins).
    begin: Instant,
    /// Measuring starts.
    measure: Instant,
    /// Sending and measuring stop.
    end: Instant,
}

/// What one connection saw inside the window (its round trips go to the
/// run's shared histogram).
struct ConnResult {
    /// Replies received inside the window.
    replies: u64,
}

/// Runs `echo`.
pub async fn run(args: EchoArgs) -> Result<()> {
    guard::ws_url_addr(&args.url)?;
    ensure!(
        args.conns > 0 && args.inflight > 0,
        "--conns and --inflight must be at least 1"
    );
    ensure!(
        args.seconds > 0.0 && args.warmup >= 0.0,
        "--seconds must be positive"
    );
    transport::ensure_open_files(u64::from(args.conns))?;
    eprintln!(
        "echo: {} conns x {} B x {} in flight, {} s, {}",
        args.conns, args.size, args.inflight, args.seconds, args.url
    );
    // 64 handshakes at a time: a thousand at once would measure the
    // accept queue, not the server.
    let connections: Vec<WireWs> = futures_util::stream::iter(0..args.conns)
        .map(|_| WireWs::connect(&args.url))
        .buffered(64)
        .try_collect()
        .await?;

    let begin = Instant::now() + Duration::from_millis(50);
    let measure = begin + Duration::from_secs_f64(args.warmup);
    let window = Window {
        begin,
        measure,
        end: measure + Duration::from_secs_f64(args.seconds),
    };
    let payload = vec![0x5a; args.size];
    let latencies = Arc::new(Mutex::new(Latencies::new()));
    let tasks: Vec<_> = connections
        .into_iter()
        .map(|ws| {
            tokio::spawn(connection(
                ws,
                payload.clone(),
                LatencyBatch::new(latencies.clone()),
                args.inflight as usize,
                window,
                args.max_messages,
            ))
        })
        .collect();

    let meter = args.run.meter();
    tokio::time::sleep_until(window.measure).await;
    let cpu_start = meter.sample();
    tokio::time::sleep_until(window.end).await;
    let cpu_end = meter.sample();

    let mut replies = 0;
    let mut errors = 0u64;
    let mut first_error = None;
    for task in tasks {
        match task.await.context("a connection task panicked")? {
            Ok(result) => replies += result.replies,
            Err(err) => {
                errors += 1;
                first_error.get_or_insert(err);
            }
        }
    }
    if let Some(err) = first_error {
        eprintln!("echo: {errors} connection(s) failed; the first: {err:#}");
    }
    ensure!(replies > 0, "no reply arrived inside the measured window");

    let mut record = args.run.record("echo");
    record.params.conns = Some(args.conns);
    record.params.size = Some(args.size as u64);
    record.params.inflight = Some(args.inflight);
    record.metrics.msgs_per_s = Some(round1(replies as f64 / args.seconds));
    let latencies = latencies.lock().expect("every connection task has ended");
    record.metrics.set_latency(latencies.summary());
    record
        .metrics
        .set_cpu(CpuMeter::usage(&cpu_start, &cpu_end));
    record.metrics.errors = Some(errors);
    record.metrics.duration_s = Some(args.seconds);
    record.emit()
}

/// One connection: keeps `inflight` messages outstanding until the window
/// ends (or `max_messages` were sent), then collects the stragglers.
///
/// Replies are taken in batches (all that one read brings) and the
/// messages that replace them go out in one write, as a pipelining client
/// would; each message's round trip is still timed on its own.
async fn connection(
    mut ws: WireWs,
    payload: Vec<u8>,
    mut latencies: LatencyBatch,
    inflight: usize,
    window: Window,
    max_messages: u64,
) -> Result<ConnResult> {
    let frame = ws.frame(opcode::BINARY, &payload);
    let mut pending: VecDeque<Instant> = VecDeque::with_capacity(inflight);
    let mut replies = 0;
    let mut sent = 0u64;
    tokio::time::sleep_until(window.begin).await;
    loop {
        let now = Instant::now();
        if now < window.end && sent < max_messages {
            while pending.len() < inflight && sent < max_messages {
                ws.queue(&frame);
                pending.push_back(now);
                sent += 1;
            }
            ws.flush().await?;
        }
        if pending.is_empty() {
            break;
        }
        let mut wrong_size = None;
        let mut arrived = 0;
        tokio::time::timeout_at(
            window.end + DRAIN_TIMEOUT,
            ws.read_messages(|_, reply| {
                if reply.len() != payload.len() {
                    wrong_size = Some(reply.len());
                }
                arrived += 1;
            }),
        )
        .await
        .context("no echo within 5 s after the end")??;
        if let Some(got) = wrong_size {
            anyhow::bail!("sent {} bytes, {got} came back", payload.len());
        }
        ensure!(arrived <= pending.len(), "more replies than messages sent");
        let at = Instant::now();
        for sent_at in pending.drain(..arrived) {
            if at >= window.measure && at <= window.end {
                replies += 1;
                if sent_at >= window.measure {
                    latencies.record(at - sent_at);
                }
            }
        }
    }
    ws.close().await;
    Ok(ConnResult { replies })
}
