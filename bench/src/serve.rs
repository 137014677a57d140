//! What the harness's own servers (sink, TCP echo, bare references) share:
//! a loopback-only listener, the start-up line callers wait for, and a
//! bounded lifetime.

use std::future::Future;
use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use tokio::net::{TcpListener, TcpStream};

use crate::guard;

/// Where to listen and for how long.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Loopback address to listen on; port 0 picks a free one, printed on
    /// stdout as `listening IP:PORT`.
    #[arg(long, default_value = "127.0.0.1:0", value_parser = guard::parse_loopback)]
    pub listen: std::net::SocketAddr,
    /// Exit after this many seconds even if nobody stops the server, so a
    /// forgotten helper cannot outlive a benchmark run for long.
    #[arg(long, default_value_t = 3600)]
    pub lifetime_secs: u64,
}

/// Binds the listener and prints `listening IP:PORT` on stdout (flushed),
/// the line `cargo xtask bench` waits for.
pub async fn bind(args: &ServeArgs) -> Result<TcpListener> {
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening {addr}")?;
    stdout.flush()?;
    Ok(listener)
}

/// Accepts connections and runs `handle` on each in its own task until the
/// lifetime is over. A failing connection is reported on stderr and does
/// not stop the server.
pub async fn accept_loop<F, Fut>(listener: TcpListener, args: &ServeArgs, handle: F) -> Result<()>
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.lifetime_secs);
    loop {
        let accepted = tokio::time::timeout_at(deadline, listener.accept()).await;
        let Ok(accepted) = accepted else {
            eprintln!("lifetime of {} s is over; exiting", args.lifetime_secs);
            return Ok(());
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            // E.g. out of file descriptors: wait a little rather than spin.
            Err(err) => {
                eprintln!("accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let task = handle(stream);
        tokio::spawn(async move {
            if let Err(err) = task.await {
                eprintln!("connection from {peer}: {err:#}");
            }
        });
    }
}
