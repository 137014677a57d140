//! Socketlab's task runner: `cargo xtask run`, `dist`, `test`, `bench` and
//! `install-tools`.
//!
//! The README promises that these commands work on a fresh Debian machine
//! with nothing but rustup, npm and apt, so xtask installs what it needs
//! itself (idempotently) instead of documenting a list of manual steps.

mod autobahn;
mod background;
mod bench;
mod checks;
mod cmd;
mod lighthouse;
mod lockfile;
mod page;
mod release;
mod server;
mod soak;
mod tools;
mod workspace;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::cmd::Cmd;

/// Command line of `cargo xtask`.
#[derive(Parser)]
#[command(bin_name = "cargo xtask", about, disable_version_flag = true)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    task: Task,
}

/// The tasks, one per user-facing workflow.
#[derive(Subcommand)]
enum Task {
    /// Build the page and the server in release mode, then run the server.
    Run {
        /// Arguments for the server, after `--` (e.g. `-- --help`).
        #[arg(last = true)]
        server_args: Vec<String>,
    },
    /// Build the page and the server in release mode and print where the
    /// binary is.
    Dist,
    /// Run every check CI runs: format, lints, page build, tests, browser tests.
    Test {
        /// Skip the steps that need a browser (for the inner dev loop).
        #[arg(long)]
        quick: bool,
    },
    /// Run the Autobahn|Testsuite WebSocket conformance suite against
    /// /ws/echo and print its summary.
    Autobahn,
    /// Measure the page with Lighthouse (mobile preset) against a release
    /// build; fails when a category is under its threshold. Reports go to
    /// target/lighthouse/.
    Lighthouse {
        /// Also write the scores into docs/BENCHMARKS.md.
        #[arg(long)]
        write_docs: bool,
    },
    /// Benchmark the server against websockify, websocat, a bare
    /// tokio-tungstenite server and raw TCP, pinned to separate cores, one
    /// chat room spread over two instances through NATS, and the page's
    /// time to a usable chat in headless Chromium; writes
    /// target/bench/results.jsonl, target/bench/scale-out.jsonl and
    /// docs/BENCHMARKS.md.
    Bench {
        /// One short run of a few configurations (under a minute), written
        /// to target/bench/quick/ instead of docs/.
        #[arg(long)]
        quick: bool,
        /// Measure only this section again; the report keeps the other
        /// results, notes and commands of the previous run.
        #[arg(long, value_enum, value_name = "SECTION")]
        only: Option<bench::Section>,
    },
    /// Open and close 10,000 connections (chat, echo, relay) over 10
    /// minutes against a release build and check that the server's memory,
    /// descriptors and tasks come back; writes docs/BENCHMARKS.md's "Soak"
    /// section. Not part of CI.
    Soak(soak::SoakArgs),
    /// Install the missing tools (trunk, wasm-bindgen, wasm-opt, chromium, ...)
    /// without building anything.
    InstallTools {
        /// Only the test tools (chromium, nats-server, the real clients):
        /// what `cargo xtask test` installs in the background.
        #[arg(long)]
        test_tools: bool,
    },
}

fn main() -> Result<()> {
    match Cli::parse().task {
        Task::Run { server_args } => {
            tools::ensure_web_tools()?;
            let server = release::build()?;
            // Replacing xtask with the server keeps Ctrl-C and the exit code
            // the server's own business.
            Err(Cmd::new(&server).args(&server_args).exec())
        }
        Task::Dist => {
            tools::ensure_web_tools()?;
            let server = release::build()?;
            let size = std::fs::metadata(&server)
                .with_context(|| format!("cannot read {}", server.display()))?
                .len();
            println!("{} ({})", server.display(), release::format_size(size));
            Ok(())
        }
        Task::Test { quick } => checks::run(quick),
        Task::Autobahn => autobahn::run(None),
        Task::Lighthouse { write_docs } => lighthouse::run(write_docs, &workspace::server_binary()),
        Task::Bench { quick, only } => bench::run(quick, only),
        Task::Soak(args) => soak::run(args),
        Task::InstallTools { test_tools } => {
            if !test_tools {
                tools::ensure_web_tools()?;
            }
            tools::ensure_test_tools()
        }
    }
}
