//! Graceful shutdown: one signal fans out to every open connection.
//!
//! As in tokio's mini-redis, each connection task watches a shared token; on
//! Ctrl-C or SIGTERM the server stops accepting, every WebSocket session
//! sends close code 1001 (going away) and finishes its close handshake, and
//! the process waits for those tasks before it exits.

use std::future::Future;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Shared by every connection task: tells them to stop, and counts them so
/// the server can wait for the last one.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Shutdown {
    /// Runs `task` as a tracked connection task.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn(task);
    }

    /// Resolves once shutdown has begun; connection tasks `select!` on it.
    pub async fn begun(&self) {
        self.token.cancelled().await;
    }

    /// Whether shutdown has begun.
    pub fn is_begun(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Tells every task to finish.
    pub fn begin(&self) {
        self.token.cancel();
    }

    /// Waits until every tracked task has ended (call after [`Self::begin`]).
    pub async fn finished(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }

    /// How many connection tasks are running; for tests and metrics.
    pub fn open_tasks(&self) -> usize {
        self.tracker.len()
    }
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM: what `systemd`, `docker stop`
/// and a terminal send.
pub async fn signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(err) => {
                tracing::error!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
