//! Waiting for JetStream at start-up.
//!
//! A cluster that has just started (the nodes and the instances brought up
//! together, as a compose file or a test does) answers connections before
//! its JetStream has elected a meta leader; until then, creating a stream
//! times out. So the streams an instance needs are created with retries
//! for [`READY_WITHIN`], each failure logged, and only then does the
//! instance give up with the last error.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How long an instance waits for JetStream to create its streams.
pub const READY_WITHIN: Duration = Duration::from_secs(30);

/// Pause between two attempts.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// Runs `attempt` until it succeeds or [`READY_WITHIN`] has passed; `what`
/// names the thing being created, for the log.
pub async fn until_ready<T, E, F, Fut>(what: &str, mut attempt: F) -> Result<T, E>
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        match attempt().await {
            Ok(done) => return Ok(done),
            Err(error) if Instant::now() + RETRY_EVERY < deadline => {
                tracing::warn!(
                    "JetStream could not create {what} yet ({error}); retrying for up to {}s \
                     (a cluster that has just started elects its JetStream leader first)",
                    READY_WITHIN.as_secs()
                );
                tokio::time::sleep(RETRY_EVERY).await;
            }
            Err(error) => return Err(error),
        }
    }
}
