//! Latency histograms and the few summary statistics the harness reports.

use std::time::Duration;

use hdrhistogram::Histogram;

/// The longest latency a histogram holds; anything slower is recorded as
/// this (a minute-long round trip is a failure, not a data point).
const MAX_NANOS: u64 = 60_000_000_000;

/// Round-trip or delivery times, in nanoseconds.
///
/// An HDR histogram rather than a list of samples: constant memory however
/// long a run is, 0.1 % precision at every scale, and per-connection
/// histograms merge exactly into the total.
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

    /// Adds every sample of `other` (e.g. one connection's) to this one.
    pub fn merge(&mut self, other: &Self) {
        self.histogram
            .add(&other.histogram)
            .expect("histograms with the same bounds always merge");
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
    fn merged_histograms_equal_one_histogram() {
        let mut a = Latencies::new();
        let mut b = Latencies::new();
        let mut both = Latencies::new();
        for micros in 1..=500u64 {
            a.record(Duration::from_micros(micros));
            both.record(Duration::from_micros(micros));
        }
        for micros in 501..=1000u64 {
            b.record(Duration::from_micros(micros));
            both.record(Duration::from_micros(micros));
        }
        a.merge(&b);
        assert_eq!(a.summary(), both.summary());
        assert_eq!(a.count(), 1000);
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
