//! Log set-up: `tracing` to stderr, so stdout stays free for the one line
//! that announces the URL.
//!
//! Lines are written by a thread of their own, never by a runtime worker:
//! when nobody reads stderr (a terminal paused with Ctrl-S, `socketlab |
//! less`, a stuck log shipper), a blocking write would stop the worker
//! mid-request, and after a few hundred lines the whole server. The queue
//! is bounded and lossy instead; what it drops is counted in
//! `socketlab_log_lines_dropped_total`.

use std::io::IsTerminal as _;
use std::sync::OnceLock;

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Lines queued for the writer thread before new ones are dropped.
const QUEUED_LINES: usize = 4096;

/// The writer's count of dropped lines, once logging is set up.
static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// Keeps the writer thread alive; dropping it flushes what is queued.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _worker: WorkerGuard,
}

/// Installs the global subscriber. `RUST_LOG`, when set, wins over `--log`,
/// matching what Rust users expect from other tools.
pub fn init(default_filter: &str, format: LogFormat) -> LogGuard {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(default_filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, worker) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("socketlab-log")
        .finish(std::io::stderr());
    let _ = DROPPED.set(writer.error_counter());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    // A second init (e.g. several servers in one test process) is harmless.
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    LogGuard { _worker: worker }
}

/// Log lines dropped so far because nobody read them fast enough.
pub fn dropped_lines() -> u64 {
    DROPPED
        .get()
        .map_or(0, |counter| counter.dropped_lines() as u64)
}
