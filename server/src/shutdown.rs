//! Graceful shutdown: one signal fans out to every open connection.
//!
//! As in tokio's mini-redis, each connection task watches a shared token; on
//! Ctrl-C or SIGTERM the server stops accepting, every WebSocket session
//! sends close code 1001 (going away) and finishes its close handshake, and
//! the process waits for those tasks before it exits.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tokio_util::task::TaskTracker;

/// Shared by every connection task: tells them to stop, and counts them so
/// the server can wait for the last one.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    token: CancellationToken,
    tracker: TaskTracker,
    /// Set just before the token is cancelled; what [`Begun`] checks.
    begun: Arc<AtomicBool>,
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
    /// Make it once per task and poll it in every round of the loop (see
    /// [`Begun`]), not a new one per round.
    pub fn begun(&self) -> Begun {
        Begun {
            begun: self.begun.clone(),
            cancelled: Box::pin(self.token.clone().cancelled_owned()),
            waiting: None,
        }
    }

    /// Whether shutdown has begun.
    pub fn is_begun(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Tells every task to finish.
    pub fn begin(&self) {
        self.begun.store(true, Ordering::Release);
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

/// The future of [`Shutdown::begun`].
///
/// Polling a cancellation token locks a mutex that every connection of the
/// server shares, twice (the token's state, then its list of waiters), and
/// a session's `select!` polls it on every round: every message of every
/// connection would take the same lock, from every worker thread. This
/// future polls the token only when it must: the first time, when the
/// task's waker changed (the token must hold the current one), and once
/// shutdown has begun. Otherwise a poll reads one flag that is written
/// once in the server's life, so it stays in every core's cache.
pub struct Begun {
    begun: Arc<AtomicBool>,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    /// The waker the token holds for this future, once it was polled.
    waiting: Option<Waker>,
}

impl Future for Begun {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let registered = this
            .waiting
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        // Not begun, and the token will wake this task when it is: the
        // flag is set before the token is cancelled, and the token wakes
        // the waker it holds.
        if registered && !this.begun.load(Ordering::Acquire) {
            return Poll::Pending;
        }
        match this.cancelled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(()),
            Poll::Pending => {
                this.waiting = Some(cx.waker().clone());
                Poll::Pending
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn begun_resolves_when_shutdown_begins_however_often_it_was_polled() {
        let shutdown = Shutdown::default();
        let mut begun = shutdown.begun();
        for _ in 0..3 {
            assert!(futures_util::poll!(&mut begun).is_pending());
        }
        let other = shutdown.clone();
        tokio::spawn(async move { other.begin() });
        tokio::time::timeout(std::time::Duration::from_secs(5), begun)
            .await
            .expect("the shutdown future heard the signal");
        // Made after the signal, it is ready at once.
        assert!(futures_util::poll!(shutdown.begun()).is_ready());
        assert!(shutdown.is_begun());
    }
}
