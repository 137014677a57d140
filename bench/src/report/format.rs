//! How numbers read in the report's tables and sentences.

use crate::stats::Spread;

/// A count for a table: a whole number, grouped by thousands.
pub fn fmt_count(count: u64) -> String {
    if count >= 100 {
        fmt_num(count as f64)
    } else {
        count.to_string()
    }
}

/// A number for a table: grouped integers from 100 up, one decimal from
/// 10, two below.
pub fn fmt_num(value: f64) -> String {
    if value.abs() >= 100.0 {
        let digits = format!("{:.0}", value.abs());
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if value < 0.0 {
            grouped.insert(0, '-');
        }
        grouped
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// `median (min–max)`, or just the value when the runs agree or there was one.
pub fn fmt_spread(spread: Option<Spread>) -> String {
    match spread {
        None => "–".to_owned(),
        Some(s) if fmt_num(s.min) == fmt_num(s.max) => fmt_num(s.median),
        Some(s) => format!(
            "{} ({}–{})",
            fmt_num(s.median),
            fmt_num(s.min),
            fmt_num(s.max)
        ),
    }
}

/// The median alone.
pub fn fmt_median(spread: Option<Spread>) -> String {
    spread.map_or_else(|| "–".to_owned(), |s| fmt_num(s.median))
}

/// A byte size for humans: `32 B`, `4 KiB`, `64 KiB`.
pub fn fmt_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1024 && b % 1024 == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::spread;

    #[test]
    fn numbers_read_well_in_tables() {
        assert_eq!(fmt_num(1_234_567.8), "1,234,568");
        assert_eq!(fmt_num(100.0), "100");
        assert_eq!(fmt_num(-2500.0), "-2,500");
        assert_eq!(fmt_num(45.26), "45.3");
        assert_eq!(fmt_num(9.876), "9.88");
        assert_eq!(fmt_size(32), "32 B");
        assert_eq!(fmt_size(4096), "4 KiB");
        assert_eq!(fmt_size(1 << 20), "1 MiB");
        assert_eq!(fmt_size(1000), "1000 B");
    }

    #[test]
    fn spreads_show_the_range_only_when_runs_differ() {
        assert_eq!(fmt_spread(spread(&[3.0, 1.0, 2.0])), "2.00 (1.00–3.00)");
        assert_eq!(
            fmt_spread(spread(&[41_000.0, 40_000.0, 42_000.0])),
            "41,000 (40,000–42,000)"
        );
        assert_eq!(fmt_spread(spread(&[5.0])), "5.00");
        assert_eq!(fmt_spread(None), "–");
    }
}
