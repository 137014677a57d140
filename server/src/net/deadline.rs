//! The one deadline helper every send and flush goes through: a client
//! that stops reading must not pin a task (and its buffers) forever.

use std::time::Duration;

/// Runs `work` with a time limit, arming the timer only if `work` cannot
/// finish at once. Most sends complete on their first poll (the socket
/// has room), and a timer per message would cost a timer-wheel insert and
/// remove on the busiest path of the server.
pub async fn within<F: std::future::Future>(
    limit: Duration,
    work: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    let mut work = std::pin::pin!(work);
    let first = std::future::poll_fn(|cx| match work.as_mut().poll(cx) {
        std::task::Poll::Ready(output) => std::task::Poll::Ready(Some(output)),
        std::task::Poll::Pending => std::task::Poll::Ready(None),
    })
    .await;
    match first {
        Some(output) => Ok(output),
        None => tokio::time::timeout(limit, work).await,
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
        assert!(slow.await.is_err());
        let in_time = within(
            Duration::from_secs(5),
            tokio::time::sleep(Duration::from_secs(1)),
        );
        assert!(in_time.await.is_ok());
    }
}
