//! `socketlab-bench`: Socketlab's benchmark harness.
//!
//! One binary holds everything a benchmark run needs besides the peers
//! under test: the load generators (`echo`, `relay`, `raw-tcp`, `fanout`,
//! `storm`, `idle`, `datagram`, and `page`, which drives headless Chromium), the targets
//! they deliver to (`sink`, `tcp-echo`, `udp-sink`), the no-framework references
//! (`bare-echo`, `bare-relay`), the report writer, and `run`, the plan
//! that starts and pins all of these (what `cargo xtask bench` calls);
//! each can also be run by hand. Load generators
//! print progress on stderr and one JSON line per result on stdout. Every
//! address must be loopback.

mod bare;
mod client;
mod cpu;
mod datagram;
mod door;
mod echo;
mod fanout;
mod guard;
mod idle;
mod page;
mod plan;
mod record;
mod relay;
mod report;
mod runner;
mod serve;
mod sink;
mod size;
mod soak;
mod stats;
mod storm;
mod supervise;
mod transport;
mod udp_sink;
mod wire;
mod workspace;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

/// Command line of `socketlab-bench`.
#[derive(Parser)]
#[command(
    name = "socketlab-bench",
    version,
    about = "Load generators, sinks and reference servers for Socketlab's benchmarks \
             (loopback only). Results are JSON lines on stdout."
)]
struct Cli {
    /// Tokio worker threads; default: the CPUs this process may run on, so
    /// under `taskset -c 1` the load generator uses exactly one.
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// What to run.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands: load generators, targets, references, report.
#[derive(Subcommand)]
enum Command {
    /// N WebSocket connections to an echo endpoint, each keeping K
    /// messages in flight: messages/s and round-trip percentiles.
    Echo(echo::EchoArgs),
    /// Throughput (MB/s) or round trips through a WebSocket→TCP relay.
    Relay(relay::RelayArgs),
    /// WebTransport datagrams next to a WebSocket: echo round trips and
    /// rate, and one-way delivery through the relay to a UDP sink.
    Datagram(datagram::DatagramArgs),
    /// A UDP sink that counts what reaches it and answers queries.
    UdpSink(serve::ServeArgs),
    /// The same measurements straight over loopback TCP: the ceiling.
    RawTcp(relay::RawTcpArgs),
    /// One chat publisher and N subscribers in a fresh room: delivery
    /// latency, the slowest receiver, and loss.
    Fanout(fanout::FanoutArgs),
    /// N chat members join one room within a second, stay, and leave
    /// within a second while a publisher sends: members closed, messages
    /// lost, the server's CPU-seconds and peak memory.
    Storm(storm::StormArgs),
    /// Resident memory of a server per idle WebSocket connection.
    Idle(idle::IdleArgs),
    /// Time from navigation to a usable chat in headless Chromium, cold
    /// and warm (starts chromedriver itself).
    Page(page::PageArgs),
    /// Raw and gzip size of the built page's WebAssembly.
    PageSize(size::PageSizeArgs),
    /// A TCP sink that acknowledges the bytes it has read.
    Sink(serve::ServeArgs),
    /// A TCP echo.
    TcpEcho(serve::ServeArgs),
    /// A WebSocket echo server written with tokio-tungstenite alone.
    BareEcho(bare::BareEchoArgs),
    /// A WebSocket→TCP relay written with tokio-tungstenite alone.
    BareRelay(bare::BareRelayArgs),
    /// Writes BENCHMARKS.md and the throughput plot from results.jsonl.
    Report(report::ReportArgs),
    /// Opens and closes many connections (chat, echo, relay) over a long
    /// time against a server it starts, and checks that its memory,
    /// descriptors and tasks come back (what `cargo xtask soak` runs).
    Soak(soak::SoakArgs),
    /// Runs the whole plan (what `cargo xtask bench` does once it has built
    /// everything): starts the peers pinned to their cores, runs every
    /// measurement, writes the results and the report.
    Run(runner::RunnerArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("socketlab-bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Starts the runtime and runs the subcommand.
fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Report(args) => return report::run(args),
        Command::Run(args) => return runner::run(args),
        Command::Soak(args) => return soak::run(args),
        _ => {}
    }
    let threads = match cli.threads {
        Some(threads) => threads.max(1),
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Echo(args) => echo::run(args).await,
            Command::Relay(args) => relay::run_relay(args).await,
            Command::RawTcp(args) => relay::run_raw_tcp(args).await,
            Command::Datagram(args) => datagram::run(args).await,
            Command::UdpSink(args) => udp_sink::serve(args).await,
            Command::Fanout(args) => fanout::run(args).await,
            Command::Storm(args) => storm::run(args).await,
            Command::Idle(args) => idle::run(args).await,
            Command::Page(args) => page::run(args).await,
            Command::PageSize(args) => size::run(args),
            Command::Sink(args) => sink::serve_sink(args).await,
            Command::TcpEcho(args) => sink::serve_echo(args).await,
            Command::BareEcho(args) => bare::echo(args).await,
            Command::BareRelay(args) => bare::relay(args).await,
            Command::Report(args) => report::run(args),
            Command::Run(args) => runner::run(args),
            Command::Soak(args) => soak::run(args),
        }
    })
}
