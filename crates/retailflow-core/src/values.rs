//! The value rules: what a quantity, a unit price and a total must be for retailflow to count them.
//! `clean` turns a value that breaks a rule into null and counts it per column and rule; `stream`
//! and `windows` dead-letter the receipt (`invalid_value`, naming the field and the rule). Both
//! sides read the same limits from the same flags (`--max-quantity`, `--max-price`).
//!
//! | field | rule |
//! |---|---|
//! | quantity | a whole number in 1..=`max_quantity` (default 100,000) |
//! | price | finite, ≥ 0 and ≤ `max_price` (default 1,000,000) |
//! | total | finite, ≥ 0 and ≤ `max_quantity` × `max_price` |
//!
//! Within these limits every sum retailflow writes is exact: a line's total is at most
//! `max_quantity` × `max_price` in hundredths, far inside the range where a decimal and the
//! double written for it are the same number ([`MAX_EXACT_HUNDREDTHS`]).

use std::fmt;

/// The largest amount, in hundredths, that every sum of money may reach: 10^15 hundredths
/// (10 trillion currency units). Up to it a double holds the amount to well under half a hundredth,
/// so the number written in JSON is the exact decimal amount.
pub const MAX_EXACT_HUNDREDTHS: i64 = 1_000_000_000_000_000;

/// The largest count of units any sum may reach: 2^53, the last integer every double holds.
pub const MAX_EXACT_UNITS: i64 = 1 << 53;

/// Which value a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Units bought.
    Quantity,
    /// Unit price.
    Price,
    /// Quantity × price, for a line, a row or a receipt.
    Total,
}

impl Field {
    /// Every field, in the order reports list them.
    pub const ALL: [Field; 3] = [Field::Quantity, Field::Price, Field::Total];

    /// The field's name: `quantity`, `price`, `total`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Quantity => "quantity",
            Field::Price => "price",
            Field::Total => "total",
        }
    }
}

/// Which rule a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// NaN or an infinity.
    NotFinite,
    /// A quantity with a fraction.
    NotWhole,
    /// Below the field's minimum (1 for a quantity, 0 for a price or a total).
    BelowMin,
    /// Above the field's maximum.
    AboveMax,
}

impl Rule {
    /// The rules a parsed number can break, in the order reports list them.
    pub const RANGE: [Rule; 2] = [Rule::BelowMin, Rule::AboveMax];

    /// The rule's name as reports and dead letters write it: `not_finite`, `not_whole`,
    /// `below_min`, `above_max`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NotFinite => "not_finite",
            Rule::NotWhole => "not_whole",
            Rule::BelowMin => "below_min",
            Rule::AboveMax => "above_max",
        }
    }
}

/// A value that broke a rule, with what the rule allows; its `Display` is the one-line detail
/// dead letters carry, e.g. `quantity 0 breaks below_min (allowed: 1..=100000)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Broken {
    /// The field.
    pub field: Field,
    /// The rule.
    pub rule: Rule,
    /// The value as read.
    pub value: Number,
    /// The rules in force.
    pub rules: ValueRules,
}

/// A value as it was read: a whole number from JSON, or a double.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer (a receipt's quantity).
    Whole(i64),
    /// A double (prices, totals, CSV numbers).
    Decimal(f64),
}

/// Integers exactly; doubles plainly up to 10^16, in exponent form beyond (`1e300`).
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::Whole(value) => write!(f, "{value}"),
            Number::Decimal(value) if value.is_finite() && value.abs() < 1e16 => {
                write!(f, "{value}")
            }
            Number::Decimal(value) => write!(f, "{value:e}"),
        }
    }
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} breaks {} (allowed: {})",
            self.field.as_str(),
            self.value,
            self.rule.as_str(),
            self.rules.allowed(self.field)
        )
    }
}

/// The limits in force (`--max-quantity`, `--max-price`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ValueRules {
    /// The most units one line (row) may have.
    pub max_quantity: i64,
    /// The highest unit price.
    pub max_price: f64,
}

impl Default for ValueRules {
    fn default() -> Self {
        ValueRules {
            max_quantity: ValueRules::DEFAULT_MAX_QUANTITY,
            max_price: ValueRules::DEFAULT_MAX_PRICE,
        }
    }
}

