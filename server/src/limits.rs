//! Admission and rate limits: how many connections, how fast.
//!
//! Both are checked at the edge, cheaply, so one client (or one address)
//! cannot take the capacity everyone else shares.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counts open WebSocket connections, in total and per client IP address.
#[derive(Debug, Clone)]
pub struct ConnectionLimiter {
    inner: Arc<Mutex<Counts>>,
    max_total: usize,
    max_per_ip: usize,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The server holds `--max-connections` already.
    #[error("the server is at its connection limit ({0}); try again later")]
    Total(usize),
    /// This IP address holds `--max-connections-per-ip` already.
    #[error("too many connections from your address (limit {0}); close some and try again")]
    PerIp(usize),
}

/// One admitted connection; dropping it frees the slot.
#[derive(Debug)]
pub struct ConnectionPermit {
    limiter: ConnectionLimiter,
    ip: IpAddr,
}

impl ConnectionLimiter {
    /// A limiter with the given caps.
    pub fn new(max_total: usize, max_per_ip: usize) -> Self {
        Self {
            inner: Arc::default(),
            max_total,
            max_per_ip,
        }
    }

    /// Takes a slot for `ip`, or says which cap is reached.
    pub fn try_acquire(&self, ip: IpAddr) -> Result<ConnectionPermit, Refused> {
        let mut counts = self.counts();
        if counts.total >= self.max_total {
            return Err(Refused::Total(self.max_total));
        }
        let mine = counts.per_ip.entry(ip).or_default();
        if *mine >= self.max_per_ip {
            return Err(Refused::PerIp(self.max_per_ip));
        }
        *mine += 1;
        counts.total += 1;
        Ok(ConnectionPermit {
            limiter: self.clone(),
            ip,
        })
    }

    /// Open connections right now (for tests and metrics).
    pub fn open(&self) -> usize {
        self.counts().total
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        crate::sync::lock(&self.inner)
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut counts = self.limiter.counts();
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

/// A token bucket: `rate` tokens per second, holding at most `burst`.
///
/// Lets a person type in bursts while capping a script's sustained rate.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: f64, burst: u32) -> Self {
        Self {
            rate,
            burst: burst as f64,
            tokens: burst as f64,
            last: Instant::now(),
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self) -> bool {
        self.try_take_at(Instant::now())
    }

    fn try_take_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Counts refusals in a sliding window, to tell a burst from abuse.
#[derive(Debug, Clone)]
pub struct Strikes {
    window: Duration,
    max: usize,
    times: std::collections::VecDeque<Instant>,
}

impl Strikes {
    /// Abuse is more than `max` strikes within `window`.
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            window,
            max,
            times: std::collections::VecDeque::with_capacity(max + 1),
        }
    }

    /// Records a strike; returns true when the limit is exceeded.
    pub fn strike(&mut self) -> bool {
        let now = Instant::now();
        while self
            .times
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.window)
        {
            self.times.pop_front();
        }
        self.times.push_back(now);
        self.times.len() > self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_caps() {
        let limiter = ConnectionLimiter::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = limiter.try_acquire(a).unwrap();
        let _a2 = limiter.try_acquire(a).unwrap();
        assert_eq!(limiter.try_acquire(a).unwrap_err(), Refused::PerIp(2));
        let _b1 = limiter.try_acquire(b).unwrap();
        assert_eq!(limiter.try_acquire(b).unwrap_err(), Refused::Total(3));
        drop(a1);
        assert_eq!(limiter.open(), 2);
        assert!(limiter.try_acquire(b).is_ok());
    }

    #[test]
    fn token_bucket_allows_bursts_then_the_rate() {
        let mut bucket = TokenBucket::new(2.0, 3);
        let start = bucket.last;
        assert!((0..3).all(|_| bucket.try_take_at(start)));
        assert!(!bucket.try_take_at(start));
        assert!(bucket.try_take_at(start + Duration::from_millis(500)));
        assert!(!bucket.try_take_at(start + Duration::from_millis(500)));
        // Never more than the burst, however long the pause.
        let later = start + Duration::from_secs(100);
        assert!((0..3).all(|_| bucket.try_take_at(later)));
        assert!(!bucket.try_take_at(later));
    }

    #[test]
    fn strikes_count_within_the_window() {
        let mut strikes = Strikes::new(2, Duration::from_secs(60));
        assert!(!strikes.strike());
        assert!(!strikes.strike());
        assert!(strikes.strike());
    }
}
