//! Value axes: "nice" tick values (1, 2, 2.5 or 5 × 10^k) that always include zero.

use crate::format::format_number;

/// Evenly spaced ticks `first * step ..= last * step`, with `first <= 0 <= last`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ticks {
    pub(crate) step: f64,
    pub(crate) first: i64,
    pub(crate) last: i64,
    /// Fraction digits needed to print every tick exactly.
    pub(crate) decimals: usize,
}

impl Ticks {
    pub(crate) fn values(&self) -> Vec<f64> {
        (self.first..=self.last)
            .map(|i| i as f64 * self.step)
            .collect()
    }

    pub(crate) fn min(&self) -> f64 {
        self.first as f64 * self.step
    }

    pub(crate) fn max(&self) -> f64 {
        self.last as f64 * self.step
    }

    pub(crate) fn labels(&self) -> Vec<String> {
        self.values()
            .into_iter()
            .map(|v| format_number(v, self.decimals))
            .collect()
    }
}

const MANTISSAS: [f64; 4] = [1.0, 2.0, 2.5, 5.0];
const MAX_INTERVALS: i64 = 5;
const MIN_INTERVALS: i64 = 3;

/// Picks the smallest nice step that covers `lo..=hi` (widened to include zero) in at most five
/// intervals, which always yields three to five intervals, i.e. four to six ticks.
///
/// With `integer_only` the step is a whole number; a range too small for three whole intervals is
/// widened upwards (or downwards when it is all negative) to three. An empty or non-finite range
/// is treated as `0..=1`.
pub(crate) fn nice_ticks(lo: f64, hi: f64, integer_only: bool) -> Ticks {
    let lo = lo.min(0.0);
    let hi = hi.max(0.0);
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return nice_ticks(0.0, 1.0, integer_only);
    }
    let mut exponent = (span / MAX_INTERVALS as f64).log10().floor() as i32 - 1;
    loop {
        let scale = 10f64.powi(exponent);
        for mantissa in MANTISSAS {
            let whole = exponent > 0 || (exponent == 0 && mantissa != 2.5);
            if integer_only && !whole {
                continue;
            }
            let step = mantissa * scale;
            let mut up = intervals(hi, step);
            let mut down = intervals(-lo, step);
            if up + down > MAX_INTERVALS {
                continue;
            }
            if up + down < MIN_INTERVALS {
                if up == 0 && down > 0 {
                    down = MIN_INTERVALS - up;
                } else {
                    up = MIN_INTERVALS - down;
                }
            }
            let mut decimals = if exponent < 0 { -exponent as usize } else { 0 };
            if mantissa == 2.5 && exponent <= 0 {
                decimals += 1;
            }
            return Ticks {
                step,
                first: -down,
                last: up,
                decimals,
            };
        }
        exponent += 1;
    }
}

/// Whole steps needed to reach `extent` from zero, forgiving float noise such as `0.3 / 0.1`.
fn intervals(extent: f64, step: f64) -> i64 {
    let n = extent / step;
    (n - 1e-9).ceil().max(0.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(lo: f64, hi: f64, integer_only: bool) -> Vec<String> {
        nice_ticks(lo, hi, integer_only).labels()
    }

    #[test]
    fn small_whole_range() {
        assert_eq!(labels(0.0, 7.0, true), ["0", "2", "4", "6", "8"]);
        assert_eq!(labels(0.0, 7.0, false), ["0", "2", "4", "6", "8"]);
    }

    #[test]
    fn thousands_use_two_and_a_half_steps() {
        assert_eq!(
            labels(0.0, 1234.0, true),
            ["0", "250", "500", "750", "1,000", "1,250"]
        );
    }

    #[test]
    fn fractions_get_the_digits_they_need() {
        assert_eq!(
            labels(0.0, 0.37, false),
            ["0.0", "0.1", "0.2", "0.3", "0.4"]
        );
        assert_eq!(
            labels(0.0, 1.1, false),
            ["0.00", "0.25", "0.50", "0.75", "1.00", "1.25"]
        );
        assert_eq!(labels(0.0, 0.3, false), ["0.0", "0.1", "0.2", "0.3"]);
    }

    #[test]
    fn single_value_starts_at_zero() {
        assert_eq!(
            labels(42.0, 42.0, true),
            ["0", "10", "20", "30", "40", "50"]
        );
        assert_eq!(
            labels(21000.0, 21000.0, true),
            ["0", "5,000", "10,000", "15,000", "20,000", "25,000"]
        );
        assert_eq!(labels(130.2, 131.0, false), ["0", "50", "100", "150"]);
    }

    #[test]
    fn whole_numbers_never_get_fractional_ticks() {
        assert_eq!(labels(0.0, 1.0, true), ["0", "1", "2", "3"]);
        assert_eq!(labels(0.0, 2.5, true), ["0", "1", "2", "3"]);
        assert_eq!(
            labels(0.0, 1.0, false),
            ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
    }

    #[test]
    fn negative_values_extend_below_zero() {
        assert_eq!(
            labels(-30.0, 70.0, true),
            ["-50", "-25", "0", "25", "50", "75"]
        );
        assert_eq!(labels(-7.0, 0.0, true), ["-8", "-6", "-4", "-2", "0"]);
        assert_eq!(labels(-1.0, 0.0, true), ["-3", "-2", "-1", "0"]);
    }

    #[test]
    fn always_four_to_six_ticks() {
        let mut hi = 0.013;
        while hi < 1e9 {
            for integer_only in [false, true] {
                let ticks = nice_ticks(0.0, hi, integer_only);
                let n = ticks.values().len();
                assert!((4..=6).contains(&n), "{hi}: {n} ticks");
                assert!(
                    ticks.max() >= hi * (1.0 - 1e-12),
                    "{hi}: max {}",
                    ticks.max()
                );
                assert_eq!(ticks.min(), 0.0);
            }
            hi *= 1.37;
        }
    }

    #[test]
    fn empty_range_falls_back_to_unit() {
        assert_eq!(labels(0.0, 0.0, true), ["0", "1", "2", "3"]);
        assert_eq!(
            labels(f64::NAN, f64::INFINITY, false),
            labels(0.0, 1.0, false)
        );
    }
}
