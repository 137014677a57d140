//! Keep-alive: pinging a quiet client, and giving up on one that stays
//! silent.

use std::time::Duration;

/// When to ping a quiet client, and how long to wait for a sign of life.
#[derive(Debug, Clone, Copy)]
pub struct KeepAliveConfig {
    /// Silence before a ping.
    pub interval: Duration,
    /// Further silence after the ping before the client counts as gone.
    pub timeout: Duration,
}

/// What the keep-alive timer asks the session to do.
#[derive(Debug, PartialEq, Eq)]
pub enum KeepAliveAction {
    /// Send a ping now.
    Ping,
    /// The client has been silent too long: close it.
    Dead,
}

/// Detects clients that vanished without closing (a laptop lid, a dead NAT
/// entry): such a TCP connection stays "open" forever unless probed.
///
/// Every frame received counts as a sign of life, and frames arrive far
/// more often than the keep-alive interval, so [`KeepAlive::heard`] only
/// notes the time: the one timer is armed for the earliest possible
/// deadline and, when it fires, re-armed if something was heard since.
/// Re-arming a timer per frame would cost a timer-wheel insert and remove
/// on every message.
#[derive(Debug)]
pub struct KeepAlive {
    config: KeepAliveConfig,
    last_heard: tokio::time::Instant,
    pinged: bool,
    timer: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl KeepAlive {
    /// Starts counting silence now.
    pub fn new(config: KeepAliveConfig) -> Self {
        let now = tokio::time::Instant::now();
        Self {
            config,
            last_heard: now,
            pinged: false,
            timer: Box::pin(tokio::time::sleep_until(now + config.interval)),
        }
    }

    /// Call on every frame received: any frame proves the client is there.
    pub fn heard(&mut self) {
        self.last_heard = tokio::time::Instant::now();
        self.pinged = false;
    }

    /// When the session must next act, given what it heard.
    fn deadline(&self) -> tokio::time::Instant {
        if self.pinged {
            self.last_heard + self.config.interval + self.config.timeout
        } else {
            self.last_heard + self.config.interval
        }
    }

    /// Resolves when the session must ping or give up. Cancel-safe: it is
    /// meant to be one branch of a `select!` that runs again and again.
    pub async fn due(&mut self) -> KeepAliveAction {
        loop {
            (&mut self.timer).await;
            let deadline = self.deadline();
            if deadline > tokio::time::Instant::now() {
                self.timer.as_mut().reset(deadline);
                continue;
            }
            let action = if self.pinged {
                KeepAliveAction::Dead
            } else {
                self.pinged = true;
                KeepAliveAction::Ping
            };
            let next = self.deadline();
            self.timer.as_mut().reset(next);
            return action;
        }
    }
}

/// The keep-alive's next action, or never for a session without one (a
/// transport whose own protocol watches liveness, like QUIC).
pub async fn due(keepalive: &mut Option<KeepAlive>) -> KeepAliveAction {
    match keepalive {
        Some(keepalive) => keepalive.due().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> KeepAliveConfig {
        KeepAliveConfig {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_client_is_pinged_then_declared_dead() {
        let start = tokio::time::Instant::now();
        let mut keepalive = KeepAlive::new(config());
        assert_eq!(keepalive.due().await, KeepAliveAction::Ping);
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        assert_eq!(keepalive.due().await, KeepAliveAction::Dead);
        assert_eq!(start.elapsed(), Duration::from_secs(40));
    }

    #[tokio::test(start_paused = true)]
    async fn hearing_from_the_client_pushes_the_ping_back_without_a_new_timer() {
        let start = tokio::time::Instant::now();
        let mut keepalive = KeepAlive::new(config());
        tokio::time::sleep(Duration::from_secs(20)).await;
        keepalive.heard();
        // The timer still fires at 30 s, finds the client heard at 20 s,
        // and waits on until 50 s.
        assert_eq!(keepalive.due().await, KeepAliveAction::Ping);
        assert_eq!(start.elapsed(), Duration::from_secs(50));
        // An answer to the ping resets the clock again.
        tokio::time::sleep(Duration::from_secs(5)).await;
        keepalive.heard();
        assert_eq!(keepalive.due().await, KeepAliveAction::Ping);
        assert_eq!(start.elapsed(), Duration::from_secs(85));
    }
}
