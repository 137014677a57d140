//! `relay` and `raw-tcp`: throughput and round trips of a byte stream,
//! through a WebSocket→TCP relay or straight over TCP.
//!
//! Both run the same loops over a [`Tx`]/[`Rx`] pipe, so the relay's cost
//! is the difference between the two results.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use bytes::{Bytes, BytesMut};
use clap::{Args, ValueEnum};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::cpu::CpuMeter;
use crate::guard;
use crate::record::RunArgs;
use crate::sink::{self, AckReader};
use crate::stats::{round1, Latencies};
use crate::transport::{self, Rx, Tx};

/// How long after the sending stops the last acknowledgement or echoed
/// byte may take before the run counts as failed.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Round trips not recorded at the start of an RTT run (connection and
/// caches warming up).
pub const RTT_WARMUP: u64 = 100;

/// What the far end of the pipe does with the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// A sink that acknowledges what it read (`socketlab-bench sink`).
    Sink,
    /// A TCP echo: bytes come back.
    Echo,
}

/// How much one run may do, whatever the clock says.
#[derive(Debug, Clone, Args)]
pub struct Bounds {
    /// Seconds to send for.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Stop after this many payload bytes even if time is left.
    #[arg(long, default_value_t = 64 << 30)]
    pub max_bytes: u64,
    /// Stop after this many round trips even if time is left (--rtt).
    #[arg(long, default_value_t = 1_000_000)]
    pub max_round_trips: u64,
}

/// What to measure on the pipe.
#[derive(Debug, Clone, Args)]
pub struct PipeArgs {
    /// Message (write) size in bytes; default 64 KiB, or 32 with --rtt.
    #[arg(long)]
    pub size: Option<usize>,
    /// The far end: `sink` measures one-way throughput, `echo` throughput
    /// of bytes sent and received back.
    #[arg(long, value_enum, default_value = "sink")]
    pub mode: Mode,
    /// Measure round-trip times of single messages on one connection
    /// instead of throughput (the far end must echo).
    #[arg(long)]
    pub rtt: bool,
    /// Limits of the run.
    #[command(flatten)]
    pub bounds: Bounds,
}

