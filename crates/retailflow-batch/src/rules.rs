//! The value rules ([`retailflow_core::values`]) applied to the CSV's numeric columns: the casts
//! of `price_per_unit`, `quantity` and `total_spent` null a value that breaks a rule, as they null
//! junk, and a verdict function tells which rule it broke so the report counts it per column and
//! rule (`out_of_range`).
//!
//! Junk (text that is no number, NaN, infinities, a quantity with a fraction) stays junk: only a
//! number of the right kind outside its range is out of range.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, PrimitiveArray, UInt8Array};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, ScalarUDF, Volatility};
use datafusion::prelude::ident;
use retailflow_core::values::{Broken, Field, Rule, ValueRules};

use crate::cast::{parse_column, parse_float, strings};
use crate::udf::rules_function;

/// A numeric column the rules apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuledColumn {
    /// `price_per_unit`.
    Price,
    /// `quantity`.
    Quantity,
    /// `total_spent`.
    Total,
}

impl RuledColumn {
    /// Every ruled column, in the report's order.
    pub const ALL: [RuledColumn; 3] = [
        RuledColumn::Price,
        RuledColumn::Quantity,
        RuledColumn::Total,
    ];

    /// The snake_case column name.
    pub fn name(self) -> &'static str {
        match self {
            RuledColumn::Price => "price_per_unit",
            RuledColumn::Quantity => "quantity",
            RuledColumn::Total => "total_spent",
        }
    }

    /// The field its rules are about.
    pub fn field(self) -> Field {
        match self {
            RuledColumn::Price => Field::Price,
            RuledColumn::Quantity => Field::Quantity,
            RuledColumn::Total => Field::Total,
        }
    }

    /// The ruled column named `name`, if it is one.
    pub fn of(name: &str) -> Option<Self> {
        RuledColumn::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// What the rules make of one CSV value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict<T> {
    /// Empty or junk.
    Junk,
    /// A number that broke a rule.
    OutOfRange(Rule),
    /// A value that keeps.
    Valid(T),
}

impl<T> Verdict<T> {
    /// The valid value, if any.
    pub fn value(self) -> Option<T> {
        match self {
            Verdict::Valid(value) => Some(value),
            Verdict::Junk | Verdict::OutOfRange(_) => None,
        }
    }

    /// 0 for junk or valid, else 1 + the rule's place in [`Rule::RANGE`].
    fn code(&self) -> u8 {
        match self {
            Verdict::OutOfRange(rule) => Rule::RANGE
                .iter()
                .position(|r| r == rule)
                .map_or(0, |i| i as u8 + 1),
            Verdict::Junk | Verdict::Valid(_) => 0,
        }
    }
}

fn judged<T>(checked: std::result::Result<T, Broken>) -> Verdict<T> {
    match checked {
        Ok(value) => Verdict::Valid(value),
        Err(broken) if Rule::RANGE.contains(&broken.rule) => Verdict::OutOfRange(broken.rule),
        Err(_) => Verdict::Junk,
    }
}

/// A price (`price_per_unit`) from CSV text.
pub fn price(text: &str, rules: &ValueRules) -> Verdict<f64> {
    parse_float(text).map_or(Verdict::Junk, |number| judged(rules.price(number)))
}

/// A total (`total_spent`) from CSV text.
pub fn total(text: &str, rules: &ValueRules) -> Verdict<f64> {
    parse_float(text).map_or(Verdict::Junk, |number| judged(rules.total(number)))
}

/// A quantity from CSV text: `10`, `10.0` and ` 10 ` are 10; `10.5` is junk.
pub fn quantity(text: &str, rules: &ValueRules) -> Verdict<i64> {
    parse_float(text).map_or(Verdict::Junk, |number| {
        judged(rules.quantity_from_number(number))
    })
}

fn price_kernel(columns: &[ArrayRef], rules: &ValueRules) -> Result<ArrayRef> {
    let input = strings(&columns[0])?;
    let parsed: PrimitiveArray<Float64Type> =
        parse_column(input, |text| price(text, rules).value());
    Ok(Arc::new(parsed))
}

fn total_kernel(columns: &[ArrayRef], rules: &ValueRules) -> Result<ArrayRef> {
    let input = strings(&columns[0])?;
    let parsed: PrimitiveArray<Float64Type> =
        parse_column(input, |text| total(text, rules).value());
    Ok(Arc::new(parsed))
}

