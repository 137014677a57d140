//! `socketlab`: the server binary. All behaviour lives in the library so that
//! tests can run the very same server in-process; this file only reads the
//! command line, sets up logging and maps the outcome to an exit code.

use std::process::ExitCode;

use socketlab_server::{shutdown, Config, Server};

#[tokio::main]
async fn main() -> ExitCode {
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
