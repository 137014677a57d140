//! `socketlab-bench datagram`: what a datagram costs and buys next to a
//! WebSocket message, measured with one loop through either door
//! ([`crate::door`]).
//!
//! - `--mode echo` (`/wt/echo` or `/ws/echo`): each message carries a
//!   sequence number; `--inflight` of them are kept on the way, and each
//!   reply's round trip goes into an HDR histogram. A datagram may be lost
//!   (even on loopback, when a buffer overflows): one not back within
//!   [`LOSS_AFTER`] counts as lost and is replaced, so a loss never stalls
//!   the window.
//! - `--mode sink` (`/wt/relay/{target}` or `/ws/relay/{target}`, a
//!   `socketlab-bench udp-sink` target): sends as fast as the door takes
//!   messages, then asks the sink (through the relay) what arrived: the
//!   delivered rate is on the sink's clock, and what did not arrive is lost.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use bytes::{BufMut, Bytes, BytesMut};
use clap::{Args, ValueEnum};
use tokio::time::Instant;

use crate::cpu::CpuMeter;
use crate::door::{self, Door};
use crate::guard;
use crate::record::RunArgs;
use crate::stats::{round1, Latencies};
use crate::udp_sink::{Tally, DATA, QUERY};

/// A datagram not back after this long is lost (loopback round trips are
/// well under a millisecond).
pub const LOSS_AFTER: Duration = Duration::from_millis(200);

/// Round trips not recorded at the start of an echo run.
pub const WARMUP: u64 = 100;

/// How many times the sink is asked before the run gives up.
const QUERIES: u32 = 20;

/// How long each query waits for its answer.
const QUERY_WAIT: Duration = Duration::from_millis(200);

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Round trips through the echo endpoint.
    Echo,
    /// One-way delivery through the relay to a UDP sink.
    Sink,
}

/// `socketlab-bench datagram`.
#[derive(Debug, Clone, Args)]
pub struct DatagramArgs {
    /// The socketlab under test: its HTTP listener, loopback `IP:PORT`
    /// (the WebTransport port and certificate hash come from /api/info).
    #[arg(long, value_parser = guard::parse_loopback)]
    pub server: SocketAddr,
    /// Which door the messages go through.
    #[arg(long, value_enum)]
    pub door: door::Kind,
    /// What to measure.
    #[arg(long, value_enum)]
    pub mode: Mode,
    /// The relay target of `--mode sink` (a udp-sink).
    #[arg(long, default_value = "udp-sink")]
    pub target: String,
    /// Message size, bytes (at least 16 for an echo's sequence number).
    #[arg(long, default_value_t = 32)]
    pub size: usize,
    /// Echo: messages kept in flight.
    #[arg(long, default_value_t = 1)]
    pub inflight: u32,
    /// Seconds to measure (echo) or to send (sink).
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Stop after this many messages even if time is left.
    #[arg(long, default_value_t = 5_000_000)]
    pub max_messages: u64,
    /// Labels and CPU sampling.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Runs `datagram`.
pub async fn run(args: DatagramArgs) -> Result<()> {
    let path = match args.mode {
        Mode::Echo => "echo".to_owned(),
        Mode::Sink => format!("relay/{}", args.target),
    };
    eprintln!(
        "datagram: {:?} over {}, {} B, {} in flight, {} s",
        args.mode,
        args.door.name(),
        args.size,
        args.inflight,
        args.seconds
    );
    let mut door = Door::open(args.door, args.server, &path).await?;
    if let Some(max) = door.max_datagram() {
        ensure!(
            args.size <= max,
            "--size {} does not fit one datagram of this session (at most {max})",
            args.size
        );
    }
    let meter = args.run.meter();
    let mut record = args.run.record("datagram");
    record.params.mode = Some(format!("{:?}", args.mode).to_lowercase());
    record.params.door = Some(args.door.name().to_owned());
    record.params.size = Some(args.size as u64);
    record.params.conns = Some(1);
    let start = meter.sample();
    match args.mode {
        Mode::Echo => {
            ensure!(args.size >= 16, "--size must be at least 16 for an echo");
            record.params.inflight = Some(args.inflight.max(1));
            let echo = echo(&mut door, &args).await?;
            record.metrics.set_latency(echo.latencies.summary());
            record.metrics.msgs_per_s = Some(round1(echo.replies as f64 / echo.elapsed));
            record.metrics.delivered = Some(echo.replies);
            record.metrics.lost = Some(echo.lost);
            record.metrics.duration_s = Some(round1(echo.elapsed));
        }
        Mode::Sink => {
            ensure!(args.size >= 1, "--size must be at least 1");
            let (sent, tally) = to_sink(&mut door, &args).await?;
            let span = (tally.span_us.max(1)) as f64 / 1e6;
            record.metrics.msgs_per_s = Some(round1(tally.datagrams as f64 / span));
            record.metrics.mb_per_s = Some(round1(tally.bytes as f64 / span / 1e6));
            record.metrics.delivered = Some(tally.datagrams);
            record.metrics.lost = Some(sent.saturating_sub(tally.datagrams));
            record.metrics.bytes = Some(tally.bytes);
            record.metrics.duration_s = Some(round1(span));
        }
    }
    let end = meter.sample();
    record.metrics.set_cpu(CpuMeter::usage(&start, &end));
    door.close().await;
    record.emit()
}

/// What an echo run found.
struct Echo {
    latencies: Latencies,
    replies: u64,
    lost: u64,
    elapsed: f64,
}

/// The echo loop: keep `inflight` numbered messages on the way, record
/// each reply's round trip, replace the lost.
async fn echo(door: &mut Door, args: &DatagramArgs) -> Result<Echo> {
    let inflight = args.inflight.max(1) as usize;
    let mut pending: HashMap<u64, Instant> = HashMap::with_capacity(inflight * 2);
    let mut latencies = Latencies::new();
    let (mut next, mut seen, mut replies, mut lost) = (0u64, 0u64, 0u64, 0u64);
    let mut measured_from = Instant::now();
    let stop = measured_from + Duration::from_secs_f64(args.seconds);
    let max = args.max_messages.saturating_add(WARMUP);
    loop {
        let now = Instant::now();
        let sending = now < stop && next < max;
        while sending && pending.len() < inflight {
            pending.insert(next, Instant::now());
            door.send(numbered(next, args.size)).await?;
            next += 1;
        }
        if pending.is_empty() {
            break;
        }
        let oldest = pending.values().min().copied().unwrap_or(now);
        match tokio::time::timeout_at(oldest + LOSS_AFTER, door.recv()).await {
            Ok(reply) => {
                let reply = reply?;
                let seq = reply
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes)
                    .context("a reply shorter than its sequence number")?;
                // A late or duplicated reply has no pending entry: ignored.
                if let Some(sent_at) = pending.remove(&seq) {
                    seen += 1;
                    if seen == WARMUP {
                        measured_from = Instant::now();
                    } else if seen > WARMUP {
                        latencies.record(sent_at.elapsed());
                        replies += 1;
                    }
                }
            }
            Err(_) => {
                let now = Instant::now();
                let before = pending.len();
                pending.retain(|_, sent_at| now - *sent_at < LOSS_AFTER);
                lost += (before - pending.len()) as u64;
            }
        }
    }
    ensure!(replies > 0, "no reply came back after the warm-up");
    Ok(Echo {
        latencies,
        replies,
        lost,
        elapsed: measured_from.elapsed().as_secs_f64(),
    })
}