fn quantity_kernel(columns: &[ArrayRef], rules: &ValueRules) -> Result<ArrayRef> {
    let input = strings(&columns[0])?;
    let parsed: PrimitiveArray<Int64Type> =
        parse_column(input, |text| quantity(text, rules).value());
    Ok(Arc::new(parsed))
}

/// The verdicts of a text column (`columns[0]`) given its cast (`columns[1]`): a value the cast
/// kept is valid and a null text is no value, so only the few texts the cast nulled are judged
/// again, instead of every value being parsed twice.
fn verdict_kernel<T>(
    columns: &[ArrayRef],
    rules: &ValueRules,
    judge: fn(&str, &ValueRules) -> Verdict<T>,
) -> Result<ArrayRef> {
    let input = strings(&columns[0])?;
    let cast = &columns[1];
    let codes: UInt8Array = (0..input.len())
        .map(|index| {
            let judged = cast.is_null(index) && input.is_valid(index);
            Some(if judged {
                judge(input.value(index), rules).code()
            } else {
                0
            })
        })
        .collect();
    Ok(Arc::new(codes))
}

fn price_verdict_kernel(columns: &[ArrayRef], rules: &ValueRules) -> Result<ArrayRef> {
    verdict_kernel(columns, rules, price)
}

fn quantity_verdict_kernel(columns: &[ArrayRef], rules: &ValueRules) -> Result<ArrayRef> {
    verdict_kernel(columns, rules, quantity)
}

fn total_verdict_kernel(columns: &[ArrayRef], rules: &ValueRules) -> Result<ArrayRef> {
    verdict_kernel(columns, rules, total)
}

/// The casts and verdicts of the ruled columns under one set of rules.
#[derive(Debug, Clone)]
pub struct RuledCasts {
    price: ScalarUDF,
    quantity: ScalarUDF,
    total: ScalarUDF,
    price_verdict: ScalarUDF,
    quantity_verdict: ScalarUDF,
    total_verdict: ScalarUDF,
}

impl RuledCasts {
    /// The functions applying `rules`.
    pub fn new(rules: ValueRules) -> Self {
        let function = |name, output, kernel| {
            rules_function(
                name,
                vec![DataType::Utf8],
                output,
                rules,
                kernel,
                Volatility::Immutable,
            )
        };
        let verdict = |name, cast, kernel| {
            rules_function(
                name,
                vec![DataType::Utf8, cast],
                DataType::UInt8,
                rules,
                kernel,
                Volatility::Immutable,
            )
        };
        RuledCasts {
            price: function("rf_price", DataType::Float64, price_kernel),
            quantity: function("rf_quantity", DataType::Int64, quantity_kernel),
            total: function("rf_total", DataType::Float64, total_kernel),
            price_verdict: verdict("rf_price_verdict", DataType::Float64, price_verdict_kernel),
            quantity_verdict: verdict(
                "rf_quantity_verdict",
                DataType::Int64,
                quantity_verdict_kernel,
            ),
            total_verdict: verdict("rf_total_verdict", DataType::Float64, total_verdict_kernel),
        }
    }

    /// Every function, for rebuilding one by name.
    pub(crate) fn functions(&self) -> [&ScalarUDF; 6] {
        [
            &self.price,
            &self.quantity,
            &self.total,
            &self.price_verdict,
            &self.quantity_verdict,
            &self.total_verdict,
        ]
    }

    /// The cast of text column `name` as `column` (unnamed): the value, or null when empty, junk
    /// or out of range.
    pub fn cast(&self, column: RuledColumn, name: &str) -> Expr {
        let function = match column {
            RuledColumn::Price => &self.price,
            RuledColumn::Quantity => &self.quantity,
            RuledColumn::Total => &self.total,
        };
        function.call(vec![ident(name)])
    }

