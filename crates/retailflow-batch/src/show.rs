//! What a Spark user expects to see: query results as `show()` grids and schemas as `printSchema()`
//! trees, drawn by `retailflow_core::table`. This module only turns Arrow batches and types into the
//! text Spark would print for them (`185.0`, `1.0E7`, `null`, `long`, `double`…).

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use retailflow_core::table::{Table, Truncate, render_schema};

use crate::error::BatchError;

/// Spark's name for an Arrow type in `printSchema()`.
pub fn spark_type(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Float64 => "double",
        DataType::Float32 => "float",
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "long",
        DataType::Int32 | DataType::Int16 | DataType::UInt16 => "integer",
        DataType::Boolean => "boolean",
        DataType::Date32 | DataType::Date64 => "date",
        _ => "string",
    }
}

/// A `printSchema()` tree of (name, type) pairs; every column is nullable, as Spark reads CSV.
pub fn schema_tree<'a>(fields: impl IntoIterator<Item = (&'a str, &'a DataType)>) -> String {
    render_schema(
        fields
            .into_iter()
            .map(|(name, data_type)| (name, spark_type(data_type), true)),
    )
}

/// A float as Java's `Double.toString` writes it, as Spark's `show()` does: `185.0`, `18.5`,
/// `1.0E7`, `1.0E-4`.
pub fn spark_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let magnitude = value.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        return format!("{value:?}");
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    if mantissa.contains('.') {
        format!("{mantissa}E{exponent}")
    } else {
        format!("{mantissa}.0E{exponent}")
    }
}

/// The cells of `batches` as text, `None` for null.
pub fn cells(batches: &[RecordBatch]) -> Result<Vec<Vec<Option<String>>>, BatchError> {
    let options = FormatOptions::default();
    let mut rows = Vec::new();
    for batch in batches {
        let mut columns: Vec<Vec<Option<String>>> = Vec::with_capacity(batch.num_columns());
        for array in batch.columns() {
            let column: Vec<Option<String>> = match array.data_type() {
                DataType::Float64 => array
                    .as_primitive::<Float64Type>()
                    .iter()
                    .map(|v| v.map(spark_double))
                    .collect(),
                DataType::Float32 => array
                    .as_primitive::<Float32Type>()
                    .iter()
                    .map(|v| v.map(|v| spark_double(f64::from(v))))
                    .collect(),
                _ => {
                    let formatter = ArrayFormatter::try_new(array.as_ref(), &options)
                        .map_err(|e| BatchError::Internal(format!("cannot format a cell: {e}")))?;
                    (0..array.len())
                        .map(|i| array.is_valid(i).then(|| formatter.value(i).to_string()))
                        .collect()
                }
            };
            columns.push(column);
        }
        for row in 0..batch.num_rows() {
            rows.push(columns.iter().map(|column| column[row].clone()).collect());
        }
    }
    Ok(rows)
}

/// A `show()` grid of `batches` under `headers`, noting when more rows exist than shown.
pub fn show(
    headers: &[String],
    batches: &[RecordBatch],
    more_rows_exist: bool,
) -> Result<String, BatchError> {
    let mut table = Table::new(headers.iter().cloned());
    for row in cells(batches)? {
        table.push_row(row);
    }
    Ok(table.render(Truncate::default(), more_rows_exist))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, StringArray};

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(spark_double(185.0), "185.0");
        assert_eq!(spark_double(18.5), "18.5");
        assert_eq!(spark_double(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(spark_double(1e7), "1.0E7");
        assert_eq!(spark_double(12_345_678.5), "1.23456785E7");
        assert_eq!(spark_double(0.0001), "1.0E-4");
        assert_eq!(spark_double(0.0), "0.0");
        assert_eq!(spark_double(-2.5), "-2.5");
    }

    #[test]
    fn spark_type_names() {
        assert_eq!(spark_type(&DataType::Utf8), "string");
        assert_eq!(spark_type(&DataType::Utf8View), "string");
        assert_eq!(spark_type(&DataType::Int64), "long");
        assert_eq!(spark_type(&DataType::Int32), "integer");
        assert_eq!(spark_type(&DataType::Date32), "date");
        let tree = schema_tree([
            ("quantity", &DataType::Int64),
            ("price", &DataType::Float64),
        ]);
        assert_eq!(
            tree,
            "root\n |-- quantity: long (nullable = true)\n |-- price: double (nullable = true)\n"
        );
    }

    #[test]
    fn grid_with_nulls_dates_and_floats() {
        let batch = RecordBatch::try_from_iter([
            (
                "item",
                Arc::new(StringArray::from(vec![Some("Item_1_FOOD"), None])) as ArrayRef,
            ),
            (
                "price",
                Arc::new(Float64Array::from(vec![Some(5.0), None])) as ArrayRef,
            ),
            (
                "quantity",
                Arc::new(Int64Array::from(vec![Some(10), Some(2)])) as ArrayRef,
            ),
            (
                "date",
                Arc::new(Date32Array::from(vec![Some(19_821), None])) as ArrayRef,
            ),
        ])
        .unwrap();
        let headers = ["item", "price", "quantity", "date"].map(String::from);
        let out = show(&headers, &[batch], true).unwrap();
        let expected = "\
+-----------+-----+--------+----------+
|       item|price|quantity|      date|
+-----------+-----+--------+----------+
|Item_1_FOOD|  5.0|      10|2024-04-08|
|       null| null|       2|      null|
+-----------+-----+--------+----------+
only showing top 2 rows
";
        assert_eq!(out, expected);
    }
}
