//! How much slower than this machine the simulated phone's CPU is.
//!
//! Lighthouse's mobile preset multiplies the CPU time a page took by 4.
//! That factor is chosen for a desktop that scores about 1,500 on
//! Lighthouse's own benchmark (`benchmarkIndex`, in every report), so that
//! the result is a mid-range phone's. On a slower machine 4× simulates a
//! slower phone than the preset says: this project's 2-core machines score
//! 570–930, and Lighthouse itself warns "The tested device appears to have
//! a slower CPU than Lighthouse expects". Its throttling guide
//! (docs/throttling.md, "CPU throttling") says to calibrate the factor from
//! the benchmark instead; [`for_benchmark`] is the formula of the
//! calculator that guide links to, applied in both directions, so a faster
//! machine is slowed more than 4×.

use serde_json::Value;

/// Lighthouse's factor for a machine that scored `index` on its benchmark:
/// 1× at 150 (a machine as slow as the phone), 2× at 800, 3× at 1,300, 4×
/// at 1,533 (the preset's), 6× at 2,000; linear in between and beyond.
/// Below 150 there is nothing to slow down.
pub fn for_benchmark(index: f64) -> f64 {
    let factor = if index >= 1300.0 {
        3.0 + (index - 1300.0) / 233.0
    } else if index >= 800.0 {
        2.0 + (index - 800.0) / 500.0
    } else {
        1.0 + (index - 150.0) / 650.0
    };
    // One decimal, as Lighthouse's reports print it.
    (factor.max(1.0) * 10.0).round() / 10.0
}

/// The benchmark score in a Lighthouse report, when it has one.
pub fn benchmark(report: &Value) -> Option<f64> {
    report["environment"]["benchmarkIndex"]
        .as_f64()
        .filter(|index| index.is_finite() && *index > 0.0)
}

/// The median of the benchmark scores measured so far: one run's score
/// varies by a third on a busy machine, the median of several much less.
pub fn median(scores: &[f64]) -> Option<f64> {
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[mid]),
        _ => Some((sorted[mid - 1] + sorted[mid]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_preset_factor_is_the_calculators_at_its_reference_machine() {
        assert_eq!(for_benchmark(1533.0), 4.0);
        assert_eq!(for_benchmark(2000.0), 6.0);
        assert_eq!(for_benchmark(1300.0), 3.0);
        assert_eq!(for_benchmark(800.0), 2.0);
        assert_eq!(for_benchmark(858.0), 2.1, "a CI machine of this project");
        assert_eq!(for_benchmark(150.0), 1.0);
        assert_eq!(for_benchmark(40.0), 1.0, "never faster than the machine");
    }

    #[test]
    fn the_benchmark_is_read_from_the_report_and_its_median_taken() {
        assert_eq!(
            benchmark(&json!({"environment": {"benchmarkIndex": 858.5}})),
            Some(858.5)
        );
        assert_eq!(benchmark(&json!({"environment": {}})), None);
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[900.0, 570.0, 860.0]), Some(860.0));
        assert_eq!(median(&[900.0, 800.0]), Some(850.0));
    }
}
