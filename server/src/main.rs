//! `socketlab`: the server binary. All behaviour lives in the library so that
//! tests can run the very same server in-process; this file only reads the
//! command line, sets up logging and maps the outcome to an exit code.

use std::process::ExitCode;

use socketlab_server::{shutdown, Config, Server};

/// How often (in tasks) a runtime worker takes a task from the shared
/// queue before its own. A worker's own queue holds 256 tasks; when more
/// connections become readable at once (512 echo clients, a room of
/// thousands), the rest go to the shared queue, and with tokio's default
/// (about one in a hundred, self-tuned) they waited behind every task
/// woken later: echo round trips at 512 connections had a p99 of 68 ms
/// where Bun's was 5 ms. Taking every other task from it when it has any
/// serves them in about the order they woke (p99 7-9 ms), and costs
/// nothing measurable when it is empty (docs/BENCHMARKS.md).
const GLOBAL_QUEUE_INTERVAL: u32 = 2;

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .global_queue_interval(GLOBAL_QUEUE_INTERVAL)
        .enable_all()
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(serve()),
        Err(err) => {
            eprintln!("socketlab: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> ExitCode {
    let config = match Config::load() {
        Ok(config) => config,
        // Prints help/version, or the error naming the flag or key (exit 2).
        Err(err) => err.exit(),
    };
    let _log = socketlab_server::logging::init(&config.log, config.log_format);

    let server = match Server::bind(config).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("socketlab: {err:#}");
            return ExitCode::from(2);
        }
    };
    // The one line people (and scripts) look for: the real address, even
    // when `--listen` asked for port 0.
    println!("socketlab {} listening", env!("CARGO_PKG_VERSION"));
    for line in server.endpoint_lines() {
        println!("  {line}");
    }
    println!("open {}", server.url());

    match server.run(shutdown::signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("socketlab: {err:#}");
            ExitCode::FAILURE
        }
    }
}
