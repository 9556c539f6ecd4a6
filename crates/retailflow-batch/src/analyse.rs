//! The analysis of the clean rows, run as aggregate plans over the written output: nulls per output
//! column, units per category, mean total_spent per payment method and per location, rows per weekday
//! and per month.
//!
//! Two plans: one global count per column (a Parquet file answers it from its statistics), and one
//! group-by over (category, payment_method, location, day_of_week, transaction_month) — at most a few
//! thousand groups — whose sums and counts roll up exactly into every figure of the report.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::prelude::{DataFrame, ident};

use crate::dates::DAY_NAMES;
use crate::error::BatchError;
use crate::features::{DAY_OF_WEEK, TRANSACTION_MONTH};
use crate::report::{CategoryUnits, Ordered};
use crate::rounding::round2;

/// How many categories the report ranks.
pub const TOP_CATEGORIES: usize = 5;

/// The figures computed over the clean rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Clean rows.
    pub rows: u64,
    /// Nulls per output column.
    pub still_null: Ordered<u64>,
    /// Units per category, most first, ties by name; the first [`TOP_CATEGORIES`].
    pub top_categories: Vec<CategoryUnits>,
    /// Mean total_spent per payment method, rounded to 2 decimals, by name.
    pub avg_by_payment_method: Ordered<f64>,
    /// Mean total_spent per location, rounded to 2 decimals, by name.
    pub avg_by_location: Ordered<f64>,
    /// Rows per weekday, Monday first.
    pub rows_by_day_of_week: Ordered<u64>,
    /// Rows per month, "1" to "12".
    pub rows_by_month: Ordered<u64>,
}

fn column_as(batch: &RecordBatch, index: usize, to: &DataType) -> Result<ArrayRef, BatchError> {
    cast(batch.column(index), to).map_err(|e| BatchError::Internal(format!("analysis result: {e}")))
}

fn int_at(batch: &RecordBatch, index: usize) -> Result<Vec<i64>, BatchError> {
    let column = column_as(batch, index, &DataType::Int64)?;
    Ok(column
        .as_primitive::<Int64Type>()
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect())
}

/// Sum and count of total_spent for one key.
#[derive(Debug, Clone, Copy, Default)]
struct Mean {
    sum: f64,
    count: u64,
}

impl Mean {
    fn rounded(self) -> Option<f64> {
        (self.count > 0).then(|| round2(self.sum / self.count as f64))
    }
}

/// Runs the analysis over `clean` (the written rows), whose columns are `names`.
pub async fn analyse(clean: DataFrame, names: &[String]) -> Result<Analysis, BatchError> {
    // Plan 1: rows and non-null values per column.
    let mut totals = vec![count_all()];
    totals.extend(names.iter().map(|n| count(ident(n))));
    let batches = clean.clone().aggregate(vec![], totals)?.collect().await?;
    let batch = batches
        .first()
        .ok_or_else(|| BatchError::Internal("no count row".into()))?;
    let rows = int_at(batch, 0)?.first().copied().unwrap_or(0).max(0) as u64;
    let mut still_null = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let non_null = int_at(batch, i + 1)?.first().copied().unwrap_or(0).max(0) as u64;
        still_null.push((name.clone(), rows.saturating_sub(non_null)));
    }

    // Plan 2: sums and counts per (category, payment_method, location, weekday, month).
    let keys = [
        "category",
        "payment_method",
        "location",
        DAY_OF_WEEK,
        TRANSACTION_MONTH,
    ];
    let groups = clean
        .aggregate(
            keys.iter().map(|k| ident(*k)).collect(),
            vec![
                sum(ident("quantity")),
                sum(ident("total_spent")),
                count(ident("total_spent")),
                count_all(),
            ],
        )?
        .collect()
        .await?;

    let mut units: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_payment: BTreeMap<String, Mean> = BTreeMap::new();
    let mut by_location: BTreeMap<String, Mean> = BTreeMap::new();
    let mut by_day = [0u64; 7];
    let mut by_month = [0u64; 12];
    for batch in &groups {
        let text = |i: usize| -> Result<Vec<Option<String>>, BatchError> {
            let column = column_as(batch, i, &DataType::Utf8)?;
            Ok(column
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(String::from))
                .collect())
        };
        let (categories, payments, locations, days) = (text(0)?, text(1)?, text(2)?, text(3)?);
        let months = column_as(batch, 4, &DataType::Int64)?;
        let months = months.as_primitive::<Int64Type>();
        let quantities = int_at(batch, 5)?;
        let spent = column_as(batch, 6, &DataType::Float64)?;
        let spent = spent.as_primitive::<Float64Type>();
        let spent_counts = int_at(batch, 7)?;
        let row_counts = int_at(batch, 8)?;
        for g in 0..batch.num_rows() {
            let mean = Mean {
                sum: if spent.is_valid(g) {
                    spent.value(g)
                } else {
                    0.0
                },
                count: spent_counts[g].max(0) as u64,
            };
            if let Some(category) = &categories[g] {
                *units.entry(category.clone()).or_default() += quantities[g];
            }
            for (key, table) in [
                (&payments[g], &mut by_payment),
                (&locations[g], &mut by_location),
            ] {
                if let Some(key) = key {
                    let entry = table.entry(key.clone()).or_default();
                    entry.sum += mean.sum;
                    entry.count += mean.count;
                }
            }
            let rows = row_counts[g].max(0) as u64;
            if let Some(day) = &days[g]
                && let Some(index) = DAY_NAMES.iter().position(|d| d == day)
            {
                by_day[index] += rows;
            }
            if months.is_valid(g) && (1..=12).contains(&months.value(g)) {
                by_month[(months.value(g) - 1) as usize] += rows;
            }
        }
    }

    let mut ranked: Vec<CategoryUnits> = units
        .into_iter()
        .map(|(category, units)| CategoryUnits { category, units })
        .collect();
    ranked.sort_by(|a, b| {
        b.units
            .cmp(&a.units)
            .then_with(|| a.category.cmp(&b.category))
    });
    ranked.truncate(TOP_CATEGORIES);
    let averages = |table: BTreeMap<String, Mean>| -> Ordered<f64> {
        table
            .into_iter()
            .filter_map(|(key, mean)| Some((key, mean.rounded()?)))
            .collect()
    };
    Ok(Analysis {
        rows,
        still_null: Ordered(still_null),
        top_categories: ranked,
        avg_by_payment_method: averages(by_payment),
        avg_by_location: averages(by_location),
        rows_by_day_of_week: DAY_NAMES.iter().zip(by_day).map(|(d, n)| (*d, n)).collect(),
        rows_by_month: (1..=12).map(|m| (m.to_string(), by_month[m - 1])).collect(),
    })
}
