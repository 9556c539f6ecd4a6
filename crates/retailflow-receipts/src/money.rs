//! Exact money: amounts kept as whole hundredths (kopecks, cents) in an `i64`.
//!
//! Prices carry at most two decimals, so summing them as integers gives the same revenue whatever
//! order the records arrive in, which `f64` sums do not. Amounts become decimals only when printed.

use std::fmt;

use retailflow_core::values::MAX_EXACT_HUNDREDTHS;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of money in hundredths of the currency unit. Sums stay within
/// ±[`Money::MAX_EXACT`]: the checked operations refuse anything beyond, and the engine checks a
/// receipt before adding it, so no amount is ever clamped or wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(0);

    /// The largest amount any sum may reach (see [`MAX_EXACT_HUNDREDTHS`]).
    pub const MAX_EXACT: Money = Money(MAX_EXACT_HUNDREDTHS);

    /// An amount of `hundredths` hundredths.
    pub const fn from_hundredths(hundredths: i64) -> Self {
        Money(hundredths)
    }

    /// A decimal amount rounded to the nearest hundredth (half away from zero), or `None` when it
    /// is not finite or beyond ±[`Money::MAX_EXACT`].
    pub fn try_from_decimal(amount: f64) -> Option<Self> {
        let hundredths = (amount * 100.0).round();
        (hundredths.is_finite() && hundredths.abs() <= MAX_EXACT_HUNDREDTHS as f64)
            .then_some(Money(hundredths as i64))
    }

    /// The amount in hundredths.
    pub const fn hundredths(self) -> i64 {
        self.0
    }

    /// The amount as a decimal number (the nearest `f64` to it; exact in print within
    /// ±[`Money::MAX_EXACT`]).
    pub fn to_decimal(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// Whether the amount is within ±[`Money::MAX_EXACT`].
    pub fn is_exact(self) -> bool {
        self.0.unsigned_abs() <= MAX_EXACT_HUNDREDTHS as u64
    }

    /// `self + other`, or `None` beyond ±[`Money::MAX_EXACT`].
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0
            .checked_add(other.0)
            .map(Money)
            .filter(|sum| sum.is_exact())
    }

    /// `self × quantity`, or `None` beyond ±[`Money::MAX_EXACT`].
    pub fn checked_mul(self, quantity: i64) -> Option<Money> {
        self.0
            .checked_mul(quantity)
            .map(Money)
            .filter(|product| product.is_exact())
    }

    /// `self + other`, held within ±[`Money::MAX_EXACT`].
    pub fn saturating_add(self, other: Money) -> Money {
        let limit = MAX_EXACT_HUNDREDTHS;
        Money(self.0.saturating_add(other.0).clamp(-limit, limit))
    }

    /// `self + other` for amounts whose sum the caller has already checked with
    /// [`Money::checked_add`] or a limit of its own (the window state's capacity check).
    pub fn plus(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}

/// Two decimals, e.g. `1234.50`, `-0.05`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", magnitude / 100, magnitude % 100)
    }
}

/// Serialised as a JSON number (`1234.5`), the form the analytics output uses.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.to_decimal())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let amount = f64::deserialize(deserializer)?;
        Money::try_from_decimal(amount).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "amount {amount} is beyond the exact range of ±{}",
                Money::MAX_EXACT
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_to_the_nearest_hundredth() {
        let hundredths = |amount: f64| Money::try_from_decimal(amount).map(Money::hundredths);
        assert_eq!(hundredths(19.99), Some(1999));
        assert_eq!(hundredths(0.1 + 0.2), Some(30));
        assert_eq!(hundredths(5.0), Some(500));
        assert_eq!(hundredths(-0.005), Some(-1));
        assert_eq!(hundredths(1e13), Some(MAX_EXACT_HUNDREDTHS));
        for refused in [
            f64::NAN,
            f64::INFINITY,
            -f64::INFINITY,
            1e300,
            1.000_000_1e13,
            -1e14,
        ] {
            assert_eq!(hundredths(refused), None, "{refused}");
        }
    }

    #[test]
    fn arithmetic_refuses_what_it_cannot_hold_exactly() {
        let max = Money::MAX_EXACT;
        assert_eq!(max.checked_add(Money::ZERO), Some(max));
        assert_eq!(max.checked_add(Money::from_hundredths(1)), None);
        assert_eq!(
            Money::from_hundredths(i64::MAX).checked_add(Money::from_hundredths(1)),
            None
        );
        assert_eq!(
            Money::from_hundredths(1999).checked_mul(3),
            Some(Money::from_hundredths(5997))
        );
        assert_eq!(Money::from_hundredths(i64::MAX / 2).checked_mul(3), None);
        assert_eq!(
            Money::from_hundredths(100_000_000).checked_mul(100_000_000),
            None
        );
    }

    #[test]
    fn the_exact_range_prints_exactly() {
        for hundredths in [
            MAX_EXACT_HUNDREDTHS,
            MAX_EXACT_HUNDREDTHS - 1,
            MAX_EXACT_HUNDREDTHS - 99,
            987_654_321_012_345,
            123_456_789_012_301,
        ] {
            let money = Money::from_hundredths(hundredths);
            let written = serde_json::to_string(&money).unwrap();
            let digits = money.to_string();
            let trimmed = digits.trim_end_matches('0').trim_end_matches('.');
            assert!(
                written == trimmed || written == format!("{trimmed}.0"),
                "{hundredths}: wrote {written}, exact {digits}"
            );
        }
    }

    #[test]
    fn snapshots_refuse_amounts_beyond_the_exact_range() {
        assert!(serde_json::from_str::<Money>("1e300").is_err());
        assert_eq!(
            serde_json::from_str::<Money>("12.5").unwrap(),
            Money::from_hundredths(1250)
        );
    }

    #[test]
    fn prints_two_decimals() {
        assert_eq!(Money::from_hundredths(123_450).to_string(), "1234.50");
        assert_eq!(Money::from_hundredths(-5).to_string(), "-0.05");
        assert_eq!(Money::ZERO.to_string(), "0.00");
    }

    #[test]
    fn serialises_as_a_json_number() {
        let json = serde_json::to_string(&Money::from_hundredths(123_450)).unwrap();
        assert_eq!(json, "1234.5");
        let back: Money = serde_json::from_str("1234.5").unwrap();
        assert_eq!(back, Money::from_hundredths(123_450));
    }
}
