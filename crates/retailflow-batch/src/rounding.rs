//! Rounding to 2 decimals, half away from zero, on the exact value of a float: `0.125` → `0.13`,
//! `-0.125` → `-0.13`, and `1.005` (stored as 1.00499999999999989…) → `1.0`. Used for repaired prices
//! and for the averages in the report.

/// `value` rounded to 2 decimals, half away from zero, judged on its exact binary value.
pub fn round2(value: f64) -> f64 {
    if !value.is_finite() {
        return value;
    }
    let scaled = value * 100.0;
    let fraction = (scaled - scaled.trunc()).abs();
    // Far from a half, the scaled product decides safely; near one, look at the exact digits.
    if (fraction - 0.5).abs() > 1e-6 || scaled.abs() >= 1e15 {
        return scaled.round() / 100.0;
    }
    round2_exact(value)
}

/// Rounds using the exact decimal expansion of `value` (every finite f64 has one, at most 1074
/// fractional digits long).
fn round2_exact(value: f64) -> f64 {
    let text = format!("{:.1100}", value.abs());
    let Some((whole, fraction)) = text.split_once('.') else {
        return value;
    };
    let mut cents: u128 = 0;
    for digit in whole.bytes().chain(fraction.bytes().take(2)) {
        cents = cents * 10 + u128::from(digit - b'0');
    }
    if fraction.as_bytes().get(2).is_some_and(|&d| d >= b'5') {
        cents += 1;
    }
    let magnitude = cents as f64 / 100.0;
    if value.is_sign_negative() {
        -magnitude
    } else {
        magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round2(0.125), 0.13);
        assert_eq!(round2(-0.125), -0.13);
        assert_eq!(round2(2.5), 2.5);
        assert_eq!(round2(0.375), 0.38);
        assert_eq!(round2(10.0 / 3.0), 3.33);
        assert_eq!(round2(20.0 / 3.0), 6.67);
        assert_eq!(round2(129.645_000_000_1), 129.65);
    }

    #[test]
    fn judges_the_exact_binary_value() {
        // Each is stored just below the half: 1.00499999999999989…, 2.67499999999999982…
        assert_eq!(round2(1.005), 1.0);
        assert_eq!(round2(2.675), 2.67);
        assert_eq!(round2(1.015), 1.01);
        assert_eq!(round2(1.045), 1.04);
        assert_eq!(round2(-1.045), -1.04);
    }
}
