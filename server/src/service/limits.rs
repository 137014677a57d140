//! Rate limits a service applies to each client, whatever its transport:
//! a token bucket for the sustained rate and strikes to tell a burst from
//! abuse.

use std::time::{Duration, Instant};

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
