//! Latency histograms and the few summary statistics the harness reports.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;

/// The longest latency a histogram holds; anything slower is recorded as
/// this (a minute-long round trip is a failure, not a data point).
const MAX_NANOS: u64 = 60_000_000_000;

/// Round-trip or delivery times, in nanoseconds.
///
/// An HDR histogram rather than a list of samples: constant memory however
/// long a run is, 0.1 % precision at every scale; many connections fill
/// one through [`LatencyBatch`].
pub struct Latencies {
    histogram: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    /// An empty histogram: 1 ns to 60 s, three significant digits.
    pub fn new() -> Self {
        Self {
            histogram: Histogram::new_with_bounds(1, MAX_NANOS, 3)
                .expect("1 ns..60 s with 3 digits are valid histogram bounds"),
        }
    }

    /// Records one latency (clamped to the histogram's range).
    pub fn record(&mut self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(MAX_NANOS);
        self.record_nanos(nanos);
    }

    /// Records one latency given in nanoseconds (clamped to the range).
    pub fn record_nanos(&mut self, nanos: u64) {
        self.histogram.saturating_record(nanos.clamp(1, MAX_NANOS));
    }

    /// How many samples were recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// The percentiles the results report, or `None` without samples (a
    /// run that measured nothing must not report zeros).
    pub fn summary(&self) -> Option<LatencySummary> {
        if self.histogram.is_empty() {
            return None;
        }
        let micros = |nanos: u64| round1(nanos as f64 / 1000.0);
        Some(LatencySummary {
            p50_us: micros(self.histogram.value_at_quantile(0.50)),
            p99_us: micros(self.histogram.value_at_quantile(0.99)),
            p999_us: micros(self.histogram.value_at_quantile(0.999)),
            max_us: micros(self.histogram.max()),
        })
    }
}

/// One connection's way into a histogram that every connection of a run
/// fills.
///
/// A histogram per connection would cost ~220 KB each (1 ns–60 s at three
/// digits): at 10,000 connections that is 2 GB that the load generator
/// spends zeroing fresh pages instead of sending, and the run measures the
/// load generator. Instead each connection keeps a few raw samples and adds
/// them to the shared histogram in batches, so the lock is taken once per
/// [`BATCH`] samples and memory stays a few KB per connection.
pub struct LatencyBatch {
    shared: Arc<Mutex<Latencies>>,
    pending: Vec<u64>,
}

/// Samples a [`LatencyBatch`] holds before it adds them to the histogram.
const BATCH: usize = 256;

impl LatencyBatch {
    /// A batch that adds to `shared`.
    pub fn new(shared: Arc<Mutex<Latencies>>) -> Self {
        Self {
            shared,
            pending: Vec::with_capacity(BATCH),
        }
    }

    /// Records one latency; every [`BATCH`] samples go to the histogram.
    pub fn record(&mut self, latency: Duration) {
        self.pending
            .push(u64::try_from(latency.as_nanos()).unwrap_or(MAX_NANOS));
        if self.pending.len() >= BATCH {
            self.flush();
        }
    }

    /// Adds the samples held so far to the shared histogram.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        // A connection task that panicked while holding the lock left a
        // histogram with whole samples in it: still worth reporting.
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        for nanos in self.pending.drain(..) {
            shared.record_nanos(nanos);
        }
    }
}

impl Drop for LatencyBatch {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Percentiles of a latency distribution, in microseconds (0.1 µs steps).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencySummary {
    /// The median.
    pub p50_us: f64,
    /// 99th percentile: one in a hundred is slower.
    pub p99_us: f64,
    /// 99.9th percentile: the tail that users of a busy server notice.
    pub p999_us: f64,
    /// The slowest sample.
    pub max_us: f64,
}

/// The median of repeated runs with their range, which the report prints
/// as `median (min–max)`: a median is robust to one disturbed run, and the
/// range shows how much the runs disagreed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The middle value (the mean of the two middle ones for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

/// The spread of `values`, or `None` when there are none. NaNs are ignored.
pub fn spread(values: &[f64]) -> Option<Spread> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Some(Spread {
        median,
        min: sorted[0],
        max: sorted[n - 1],
    })
}

/// Rounds to one decimal: results are noisy far above that precision, and
/// shorter numbers keep the JSON lines readable.
pub fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64) -> bool {
        // The histogram keeps three significant digits.
        (actual - expected).abs() <= expected * 0.002
    }

    #[test]
    fn percentiles_of_a_uniform_distribution() {
        let mut latencies = Latencies::new();
        for micros in 1..=10_000u64 {
            latencies.record(Duration::from_micros(micros));
        }
        assert_eq!(latencies.count(), 10_000);
        let summary = latencies.summary().unwrap();
        assert!(close(summary.p50_us, 5_000.0), "{summary:?}");
        assert!(close(summary.p99_us, 9_900.0), "{summary:?}");
        assert!(close(summary.p999_us, 9_990.0), "{summary:?}");
        assert!(close(summary.max_us, 10_000.0), "{summary:?}");
    }

    #[test]
    fn one_slow_sample_shows_only_in_the_tail() {
        let mut latencies = Latencies::new();
        for _ in 0..999 {
            latencies.record(Duration::from_micros(100));
        }
        latencies.record(Duration::from_millis(50));
        let summary = latencies.summary().unwrap();
        assert!(close(summary.p50_us, 100.0));
        assert!(close(summary.p99_us, 100.0));
        assert!(close(summary.max_us, 50_000.0));
    }

    #[test]
    fn extremes_are_clamped_and_empty_has_no_summary() {
        let mut latencies = Latencies::new();
        assert_eq!(latencies.summary(), None);
        latencies.record(Duration::ZERO);
        latencies.record(Duration::from_secs(3600));
        let summary = latencies.summary().unwrap();
        assert!(summary.p50_us <= 0.1);
        assert!(close(summary.max_us, 60_000_000.0));
    }

    #[test]
    fn batches_from_many_connections_fill_one_histogram() {
        let shared = Arc::new(Mutex::new(Latencies::new()));
        let mut direct = Latencies::new();
        let mut a = LatencyBatch::new(shared.clone());
        let mut b = LatencyBatch::new(shared.clone());
        for micros in 1..=1000u64 {
            let batch = if micros % 3 == 0 { &mut a } else { &mut b };
            batch.record(Duration::from_micros(micros));
            direct.record(Duration::from_micros(micros));
        }
        // Fewer than a batch each is still held back until flushed...
        assert!(shared.lock().unwrap().count() < 1000);
        a.flush();
        // ...and dropping a batch flushes what it holds.
        drop(b);
        let shared = shared.lock().unwrap();
        assert_eq!(shared.count(), 1000);
        assert_eq!(shared.summary(), direct.summary());
    }

    #[test]
    fn spread_is_median_min_max() {
        assert_eq!(spread(&[]), None);
        assert_eq!(
            spread(&[3.0, 1.0, 2.0]),
            Some(Spread {
                median: 2.0,
                min: 1.0,
                max: 3.0
            })
        );
        assert_eq!(spread(&[4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
        assert_eq!(spread(&[f64::NAN, 7.0]).unwrap().median, 7.0);
    }

    #[test]
    fn round1_keeps_one_decimal() {
        assert_eq!(round1(12.345), 12.3);
        assert_eq!(round1(0.05), 0.1);
        assert_eq!(round1(1e6 / 3.0), 333_333.3);
    }
}
