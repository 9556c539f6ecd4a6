//! The two columns clean adds for analysis: `day_of_week` (English name, `Monday`…`Sunday`) and
//! `transaction_month` (1–12), both null where the date is null.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Date32Type};
use datafusion::common::{Result, exec_datafusion_err};
use datafusion::logical_expr::{Expr, ScalarUDF};

use crate::dates::{day_name_of, month_of};
use crate::udf::array_function;

/// The name of the weekday column.
pub const DAY_OF_WEEK: &str = "day_of_week";
/// The name of the month column.
pub const TRANSACTION_MONTH: &str = "transaction_month";

fn dates(column: &ArrayRef) -> Result<&datafusion::arrow::array::Date32Array> {
    column
        .as_primitive_opt::<Date32Type>()
        .ok_or_else(|| exec_datafusion_err!("expected Date32, got {}", column.data_type()))
}

fn day_of_week_kernel(columns: &[ArrayRef]) -> Result<ArrayRef> {
    let days = dates(&columns[0])?;
    let names: StringArray = days.iter().map(|day| day.map(day_name_of)).collect();
    Ok(Arc::new(names))
}

fn month_kernel(columns: &[ArrayRef]) -> Result<ArrayRef> {
    let days = dates(&columns[0])?;
    let months: Int32Array = days
        .iter()
        .map(|day| day.map(|d| month_of(d) as i32))
        .collect();
    Ok(Arc::new(months))
}

/// The feature functions.
#[derive(Debug, Clone)]
pub struct FeatureFunctions {
    day_of_week: ScalarUDF,
    month: ScalarUDF,
}

impl Default for FeatureFunctions {
    fn default() -> Self {
        Self {
            day_of_week: array_function(
                "rf_day_of_week",
                vec![DataType::Date32],
                DataType::Utf8,
                day_of_week_kernel,
            ),
            month: array_function(
                "rf_month",
                vec![DataType::Date32],
                DataType::Int32,
                month_kernel,
            ),
        }
    }
}

impl FeatureFunctions {
    /// Every function, for rebuilding one by name.
    pub(crate) fn functions(&self) -> [&ScalarUDF; 2] {
        [&self.day_of_week, &self.month]
    }

    /// `day_of_week` of the date expression.
    pub fn day_of_week(&self, date: Expr) -> Expr {
        self.day_of_week.call(vec![date]).alias(DAY_OF_WEEK)
    }

    /// `transaction_month` of the date expression.
    pub fn month(&self, date: Expr) -> Expr {
        self.month.call(vec![date]).alias(TRANSACTION_MONTH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::civil;
    use datafusion::arrow::array::Date32Array;

    #[test]
    fn weekday_names_and_months() {
        let input: ArrayRef = Arc::new(Date32Array::from(vec![
            civil(2024, 4, 8),
            None,
            civil(2023, 7, 23),
            civil(2022, 12, 31),
        ]));
        let names = day_of_week_kernel(&[Arc::clone(&input)]).unwrap();
        let names = names.as_string::<i32>();
        assert_eq!(
            names.iter().collect::<Vec<_>>(),
            [Some("Monday"), None, Some("Sunday"), Some("Saturday")]
        );
        let months = month_kernel(&[input]).unwrap();
        let months = months.as_primitive::<datafusion::arrow::datatypes::Int32Type>();
        assert_eq!(
            months.iter().collect::<Vec<_>>(),
            [Some(4), None, Some(7), Some(12)]
        );
    }
}
