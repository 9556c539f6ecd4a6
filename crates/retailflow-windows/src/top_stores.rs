//! Top stores by revenue per window: revenue = Σ exact receipt totals of the store's receipts in
//! the window, highest first, ties broken by store id ascending, each with its receipt count.
//!
//! The per-(window, store) totals are computed once and shared with the [`summary`] of each
//! window; the ranking is `row_number()` over each window.
//!
//! [`summary`]: crate::summary

use datafusion::arrow::array::RecordBatch;
use datafusion::error::Result;
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::ExprFunctionExt;
use datafusion::prelude::{DataFrame, col, lit};
use retailflow_eventtime::{EventTime, Output, StoreRevenue, TopStores};

use crate::{WindowsError, int64_column, string_column};

/// Per window and store: `revenue` (hundredths), `receipts` and `units`, from receipts with
/// windows assigned and their `total` and `units`.
pub fn store_totals(windowed: DataFrame) -> Result<DataFrame> {
    windowed.aggregate(
        vec![col("window_start"), col("window_end"), col("store_id")],
        vec![
            sum(col("total")).alias("revenue"),
            count(lit(1)).alias("receipts"),
            sum(col("units")).alias("units"),
        ],
    )
}

/// The `limit` highest-revenue stores of each window, by window start then rank.
pub fn plan(store_totals: DataFrame, limit: usize) -> Result<DataFrame> {
    let rank = row_number()
        .partition_by(vec![col("window_start")])
        .order_by(vec![
            col("revenue").sort(false, false),
            col("store_id").sort(true, false),
        ])
        .build()?
        .alias("rank");
    store_totals
        .window(vec![rank])?
        .filter(col("rank").lt_eq(lit(limit as u64)))?
        .sort(vec![
            col("window_start").sort(true, false),
            col("rank").sort(true, false),
        ])
}

/// One [`TopStores`] per window from the rows of [`plan`].
pub fn results(batches: &[RecordBatch]) -> Result<Vec<Output>, WindowsError> {
    let mut outputs: Vec<Output> = Vec::new();
    for batch in batches {
        let starts = int64_column(batch, "window_start")?;
        let ends = int64_column(batch, "window_end")?;
        let stores = string_column(batch, "store_id")?;
        let revenues = int64_column(batch, "revenue")?;
        let receipts = int64_column(batch, "receipts")?;
        for row in 0..batch.num_rows() {
            let (start, end) = (
                EventTime::from_millis(starts.value(row)),
                EventTime::from_millis(ends.value(row)),
            );
            let entry = StoreRevenue {
                store_id: stores.value(row).to_owned(),
                revenue: crate::exact_revenue(revenues.value(row))?,
                receipts: u64::try_from(receipts.value(row)).unwrap_or(0),
            };
            match outputs.last_mut() {
                Some(Output::TopStores(top)) if top.window_start == start => top.stores.push(entry),
                _ => outputs.push(Output::TopStores(TopStores {
                    window_start: start,
                    window_end: end,
                    stores: vec![entry],
                    is_final: true,
                })),
            }
        }
    }
    Ok(outputs)
}
