//! Exact money: amounts kept as whole hundredths (kopecks, cents) in an `i64`.
//!
//! Prices carry at most two decimals, so summing them as integers gives the same revenue whatever
//! order the records arrive in, which `f64` sums do not. Amounts become decimals only when printed.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of money in hundredths of the currency unit. Arithmetic saturates instead of
/// overflowing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(0);

    /// An amount of `hundredths` hundredths.
    pub const fn from_hundredths(hundredths: i64) -> Self {
        Money(hundredths)
    }

    /// A decimal amount rounded to the nearest hundredth (half away from zero). Non-finite input
    /// gives zero; amounts beyond the `i64` range saturate.
    pub fn from_decimal(amount: f64) -> Self {
        // `as` saturates and maps NaN to 0, so no input can panic here.
        Money((amount * 100.0).round() as i64)
    }

    /// The amount in hundredths.
    pub const fn hundredths(self) -> i64 {
        self.0
    }

    /// The amount as a decimal number (the nearest `f64` to it).
    pub fn to_decimal(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// `self + other`, saturating.
    pub fn plus(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    /// `self × quantity`, saturating.
    pub fn times(self, quantity: i64) -> Money {
        Money(self.0.saturating_mul(quantity))
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
        f64::deserialize(deserializer).map(Money::from_decimal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_to_the_nearest_hundredth() {
        assert_eq!(Money::from_decimal(19.99).hundredths(), 1999);
        assert_eq!(Money::from_decimal(0.1 + 0.2).hundredths(), 30);
        assert_eq!(Money::from_decimal(5.0).hundredths(), 500);
        assert_eq!(Money::from_decimal(-0.005).hundredths(), -1);
        assert_eq!(Money::from_decimal(f64::NAN), Money::ZERO);
        assert_eq!(Money::from_decimal(f64::INFINITY).hundredths(), i64::MAX);
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(
            Money::from_hundredths(i64::MAX)
                .plus(Money::from_hundredths(1))
                .hundredths(),
            i64::MAX
        );
        assert_eq!(Money::from_hundredths(1999).times(3).hundredths(), 5997);
        assert_eq!(
            Money::from_hundredths(i64::MAX / 2).times(3).hundredths(),
            i64::MAX
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