/// Limits that cannot be used; the message names the flag.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RulesError {
    /// `--max-quantity` below 1.
    #[error("--max-quantity must be at least 1, not {0}")]
    QuantityBelowOne(i64),
    /// `--max-price` not a finite positive number.
    #[error("--max-price must be a finite number above 0, not {0}")]
    PriceNotPositive(f64),
    /// Their product beyond what sums can hold exactly.
    #[error(
        "--max-quantity × --max-price must be at most {max} so that totals stay exact, not {product}"
    )]
    TotalTooLarge {
        /// max_quantity × max_price.
        product: f64,
        /// The most it may be.
        max: f64,
    },
}

impl ValueRules {
    /// `--max-quantity` by default.
    pub const DEFAULT_MAX_QUANTITY: i64 = 100_000;
    /// `--max-price` by default.
    pub const DEFAULT_MAX_PRICE: f64 = 1_000_000.0;
    /// The most `max_quantity` × `max_price` may be: a hundredth of [`MAX_EXACT_HUNDREDTHS`] in
    /// currency units, so that a hundred receipts at the limit still sum exactly.
    pub const MAX_LINE_TOTAL: f64 = (MAX_EXACT_HUNDREDTHS / 10_000) as f64;

    /// Limits of `max_quantity` units at `max_price`, checked.
    pub fn new(max_quantity: i64, max_price: f64) -> Result<Self, RulesError> {
        let rules = ValueRules {
            max_quantity,
            max_price,
        };
        rules.validate()?;
        Ok(rules)
    }

    /// Checks that the limits can be used.
    pub fn validate(&self) -> Result<(), RulesError> {
        if self.max_quantity < 1 {
            return Err(RulesError::QuantityBelowOne(self.max_quantity));
        }
        if !(self.max_price.is_finite() && self.max_price > 0.0) {
            return Err(RulesError::PriceNotPositive(self.max_price));
        }
        let product = self.max_total();
        if product > Self::MAX_LINE_TOTAL {
            return Err(RulesError::TotalTooLarge {
                product,
                max: Self::MAX_LINE_TOTAL,
            });
        }
        Ok(())
    }

    /// The highest total: `max_quantity` × `max_price`.
    pub fn max_total(&self) -> f64 {
        self.max_quantity as f64 * self.max_price
    }

    /// What the rules allow for `field`, e.g. `1..=100000`.
    pub fn allowed(&self, field: Field) -> String {
        match field {
            Field::Quantity => format!("1..={}", self.max_quantity),
            Field::Price => format!("0..={}", self.max_price),
            Field::Total => format!("0..={}", self.max_total()),
        }
    }

    /// A one-line statement of the rules, for `--help` and stories.
    pub fn describe(&self) -> String {
        format!(
            "quantity a whole number in {}, price in {}, total in {}",
            self.allowed(Field::Quantity),
            self.allowed(Field::Price),
            self.allowed(Field::Total)
        )
    }

    fn broken(&self, field: Field, rule: Rule, value: Number) -> Broken {
        Broken {
            field,
            rule,
            value,
            rules: *self,
        }
    }

    /// `quantity` if it is in 1..=`max_quantity`.
    pub fn quantity(&self, quantity: i64) -> Result<i64, Broken> {
        if quantity < 1 {
            Err(self.broken(Field::Quantity, Rule::BelowMin, Number::Whole(quantity)))
        } else if quantity > self.max_quantity {
            Err(self.broken(Field::Quantity, Rule::AboveMax, Number::Whole(quantity)))
        } else {
            Ok(quantity)
        }
    }

    /// A quantity read as a number (CSV text goes through a double): it must be whole and in
    /// range. Exact for every value in range, whatever its size outside it.
    pub fn quantity_from_number(&self, number: f64) -> Result<i64, Broken> {
        if !number.is_finite() {
            return Err(self.broken(Field::Quantity, Rule::NotFinite, Number::Decimal(number)));
        }
        if number.fract() != 0.0 {
            return Err(self.broken(Field::Quantity, Rule::NotWhole, Number::Decimal(number)));
        }
        if number < 1.0 {
            return Err(self.broken(Field::Quantity, Rule::BelowMin, Number::Decimal(number)));
        }
        if number > self.max_quantity as f64 {
            return Err(self.broken(Field::Quantity, Rule::AboveMax, Number::Decimal(number)));
        }
        // In 1..=max_quantity, so the conversion is exact.
        self.quantity(number as i64)
    }