    /// Which rule each value of `text` broke (unnamed), given `cast`, its cast as `column`: 0 for
    /// none (null, junk or valid), else 1 + the rule's place in [`Rule::RANGE`].
    pub fn verdict(&self, column: RuledColumn, text: Expr, cast: Expr) -> Expr {
        let function = match column {
            RuledColumn::Price => &self.price_verdict,
            RuledColumn::Quantity => &self.quantity_verdict,
            RuledColumn::Total => &self.total_verdict,
        };
        function.call(vec![text, cast])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_outside_their_range_are_out_of_range_and_junk_stays_junk() {
        let rules = ValueRules::default();
        assert_eq!(price("18.5", &rules), Verdict::Valid(18.5));
        assert_eq!(price("1e308", &rules), Verdict::OutOfRange(Rule::AboveMax));
        assert_eq!(price("-2", &rules), Verdict::OutOfRange(Rule::BelowMin));
        assert_eq!(price("inf", &rules), Verdict::Junk);
        assert_eq!(price("abc", &rules), Verdict::Junk);
        assert_eq!(quantity(" 10.0 ", &rules), Verdict::Valid(10));
        assert_eq!(quantity("10.5", &rules), Verdict::Junk);
        assert_eq!(quantity("0", &rules), Verdict::OutOfRange(Rule::BelowMin));
        assert_eq!(quantity("-3", &rules), Verdict::OutOfRange(Rule::BelowMin));
        assert_eq!(
            quantity("1e30", &rules),
            Verdict::OutOfRange(Rule::AboveMax)
        );
        assert_eq!(
            quantity("100001", &rules),
            Verdict::OutOfRange(Rule::AboveMax)
        );
        assert_eq!(total("1e11", &rules), Verdict::Valid(1e11));
        assert_eq!(total("1.5e11", &rules), Verdict::OutOfRange(Rule::AboveMax));
        assert_eq!(total("-0", &rules), Verdict::Valid(0.0));
    }

    /// Random numbers, sane and absurd, as CSV text through the casts and the repairs: every
    /// value kept or derived is within the rules and finite, and everything else is refused.
    #[test]
    fn random_values_are_kept_within_the_rules_or_refused() {
        use crate::repair::{price_from, quantity_from, total_from};
        let mut random = retailflow_core::rng::SeededRng::new(15);
        let specials = [
            "0",
            "-0",
            "1",
            "-1",
            "0.004",
            "1e308",
            "-1e308",
            "1e-320",
            "9007199254740993",
            "4611686018427387904",
            "1e11",
            "100000",
            "100001",
            "1000000",
            "1000000.01",
            "NaN",
            "inf",
            "-inf",
            "1e400",
            "2.5",
            "abc",
            "",
        ];
        for rules in [ValueRules::default(), ValueRules::new(10, 100.0).unwrap()] {
            let max_total = rules.max_total();
            for _ in 0..20_000 {
                let mut text = || -> String {
                    match random.below(3) {
                        0 => specials[random.below(specials.len() as u64) as usize].to_string(),
                        1 => format!(
                            "{}",
                            random.next_f64() * 10f64.powi(random.below(20) as i32)
                        ),
                        _ => format!("{}", random.below(200_000) as i64 - 1000),
                    }
                };
                let (p, q, t) = (text(), text(), text());
                let price = price(&p, &rules).value();
                let quantity = quantity(&q, &rules).value();
                let total = total(&t, &rules).value();
                let in_range =
                    |value: f64, max: f64| value.is_finite() && (0.0..=max).contains(&value);
                assert!(price.is_none_or(|v| in_range(v, rules.max_price)), "{p}");
                assert!(
                    quantity.is_none_or(|v| (1..=rules.max_quantity).contains(&v)),
                    "{q}"
                );
                assert!(total.is_none_or(|v| in_range(v, max_total)), "{t}");
                if let (Some(q), Some(p)) = (quantity, price) {
                    assert!(total_from(q, p, &rules).is_some_and(|v| in_range(v, max_total)));
                }
                if let (Some(t), Some(p)) = (total, price) {
                    assert!(
                        quantity_from(t, p, &rules)
                            .is_none_or(|v| (1..=rules.max_quantity).contains(&v))
                    );
                }
                if let (Some(t), Some(q)) = (total, quantity) {
                    assert!(price_from(t, q, &rules).is_none_or(|v| in_range(v, rules.max_price)));
                }
            }
        }
    }

    #[test]
    fn verdict_codes_follow_the_range_rules() {
        assert_eq!(Verdict::<f64>::Junk.code(), 0);
        assert_eq!(Verdict::Valid(1.0).code(), 0);
        assert_eq!(Verdict::<f64>::OutOfRange(Rule::BelowMin).code(), 1);
        assert_eq!(Verdict::<f64>::OutOfRange(Rule::AboveMax).code(), 2);
    }
}