/// `socketlab-bench relay`.
#[derive(Debug, Clone, Args)]
pub struct RelayArgs {
    /// The relay endpoint, e.g. ws://127.0.0.1:8080/ws/relay/sink.
    #[arg(long)]
    pub url: String,
    /// A subprotocol to offer (e.g. `binary`, which websockify and noVNC use).
    #[arg(long)]
    pub subprotocol: Option<String>,
    /// What to measure.
    #[command(flatten)]
    pub pipe: PipeArgs,
    /// Labels and CPU sampling.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `socketlab-bench raw-tcp`: the loopback TCP ceiling, no WebSocket.
#[derive(Debug, Clone, Args)]
pub struct RawTcpArgs {
    /// The sink or echo to talk to directly, e.g. 127.0.0.1:7000.
    #[arg(long, value_parser = guard::parse_loopback)]
    pub target: SocketAddr,
    /// What to measure.
    #[command(flatten)]
    pub pipe: PipeArgs,
    /// Labels and CPU sampling.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Runs `relay`.
pub async fn run_relay(args: RelayArgs) -> Result<()> {
    guard::ws_url_addr(&args.url)?;
    eprintln!("relay: {} via {}", describe(&args.pipe), args.url);
    let ws = transport::connect_ws(&args.url, args.subprotocol.as_deref()).await?;
    let (tx, rx) = transport::ws_pipe(ws);
    measure(tx, rx, &args.pipe, &args.run, "relay").await
}

/// Runs `raw-tcp`.
pub async fn run_raw_tcp(args: RawTcpArgs) -> Result<()> {
    eprintln!("raw-tcp: {} to {}", describe(&args.pipe), args.target);
    let stream = transport::connect_tcp(args.target).await?;
    let (tx, rx) = transport::tcp_pipe(stream);
    measure(tx, rx, &args.pipe, &args.run, "raw-tcp").await
}

/// One line saying what is about to run.
fn describe(pipe: &PipeArgs) -> String {
    if pipe.rtt {
        format!("round trips of {} B", pipe.size.unwrap_or(32))
    } else {
        format!(
            "{:?} throughput, {} B messages, {} s",
            pipe.mode,
            pipe.size.unwrap_or(65_536),
            pipe.bounds.seconds
        )
    }
}

/// Runs the measurement `pipe` asks for and prints its record.
async fn measure(
    mut tx: Tx,
    mut rx: Rx,
    pipe: &PipeArgs,
    run: &RunArgs,
    bench: &str,
) -> Result<()> {
    let meter = run.meter();
    let mut record = run.record(bench);
    if pipe.rtt {
        let size = pipe.size.unwrap_or(32);
        ensure!(size > 0, "--size must be at least 1");
        record.params.mode = Some("rtt".to_owned());
        record.params.size = Some(size as u64);
        record.params.conns = Some(1);
        let start = meter.sample();
        let (latencies, elapsed) = round_trips(&mut tx, &mut rx, size, &pipe.bounds).await?;
        let end = meter.sample();
        record.metrics.set_latency(latencies.summary());
        record.metrics.msgs_per_s = Some(round1(latencies.count() as f64 / elapsed.as_secs_f64()));
        record.metrics.duration_s = Some(round1(elapsed.as_secs_f64()));
        record.metrics.set_cpu(CpuMeter::usage(&start, &end));
    } else {
        let size = pipe.size.unwrap_or(65_536);
        ensure!(size > 0, "--size must be at least 1");
        record.params.mode = Some(format!("{:?}", pipe.mode).to_lowercase());
        record.params.size = Some(size as u64);
        record.params.conns = Some(1);
        let start = meter.sample();
        let (bytes, elapsed) = match pipe.mode {
            Mode::Sink => to_sink(&mut tx, &mut rx, size, &pipe.bounds).await?,
            Mode::Echo => through_echo(&mut tx, &mut rx, size, &pipe.bounds).await?,
        };
        let end = meter.sample();
        record.metrics.bytes = Some(bytes);
        record.metrics.mb_per_s = Some(round1(bytes as f64 / elapsed.as_secs_f64() / 1e6));
        record.metrics.duration_s = Some(round1(elapsed.as_secs_f64()));
        record.metrics.set_cpu(CpuMeter::usage(&start, &end));
    }
    // A polite end; the result is already measured, so errors do not matter.
    let _ = tokio::time::timeout(Duration::from_secs(1), tx.close()).await;
    record.emit()
}

/// Sends whole acknowledgement batches for the time allowed, then waits
/// for the sink to acknowledge the last byte. Returns the bytes sent and
/// the time from the first byte to that acknowledgement.
async fn to_sink(
    tx: &mut Tx,
    rx: &mut Rx,
    size: usize,
    bounds: &Bounds,
) -> Result<(u64, Duration)> {
    let batch = sink::batch_bytes(size);
    let payload = Bytes::from(vec![0x5a; size]);
    tx.feed(Bytes::copy_from_slice(&sink::header(batch)))
        .await?;
    tx.flush().await?;

    let (total_tx, mut total_rx) = watch::channel(None::<u64>);
    let start = Instant::now();
    let stop_sending = start + Duration::from_secs_f64(bounds.seconds);
    let max_bytes = bounds.max_bytes.max(batch);
    let writer = async {
        let mut sent = 0u64;
        loop {
            tx.feed(payload.clone()).await?;
            sent += size as u64;
            if sent % batch == 0 && (Instant::now() >= stop_sending || sent + batch > max_bytes) {
                break;
            }
        }
        tx.flush().await?;
        total_tx.send_replace(Some(sent));
        anyhow::Ok(sent)
    };
    let reader = async {
        let mut acks = AckReader::default();
        let mut buffer = BytesMut::new();
        loop {
            let total = *total_rx.borrow_and_update();
            if let (Some(total), Some(acked)) = (total, acks.last()) {
                ensure!(
                    acked <= total,
                    "the sink acknowledged {acked} of {total} bytes"
                );
                if acked == total {
                    return Ok(Instant::now());
                }
            }
            tokio::select! {
                n = rx.recv(&mut buffer) => {
                    if n? == 0 {
                        bail!("the connection ended before the sink acknowledged everything");
                    }
                    acks.push(&mut buffer);
                }
                changed = total_rx.changed() => changed.context("the sender vanished")?,
            }
        }
    };
    let (sent, done) = tokio::time::timeout_at(stop_sending + DRAIN_TIMEOUT, async {
        tokio::try_join!(writer, reader)
    })
    .await
    .context("the sink did not acknowledge everything in time")??;
    Ok((sent, done - start))
}

/// Sends for the time allowed while counting the bytes that come back;
/// the clock stops at the last echoed byte.
async fn through_echo(
    tx: &mut Tx,
    rx: &mut Rx,
    size: usize,
    bounds: &Bounds,
) -> Result<(u64, Duration)> {
    let payload = Bytes::from(vec![0x5a; size]);
    let (total_tx, mut total_rx) = watch::channel(None::<u64>);
    let start = Instant::now();
    let stop_sending = start + Duration::from_secs_f64(bounds.seconds);
    let writer = async {
        let mut sent = 0u64;
        while Instant::now() < stop_sending && sent + size as u64 <= bounds.max_bytes {
            tx.feed(payload.clone()).await?;
            sent += size as u64;
        }
        tx.flush().await?;
        total_tx.send_replace(Some(sent));
        anyhow::Ok(sent)
    };
    let reader = async {
        let mut received = 0u64;
        let mut buffer = BytesMut::new();
        loop {
            if let Some(total) = *total_rx.borrow_and_update() {
                ensure!(
                    received <= total,
                    "{received} bytes came back, {total} were sent"
                );
                if received == total {
                    return Ok(Instant::now());
                }
            }
            tokio::select! {
                n = rx.recv(&mut buffer) => {
                    let n = n?;
                    if n == 0 {
                        bail!("the connection ended after {received} echoed bytes");
                    }
                    received += n as u64;
                    buffer.clear();
                }
                changed = total_rx.changed() => changed.context("the sender vanished")?,
            }
        }
    };
    let (sent, done) = tokio::time::timeout_at(stop_sending + DRAIN_TIMEOUT, async {
        tokio::try_join!(writer, reader)
    })
    .await
    .context("the echo did not return everything in time")??;
    Ok((sent, done - start))
}

/// Sends one message at a time and waits for all its bytes to come back.
/// Returns the recorded round trips and the time they took.
async fn round_trips(
    tx: &mut Tx,
    rx: &mut Rx,
    size: usize,
    bounds: &Bounds,
) -> Result<(Latencies, Duration)> {
    let payload = Bytes::from(vec![0x5a; size]);
    let mut latencies = Latencies::new();
    let mut buffer = BytesMut::new();
    let mut measured_from = Instant::now();
    let stop = measured_from + Duration::from_secs_f64(bounds.seconds);
    for round in 0..bounds.max_round_trips.saturating_add(RTT_WARMUP) {
        let sent_at = Instant::now();
        if sent_at >= stop {
            break;
        }
        if round == RTT_WARMUP {
            measured_from = sent_at;
        }
        tx.feed(payload.clone()).await?;
        tx.flush().await?;
        while buffer.len() < size {
            let n = tokio::time::timeout_at(stop + DRAIN_TIMEOUT, rx.recv(&mut buffer))
                .await
                .context("no echo in time")??;
            ensure!(n > 0, "the connection ended while waiting for an echo");
        }
        ensure!(buffer.len() == size, "more bytes came back than were sent");
        buffer.clear();
        if round >= RTT_WARMUP {
            latencies.record(sent_at.elapsed());
        }
    }
    ensure!(
        latencies.count() > 0,
        "no round trip completed within the time allowed"
    );
    Ok((latencies, measured_from.elapsed()))
}
