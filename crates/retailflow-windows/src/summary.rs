//! Per-window summary: receipts, revenue and units sold, from the per-(window, store) totals, so
//! the rankings can be checked against totals.

use datafusion::arrow::array::RecordBatch;
use datafusion::error::Result;
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::prelude::{DataFrame, col};
use retailflow_eventtime::{EventTime, WindowSummary};

use crate::{WindowsError, int64_column};

/// The totals of each window, by window start.
pub fn plan(store_totals: DataFrame) -> Result<DataFrame> {
    store_totals
        .aggregate(
            vec![col("window_start"), col("window_end")],
            vec![
                sum(col("receipts")).alias("receipts"),
                sum(col("revenue")).alias("revenue"),
                sum(col("units")).alias("units"),
            ],
        )?
        .sort(vec![col("window_start").sort(true, false)])
}

/// One [`WindowSummary`] per row of [`plan`].
pub fn results(batches: &[RecordBatch]) -> Result<Vec<WindowSummary>, WindowsError> {
    let mut outputs = Vec::new();
    for batch in batches {
        let starts = int64_column(batch, "window_start")?;
        let ends = int64_column(batch, "window_end")?;
        let receipts = int64_column(batch, "receipts")?;
        let revenues = int64_column(batch, "revenue")?;
        let units = int64_column(batch, "units")?;
        for row in 0..batch.num_rows() {
            outputs.push(WindowSummary {
                window_start: EventTime::from_millis(starts.value(row)),
                window_end: EventTime::from_millis(ends.value(row)),
                receipts: u64::try_from(receipts.value(row)).unwrap_or(0),
                revenue: crate::exact_revenue(revenues.value(row))?,
                items: crate::exact_units(units.value(row))?,
                is_final: true,
            });
        }
    }
    Ok(outputs)
}