/// A message of `size` bytes starting with `seq`.
fn numbered(seq: u64, size: usize) -> Bytes {
    let mut message = BytesMut::with_capacity(size);
    message.put_u64(seq);
    message.resize(size, 0x5a);
    message.freeze()
}

/// Sends data datagrams for the time allowed, then asks the sink what
/// arrived until two answers agree (the last datagrams may still be on
/// their way). Returns the datagrams sent and the sink's tally.
async fn to_sink(door: &mut Door, args: &DatagramArgs) -> Result<(u64, Tally)> {
    let mut payload = BytesMut::with_capacity(args.size);
    payload.put_u8(DATA);
    payload.resize(args.size, 0x5a);
    let payload = payload.freeze();
    let stop = Instant::now() + Duration::from_secs_f64(args.seconds);
    let mut sent = 0u64;
    while sent < args.max_messages && Instant::now() < stop {
        door.send(payload.clone()).await?;
        sent += 1;
    }
    let mut last: Option<Tally> = None;
    for _ in 0..QUERIES {
        door.send(Bytes::from_static(&[QUERY])).await?;
        let answer = tokio::time::timeout(QUERY_WAIT, door.recv()).await;
        let Ok(answer) = answer else { continue };
        let tally = Tally::decode(&answer?).context("the sink's answer is not a tally")?;
        if tally.datagrams == sent || last == Some(tally) {
            return Ok((sent, tally));
        }
        last = Some(tally);
        tokio::time::sleep(QUERY_WAIT / 2).await;
    }
    last.map(|tally| (sent, tally))
        .context("the sink never answered a query (is the target a udp-sink?)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_numbered_message_has_its_size_and_number() {
        let message = numbered(0x0102, 32);
        assert_eq!(message.len(), 32);
        assert_eq!(&message[..8], &0x0102u64.to_be_bytes());
    }
}
