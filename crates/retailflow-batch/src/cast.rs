//! Casting the text columns to their types, value by value, as vectorised functions over Arrow arrays.
//! Every value is trimmed first and an empty value is null; a value that does not fit its type (junk)
//! is null too, never an error, and so is a number that breaks the value rules ([`crate::rules`]).
//!
//! | column | type | accepted |
//! |---|---|---|
//! | ids, category, item, payment_method, location, extras | string | any text |
//! | price_per_unit, total_spent | double | decimal text; not NaN or infinite; within the value rules |
//! | quantity | long | a number that is a whole number: `10`, `10.0`, ` 10 `; within the value rules |
//! | discount_applied | boolean | `true/false/yes/no/1/0`, any case |
//! | transaction_date | date | the detected or given format ([`crate::dates`]) |

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, BooleanBufferBuilder, PrimitiveArray, StringArray,
};
use datafusion::arrow::buffer::{BooleanBuffer, NullBuffer};
use datafusion::arrow::datatypes::{ArrowPrimitiveType, DataType};
use datafusion::common::{Result, exec_datafusion_err};
use datafusion::logical_expr::{Expr, ScalarUDF};
use datafusion::prelude::ident;

use retailflow_core::values::ValueRules;

use crate::dates::{self, DateFormat};
use crate::rules::{RuledCasts, RuledColumn};
use crate::udf::array_function;

/// The type a column is cast to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Trimmed text (ids, category, item, payment method, location, extra columns).
    Text,
    /// A number under the value rules: float64 (price_per_unit, total_spent) or int64 (quantity).
    Ruled(RuledColumn),
    /// A boolean (discount_applied).
    Boolean,
    /// A date (transaction_date).
    Date,
}

impl ColumnKind {
    /// The kind of the column named `name` (snake_case).
    pub fn of(name: &str) -> Self {
        if let Some(column) = RuledColumn::of(name) {
            return ColumnKind::Ruled(column);
        }
        match name {
            "discount_applied" => ColumnKind::Boolean,
            "transaction_date" => ColumnKind::Date,
            _ => ColumnKind::Text,
        }
    }

    /// The Arrow type of the cast column.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnKind::Text => DataType::Utf8,
            ColumnKind::Ruled(RuledColumn::Quantity) => DataType::Int64,
            ColumnKind::Ruled(RuledColumn::Price | RuledColumn::Total) => DataType::Float64,
            ColumnKind::Boolean => DataType::Boolean,
            ColumnKind::Date => DataType::Date32,
        }
    }
}

/// A value trimmed, or `None` when nothing is left.
pub fn clean_text(value: &str) -> Option<&str> {
    let trimmed = trim(value);
    (!trimmed.is_empty()).then_some(trimmed)
}

/// `str::trim`, skipped when neither end can be white space (the common case).
pub fn trim(value: &str) -> &str {
    if needs_trim(value.as_bytes()) {
        value.trim()
    } else {
        value
    }
}

/// A float from decimal text; junk, NaN and infinities are `None`. `-0` is `0`.
pub fn parse_float(value: &str) -> Option<f64> {
    // Plain decimals (nearly every value) need no trimming: white space sends them to the slow path.
    let number = match plain_decimal(value.as_bytes()) {
        Some(number) => number,
        None => {
            let trimmed = trim(value);
            match plain_decimal(trimmed.as_bytes()) {
                Some(number) => number,
                None => trimmed.parse::<f64>().ok()?,
            }
        }
    };
    // Adding 0.0 turns -0.0 into 0.0, so equal prices group together.
    number.is_finite().then_some(number + 0.0)
}

