//! `socketlab-alloc`: heap allocations per delivered room message.
//!
//! A room message is serialised once and the same bytes go to every
//! member; what is left per delivery is the server's own bookkeeping. This
//! binary counts it: a counting global allocator (`stats_alloc`'s wrapper
//! of the system allocator, in this benchmark binary, never in the server)
//! around an in-process socketlab, and the room's N members
//! ([`members`]) in a child process, so that only the server's
//! allocations are counted. One member says M things; the allocations
//! from `go` until every member has all M, divided by the N × M
//! deliveries, is the number. The same window with nothing said is
//! measured first, so what the server allocates idle is known.
//!
//! Prints one JSON result line (bench `alloc`) per room size. Loopback
//! only, bounded in members, messages and time.

mod members;

use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use clap::Parser;
use serde_json::json;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::time::Instant;

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Command line.
#[derive(Parser)]
#[command(
    name = "socketlab-alloc",
    about = "Heap allocations per delivered chat message, in an in-process socketlab"
)]
struct Args {
    /// Room sizes to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    members: Vec<u32>,
    /// Messages said in each room.
    #[arg(long, default_value_t = 50)]
    messages: u32,
    /// Pause between two messages, ms (the room is never flooded: this
    /// counts the cost of a delivery, not of a backlog).
    #[arg(long, default_value_t = 20)]
    interval_ms: u64,
    /// Repetition number, copied into every result.
    #[arg(long)]
    run: Option<u32>,
    /// Internal: be the members of this room on the server at this
    /// address (the child process).
    #[arg(long, hide = true, value_name = "ADDR")]
    members_of: Option<std::net::SocketAddr>,
    /// Internal: the child's room.
    #[arg(long, hide = true, default_value = "alloc")]
    room: String,
}

fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(args.messages > 0, "--messages must be at least 1");
    ensure!(
        args.members.iter().all(|&n| (2..=20_000).contains(&n)),
        "--members must be between 2 and 20000"
    );
    let wanted = u64::from(args.members.iter().copied().max().unwrap_or(0)) + 256;
    let got = rlimit::increase_nofile_limit(wanted).context("cannot read the open-file limit")?;
    ensure!(
        got >= wanted,
        "{wanted} open files needed, the limit is {got} (raise it with ulimit -n)"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    if let Some(addr) = args.members_of {
        let interval = Duration::from_millis(args.interval_ms);
        let members = args.members.first().copied().unwrap_or(2);
        return runtime.block_on(members::run(
            addr,
            &args.room,
            members,
            args.messages,
            interval,
        ));
    }
    runtime.block_on(async {
        let mut config = socketlab_server::Config::with_listen("127.0.0.1:0".parse()?);
        config.log = "error".to_owned();
        config.no_webtransport = true;
        config.no_tcp_echo = true;
        config.no_udp_echo = true;
        config.no_tcp_chat = true;
        config.max_connections = 50_000;
        config.max_connections_per_ip = 50_000;
        config.chat_rate = 100_000.0;
        config.chat_burst = 10_000;
        let server = socketlab_server::Server::bind(config).await?;
        let addr = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        for &members in &args.members {
            println!("{}", measure(addr, members, &args).await?);
        }
        drop(stop);
        let _ = tokio::time::timeout(Duration::from_secs(10), serving).await;
        anyhow::Ok(())
    })
}

/// One room of `members`: the members join (in the child), an idle
/// window, then the messages.
async fn measure(addr: std::net::SocketAddr, members: u32, args: &Args) -> Result<String> {
    eprintln!("alloc: {members} members join room alloc-{members}");
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("--members-of")
        .arg(addr.to_string())
        .args(["--room", &format!("alloc-{members}")])
        .args(["--members", &members.to_string()])
        .args(["--messages", &args.messages.to_string()])
        .args(["--interval-ms", &args.interval_ms.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start the members' process")?;
    let mut stdin = child.stdin.take().context("no stdin")?;
    let mut lines = BufReader::new(child.stdout.take().context("no stdout")?).lines();
    expect(&mut lines, "ready").await?;
    // Let the joins' presence updates go out before anything is counted.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let window = Duration::from_millis(args.interval_ms * u64::from(args.messages));

    let idle = Region::new(GLOBAL);
    tokio::time::sleep(window).await;
    let idle = idle.change();

    let counted = Region::new(GLOBAL);
    let started = Instant::now();
    stdin.write_all(b"go\n").await?;
    stdin.flush().await?;
    let done = expect(&mut lines, "done ").await?;
    let spent = counted.change();
    let elapsed = started.elapsed().as_secs_f64();
    let received: u64 = done["done ".len()..].parse().context("a bad done line")?;
    let expected = u64::from(members) * u64::from(args.messages);
    ensure!(received == expected, "{received} of {expected} deliveries");
    drop(stdin);
    let _ = tokio::time::timeout(members::WAIT, child.wait()).await;

    let allocations = (spent.allocations + spent.reallocations) as u64;
    let bytes = (spent.bytes_allocated + spent.bytes_reallocated.max(0) as usize) as u64;
    let per = |value: u64| (value as f64 / expected as f64 * 10_000.0).round() / 10_000.0;
    eprintln!(
        "alloc: {members} members: {allocations} allocations, {bytes} bytes for {expected} \
         deliveries ({} allocations in the same time idle)",
        idle.allocations + idle.reallocations
    );
    Ok(json!({
        "bench": "alloc",
        "peer": "socketlab",
        "subscribers": members,
        "messages": args.messages,
        "allocs_per_delivery": per(allocations),
        "alloc_bytes_per_delivery": per(bytes),
        "idle_allocs": idle.allocations + idle.reallocations,
        "delivered": received,
        "duration_s": (elapsed * 10.0).round() / 10.0,
        "run": args.run,
    })
    .to_string())
}

/// The members' next line, which must start with `prefix`.
async fn expect(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    prefix: &str,
) -> Result<String> {
    match tokio::time::timeout(members::WAIT, lines.next_line()).await {
        Ok(Ok(Some(line))) if line.starts_with(prefix) => Ok(line),
        Ok(Ok(Some(line))) => bail!("the members said {line:?}, not {prefix:?}"),
        Ok(_) => bail!("the members' process ended (its error is above)"),
        Err(_) => bail!("the members did not say {prefix:?} in time"),
    }
}
