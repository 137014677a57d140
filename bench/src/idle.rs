//! `idle`: what an open, silent WebSocket costs the server in memory.
//!
//! Connections are opened in steps (1000, then up to 5000, ...) and kept;
//! after each step settles, the server's resident memory is compared with
//! its memory before the first connection. Memory, not CPU, is what limits
//! how many quiet clients (chat tabs left open) one server can hold.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use clap::Args;

use crate::cpu;
use crate::guard;
use crate::record::RunArgs;
use crate::transport;

/// `socketlab-bench idle`.
#[derive(Debug, Clone, Args)]
pub struct IdleArgs {
    /// A WebSocket endpoint that stays quiet, e.g. ws://127.0.0.1:8080/ws/echo.
    #[arg(long)]
    pub url: String,
    /// Connection counts to measure at, ascending, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,5000,10000")]
    pub conns: Vec<u32>,
    /// PID of the server whose resident memory is read.
    #[arg(long)]
    pub pid: u32,
    /// Seconds to let each step settle before reading the memory.
    #[arg(long, default_value_t = 2.0)]
    pub settle: f64,
    /// Handshakes in progress at once.
    #[arg(long, default_value_t = 128)]
    pub parallel: usize,
    /// Labels (the server's CPU is not measured here).
    #[command(flatten)]
    pub run: RunArgs,
}

/// Resident bytes per connection between two readings; a server that
/// shrank reports 0, not a negative cost.
pub fn per_connection(before: u64, after: u64, connections: u32) -> u64 {
    after.saturating_sub(before) / u64::from(connections.max(1))
}

/// Runs `idle`.
pub async fn run(args: IdleArgs) -> Result<()> {
    guard::ws_url_addr(&args.url)?;
    ensure!(
        !args.conns.is_empty() && args.conns.windows(2).all(|pair| pair[0] < pair[1]),
        "--conns must be ascending, e.g. 1000,5000,10000"
    );
    let most = *args.conns.last().expect("checked non-empty");
    transport::ensure_open_files(u64::from(most))?;
    let settle = Duration::from_secs_f64(args.settle);

    tokio::time::sleep(settle).await;
    let before = cpu::rss_bytes(args.pid)?;
    eprintln!(
        "idle: server {} uses {} KiB before",
        args.pid,
        before / 1024
    );
    let mut open = Vec::with_capacity(most as usize);
    for &target in &args.conns {
        let missing = target as usize - open.len();
        let started = std::time::Instant::now();
        let more = transport::connect_many(
            std::iter::repeat_n(args.url.clone(), missing),
            args.parallel,
            None,
        )
        .await
        .with_context(|| format!("opening connection {} of {target}", open.len() + 1))?;
        open.extend(more);
        eprintln!(
            "idle: {target} connections open ({:.1} s for the last {missing})",
            started.elapsed().as_secs_f64()
        );
        tokio::time::sleep(settle).await;
        let after = cpu::rss_bytes(args.pid)?;
        let mut record = args.run.record("idle");
        record.params.conns = Some(target);
        record.metrics.rss_before = Some(before);
        record.metrics.rss_after = Some(after);
        record.metrics.bytes_per_conn = Some(per_connection(before, after, target));
        record.emit()?;
    }
    // Dropping the streams closes the sockets; the server cleans up after us.
    drop(open);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_per_connection() {
        assert_eq!(per_connection(10_000_000, 30_000_000, 1000), 20_000);
        assert_eq!(per_connection(10_000_000, 9_000_000, 1000), 0);
        assert_eq!(per_connection(0, 100, 0), 100);
    }
}