/// Exact powers of ten as f64 (all of them are representable).
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The fast path of decimal parsing for text like `185.0` or `-18.5`: when the digits fit in 2^53
/// and there are at most 22 decimals, one correctly rounded division of two exact floats gives the
/// correctly rounded value (Clinger's fast path), the same as `str::parse`. Anything else (exponents,
/// long mantissas, junk) returns `None` and is left to `str::parse`.
fn plain_decimal(bytes: &[u8]) -> Option<f64> {
    let (negative, digits) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let mut mantissa: u64 = 0;
    let mut decimals: usize = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    for &byte in digits {
        match byte {
            b'0'..=b'9' => {
                mantissa = mantissa
                    .checked_mul(10)?
                    .checked_add(u64::from(byte - b'0'))?;
                seen_digit = true;
                if seen_point {
                    decimals += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if !seen_digit || mantissa > (1 << 53) || decimals >= POWERS_OF_TEN.len() {
        return None;
    }
    let magnitude = mantissa as f64 / POWERS_OF_TEN[decimals];
    Some(if negative { -magnitude } else { magnitude })
}

/// A whole number read through a float: `10`, `10.0` and ` 10 ` are 10; `10.5` and junk are `None`.
pub fn parse_quantity(value: &str) -> Option<i64> {
    whole_number(parse_float(value)?)
}

/// `number` as an int64 when it is finite, integral and in range.
pub fn whole_number(number: f64) -> Option<i64> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    (number.is_finite() && number.fract() == 0.0 && (-LIMIT..LIMIT).contains(&number))
        .then_some(number as i64)
}

/// A boolean from `true/false/yes/no/1/0` in any case; anything else is `None`.
pub fn parse_flag(value: &str) -> Option<bool> {
    let value = trim(value);
    let (word, meaning) = match value.len() {
        1 => {
            return if value == "1" {
                Some(true)
            } else if value == "0" {
                Some(false)
            } else {
                None
            };
        }
        2 => ("no", false),
        3 => ("yes", true),
        4 => ("true", true),
        5 => ("false", false),
        _ => return None,
    };
    value.eq_ignore_ascii_case(word).then_some(meaning)
}

pub(crate) fn strings(column: &ArrayRef) -> Result<&StringArray> {
    column
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| exec_datafusion_err!("expected a Utf8 column, got {}", column.data_type()))
}

/// Whether `value` has white space (as `str::trim` sees it) at either end.
fn needs_trim(value: &[u8]) -> bool {
    // ASCII white space as `str::trim` counts it includes the vertical tab.
    let blank = |byte: u8| byte.is_ascii_whitespace() || byte == 0x0B;
    match (value.first(), value.last()) {
        (Some(&first), Some(&last)) if first.is_ascii() && last.is_ascii() => {
            blank(first) || blank(last)
        }
        (None, _) | (_, None) => false,
        // A multi-byte character at an end: let `str::trim` judge (rare).
        _ => std::str::from_utf8(value).is_ok_and(|text| text.trim().len() != text.len()),
    }
}

/// Kernel of `rf_text`: trims every value, empty → null. Shares the input's buffers when no value
/// needs trimming (the common case), so clean text costs one scan of the offsets.
fn text_kernel(columns: &[ArrayRef]) -> Result<ArrayRef> {
    let input = strings(&columns[0])?;
    let offsets = input.value_offsets();
    let bytes = input.value_data();
    let mut has_empty = false;
    for (index, window) in offsets.windows(2).enumerate() {
        let (start, end) = (window[0] as usize, window[1] as usize);
        if start == end {
            has_empty |= input.is_valid(index);
        } else if needs_trim(&bytes[start..end]) {
            let trimmed: StringArray = input.iter().map(|v| v.and_then(clean_text)).collect();
            return Ok(Arc::new(trimmed));
        }
    }
    if !has_empty {
        return Ok(Arc::clone(&columns[0]));
    }
    let validity = BooleanBuffer::collect_bool(input.len(), |i| {
        input.is_valid(i) && offsets[i + 1] > offsets[i]
    });
    let shared = StringArray::try_new(
        input.offsets().clone(),
        input.values().clone(),
        Some(NullBuffer::new(validity)),
    )?;
    Ok(Arc::new(shared))
}

/// Kernel of `rf_decimal_comma`: every `,` in a value becomes `.`, so that `12,50` (a decimal comma,
/// `clean --decimal-comma`) reads as `12.50`. Shares the input when no value holds a comma.
fn decimal_comma_kernel(columns: &[ArrayRef]) -> Result<ArrayRef> {
    let input = strings(&columns[0])?;
    if !input.value_data().contains(&b',') {
        return Ok(Arc::clone(&columns[0]));
    }
    let points: StringArray = input
        .iter()
        .map(|value| value.map(|text| text.replace(',', ".")))
        .collect();
    Ok(Arc::new(points))
}

/// The function reading a decimal comma as a point (see `decimal_comma_kernel`).
pub fn decimal_comma_function() -> ScalarUDF {
    array_function(
        "rf_decimal_comma",
        vec![DataType::Utf8],
        DataType::Utf8,
        decimal_comma_kernel,
    )
}

/// Parses every value of a text column with `parse` into a primitive column (null where the text is
/// null or does not parse), writing values and validity straight into their buffers.
pub(crate) fn parse_column<T: ArrowPrimitiveType>(
    input: &StringArray,
    parse: impl Fn(&str) -> Option<T::Native>,
) -> PrimitiveArray<T> {
    let mut values: Vec<T::Native> = Vec::with_capacity(input.len());
    let mut validity = BooleanBufferBuilder::new(input.len());
    for index in 0..input.len() {
        let parsed = if input.is_valid(index) {
            parse(input.value(index))
        } else {
            None
        };
        values.push(parsed.unwrap_or_default());
        validity.append(parsed.is_some());
    }
    PrimitiveArray::new(values.into(), Some(NullBuffer::new(validity.finish())))
}

fn boolean_kernel(columns: &[ArrayRef]) -> Result<ArrayRef> {
    let input = strings(&columns[0])?;
    let out: BooleanArray = input.iter().map(|v| v.and_then(parse_flag)).collect();
    Ok(Arc::new(out))
}

/// The cast functions for one job (the date function depends on the date format, the numeric
/// ones on the value rules).
#[derive(Debug, Clone)]
pub struct CastFunctions {
    text: ScalarUDF,
    ruled: RuledCasts,
    boolean: ScalarUDF,
    date: ScalarUDF,
    decimal_comma: ScalarUDF,
}

impl CastFunctions {
    /// The cast functions, parsing dates in `date_format` and numbers under `rules`.
    pub fn new(date_format: DateFormat, rules: ValueRules) -> Self {
        let utf8 = || vec![DataType::Utf8];
        Self {
            text: array_function("rf_text", utf8(), DataType::Utf8, text_kernel),
            ruled: RuledCasts::new(rules),
            boolean: array_function("rf_flag", utf8(), DataType::Boolean, boolean_kernel),
            date: dates::parse_function(date_format),
            decimal_comma: decimal_comma_function(),
        }
    }

    /// Every function, for rebuilding one by name.
    pub(crate) fn functions(&self) -> impl Iterator<Item = &ScalarUDF> {
        [&self.text, &self.boolean, &self.date, &self.decimal_comma]
            .into_iter()
            .chain(self.ruled.functions())
    }

    /// The numeric casts and their verdicts.
    pub fn ruled(&self) -> &RuledCasts {
        &self.ruled
    }

    /// The expression casting text column `name` to its kind, named `name`.
    pub fn cast(&self, name: &str) -> Expr {
        self.cast_as(name, ColumnKind::of(name)).alias(name)
    }

    /// The expression casting text column `name` to `kind` (unnamed).
    pub fn cast_as(&self, name: &str, kind: ColumnKind) -> Expr {
        let function = match kind {
            ColumnKind::Text => &self.text,
            ColumnKind::Ruled(column) => return self.ruled.cast(column, name),
            ColumnKind::Boolean => &self.boolean,
            ColumnKind::Date => &self.date,
        };
        function.call(vec![ident(name)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_empty_is_null() {
        assert_eq!(clean_text("  Food "), Some("Food"));
        assert_eq!(clean_text("Food"), Some("Food"));
        assert_eq!(clean_text("   "), None);
        assert_eq!(clean_text(""), None);
        assert_eq!(clean_text("\u{a0}Food\u{2003}"), Some("Food"));
    }

    #[test]
    fn floats() {
        assert_eq!(parse_float("18.5"), Some(18.5));
        assert_eq!(parse_float(" 185.0 "), Some(185.0));
        assert_eq!(parse_float("7"), Some(7.0));
        assert_eq!(parse_float("-0"), Some(0.0));
        assert!(parse_float("-0").unwrap().is_sign_positive());
        assert_eq!(parse_float("1e3"), Some(1000.0));
        for junk in [
            "",
            "abc",
            "NaN",
            "nan",
            "inf",
            "-infinity",
            "1,5",
            "18.5 EUR",
            "1e400",
        ] {
            assert_eq!(parse_float(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn the_fast_decimal_path_agrees_with_the_standard_parser() {
        let cases = [
            "0",
            "0.0",
            "-0.0",
            "7",
            "18.5",
            "185.0",
            "-2.25",
            "+3.5",
            "5.",
            ".5",
            "0.1",
            "0.3",
            "123456789.123456",
            "9007199254740993",
            "1.7976931348623157",
            "64.75",
            "1e3",
            "12.5.1",
            "",
            "-",
            ".",
            "1_000",
            "0.0000000000000000000001",
            "0.00000000000000000000001",
        ];
        for case in cases {
            let standard = case
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(|n| n + 0.0);
            assert_eq!(parse_float(case), standard, "{case:?}");
        }
        for mantissa in [
            1u64,
            3,
            7,
            99,
            185,
            1234,
            987_654_321,
            (1 << 53) - 1,
            1 << 53,
        ] {
            for decimals in 0..=22 {
                let text = format!("{mantissa}e-{decimals}");
                let expected: f64 = text.parse().unwrap();
                let digits = format!("{mantissa:0>width$}", width = decimals + 1);
                let (whole, fraction) = digits.split_at(digits.len() - decimals);
                let decimal = format!("{whole}.{fraction}");
                assert_eq!(
                    plain_decimal(decimal.as_bytes()),
                    Some(expected),
                    "{decimal}"
                );
            }
        }
    }

    #[test]
    fn quantities_through_float() {
        assert_eq!(parse_quantity("10"), Some(10));
        assert_eq!(parse_quantity("10.0"), Some(10));
        assert_eq!(parse_quantity(" 10 "), Some(10));
        assert_eq!(parse_quantity("-3"), Some(-3));
        assert_eq!(parse_quantity("1e2"), Some(100));
        for junk in ["10.5", "0.1", "ten", "", "NaN", "inf", "1e30"] {
            assert_eq!(parse_quantity(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn flags() {
        for yes in ["True", "TRUE", "true", "yes", "YES", "1", " True "] {
            assert_eq!(parse_flag(yes), Some(true), "{yes:?}");
        }
        for no in ["False", "FALSE", "false", "no", "No", "0"] {
            assert_eq!(parse_flag(no), Some(false), "{no:?}");
        }
        for junk in ["", "y", "n", "T", "1.0", "maybe"] {
            assert_eq!(parse_flag(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn text_kernel_shares_buffers_or_trims() {
        let clean: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("b")]));
        let out = text_kernel(&[Arc::clone(&clean)]).unwrap();
        assert!(Arc::ptr_eq(&out, &clean));

        let with_empty: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), Some(""), None]));
        let out = text_kernel(&[with_empty]).unwrap();
        let out = out.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(out.iter().collect::<Vec<_>>(), [Some("a"), None, None]);

        let padded: ArrayRef =
            Arc::new(StringArray::from(vec![Some(" a "), Some("  "), Some("b")]));
        let out = text_kernel(&[padded]).unwrap();
        let out = out.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(out.iter().collect::<Vec<_>>(), [Some("a"), None, Some("b")]);
    }

    #[test]
    fn a_decimal_comma_reads_as_a_point() {
        let points: ArrayRef = Arc::new(StringArray::from(vec![Some("18.5"), None, Some("x")]));
        let out = decimal_comma_kernel(&[Arc::clone(&points)]).unwrap();
        assert!(Arc::ptr_eq(&out, &points));

        let commas: ArrayRef = Arc::new(StringArray::from(vec![Some("18,5"), None, Some("10")]));
        let out = decimal_comma_kernel(&[commas]).unwrap();
        let out = out.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(
            out.iter().collect::<Vec<_>>(),
            [Some("18.5"), None, Some("10")]
        );
        assert_eq!(parse_float("18.5"), Some(18.5));
    }

    #[test]
    fn kinds_by_column_name() {
        assert_eq!(
            ColumnKind::of("quantity"),
            ColumnKind::Ruled(RuledColumn::Quantity)
        );
        assert_eq!(
            ColumnKind::of("total_spent"),
            ColumnKind::Ruled(RuledColumn::Total)
        );
        assert_eq!(ColumnKind::of("transaction_date"), ColumnKind::Date);
        assert_eq!(ColumnKind::of("discount_applied"), ColumnKind::Boolean);
        assert_eq!(ColumnKind::of("store_name"), ColumnKind::Text);
    }
}