    /// `price` if it is finite and in 0..=`max_price`.
    pub fn price(&self, price: f64) -> Result<f64, Broken> {
        self.bounded(Field::Price, price, self.max_price)
    }

    /// `total` if it is finite and in 0..=`max_quantity` × `max_price`.
    pub fn total(&self, total: f64) -> Result<f64, Broken> {
        self.bounded(Field::Total, total, self.max_total())
    }

    fn bounded(&self, field: Field, value: f64, max: f64) -> Result<f64, Broken> {
        if !value.is_finite() {
            Err(self.broken(field, Rule::NotFinite, Number::Decimal(value)))
        } else if value < 0.0 {
            Err(self.broken(field, Rule::BelowMin, Number::Decimal(value)))
        } else if value > max {
            Err(self.broken(field, Rule::AboveMax, Number::Decimal(value)))
        } else {
            // -0.0 becomes 0.0, so equal amounts group together.
            Ok(value + 0.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let rules = ValueRules::default();
        assert_eq!(rules.max_quantity, 100_000);
        assert_eq!(rules.max_price, 1_000_000.0);
        assert_eq!(rules.max_total(), 1e11);
        assert_eq!(rules.validate(), Ok(()));
        assert_eq!(
            rules.describe(),
            "quantity a whole number in 1..=100000, price in 0..=1000000, total in 0..=100000000000"
        );
    }

    #[test]
    fn quantities() {
        let rules = ValueRules::default();
        assert_eq!(rules.quantity(1), Ok(1));
        assert_eq!(rules.quantity(100_000), Ok(100_000));
        assert_eq!(rules.quantity(0).unwrap_err().rule, Rule::BelowMin);
        assert_eq!(rules.quantity(-3).unwrap_err().rule, Rule::BelowMin);
        let huge = rules.quantity(4_611_686_018_427_387_904).unwrap_err();
        assert_eq!(huge.rule, Rule::AboveMax);
        assert_eq!(
            huge.to_string(),
            "quantity 4611686018427387904 breaks above_max (allowed: 1..=100000)"
        );
        assert_eq!(rules.quantity_from_number(10.0), Ok(10));
        assert_eq!(
            rules.quantity_from_number(10.5).unwrap_err().rule,
            Rule::NotWhole
        );
        assert_eq!(
            rules.quantity_from_number(1e30).unwrap_err().rule,
            Rule::AboveMax
        );
        assert_eq!(
            rules.quantity_from_number(-0.0).unwrap_err().rule,
            Rule::BelowMin
        );
        assert_eq!(
            rules.quantity_from_number(f64::NAN).unwrap_err().rule,
            Rule::NotFinite
        );
    }

    #[test]
    fn prices_and_totals() {
        let rules = ValueRules::default();
        assert_eq!(rules.price(0.0), Ok(0.0));
        assert!(rules.price(-0.0).unwrap().is_sign_positive());
        assert_eq!(rules.price(1e6), Ok(1e6));
        assert_eq!(rules.price(1e308).unwrap_err().rule, Rule::AboveMax);
        assert_eq!(rules.price(-0.01).unwrap_err().rule, Rule::BelowMin);
        assert_eq!(
            rules.price(f64::INFINITY).unwrap_err().rule,
            Rule::NotFinite
        );
        assert_eq!(rules.total(1e11), Ok(1e11));
        let over = rules.total(1e11 + 1.0).unwrap_err();
        assert_eq!((over.field, over.rule), (Field::Total, Rule::AboveMax));
        assert_eq!(
            rules.price(1e300).unwrap_err().to_string(),
            "price 1e300 breaks above_max (allowed: 0..=1000000)"
        );
    }

    #[test]
    fn unusable_limits_name_the_flag() {
        assert_eq!(
            ValueRules::new(0, 10.0).unwrap_err().to_string(),
            "--max-quantity must be at least 1, not 0"
        );
        assert!(ValueRules::new(10, f64::NAN).is_err());
        assert!(ValueRules::new(10, 0.0).is_err());
        assert!(
            ValueRules::new(1_000_000_000, 1_000_000.0)
                .unwrap_err()
                .to_string()
                .starts_with("--max-quantity × --max-price must be at most 100000000000")
        );
        assert!(ValueRules::new(1_000_000, 100_000.0).is_ok());
    }
}
