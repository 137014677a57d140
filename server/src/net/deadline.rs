//! The one deadline helper every send and flush goes through: a client
//! that stops reading must not pin a task (and its buffers) forever.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

/// The work did not finish within its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not done within {0:?}")]
pub struct Elapsed(pub Duration);

/// Runs `work` with a time limit, arming the timer only if `work` cannot
/// finish at once. Most sends complete on their first poll (the socket
/// has room), and a timer per message would cost a timer-wheel insert and
/// remove on the busiest path of the server.
pub fn within<F: Future>(limit: Duration, work: F) -> Within<F> {
    Within {
        work,
        limit,
        timer: None,
    }
}

pin_project_lite::pin_project! {
    /// The future [`within`] returns: `work`, and a timer started on the
    /// first poll that finds it not ready.
    ///
    /// Written by hand rather than as an `async fn`: it sits on every
    /// send, and an async block around `work` plus a `Timeout` would be
    /// `work` and a 112-byte timer copied on every message, even though
    /// the timer is almost never needed. Here the timer is boxed and
    /// exists only once the work has had to wait.
    #[must_use = "futures do nothing unless polled"]
    pub struct Within<F> {
        #[pin]
        work: F,
        limit: Duration,
        timer: Option<Pin<Box<Sleep>>>,
    }
}

impl<F: Future> Future for Within<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.work.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let limit = *this.limit;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(Err(Elapsed(limit)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn work_that_is_ready_at_once_needs_no_timer_and_slow_work_times_out() {
        assert_eq!(
            within(Duration::from_secs(1), async { 7 }).await.unwrap(),
            7
        );
        let slow = within(
            Duration::from_secs(1),
            tokio::time::sleep(Duration::from_secs(5)),
        );
        assert_eq!(slow.await, Err(Elapsed(Duration::from_secs(1))));
        let in_time = within(
            Duration::from_secs(5),
            tokio::time::sleep(Duration::from_secs(1)),
        );
        assert!(in_time.await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_counts_from_the_first_poll_that_has_to_wait() {
        // Work that waits once, then takes the rest of its time: the
        // deadline is the limit after it first had to wait, not reset by
        // later wake-ups.
        let start = tokio::time::Instant::now();
        let work = async {
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(900)).await;
            tokio::time::sleep(Duration::from_millis(900)).await;
        };
        assert!(within(Duration::from_secs(1), work).await.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
