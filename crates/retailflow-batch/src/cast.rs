//! Casting the text columns to their types, value by value, as vectorised functions over Arrow arrays.
//! Every value is trimmed first and an empty value is null; a value that does not fit its type (junk)
//! is null too, never an error.
//!
//! | column | type | accepted |
//! |---|---|---|
//! | ids, category, item, payment_method, location, extras | string | any text |
//! | price_per_unit, total_spent | double | decimal text; not NaN or infinite |
//! | quantity | long | a number that is a whole number: `10`, `10.0`, ` 10 ` |
//! | discount_applied | boolean | `true/false/yes/no/1/0`, any case |
//! | transaction_date | date | the detected or given format ([`crate::dates`]) |

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray,
};
use datafusion::arrow::buffer::{BooleanBuffer, NullBuffer};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_datafusion_err};
use datafusion::logical_expr::{Expr, ScalarUDF};
use datafusion::prelude::ident;

use crate::dates::{self, DateFormat};
use crate::udf::array_function;

/// The type a column is cast to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Trimmed text (ids, category, item, payment method, location, extra columns).
    Text,
    /// A float64 (price_per_unit, total_spent).
    Float,
    /// An int64 (quantity).
    Integer,
    /// A boolean (discount_applied).
    Boolean,
    /// A date (transaction_date).
    Date,
}

impl ColumnKind {
    /// The kind of the column named `name` (snake_case).
    pub fn of(name: &str) -> Self {
        match name {
            "price_per_unit" | "total_spent" => ColumnKind::Float,
            "quantity" => ColumnKind::Integer,
            "discount_applied" => ColumnKind::Boolean,
            "transaction_date" => ColumnKind::Date,
            _ => ColumnKind::Text,
        }
    }

    /// The Arrow type of the cast column.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnKind::Text => DataType::Utf8,
            ColumnKind::Float => DataType::Float64,
            ColumnKind::Integer => DataType::Int64,
            ColumnKind::Boolean => DataType::Boolean,
            ColumnKind::Date => DataType::Date32,
        }
    }
}

/// A value trimmed, or `None` when nothing is left.
pub fn clean_text(value: &str) -> Option<&str> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then_some(trimmed)
}

/// A float from decimal text; junk, NaN and infinities are `None`. `-0` is `0`.
pub fn parse_float(value: &str) -> Option<f64> {
    let number: f64 = value.trim().parse().ok()?;
    // Adding 0.0 turns -0.0 into 0.0, so equal prices group together.
    number.is_finite().then_some(number + 0.0)
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
    let value = value.trim();
    const TRUE: [&str; 3] = ["true", "yes", "1"];
    const FALSE: [&str; 3] = ["false", "no", "0"];
    if TRUE.iter().any(|t| value.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE.iter().any(|f| value.eq_ignore_ascii_case(f)) {
        Some(false)
    } else {
        None
    }
}

fn strings(column: &ArrayRef) -> Result<&StringArray> {
    column
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| exec_datafusion_err!("expected a Utf8 column, got {}", column.data_type()))
}

fn needs_trim(value: &str) -> bool {
    let bytes = value.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) if first.is_ascii() && last.is_ascii() => {
            first.is_ascii_whitespace() || last.is_ascii_whitespace()
        }
        (None, _) | (_, None) => false,
        _ => value.trim().len() != value.len(),
    }
}

/// Kernel of `rf_text`: trims every value, empty → null. Shares the input's buffers when no value
/// needs trimming (the common case), so clean text costs only a validity pass.
fn text_kernel(columns: &[ArrayRef]) -> Result<ArrayRef> {
    let input = strings(&columns[0])?;
    if input.iter().flatten().any(needs_trim) {
        let trimmed: StringArray = input.iter().map(|v| v.and_then(clean_text)).collect();
        return Ok(Arc::new(trimmed));
    }
    let offsets = input.offsets();
    let has_empty = (0..input.len()).any(|i| input.is_valid(i) && offsets[i + 1] == offsets[i]);
    if !has_empty {
        return Ok(Arc::clone(&columns[0]));
    }
    let validity = BooleanBuffer::collect_bool(input.len(), |i| {
        input.is_valid(i) && offsets[i + 1] > offsets[i]
    });
    let shared = StringArray::try_new(
        offsets.clone(),
        input.values().clone(),
        Some(NullBuffer::new(validity)),
    )?;
    Ok(Arc::new(shared))
}

fn float_kernel(columns: &[ArrayRef]) -> Result<ArrayRef> {
    let input = strings(&columns[0])?;
    let out: Float64Array = input.iter().map(|v| v.and_then(parse_float)).collect();
    Ok(Arc::new(out))
}

fn integer_kernel(columns: &[ArrayRef]) -> Result<ArrayRef> {
    let input = strings(&columns[0])?;
    let out: Int64Array = input.iter().map(|v| v.and_then(parse_quantity)).collect();
    Ok(Arc::new(out))
}

fn boolean_kernel(columns: &[ArrayRef]) -> Result<ArrayRef> {
    let input = strings(&columns[0])?;
    let out: BooleanArray = input.iter().map(|v| v.and_then(parse_flag)).collect();
    Ok(Arc::new(out))
}

/// The cast functions for one job (the date function depends on the date format).
#[derive(Debug, Clone)]
pub struct CastFunctions {
    text: ScalarUDF,
    float: ScalarUDF,
    integer: ScalarUDF,
    boolean: ScalarUDF,
    date: ScalarUDF,
}

impl CastFunctions {
    /// The cast functions, parsing dates in `date_format`.
    pub fn new(date_format: DateFormat) -> Self {
        let utf8 = || vec![DataType::Utf8];
        Self {
            text: array_function("rf_text", utf8(), DataType::Utf8, text_kernel),
            float: array_function("rf_float", utf8(), DataType::Float64, float_kernel),
            integer: array_function("rf_whole_number", utf8(), DataType::Int64, integer_kernel),
            boolean: array_function("rf_flag", utf8(), DataType::Boolean, boolean_kernel),
            date: dates::parse_function(date_format),
        }
    }

    /// The expression casting text column `name` to its kind, named `name`.
    pub fn cast(&self, name: &str) -> Expr {
        self.cast_as(name, ColumnKind::of(name)).alias(name)
    }

    /// The expression casting text column `name` to `kind` (unnamed).
    pub fn cast_as(&self, name: &str, kind: ColumnKind) -> Expr {
        let function = match kind {
            ColumnKind::Text => &self.text,
            ColumnKind::Float => &self.float,
            ColumnKind::Integer => &self.integer,
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
    fn kinds_by_column_name() {
        assert_eq!(ColumnKind::of("quantity"), ColumnKind::Integer);
        assert_eq!(ColumnKind::of("total_spent"), ColumnKind::Float);
        assert_eq!(ColumnKind::of("transaction_date"), ColumnKind::Date);
        assert_eq!(ColumnKind::of("discount_applied"), ColumnKind::Boolean);
        assert_eq!(ColumnKind::of("store_name"), ColumnKind::Text);
    }
}
